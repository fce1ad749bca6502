package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// readGuard stands in front of the fake gateway as etcd's v3 auth does
// for reads: a range (a range request, a range in a transaction or a
// comparison) must lie inside one permitted interval, or the whole call
// is refused with gRPC code 7. It counts the calls it lets through.
type readGuard struct {
	next    http.Handler
	allowed [][2]string // [key, end); end "" is the key alone

	mu      sync.Mutex
	calls   int
	refused int
}

func (g *readGuard) permits(key, end []byte) bool {
	hi := string(end)
	if hi == "" {
		hi = string(key) + "\x00"
	}
	for _, a := range g.allowed {
		if a[1] == "" {
			if len(end) == 0 && string(key) == a[0] {
				return true
			}
			continue
		}
		if string(key) >= a[0] && hi <= a[1] {
			return true
		}
	}
	return false
}

func (g *readGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ranges [][2][]byte
	switch r.URL.Path {
	case "/v3/kv/range":
		var req v3RangeRequest
		json.Unmarshal(body, &req)
		ranges = append(ranges, [2][]byte{req.Key, req.RangeEnd})
	case "/v3/kv/txn":
		var req struct {
			Compare []v3Compare   `json:"compare"`
			Success []v3RequestOp `json:"success"`
			Failure []v3RequestOp `json:"failure"`
		}
		json.Unmarshal(body, &req)
		for _, c := range req.Compare {
			ranges = append(ranges, [2][]byte{c.Key, c.RangeEnd})
		}
		for _, op := range append(req.Success, req.Failure...) {
			if op.Range != nil {
				ranges = append(ranges, [2][]byte{op.Range.Key, op.Range.RangeEnd})
			}
		}
	}
	g.mu.Lock()
	g.calls++
	for _, rg := range ranges {
		if !g.permits(rg[0], rg[1]) {
			g.refused++
			g.mu.Unlock()
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":"etcdserver: permission denied","code":7,"message":"etcdserver: permission denied"}`)
			return
		}
	}
	g.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.next.ServeHTTP(w, r)
}

func (g *readGuard) counts() (calls, refused int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, r := g.calls, g.refused
	g.calls, g.refused = 0, 0
	return c, r
}

// newGuardedKeys returns an APIv3 KeysAPI whose reads pass guard, and
// one that reads and writes everything (root) on the same fake.
func newGuardedKeys(t *testing.T, allowed [][2]string) (user, root KeysAPI, guard *readGuard, fake *fakeGateway) {
	t.Helper()
	root, fake, _ = newV3TestKeys(t, "p")
	guard = &readGuard{next: fake, allowed: allowed}
	srv := httptest.NewServer(guard)
	t.Cleanup(srv.Close)
	c, err := New(Config{Endpoints: []string{srv.URL}, API: APIv3, V3KeyPrefix: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return NewKeysAPI(c), root, guard, fake
}

// TestV3Keys_readsOnlyTheNode gives a reader the ranges of "/foo/*"
// with its extra reads (p/, p/foo) and checks that Get of the
// directory itself, of keys below, and of missing keys below answer as
// v2, each Get that finds its node in one request, though p/foo-bar and
// p/foo.bak lie between p/foo and p/foo/.
func TestV3Keys_readsOnlyTheNode(t *testing.T) {
	ctx := context.Background()
	k, root, guard, _ := newGuardedKeys(t, [][2]string{{"p/foo/", "p/foo0"}, {"p/", ""}, {"p/foo", ""}})
	for _, key := range []string{"/foo/a", "/foo/d/e", "/foo/d/f/g", "/foo-bar", "/foo.bak"} {
		if _, err := root.Set(ctx, key, "v", nil); err != nil {
			t.Fatal(err)
		}
	}
	guard.counts()
	r, err := k.Get(ctx, "/foo", &GetOptions{Recursive: true})
	if err != nil || !r.Node.Dir || len(r.Node.Nodes) != 2 || r.Node.Nodes[1].Key != "/foo/d" || len(r.Node.Nodes[1].Nodes) != 2 {
		t.Fatalf("Get(/foo, recursive) = %+v, %v", r, err)
	}
	if calls, _ := guard.counts(); calls != 1 {
		t.Errorf("Get(/foo) took %d requests, want 1", calls)
	}
	if r, err := k.Get(ctx, "/foo/d/e", &GetOptions{Quorum: true}); err != nil || r.Node.Value != "v" {
		t.Fatalf("Get(/foo/d/e) = %+v, %v", r, err)
	}
	if calls, _ := guard.counts(); calls != 1 {
		t.Errorf("Get(/foo/d/e) took %d requests, want 1", calls)
	}
	for _, tc := range []struct {
		key   string
		code  int
		cause string
	}{
		{"/foo/missing", ErrorCodeKeyNotFound, "/foo/missing"},
		{"/foo/d/missing", ErrorCodeKeyNotFound, "/foo/d/missing"},
		{"/foo/d/f/missing", ErrorCodeKeyNotFound, "/foo/d/f/missing"},
		{"/foo/x/y/z", ErrorCodeKeyNotFound, "/foo/x"},
		{"/foo/d/e/x", ErrorCodeNotDir, "/foo/d/e"},
		{"/foo/a/x/y", ErrorCodeNotDir, "/foo/a"},
	} {
		_, err := k.Get(ctx, tc.key, nil)
		wantV3Err(t, "Get("+tc.key+")", err, tc.code, tc.cause)
	}
	if _, err := k.Get(ctx, "/foo-bar", nil); !isPermissionDenied(err) {
		t.Errorf("Get(/foo-bar) = %v; want the refusal", err)
	}
	// Writes below /foo read the same keys.
	if _, err := k.Set(ctx, "/foo/d/h", "w", nil); err != nil {
		t.Errorf("Set(/foo/d/h) = %v", err)
	}
	if _, err := k.Delete(ctx, "/foo/d/h", nil); err != nil {
		t.Errorf("Delete(/foo/d/h) = %v", err)
	}
	_, err = k.Update(ctx, "/foo/x/y", "w")
	wantV3Err(t, "Update(/foo/x/y)", err, ErrorCodeKeyNotFound, "/foo/x")
}

// TestV3Keys_notFoundWithoutMarkers checks the v2 errors below
// directories made only of keys another tool wrote (no markers): their
// subtrees are counted.
func TestV3Keys_notFoundWithoutMarkers(t *testing.T) {
	ctx := context.Background()
	k, g, _ := newV3TestKeys(t, "p")
	g.mu.Lock()
	g.rev++
	g.kvs["p/f/g/h"] = v3KeyValue{Key: []byte("p/f/g/h"), Value: []byte("x"), CreateRevision: g.rev, ModRevision: g.rev}
	g.mu.Unlock()
	for _, tc := range []struct {
		key   string
		code  int
		cause string
	}{
		{"/f/g/x", ErrorCodeKeyNotFound, "/f/g/x"},
		{"/f/z/x", ErrorCodeKeyNotFound, "/f/z"},
		{"/q/x", ErrorCodeKeyNotFound, "/q"},
		{"/f/g/h/x", ErrorCodeNotDir, "/f/g/h"},
		{"/f/g/h/x/y", ErrorCodeNotDir, "/f/g/h"},
	} {
		_, err := k.Get(ctx, tc.key, nil)
		wantV3Err(t, "Get("+tc.key+")", err, tc.code, tc.cause)
	}
}

// TestV3Keys_exactNode gives a reader the node /solo alone (its key
// and its marker): a Get of the key works after the refused read of the
// subtree, a missing one is "Key not found", a directory stays refused.
func TestV3Keys_exactNode(t *testing.T) {
	ctx := context.Background()
	k, root, guard, _ := newGuardedKeys(t, [][2]string{{"p/solo", ""}, {"p/solo/", ""}, {"p/dir", ""}, {"p/dir/", ""}, {"p/", ""}})
	_, err := k.Get(ctx, "/solo", nil)
	wantV3Err(t, "Get(/solo) missing", err, ErrorCodeKeyNotFound, "/solo")
	for _, key := range []string{"/solo", "/dir/a"} {
		if _, err := root.Set(ctx, key, "v", nil); err != nil {
			t.Fatal(err)
		}
	}
	guard.counts()
	if r, err := k.Get(ctx, "/solo", nil); err != nil || r.Node.Value != "v" || r.Node.Key != "/solo" {
		t.Fatalf("Get(/solo) = %+v, %v", r, err)
	}
	if calls, refused := guard.counts(); calls != 2 || refused != 1 {
		t.Errorf("Get(/solo): %d calls, %d refused; want 2, 1", calls, refused)
	}
	if _, err := k.Get(ctx, "/dir", nil); !isPermissionDenied(err) {
		t.Errorf("Get(/dir) = %v; want the refusal", err)
	}

	// Writes read (and compare) the key and its marker alone too. The
	// guard checks reads only: on etcd the write of the parent's marker
	// needs write on it as well (docs/v3-layout.md, "Auth").
	if r, err := k.Set(ctx, "/solo", "w", nil); err != nil || r.Node.Value != "w" || r.PrevNode == nil || r.PrevNode.Value != "v" {
		t.Fatalf("Set(/solo) = %+v, %v", r, err)
	}
	if _, err := k.Create(ctx, "/solo", "x"); err == nil {
		t.Error("Create(/solo) over the key succeeded")
	}
	if _, err := k.Set(ctx, "/dir", "x", nil); !isPermissionDenied(err) {
		t.Errorf("Set(/dir) over a directory = %v; want the refusal", err)
	}
	if r, err := k.Delete(ctx, "/solo", nil); err != nil || r.PrevNode.Value != "w" {
		t.Fatalf("Delete(/solo) = %+v, %v", r, err)
	}
	_, err = k.Update(ctx, "/solo", "x")
	wantV3Err(t, "Update(/solo) after Delete", err, ErrorCodeKeyNotFound, "/solo")
	if r, err := k.Create(ctx, "/solo", "again"); err != nil || r.Node.Value != "again" {
		t.Fatalf("Create(/solo) = %+v, %v", r, err)
	}
	// Once another writer has made /solo a directory, a write to it is
	// refused: its subtree cannot be read.
	if _, err := root.Delete(ctx, "/solo", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Set(ctx, "/solo/sub", "v", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Set(ctx, "/solo", "x", nil); !isPermissionDenied(err) {
		t.Errorf("Set(/solo) over the new directory = %v; want the refusal", err)
	}
}
