package client

// Benchmarks of the request path: building each action's request and a
// whole call through the cluster client against an in-memory transport.
// Run them with -cpu 1,2 to see whether concurrent calls contend:
//
//	go test -run XXX -bench 'Request|ClusterDo|KeysGet' -cpu 1,2 .

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"
)

func BenchmarkRequestBuild(b *testing.B) {
	ep := url.URL{Scheme: "http", Host: "127.0.0.1:2379"}
	c := &httpClusterClient{}
	benches := []struct {
		name string
		act  func() *action
	}{
		{"Get", func() *action { return getAction(defaultV2KeysPrefix, "/foo", GetOptions{}) }},
		{"GetRecursiveSortedQuorum", func() *action {
			return getAction(defaultV2KeysPrefix, "/dir/", GetOptions{Recursive: true, Sort: true, Quorum: true})
		}},
		{"Set", func() *action { return setAction(defaultV2KeysPrefix, "/foo", "bar", SetOptions{}) }},
		{"SetWithOptions", func() *action {
			return setAction(defaultV2KeysPrefix, "/foo", "a value & more",
				SetOptions{PrevValue: "old value", PrevIndex: 12345, PrevExist: PrevExist, TTL: 30 * time.Second})
		}},
		{"Create", func() *action {
			return setAction(defaultV2KeysPrefix, "/foo", "bar", SetOptions{PrevExist: PrevNoExist})
		}},
		{"Delete", func() *action {
			return deleteAction(defaultV2KeysPrefix, "/foo", DeleteOptions{PrevIndex: 7, Recursive: true})
		}},
		{"Watch", func() *action { return waitAction(defaultV2KeysPrefix, "/foo", 1234567, true) }},
		{"CreateInOrder", func() *action { return createInOrderAction(defaultV2KeysPrefix, "/queue", "job", time.Minute) }},
		{"MembersList", func() *action { return membersAction(http.MethodGet, "", nil) }},
		{"MembersAdd", func() *action { return membersAction(http.MethodPost, "", []string{"http://127.0.0.1:2380"}) }},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				act := bb.act()
				if req := c.newRequest(act, &ep, nil, true); req == nil {
					b.Fatalf("%s: newRequest(%v) = nil", bb.name, ep)
				}
			}
		})
	}
}

// replayTransport answers every request with the same canned response,
// like a member that never changes. It is safe for concurrent use.
type replayTransport struct {
	status  int
	header  http.Header
	body    []byte
	chunked bool // announce no length, as net/http servers do for bodies above 2 KB
}

func newReplayTransport(body []byte) *replayTransport {
	return &replayTransport{
		status: http.StatusOK,
		header: http.Header{
			"Content-Type":      {"application/json"},
			"X-Etcd-Cluster-Id": {"48276a8f75b6a87"},
			"X-Etcd-Index":      {"5"},
			"X-Raft-Index":      {"6"},
			"X-Raft-Term":       {"2"},
			"Content-Length":    {strconv.Itoa(len(body))},
		},
		body: body,
	}
}

func (t *replayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A real transport hands every response its own header map; sharing
	// one is fine here because nothing on the read path writes to it.
	resp := &http.Response{
		StatusCode:    t.status,
		Header:        t.header,
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)),
		Request:       req,
	}
	if t.chunked {
		resp.ContentLength = -1
	}
	return resp, nil
}

func (t *replayTransport) CancelRequest(*http.Request) {}

// getBody is etcd 3.4.23's answer to GET /v2/keys/foo.
const getBody = `{"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}}`

func newBenchClient(b *testing.B, cfg Config) Client {
	b.Helper()
	cfg.Transport = newReplayTransport([]byte(getBody))
	if cfg.Endpoints == nil {
		cfg.Endpoints = []string{"http://127.0.0.1:2379", "http://127.0.0.1:22379", "http://127.0.0.1:32379"}
	}
	c, err := New(cfg)
	if err != nil {
		b.Fatalf("New(%+v) = %v", cfg, err)
	}
	return c
}

var benchConfigs = []struct {
	name string
	cfg  Config
}{
	{"Default", Config{}},
	{"AuthHeaderTimeout", Config{Username: "root", Password: "secret", HeaderTimeoutPerRequest: time.Second}},
}

func BenchmarkClusterDo(b *testing.B) {
	act := getAction(defaultV2KeysPrefix, "/foo", GetOptions{})
	for _, bc := range benchConfigs {
		c := newBenchClient(b, bc.cfg)
		ctx := context.Background()
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, body, err := c.Do(ctx, act)
				if err != nil || resp.StatusCode != http.StatusOK || len(body) != len(getBody) {
					b.Fatalf("Do(get /foo) = %v, %d bytes, %v; want 200, %d bytes", resp, len(body), err, len(getBody))
				}
			}
		})
		b.Run(bc.name+"/Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, body, err := c.Do(ctx, act)
					if err != nil || resp.StatusCode != http.StatusOK || len(body) != len(getBody) {
						b.Errorf("Do(get /foo) = %v, %d bytes, %v; want 200, %d bytes", resp, len(body), err, len(getBody))
						return
					}
				}
			})
		})
	}
}

func BenchmarkKeysGet(b *testing.B) {
	for _, bc := range benchConfigs {
		kAPI := NewKeysAPI(newBenchClient(b, bc.cfg))
		ctx := context.Background()
		check := func(r *Response, err error) bool {
			return err == nil && r.Node != nil && r.Node.Value == "bar" && r.Index == 5
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := kAPI.Get(ctx, "/foo", nil)
				if !check(r, err) {
					b.Fatalf("Get(%q) = %+v, %v; want node /foo=bar at index 5", "/foo", r, err)
				}
			}
		})
		b.Run(bc.name+"/Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r, err := kAPI.Get(ctx, "/foo", nil)
					if !check(r, err) {
						b.Errorf("Get(%q) = %+v, %v; want node /foo=bar at index 5", "/foo", r, err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkKeysGetRecursive1000 reads etcd 3.4.23's recursive listing of
// 1,000 keys (175 KB). etcd sends such bodies chunked, without a length,
// which makes reading them a cost of its own.
func BenchmarkKeysGetRecursive1000(b *testing.B) {
	body, err := os.ReadFile("testdata/etcd-3.4.23/get_recursive1000.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, chunked := range []bool{false, true} {
		name := "ContentLength"
		if chunked {
			name = "Chunked"
		}
		tr := newReplayTransport(body)
		if chunked {
			tr.chunked = true
			delete(tr.header, "Content-Length")
		}
		c, err := New(Config{Endpoints: []string{"http://127.0.0.1:2379"}, Transport: tr})
		if err != nil {
			b.Fatalf("New() = %v", err)
		}
		kAPI := NewKeysAPI(c)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				r, err := kAPI.Get(context.Background(), "/bench1k", &GetOptions{Recursive: true})
				if err != nil || r.Node == nil || len(r.Node.Nodes) != 20 {
					b.Fatalf("Get(%q) = %+v, %v; want a directory of 20", "/bench1k", r, err)
				}
			}
		})
	}
}
