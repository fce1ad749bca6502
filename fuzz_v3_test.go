package client

// A fuzz target for what a hostile or broken v3 gateway controls on
// APIv3: the answers to the key API's transactions and ranges (read as
// keys, directory markers and their JSON records, revisions, leases) and
// the lines of a watch stream. Every call must end with a Response of the
// documented shape or an error, never a panic or a hang. The seed corpus,
// real shapes of etcd 3.6's gateway, is in testdata/fuzz/FuzzV3Answers/.

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// v3FuzzOps are the calls FuzzV3Answers makes, chosen by the op byte.
var v3FuzzOps = []func(ctx context.Context, k KeysAPI) (*Response, error){
	func(ctx context.Context, k KeysAPI) (*Response, error) {
		return k.Get(ctx, "/a", &GetOptions{Recursive: true, Sort: true})
	},
	func(ctx context.Context, k KeysAPI) (*Response, error) { return k.Get(ctx, "/a/b", nil) },
	func(ctx context.Context, k KeysAPI) (*Response, error) {
		return k.Set(ctx, "/a/b", "v", &SetOptions{TTL: time.Minute})
	},
	func(ctx context.Context, k KeysAPI) (*Response, error) {
		return k.Set(ctx, "/a/b", "v", &SetOptions{PrevValue: "w"})
	},
	func(ctx context.Context, k KeysAPI) (*Response, error) {
		return k.Delete(ctx, "/a", &DeleteOptions{Recursive: true})
	},
	func(ctx context.Context, k KeysAPI) (*Response, error) { return k.CreateInOrder(ctx, "/q", "v", nil) },
	func(ctx context.Context, k KeysAPI) (*Response, error) {
		return k.Set(ctx, "/d", "", &SetOptions{Dir: true, TTL: time.Minute})
	},
	func(ctx context.Context, k KeysAPI) (*Response, error) {
		return k.Watcher("/a", &WatcherOptions{Recursive: true, AfterIndex: 2}).Next(ctx)
	},
}

func FuzzV3Answers(f *testing.F) {
	f.Add(uint8(0), 200, []byte(`{"header":{"cluster_id":"1","member_id":"2","revision":"5","raft_term":"2"},"succeeded":true,"responses":[`+
		`{"response_range":{"header":{"revision":"5"},"kvs":[{"key":"L2E=","create_revision":"2","mod_revision":"5","version":"2","value":"dg=="}],"count":"1"}},`+
		`{"response_range":{"header":{"revision":"5"},"kvs":[{"key":"L2Ev","create_revision":"3","mod_revision":"4","version":"1","value":"e30="},`+
		`{"key":"L2EvYg==","create_revision":"4","mod_revision":"4","version":"1","value":"dg==","lease":"7"}],"count":"2"}}]}`))
	f.Add(uint8(7), 200, []byte(`{"result":{"header":{"revision":"3"},"created":true}}`+"\n"+
		`{"result":{"header":{"revision":"4"},"events":[{"kv":{"key":"L2EvYg==","create_revision":"4","mod_revision":"4","version":"1","value":"dg=="}},`+
		`{"type":"DELETE","kv":{"key":"L2Ev","mod_revision":"4"},"prev_kv":{"key":"L2Ev","create_revision":"3","mod_revision":"3","version":"1","value":"eyJhY3Rpb24iOiJzZXQifQ=="}}]}}`+"\n"))
	f.Add(uint8(2), 200, []byte(`{"header":{"revision":"9"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"9"},"prev_kv":{"key":"L2EvYg==","value":"dw=="}}}],"ID":"5","TTL":"60"}`))
	f.Add(uint8(5), 200, []byte(`{"header":{"revision":"99999999999999999999"},"succeeded":false,"responses":[{"response_range":{"kvs":[{"key":"L3E=","value":"bnVsbA=="}]}}]}`))
	f.Add(uint8(1), 500, []byte(`{"code":2,"message":"auth: authentication failed"}`))
	f.Add(uint8(4), 400, []byte(`{"code":3,"message":"etcdserver: too many operations in txn request"}`))
	f.Add(uint8(6), 200, []byte(`{"header":{"revision":"-1"},"responses":[null,{},{"response_range":null}]}`))
	f.Add(uint8(3), 200, []byte(`{"header":{},"succeeded":true,"responses":[{"response_range":{"kvs":[{"key":"","value":"","create_revision":"-5"}]}},{"response_range":{"kvs":[{"key":"L2E=","lease":"-1"}]}}]}`))

	f.Fuzz(func(t *testing.T, op uint8, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		c, err := New(Config{
			Endpoints: []string{"http://127.0.0.1:2379"},
			API:       APIv3,
			Transport: &fuzzStaticTransport{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: body},
		})
		if err != nil {
			t.Fatal(err)
		}
		// The deadline only ends a watch that keeps reopening its stream
		// on answers that never say what it waits for.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		resp, err := v3FuzzOps[int(op)%len(v3FuzzOps)](ctx, NewKeysAPI(c))
		if err == nil && (resp == nil || resp.Node == nil) {
			t.Fatalf("no error and no node: %+v", resp)
		}
	})
}
