package client

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// fakeGateway is an in-memory etcd v3 JSON gateway for unit tests: the
// kv/range, kv/txn, lease and member calls the APIv3 mapping sends, with
// etcd's JSON shapes (base64 bytes, int64 as strings). It keeps only the
// latest version of each key; leases never expire by themselves.
type fakeGateway struct {
	mu     sync.Mutex
	rev    int64
	kvs    map[string]v3KeyValue
	leases map[int64]int64 // id -> TTL
	nextID int64
	calls  map[string]int
}

func newFakeGateway(t *testing.T) (*fakeGateway, *httptest.Server) {
	g := &fakeGateway{rev: 1, kvs: map[string]v3KeyValue{}, leases: map[int64]int64{}, nextID: 100, calls: map[string]int{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv
}

func (g *fakeGateway) header() v3Header {
	return v3Header{ClusterID: 0xabc, MemberID: 1, Revision: g.rev}
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls[r.URL.Path]++
	var out any
	switch r.URL.Path {
	case "/v3/kv/range":
		var req v3RangeRequest
		json.NewDecoder(r.Body).Decode(&req)
		out = g.rangeLocked(&req)
	case "/v3/kv/txn":
		var req struct {
			Compare []struct {
				Key      []byte `json:"key"`
				RangeEnd []byte `json:"range_end"`
				Target   string `json:"target"`
				Result   string `json:"result"`
				Mod      string `json:"mod_revision"`
				Create   string `json:"create_revision"`
			} `json:"compare"`
			Success []v3RequestOp `json:"success"`
			Failure []v3RequestOp `json:"failure"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		ok := true
		for _, c := range req.Compare {
			want, _ := strconv.ParseInt(c.Mod+c.Create, 10, 64)
			kvs := []v3KeyValue{{}}
			if c.RangeEnd != nil {
				if got := g.rangeLocked(&v3RangeRequest{Key: c.Key, RangeEnd: c.RangeEnd}).Kvs; len(got) > 0 {
					kvs = got
				}
			} else if kv, found := g.kvs[string(c.Key)]; found {
				kvs = []v3KeyValue{kv}
			}
			for _, kv := range kvs {
				have := kv.ModRevision
				if c.Target == "CREATE" {
					have = kv.CreateRevision
				}
				switch c.Result {
				case "EQUAL":
					ok = ok && have == want
				case "LESS":
					ok = ok && have < want
				}
			}
		}
		ops := req.Success
		if !ok {
			ops = req.Failure
		}
		resp := v3TxnResponse{Succeeded: ok}
		wrote := false
		for _, op := range ops {
			if op.Put != nil || op.DeleteRange != nil {
				if !wrote {
					g.rev++
					wrote = true
				}
			}
			switch {
			case op.Range != nil:
				resp.Responses = append(resp.Responses, v3ResponseOp{Range: g.rangeLocked(op.Range)})
			case op.Put != nil:
				p := op.Put
				kv, found := g.kvs[string(p.Key)]
				if !found {
					kv = v3KeyValue{Key: p.Key, CreateRevision: g.rev}
				}
				kv.ModRevision, kv.Value = g.rev, p.Value
				kv.Version++
				if !p.IgnoreLease {
					kv.Lease = p.Lease
				}
				g.kvs[string(p.Key)] = kv
				resp.Responses = append(resp.Responses, v3ResponseOp{Put: &struct{}{}})
			case op.DeleteRange != nil:
				for _, kv := range g.rangeLocked(&v3RangeRequest{Key: op.DeleteRange.Key, RangeEnd: op.DeleteRange.RangeEnd}).Kvs {
					delete(g.kvs, string(kv.Key))
				}
				resp.Responses = append(resp.Responses, v3ResponseOp{})
			}
		}
		resp.Header = g.header()
		out = resp
	case "/v3/lease/grant":
		var req struct {
			TTL int64 `json:"TTL,string"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		g.nextID++
		g.leases[g.nextID] = req.TTL
		out = map[string]any{"header": g.header(), "ID": strconv.FormatInt(g.nextID, 10), "TTL": strconv.FormatInt(req.TTL, 10)}
	case "/v3/lease/revoke", "/v3/lease/timetolive":
		var req struct {
			ID int64 `json:"ID,string"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		ttl, found := g.leases[req.ID]
		if !found {
			ttl = -1
		}
		if r.URL.Path == "/v3/lease/revoke" {
			delete(g.leases, req.ID)
		}
		out = map[string]any{"header": g.header(), "ID": strconv.FormatInt(req.ID, 10), "TTL": strconv.FormatInt(ttl, 10)}
	case "/v3/cluster/member/list":
		out = map[string]any{"header": g.header(), "members": []map[string]any{
			{"ID": "10", "name": "m0", "peerURLs": []string{"http://127.0.0.1:2380"}, "clientURLs": []string{"http://127.0.0.1:2379"}},
			{"ID": "11", "name": "m1", "peerURLs": []string{"http://127.0.0.1:2480"}, "clientURLs": []string{"http://127.0.0.1:2479"}},
		}}
	case "/v3/maintenance/status":
		out = map[string]any{"header": g.header(), "version": "3.6.16", "leader": "11"}
	default:
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (g *fakeGateway) rangeLocked(req *v3RangeRequest) *v3RangeResponse {
	resp := &v3RangeResponse{Header: g.header()}
	var keys []string
	for k := range g.kvs {
		if k == string(req.Key) || (req.RangeEnd != nil && k >= string(req.Key) && (bytes.Equal(req.RangeEnd, []byte{0}) || k < string(req.RangeEnd))) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	resp.Count = int64(len(keys))
	if req.CountOnly {
		return resp
	}
	for _, k := range keys {
		if req.Limit > 0 && int64(len(resp.Kvs)) >= req.Limit {
			resp.More = true
			break
		}
		resp.Kvs = append(resp.Kvs, g.kvs[k])
	}
	return resp
}

// keys returns the stored v3 keys, sorted.
func (g *fakeGateway) keys() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for k := range g.kvs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
