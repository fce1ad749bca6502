package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newV3TestKeys(t *testing.T, prefix string) (KeysAPI, *fakeGateway, Client) {
	t.Helper()
	g, srv := newFakeGateway(t)
	c, err := New(Config{Endpoints: []string{srv.URL}, API: APIv3, V3KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return NewKeysAPI(c), g, c
}

func wantV3Err(t *testing.T, what string, err error, code int, cause string) {
	t.Helper()
	var e Error
	if !errors.As(err, &e) || e.Code != code || e.Cause != cause || e.Message != v2ErrorMessages[code] {
		t.Errorf("%s: err = %#v, want Error %d (%s) with cause %q", what, err, code, v2ErrorMessages[code], cause)
	}
}

// TestV3Keys_layout checks the stored layout of docs/v3-layout.md: keys
// verbatim under the prefix, one marker per directory, ending in "/".
func TestV3Keys_layout(t *testing.T) {
	k, g, _ := newV3TestKeys(t, "pfx")
	ctx := context.Background()
	if _, err := k.Set(ctx, "/a/b/c", "v", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Set(ctx, "top", "w", nil); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(g.keys(), " ")
	want := "pfx/ pfx/a/ pfx/a/b/ pfx/a/b/c pfx/top"
	if got != want {
		t.Errorf("stored keys = %q, want %q", got, want)
	}
	g.mu.Lock()
	v := string(g.kvs["pfx/a/b/c"].Value)
	rec := parseMarker(g.kvs["pfx/"].Value)
	g.mu.Unlock()
	if v != "v" {
		t.Errorf("value = %q, want it verbatim", v)
	}
	if rec.Action != "set" || rec.Key != "/top" {
		t.Errorf("root marker = %+v, want the record of the last write (set /top)", rec)
	}
}

func TestV3Keys_semantics(t *testing.T) {
	k, g, _ := newV3TestKeys(t, "")
	ctx := context.Background()

	r, err := k.Set(ctx, "/foo", "bar", nil)
	if err != nil || r.Action != "set" || r.Node.Key != "/foo" || r.Node.Value != "bar" || r.Index != r.Node.ModifiedIndex || r.ClusterID != "abc" {
		t.Fatalf("Set = %+v, %v", r, err)
	}
	first := r.Node.ModifiedIndex
	r, err = k.Set(ctx, "/foo", "baz", nil)
	if err != nil || r.PrevNode == nil || r.PrevNode.Value != "bar" || r.Node.CreatedIndex != first {
		t.Fatalf("Set again = %+v, %v", r, err)
	}
	_, err = k.Create(ctx, "/foo", "x")
	wantV3Err(t, "Create", err, ErrorCodeNodeExist, "/foo")
	_, err = k.Set(ctx, "/foo", "x", &SetOptions{PrevValue: "nope", PrevIndex: 1})
	wantV3Err(t, "CAS", err, ErrorCodeTestFailed, "[nope != baz] [1 != "+uitoa(r.Index)+"]")
	r, err = k.Set(ctx, "/foo", "x", &SetOptions{PrevIndex: r.Index})
	if err != nil || r.Action != "compareAndSwap" {
		t.Fatalf("CAS by index = %+v, %v", r, err)
	}
	_, err = k.Get(ctx, "/nope", nil)
	wantV3Err(t, "Get missing", err, ErrorCodeKeyNotFound, "/nope")
	if !IsKeyNotFound(err) {
		t.Error("IsKeyNotFound is false")
	}
	_, err = k.Set(ctx, "/foo/bar", "x", nil)
	wantV3Err(t, "Set below a key", err, ErrorCodeNotDir, "/foo")
	_, err = k.Delete(ctx, "/", nil)
	wantV3Err(t, "Delete root", err, ErrorCodeRootROnly, "/")
	_, err = k.Set(ctx, "/r", "v", &SetOptions{Refresh: true, TTL: time.Minute})
	wantV3Err(t, "refresh with value", err, 211, "A value was provided on a refresh")
	_, err = k.Set(ctx, "/r", "", &SetOptions{Refresh: true})
	wantV3Err(t, "refresh without TTL", err, 212, "No TTL value set")
	_, err = k.Set(ctx, "/r", "v", &SetOptions{PrevExist: "maybe"})
	wantV3Err(t, "prevExist not a boolean", err, ErrorCodeInvalidField, "invalid value for prevExist")

	// Directories.
	if r, err = k.Set(ctx, "/dir", "", &SetOptions{Dir: true}); err != nil || !r.Node.Dir || r.Node.Value != "" {
		t.Fatalf("mkdir = %+v, %v", r, err)
	}
	_, err = k.Set(ctx, "/dir", "v", nil)
	wantV3Err(t, "Set on dir", err, ErrorCodeNotFile, "/dir")
	for _, name := range []string{"/dir/x", "/dir/sub/y", "/dir/_h"} {
		if _, err := k.Set(ctx, name, "1", nil); err != nil {
			t.Fatal(err)
		}
	}
	r, err = k.Get(ctx, "/dir", nil)
	if err != nil || len(r.Node.Nodes) != 2 || r.Node.Nodes[0].Key != "/dir/sub" || !r.Node.Nodes[0].Dir || r.Node.Nodes[0].Nodes != nil || r.Node.Nodes[1].Key != "/dir/x" {
		t.Fatalf("Get /dir = %+v %v; want /dir/sub (dir, no children) and /dir/x, no hidden key", r.Node.Nodes, err)
	}
	r, err = k.Get(ctx, "/", &GetOptions{Recursive: true})
	if err != nil || r.Node.Key != "" || !r.Node.Dir || len(r.Node.Nodes) != 2 || len(r.Node.Nodes[0].Nodes[0].Nodes) != 1 {
		t.Fatalf("recursive Get / = %+v, %v", r.Node, err)
	}
	_, err = k.Delete(ctx, "/dir", &DeleteOptions{Dir: true})
	wantV3Err(t, "Delete non-empty dir", err, ErrorCodeDirNotEmpty, "/dir")
	_, err = k.Delete(ctx, "/dir", nil)
	wantV3Err(t, "Delete dir as key", err, ErrorCodeNotFile, "/dir")
	_, err = k.Delete(ctx, "/dir", &DeleteOptions{Recursive: true, PrevValue: "x"})
	wantV3Err(t, "CAD on dir", err, ErrorCodeNotFile, "/dir")
	if r, err = k.Delete(ctx, "/dir", &DeleteOptions{Recursive: true}); err != nil || r.Action != "delete" || !r.Node.Dir || r.PrevNode == nil {
		t.Fatalf("recursive Delete = %+v, %v", r, err)
	}
	for _, key := range g.keys() {
		if strings.HasPrefix(key, "/dir") {
			t.Errorf("key %q left after the recursive delete", key)
		}
	}

	// TTL: a lease per key, the dir's lease for keys below it.
	r, err = k.Set(ctx, "/ttl", "x", &SetOptions{TTL: 90 * time.Second})
	if err != nil || r.Node.TTL != 90 || r.Node.Expiration == nil {
		t.Fatalf("Set TTL = %+v, %v", r, err)
	}
	if _, err := k.Set(ctx, "/tdir", "", &SetOptions{Dir: true, TTL: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	// The key takes the directory's lease (it goes with it) but, as on
	// v2, shows no TTL of its own.
	if r, err = k.Set(ctx, "/tdir/in", "x", nil); err != nil || r.Node.TTL != 0 || r.Node.Expiration != nil {
		t.Fatalf("key in a dir with TTL = %+v, %v; want no TTL of its own", r, err)
	}
	g.mu.Lock()
	inLease, dirLease := g.kvs["/tdir/in"].Lease, g.kvs["/tdir/"].Lease
	g.mu.Unlock()
	if inLease == 0 || inLease != dirLease {
		t.Errorf("lease of /tdir/in = %d, want the directory's %d", inLease, dirLease)
	}
	if r, err = k.Get(ctx, "/tdir", &GetOptions{Recursive: true}); err != nil || r.Node.TTL != 30 || len(r.Node.Nodes) != 1 || r.Node.Nodes[0].TTL != 0 {
		t.Fatalf("Get of a dir with TTL = %+v, %v; want its TTL, none on the key in it", r, err)
	}
	if r, err = k.Get(ctx, "/tdir/in", nil); err != nil || r.Node.TTL != 0 {
		t.Fatalf("Get of a key in a dir with TTL = %+v, %v; want no TTL", r, err)
	}
	r, err = k.Set(ctx, "/ttl", "", &SetOptions{TTL: 120 * time.Second, Refresh: true})
	if err != nil || r.Node.Value != "x" || r.Node.TTL != 120 || r.PrevNode.TTL != 90 {
		t.Fatalf("refresh = %+v, %v", r, err)
	}
	g.mu.Lock()
	leases := len(g.leases)
	g.mu.Unlock()
	if leases != 2 {
		t.Errorf("%d leases left, want 2 (the refreshed key's old one revoked)", leases)
	}

	// NoValueOnSuccess.
	if r, err = k.Set(ctx, "/nv", "x", &SetOptions{NoValueOnSuccess: true}); err != nil || r.Node != nil || r.Action != "set" {
		t.Fatalf("NoValueOnSuccess = %+v, %v", r, err)
	}
}

func TestV3Keys_createInOrder(t *testing.T) {
	k, _, _ := newV3TestKeys(t, "")
	ctx := context.Background()
	var last string
	for i := range 5 {
		r, err := k.CreateInOrder(ctx, "/queue", "job", nil)
		if err != nil || r.Action != "create" || r.Node.Key <= last || len(r.Node.Key) != len("/queue/")+20 {
			t.Fatalf("#%d: %+v, %v (last %q)", i, r, err, last)
		}
		if !strings.HasSuffix(r.Node.Key, uitoa(r.Node.CreatedIndex)) {
			t.Errorf("#%d: name %q, want it named after its index %d", i, r.Node.Key, r.Node.CreatedIndex)
		}
		last = r.Node.Key
	}
	if _, err := k.Set(ctx, "/file", "x", nil); err != nil {
		t.Fatal(err)
	}
	_, err := k.CreateInOrder(ctx, "/file", "job", nil)
	wantV3Err(t, "CreateInOrder in a key", err, ErrorCodeNotDir, "/file")
}

func TestV3_membersAndAuth(t *testing.T) {
	_, g, c := newV3TestKeys(t, "")
	ctx := context.Background()
	ms, err := NewMembersAPI(c).List(ctx)
	if err != nil || len(ms) != 2 || ms[0].ID != "a" || ms[1].ClientURLs[0] != "http://127.0.0.1:2479" {
		t.Fatalf("List = %+v, %v", ms, err)
	}
	ld, err := NewMembersAPI(c).Leader(ctx)
	if err != nil || ld.Name != "m1" {
		t.Fatalf("Leader = %+v, %v", ld, err)
	}
	// The auth APIs go to etcd's v3 auth (this fake serves none of it;
	// v3auth_test.go has the fake that does).
	if err := NewAuthAPI(c).Enable(ctx); err == nil || errors.Is(err, ErrNotOnAPIv3) {
		t.Errorf("AuthAPI on APIv3 = %v, want the gateway's refusal", err)
	}
	if _, err := NewAuthUserAPI(c).ListUsers(ctx); err == nil || errors.Is(err, ErrNotOnAPIv3) {
		t.Errorf("AuthUserAPI on APIv3 = %v, want the gateway's refusal", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls["/v3/auth/enable"] != 1 || g.calls["/v3/auth/user/list"] != 1 {
		t.Errorf("auth calls = %v, want one /v3/auth/enable and one /v3/auth/user/list", g.calls)
	}
}

func TestV3_noGateway(t *testing.T) {
	// An endpoint that answers 404 with no gateway JSON.
	g, srv := newFakeGateway(t)
	_ = g
	c, err := New(Config{Endpoints: []string{srv.URL + "/elsewhere"}, API: APIv3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewKeysAPI(c).Get(context.Background(), "/x", nil)
	if !errors.Is(err, ErrNoV3Gateway) {
		t.Errorf("err = %v, want ErrNoV3Gateway", err)
	}
	if _, err := New(Config{Endpoints: []string{srv.URL}, API: API(7)}); err == nil {
		t.Error("New with an unknown API succeeded")
	}
}

// The answers the differential test (integration/v3_diff_test.go) found
// etcd 3.4's v2 API to give, and APIv3 now gives too.
func TestV3Keys_asV2Answers(t *testing.T) {
	k, _, _ := newV3TestKeys(t, "p")
	ctx := context.Background()

	// The root always exists, even with nothing stored.
	r, err := k.Get(ctx, "/", nil)
	if err != nil || r.Node.Key != "" || !r.Node.Dir || r.Node.Nodes != nil || r.Node.CreatedIndex != 0 {
		t.Fatalf("Get of the empty root = %+v, %v; want an empty directory", r, err)
	}

	// A missing key's cause is the first component missing.
	if _, err := k.Set(ctx, "/a/x", "1", nil); err != nil {
		t.Fatal(err)
	}
	_, err = k.Get(ctx, "/a/b/c", nil)
	wantV3Err(t, "Get below a missing dir", err, ErrorCodeKeyNotFound, "/a/b")
	_, err = k.Update(ctx, "/b/c", "v")
	wantV3Err(t, "Update below a missing dir", err, ErrorCodeKeyNotFound, "/b")
	_, err = k.Delete(ctx, "/a/b/c", nil)
	wantV3Err(t, "Delete below a missing dir", err, ErrorCodeKeyNotFound, "/a/b")
	_, err = k.Set(ctx, "/b/c", "v", &SetOptions{PrevValue: "x"})
	wantV3Err(t, "CAS below a missing dir", err, ErrorCodeKeyNotFound, "/b")

	// prevExist=false wins over the comparisons.
	_, err = k.Set(ctx, "/a/x", "2", &SetOptions{PrevExist: PrevNoExist, PrevValue: "1"})
	wantV3Err(t, "create with prevValue of an existing key", err, ErrorCodeNodeExist, "/a/x")
	if r, err = k.Set(ctx, "/a/new", "2", &SetOptions{PrevExist: PrevNoExist, PrevValue: "1"}); err != nil || r.Action != "create" {
		t.Fatalf("create with prevValue = %+v, %v", r, err)
	}
	// prevExist is read as a boolean.
	if r, err = k.Set(ctx, "/a/x", "3", &SetOptions{PrevExist: "1"}); err != nil || r.Action != "update" {
		t.Fatalf("prevExist 1 = %+v, %v; want an update", r, err)
	}

	// An update keeps the node's kind: Dir on a key empties its value,
	// an empty value on a directory is an update of its TTL.
	if r, err = k.Set(ctx, "/a/x", "", &SetOptions{Dir: true, PrevExist: PrevExist}); err != nil || r.Action != "update" || r.Node.Dir || r.Node.Value != "" {
		t.Fatalf("update of a key with Dir = %+v, %v; want the key, emptied", r, err)
	}
	if r, err = k.Update(ctx, "/a", ""); err != nil || r.Action != "update" || !r.Node.Dir {
		t.Fatalf("update of a dir without a value = %+v, %v", r, err)
	}
	_, err = k.Update(ctx, "/a", "v")
	wantV3Err(t, "update of a dir with a value", err, ErrorCodeNotFile, "/a")
}

// TestV3Compare_json pins the JSON of each compare target: exactly one
// member of the target's oneof, fields in the order of their names.
func TestV3Compare_json(t *testing.T) {
	for _, tc := range []struct {
		c    v3Compare
		want string
	}{
		{v3Compare{Key: []byte("/a"), Target: "MOD", Result: "EQUAL"}, `{"key":"L2E=","mod_revision":"0","result":"EQUAL","target":"MOD"}`},
		{v3Compare{Key: []byte("/a"), RangeEnd: []byte("/b"), Target: "CREATE", Result: "LESS", Rev: 7}, `{"create_revision":"7","key":"L2E=","range_end":"L2I=","result":"LESS","target":"CREATE"}`},
		{v3Compare{Key: []byte("/a"), Target: "VERSION", Result: "GREATER", Rev: 3}, `{"key":"L2E=","result":"GREATER","target":"VERSION","version":"3"}`},
		{v3Compare{Key: []byte("/a"), Target: "VALUE", Result: "NOT_EQUAL", Value: []byte("x")}, `{"key":"L2E=","result":"NOT_EQUAL","target":"VALUE","value":"eA=="}`},
		{v3Compare{Key: []byte("/a"), Target: "VALUE", Result: "EQUAL"}, `{"key":"L2E=","result":"EQUAL","target":"VALUE","value":null}`},
	} {
		b, err := json.Marshal(tc.c)
		if err != nil || string(b) != tc.want {
			t.Errorf("json.Marshal(%+v) = %s, %v; want %s", tc.c, b, err, tc.want)
		}
	}
}

// TestAPIv3_responseCap: Config.MaxResponseBytes bounds the gateway's
// answers as it bounds v2's: a Get whose answer is larger fails with
// ErrResponseTooLarge.
func TestAPIv3_responseCap(t *testing.T) {
	_, srv := newFakeGateway(t)
	ctx := context.Background()
	big := strings.Repeat("x", 64<<10)
	c, err := New(Config{Endpoints: []string{srv.URL}, API: APIv3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeysAPI(c).Set(ctx, "/big", big, nil); err != nil {
		t.Fatal(err)
	}
	capped, err := New(Config{Endpoints: []string{srv.URL}, API: APIv3, MaxResponseBytes: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeysAPI(capped).Get(ctx, "/big", nil); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("Get of a 64 KB value with a 16 KB cap = %v, want ErrResponseTooLarge", err)
	}
	if r, err := NewKeysAPI(c).Get(ctx, "/big", nil); err != nil || len(r.Node.Value) != len(big) {
		t.Errorf("Get without the cap = %v", err)
	}
}

// TestAPIv3_redirect: a gateway request redirected with 307 (a proxy
// in front of the members) is sent again, body and all, to the new
// location.
func TestAPIv3_redirect(t *testing.T) {
	_, gw := newFakeGateway(t)
	var redirected atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		http.Redirect(w, r, gw.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(front.Close)
	c, err := New(Config{Endpoints: []string{front.URL}, API: APIv3})
	if err != nil {
		t.Fatal(err)
	}
	kapi := NewKeysAPI(c)
	ctx := context.Background()
	if _, err := kapi.Set(ctx, "/r", "v", nil); err != nil {
		t.Fatalf("Set through a redirect = %v", err)
	}
	r, err := kapi.Get(ctx, "/r", nil)
	if err != nil || r.Node.Value != "v" {
		t.Fatalf("Get through a redirect = %+v, %v", r, err)
	}
	if n := redirected.Load(); n != 3 {
		t.Errorf("the front redirected %d requests, want every call (a Set's read and commit, the Get)", n)
	}
}
