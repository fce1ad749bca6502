package bench

// The candidates of the APIv3 comparison: this package's KeysAPI with
// Config{API: APIv3}, plain net/http loops sending the very gateway
// requests it sends, and go.etcd.io/etcd/client/v3 (gRPC) making the
// equivalent v3 calls. Each returns a count (nodes or key-values) so the
// workloads can check that all of them read the same data.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ours "github.com/seed26e043ee/client"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// NameClientV3 is the gRPC client's name, as printed.
const NameClientV3 = "clientv3"

// rangeEnd is the end of the v3 range of every key starting with p, as
// etcd's prefix ranges and this package's layout compute it.
func rangeEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00"
}

func newOursV3(ep string) (ours.KeysAPI, error) {
	// The default Config apart from the endpoint and the one field.
	c, err := ours.New(ours.Config{Endpoints: []string{ep}, API: ours.APIv3})
	if err != nil {
		return nil, err
	}
	return ours.NewKeysAPI(c), nil
}

// newOursV3Get reads key (a directory's whole tree with rec) through the
// KeysAPI and counts the nodes.
func newOursV3Get(ep, key string, rec bool) (Getter, error) {
	kAPI, err := newOursV3(ep)
	if err != nil {
		return nil, err
	}
	opts := &ours.GetOptions{Recursive: rec}
	return func(ctx context.Context) (int, error) {
		r, err := kAPI.Get(ctx, key, opts)
		if err != nil {
			return 0, err
		}
		return countOurs(r.Node), nil
	}, nil
}

// newOursV3Set sets key to val through the KeysAPI.
func newOursV3Set(ep, key, val string) (Getter, error) {
	kAPI, err := newOursV3(ep)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (int, error) {
		if _, err := kAPI.Set(ctx, key, val, nil); err != nil {
			return 0, err
		}
		return 1, nil
	}, nil
}

// gateway is the plain loop's HTTP side: a keep-alive client with as
// many idle connections per host as ours keeps, posting JSON.
type gateway struct {
	hc *http.Client
	ep string
}

func newGateway(ep string) *gateway {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &gateway{hc: &http.Client{Transport: tr}, ep: ep}
}

// post sends body to /v3/<what> and returns the answer's body.
func (g *gateway) post(ctx context.Context, what string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.ep+"/v3/"+what, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.hc.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w %d: %s", errStatus, resp.StatusCode, b)
	}
	return b, nil
}

// gwRangeRequest is one range of our Get's read transaction.
type gwRangeRequest struct {
	Key          []byte `json:"key"`
	RangeEnd     []byte `json:"range_end,omitempty"`
	Serializable bool   `json:"serializable,omitempty"`
}

type gwRequestOp struct {
	Range *gwRangeRequest `json:"request_range"`
}

// getTxnBody is the read-only transaction our Get of key posts (key not
// the root), as in docs/v3-layout.md: the key alone and, apart, its
// subtree [key+"/", key+"0"), both serializable, so that a role holding
// a directory's prefix or the node reads it.
func getTxnBody(key string) []byte {
	b, _ := json.Marshal(struct {
		Success []gwRequestOp `json:"success"`
	}{[]gwRequestOp{
		{&gwRangeRequest{Key: []byte(key), Serializable: true}},
		{&gwRangeRequest{Key: []byte(key + "/"), RangeEnd: []byte(rangeEnd(key + "/")), Serializable: true}},
	}})
	return b
}

type gwKV struct {
	Key            []byte `json:"key"`
	CreateRevision int64  `json:"create_revision,string"`
	ModRevision    int64  `json:"mod_revision,string"`
	Version        int64  `json:"version,string"`
	Value          []byte `json:"value"`
	Lease          int64  `json:"lease,string"`
}

type gwHeader struct {
	ClusterID uint64 `json:"cluster_id,string"`
	MemberID  uint64 `json:"member_id,string"`
	Revision  int64  `json:"revision,string"`
	RaftTerm  uint64 `json:"raft_term,string"`
}

type gwRangeResponse struct {
	Header gwHeader `json:"header"`
	Kvs    []gwKV   `json:"kvs"`
	More   bool     `json:"more"`
	Count  int64    `json:"count,string"`
}

// newGatewayGet posts the read transaction our Get of key posts. With
// decode it also decodes the answer with encoding/json and counts the
// key-values of both ranges; without, it only reads the body.
func newGatewayGet(ep, key string, decode bool) (Getter, error) {
	g := newGateway(ep)
	body := getTxnBody(key)
	return func(ctx context.Context) (int, error) {
		b, err := g.post(ctx, "kv/txn", body)
		if err != nil || !decode {
			return -1, err
		}
		var r gwTxnResponse
		if err := json.Unmarshal(b, &r); err != nil {
			return 0, err
		}
		if len(r.Responses) != 2 {
			return 0, fmt.Errorf("bench: read transaction answered %d ranges, want 2", len(r.Responses))
		}
		n := 0
		for _, op := range r.Responses {
			if op.Range != nil {
				n += len(op.Range.Kvs)
			}
		}
		return n, nil
	}, nil
}

// gwTxnResponse is the part of a read transaction's answer a Set needs.
type gwTxnResponse struct {
	Header    gwHeader `json:"header"`
	Succeeded bool     `json:"succeeded"`
	Responses []struct {
		Range *gwRangeResponse `json:"response_range"`
	} `json:"responses"`
}

// plainSet is a hand-written Set of key (a key in the root directory)
// with v2 semantics on the layout of docs/v3-layout.md, sending the two
// transactions our Set sends: a read of the root's marker, the key and
// the top of the key's subtree, then a commit conditional on all three,
// which records the action in the root's marker and puts the value.
type plainSet struct {
	key, val string
	read     []byte // the read transaction, the same every time
	b64      func(string) string
}

func newPlainSet(key, val string) *plainSet {
	p := &plainSet{key: key, val: val, b64: func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }}
	p.read = fmt.Appendf(nil, `{"success":[{"request_range":{"key":%q}},{"request_range":{"key":%q}},{"request_range":{"key":%q,"range_end":%q,"limit":"2"}}]}`,
		p.b64("/"), p.b64(key), p.b64(key+"/"), p.b64(rangeEnd(key+"/")))
	return p
}

// commit builds the commit transaction from the read's answer.
func (p *plainSet) commit(readAnswer []byte) ([]byte, error) {
	var r gwTxnResponse
	if err := json.Unmarshal(readAnswer, &r); err != nil {
		return nil, err
	}
	if len(r.Responses) != 3 {
		return nil, fmt.Errorf("bench: read transaction answered %d ranges, want 3", len(r.Responses))
	}
	first := func(i int) *gwKV {
		if rr := r.Responses[i].Range; rr != nil && len(rr.Kvs) > 0 {
			return &rr.Kvs[0]
		}
		return nil
	}
	marker, file := first(0), first(1)
	if rr := r.Responses[2].Range; rr != nil && len(rr.Kvs) > 0 {
		return nil, errors.New("bench: the key is a directory")
	}
	var markerCreate, fileMod int64
	if file != nil {
		fileMod = file.ModRevision
	}
	record := p.b64(`{"a":"set","k":"` + p.key + `"}`)
	// The root's marker keeps its lease (it has none) when it exists; a
	// new one is created with the record.
	markerPut := fmt.Sprintf(`{"request_put":{"key":%q,"value":%q}}`, p.b64("/"), record)
	if marker != nil {
		markerCreate = marker.CreateRevision
		markerPut = fmt.Sprintf(`{"request_put":{"key":%q,"value":%q,"ignore_lease":true}}`, p.b64("/"), record)
	}
	return fmt.Appendf(nil, `{"compare":[{"create_revision":"%d","key":%q,"result":"EQUAL","target":"CREATE"},{"key":%q,"mod_revision":"%d","result":"EQUAL","target":"MOD"},{"key":%q,"mod_revision":"%d","range_end":%q,"result":"LESS","target":"MOD"}],"success":[%s,{"request_put":{"key":%q,"value":%q}}]}`,
		markerCreate, p.b64("/"), p.b64(p.key), fileMod, p.b64(p.key+"/"), r.Header.Revision+1, p.b64(rangeEnd(p.key+"/")),
		markerPut, p.b64(p.key), p.b64(p.val)), nil
}

// newGatewaySet is the plain loop's Set: plainSet's two transactions,
// repeated if the commit's conditions failed.
func newGatewaySet(ep, key, val string) (Getter, error) {
	g := newGateway(ep)
	p := newPlainSet(key, val)
	return func(ctx context.Context) (int, error) {
		for range 100 {
			ra, err := g.post(ctx, "kv/txn", p.read)
			if err != nil {
				return 0, err
			}
			c, err := p.commit(ra)
			if err != nil {
				return 0, err
			}
			ca, err := g.post(ctx, "kv/txn", c)
			if err != nil {
				return 0, err
			}
			var cr struct {
				Succeeded bool `json:"succeeded"`
			}
			if err := json.Unmarshal(ca, &cr); err != nil {
				return 0, err
			}
			if cr.Succeeded {
				return 1, nil
			}
		}
		return 0, errors.New("bench: plain Set lost 100 times")
	}, nil
}

func newClientV3(ep string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   []string{ep},
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// clientV3Candidate makes one clientv3.Client per Getter and closes them
// all in Close.
type clientV3Candidate struct {
	mu      sync.Mutex
	clients []*clientv3.Client
}

func (c *clientV3Candidate) client(ep string) (*clientv3.Client, error) {
	cli, err := newClientV3(ep)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.clients = append(c.clients, cli)
	c.mu.Unlock()
	return cli, nil
}

// Close closes every client made.
func (c *clientV3Candidate) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cli := range c.clients {
		cli.Close()
	}
	c.clients = nil
}

// get makes the read transaction our Get of key makes, with clientv3:
// the key alone and its subtree, both serializable.
func (c *clientV3Candidate) get(ep, key string) (Getter, error) {
	cli, err := c.client(ep)
	if err != nil {
		return nil, err
	}
	sub := key + "/"
	end := rangeEnd(sub)
	return func(ctx context.Context) (int, error) {
		r, err := cli.Txn(ctx).Then(
			clientv3.OpGet(key, clientv3.WithSerializable()),
			clientv3.OpGet(sub, clientv3.WithRange(end), clientv3.WithSerializable()),
		).Commit()
		if err != nil {
			return 0, err
		}
		if len(r.Responses) != 2 {
			return 0, fmt.Errorf("bench: read transaction answered %d ranges, want 2", len(r.Responses))
		}
		return len(r.Responses[0].GetResponseRange().Kvs) + len(r.Responses[1].GetResponseRange().Kvs), nil
	}, nil
}

// set makes the two transactions of plainSet with clientv3.
func (c *clientV3Candidate) set(ep, key, val string) (Getter, error) {
	cli, err := c.client(ep)
	if err != nil {
		return nil, err
	}
	sub := key + "/"
	end := rangeEnd(sub)
	record := `{"a":"set","k":"` + key + `"}`
	return func(ctx context.Context) (int, error) {
		for range 100 {
			rd, err := cli.Txn(ctx).Then(
				clientv3.OpGet("/"), clientv3.OpGet(key),
				clientv3.OpGet(sub, clientv3.WithRange(end), clientv3.WithLimit(2)),
			).Commit()
			if err != nil {
				return 0, err
			}
			if len(rd.Responses) != 3 {
				return 0, fmt.Errorf("bench: read transaction answered %d ranges, want 3", len(rd.Responses))
			}
			if len(rd.Responses[2].GetResponseRange().Kvs) > 0 {
				return 0, errors.New("bench: the key is a directory")
			}
			var markerCreate, fileMod int64
			markerPut := clientv3.OpPut("/", record)
			if kvs := rd.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
				markerCreate = kvs[0].CreateRevision
				markerPut = clientv3.OpPut("/", record, clientv3.WithIgnoreLease())
			}
			if kvs := rd.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
				fileMod = kvs[0].ModRevision
			}
			cm, err := cli.Txn(ctx).If(
				clientv3.Compare(clientv3.CreateRevision("/"), "=", markerCreate),
				clientv3.Compare(clientv3.ModRevision(key), "=", fileMod),
				clientv3.Compare(clientv3.ModRevision(sub).WithRange(end), "<", rd.Header.Revision+1),
			).Then(markerPut, clientv3.OpPut(key, val)).Commit()
			if err != nil {
				return 0, err
			}
			if cm.Succeeded {
				return 1, nil
			}
		}
		return 0, errors.New("bench: clientv3 Set lost 100 times")
	}, nil
}

// A watchProbe has a watch open on one directory's subtree and reports
// on events the time each batch of events arrived.
type watchProbe interface {
	// Arrivals delivers the arrival time of each message with events.
	Arrivals() <-chan time.Time
	Close()
}

// watchArrivals runs recv until it fails and sends the time of each
// message that holds events; ended is closed when it stops.
func watchArrivals(recv func() (events int, err error)) (<-chan time.Time, <-chan error) {
	ch := make(chan time.Time, 64)
	errc := make(chan error, 1)
	go func() {
		for {
			n, err := recv()
			if err != nil {
				errc <- err
				close(ch)
				return
			}
			if n > 0 {
				ch <- time.Now()
			}
		}
	}()
	return ch, errc
}

type funcProbe struct {
	ch    <-chan time.Time
	errc  <-chan error
	close func()
}

func (p *funcProbe) Arrivals() <-chan time.Time { return p.ch }

func (p *funcProbe) Close() {
	p.close()
	for range p.ch {
	}
	<-p.errc
}

// newOursV3Watch watches dir recursively after revision after with the
// KeysAPI's Watcher.
//
// requests counts the requests the watcher sent (the stream, and any
// read it makes to translate an event).
func newOursV3Watch(ep, dir string, after uint64, requests *atomic.Int64) (watchProbe, error) {
	ct := &countTransport{next: newGateway(ep).hc.Transport, n: requests}
	c, err := ours.New(ours.Config{Endpoints: []string{ep}, API: ours.APIv3, Transport: ct})
	if err != nil {
		return nil, err
	}
	kAPI := ours.NewKeysAPI(c)
	w := kAPI.Watcher(dir, &ours.WatcherOptions{Recursive: true, AfterIndex: after})
	ctx, cancel := context.WithCancel(context.Background())
	ch, errc := watchArrivals(func() (int, error) {
		r, err := w.Next(ctx)
		if err != nil {
			return 0, err
		}
		if r.Node == nil || !strings.HasPrefix(r.Node.Key, dir+"/") {
			return 0, fmt.Errorf("bench: watch of %s: event for %+v", dir, r.Node)
		}
		return 1, nil
	})
	return &funcProbe{ch: ch, errc: errc, close: func() {
		cancel()
		if c, ok := w.(interface{ Close() error }); ok {
			c.Close()
		}
	}}, nil
}

// newGatewayWatch posts the watch our Watcher posts (dir and its
// subtree, prev_kv, from revision after+1) and reads the stream line by
// line, decoding each message with encoding/json.
func newGatewayWatch(ep, dir string, after uint64, _ *atomic.Int64) (watchProbe, error) {
	body, err := json.Marshal(struct {
		Create struct {
			Key           []byte `json:"key"`
			RangeEnd      []byte `json:"range_end"`
			StartRevision uint64 `json:"start_revision,string"`
			PrevKv        bool   `json:"prev_kv"`
		} `json:"create_request"`
	}{Create: struct {
		Key           []byte `json:"key"`
		RangeEnd      []byte `json:"range_end"`
		StartRevision uint64 `json:"start_revision,string"`
		PrevKv        bool   `json:"prev_kv"`
	}{[]byte(dir), []byte(rangeEnd(dir + "/")), after + 1, true}})
	if err != nil {
		return nil, err
	}
	g := newGateway(ep)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep+"/v3/watch", bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.hc.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%w %d from /v3/watch", errStatus, resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	ch, errc := watchArrivals(func() (int, error) {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return 0, err
		}
		var msg struct {
			Result *struct {
				Header gwHeader `json:"header"`
				Events []struct {
					Type   string `json:"type"`
					Kv     gwKV   `json:"kv"`
					PrevKv *gwKV  `json:"prev_kv"`
				} `json:"events"`
			} `json:"result"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(line, &msg); err != nil {
			return 0, err
		}
		if msg.Error != nil || msg.Result == nil {
			return 0, fmt.Errorf("bench: watch stream: %s", line)
		}
		return len(msg.Result.Events), nil
	})
	return &funcProbe{ch: ch, errc: errc, close: func() {
		cancel()
		resp.Body.Close()
	}}, nil
}

// newClientV3Watch makes the same watch with clientv3.
func newClientV3Watch(ep, dir string, after uint64, _ *atomic.Int64) (watchProbe, error) {
	cli, err := newClientV3(ep)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	wch := cli.Watch(ctx, dir, clientv3.WithRange(rangeEnd(dir+"/")), clientv3.WithRev(int64(after)+1), clientv3.WithPrevKV())
	ch, errc := watchArrivals(func() (int, error) {
		wr, ok := <-wch
		if !ok {
			return 0, errors.New("bench: clientv3 watch channel closed")
		}
		if err := wr.Err(); err != nil {
			return 0, err
		}
		return len(wr.Events), nil
	})
	return &funcProbe{ch: ch, errc: errc, close: func() {
		cancel()
		cli.Close()
	}}, nil
}

// countTransport counts the requests it sends.
type countTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t *countTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(req)
}

// CancelRequest is there for the client's CancelableTransport; contexts
// cancel the requests.
func (t *countTransport) CancelRequest(*http.Request) {}

// stampTransport records when the last request to /v3/kv/txn left, so a
// watch latency can be measured from the moment a Set's commit was sent.
type stampTransport struct {
	next http.RoundTripper
	last atomicTime
}

func (t *stampTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == "/v3/kv/txn" {
		t.last.Store(time.Now())
	}
	return t.next.RoundTrip(req)
}

// CancelRequest is there for the client's CancelableTransport; contexts
// cancel the requests.
func (t *stampTransport) CancelRequest(*http.Request) {}

type atomicTime struct {
	mu sync.Mutex
	t  time.Time
}

func (a *atomicTime) Store(t time.Time) { a.mu.Lock(); a.t = t; a.mu.Unlock() }
func (a *atomicTime) Load() time.Time   { a.mu.Lock(); defer a.mu.Unlock(); return a.t }

// recordTransport records the bodies of the requests a client sends and
// of the answers it gets, to check that the plain loops send the same.
type recordTransport struct {
	next http.RoundTripper

	mu       sync.Mutex
	paths    []string
	requests [][]byte
	answers  [][]byte
}

func (t *recordTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var b []byte
	if req.Body != nil {
		var err error
		if b, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	a, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(a))
	t.mu.Lock()
	t.paths = append(t.paths, req.URL.Path)
	t.requests = append(t.requests, b)
	t.answers = append(t.answers, a)
	t.mu.Unlock()
	return resp, nil
}

func (t *recordTransport) CancelRequest(*http.Request) {}

// recordOurs runs op on an APIv3 KeysAPI that records what it sends.
func recordOurs(ep string, op func(ours.KeysAPI) error) (*recordTransport, error) {
	rt := &recordTransport{next: http.DefaultTransport}
	c, err := ours.New(ours.Config{Endpoints: []string{ep}, API: ours.APIv3, Transport: rt})
	if err != nil {
		return nil, err
	}
	if err := op(ours.NewKeysAPI(c)); err != nil {
		return nil, err
	}
	return rt, nil
}
