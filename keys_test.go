package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// keysWireServer starts a server below /proxy that answers every keys
// request with a small success, and a KeysAPI (prefix p, or the default
// when p is nil) pointing at it.
func keysWireServer(t *testing.T, p *string) (*testServer, KeysAPI) {
	t.Helper()
	s, c := setup(t)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etcd-Index", "42")
		w.Header().Set("Content-Type", "application/json")
		status := http.StatusOK
		if r.Method == http.MethodPost {
			status = http.StatusCreated
		}
		w.WriteHeader(status)
		fmt.Fprint(w, `{"action":"get","node":{"key":"/x","value":"v","modifiedIndex":41,"createdIndex":41}}`)
	})
	if p == nil {
		return s, NewKeysAPI(c)
	}
	return s, NewKeysAPIWithPrefix(c, *p)
}

// keysHTTPClient is a client over a private transport whose idle
// connections are closed when the test ends, so goleak sees no leftovers.
func keysHTTPClient(t *testing.T, eps ...string) Client {
	t.Helper()
	return newTestClient(t, Config{Endpoints: eps})
}

const keysFormType = "application/x-www-form-urlencoded"

// TestKeysAPI_wire checks every row of wire.md's keys table against what
// an HTTP server receives, below an endpoint that has a path of its own.
func TestKeysAPI_wire(t *testing.T) {
	tests := []struct {
		name     string
		call     func(context.Context, KeysAPI) error
		method   string
		uri      string // path and query below the endpoint path
		body     string
		ctype    string
		noCtype  bool // Content-Type must be absent
		wantBody bool
	}{
		{name: "get_nil_opts", method: "GET", uri: "/v2/keys/foo?quorum=false&recursive=false&sorted=false", noCtype: true,
			call: func(ctx context.Context, k KeysAPI) error { _, err := k.Get(ctx, "/foo", nil); return err }},
		{name: "get_recursive", method: "GET", uri: "/v2/keys/foo?quorum=false&recursive=true&sorted=false", noCtype: true,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Get(ctx, "/foo", &GetOptions{Recursive: true})
				return err
			}},
		{name: "get_sort", method: "GET", uri: "/v2/keys/foo?quorum=false&recursive=false&sorted=true", noCtype: true,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Get(ctx, "/foo", &GetOptions{Sort: true})
				return err
			}},
		{name: "get_quorum", method: "GET", uri: "/v2/keys/foo?quorum=true&recursive=false&sorted=false", noCtype: true,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Get(ctx, "/foo", &GetOptions{Quorum: true})
				return err
			}},
		{name: "get_all", method: "GET", uri: "/v2/keys/foo?quorum=true&recursive=true&sorted=true", noCtype: true,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Get(ctx, "/foo", &GetOptions{Recursive: true, Sort: true, Quorum: true})
				return err
			}},
		{name: "watch_default", method: "GET", uri: "/v2/keys/foo?recursive=false&wait=true&waitIndex=0", noCtype: true,
			call: func(ctx context.Context, k KeysAPI) error { _, err := k.Watcher("/foo", nil).Next(ctx); return err }},
		{name: "watch_after_recursive", method: "GET", uri: "/v2/keys/dir?recursive=true&wait=true&waitIndex=6", noCtype: true,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Watcher("/dir", &WatcherOptions{AfterIndex: 5, Recursive: true}).Next(ctx)
				return err
			}},
		{name: "set_nil_opts", method: "PUT", uri: "/v2/keys/foo", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error { _, err := k.Set(ctx, "/foo", "bar", nil); return err }},
		{name: "set_empty_value_sent", method: "PUT", uri: "/v2/keys/foo", body: "value=", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "", &SetOptions{})
				return err
			}},
		{name: "set_value_escaped", method: "PUT", uri: "/v2/keys/foo", body: "value=a%3Db%26c+d%25+%C3%A9", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "a=b&c d% é", nil)
				return err
			}},
		{name: "set_prev_value", method: "PUT", uri: "/v2/keys/foo?prevValue=a+b%26c", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "bar", &SetOptions{PrevValue: "a b&c"})
				return err
			}},
		{name: "set_prev_index", method: "PUT", uri: "/v2/keys/foo?prevIndex=12", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "bar", &SetOptions{PrevIndex: 12})
				return err
			}},
		{name: "set_prev_exist_true", method: "PUT", uri: "/v2/keys/foo?prevExist=true", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "bar", &SetOptions{PrevExist: PrevExist})
				return err
			}},
		{name: "set_prev_exist_false", method: "PUT", uri: "/v2/keys/foo?prevExist=false", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "bar", &SetOptions{PrevExist: PrevNoExist})
				return err
			}},
		{name: "set_prev_ignore", method: "PUT", uri: "/v2/keys/foo", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "bar", &SetOptions{PrevExist: PrevIgnore})
				return err
			}},
		{name: "set_ttl_1500ms_is_1s", method: "PUT", uri: "/v2/keys/foo", body: "ttl=1&value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "bar", &SetOptions{TTL: 1500 * time.Millisecond})
				return err
			}},
		{name: "set_ttl_zero_ignored", method: "PUT", uri: "/v2/keys/foo", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "bar", &SetOptions{TTL: 0})
				return err
			}},
		{name: "set_ttl_negative_ignored", method: "PUT", uri: "/v2/keys/foo", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "bar", &SetOptions{TTL: -time.Minute})
				return err
			}},
		{name: "set_refresh", method: "PUT", uri: "/v2/keys/tmp?prevExist=true", body: "refresh=true&ttl=600&value=", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/tmp", "", &SetOptions{Refresh: true, TTL: 10 * time.Minute, PrevExist: PrevExist})
				return err
			}},
		{name: "set_no_value_on_success", method: "PUT", uri: "/v2/keys/nv?noValueOnSuccess=true", body: "value=x", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/nv", "x", &SetOptions{NoValueOnSuccess: true})
				return err
			}},
		{name: "set_all_conditions_sorted", method: "PUT",
			uri:  "/v2/keys/foo?noValueOnSuccess=true&prevExist=true&prevIndex=3&prevValue=old",
			body: "refresh=true&ttl=30&value=new", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/foo", "new", &SetOptions{PrevValue: "old", PrevIndex: 3, PrevExist: PrevExist,
					TTL: 30 * time.Second, Refresh: true, NoValueOnSuccess: true})
				return err
			}},
		{name: "set_dir", method: "PUT", uri: "/v2/keys/dir?dir=true", body: "", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/dir", "ignored", &SetOptions{Dir: true})
				return err
			}},
		{name: "set_dir_drops_prev_value", method: "PUT",
			uri:  "/v2/keys/dir?dir=true&noValueOnSuccess=true&prevExist=false&prevIndex=4",
			body: "refresh=true&ttl=2", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Set(ctx, "/dir", "", &SetOptions{Dir: true, PrevValue: "x", PrevIndex: 4, PrevExist: PrevNoExist,
					NoValueOnSuccess: true, TTL: 2 * time.Second, Refresh: true})
				return err
			}},
		{name: "create", method: "PUT", uri: "/v2/keys/foo?prevExist=false", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error { _, err := k.Create(ctx, "/foo", "bar"); return err }},
		{name: "update", method: "PUT", uri: "/v2/keys/foo?prevExist=true", body: "value=bar", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error { _, err := k.Update(ctx, "/foo", "bar"); return err }},
		{name: "create_in_order", method: "POST", uri: "/v2/keys/queue", body: "value=job", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.CreateInOrder(ctx, "/queue", "job", nil)
				return err
			}},
		{name: "create_in_order_ttl", method: "POST", uri: "/v2/keys/queue", body: "ttl=1&value=job+1", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.CreateInOrder(ctx, "/queue", "job 1", &CreateInOrderOptions{TTL: 1500 * time.Millisecond})
				return err
			}},
		{name: "create_in_order_ttl_zero", method: "POST", uri: "/v2/keys/queue", body: "value=job", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.CreateInOrder(ctx, "/queue", "job", &CreateInOrderOptions{})
				return err
			}},
		{name: "delete_nil_opts", method: "DELETE", uri: "/v2/keys/foo", body: "", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error { _, err := k.Delete(ctx, "/foo", nil); return err }},
		{name: "delete_dir", method: "DELETE", uri: "/v2/keys/dir?dir=true", body: "", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Delete(ctx, "/dir", &DeleteOptions{Dir: true})
				return err
			}},
		{name: "delete_recursive", method: "DELETE", uri: "/v2/keys/dir?recursive=true", body: "", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Delete(ctx, "/dir", &DeleteOptions{Recursive: true})
				return err
			}},
		{name: "delete_prev_value", method: "DELETE", uri: "/v2/keys/foo?prevValue=b+z", body: "", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Delete(ctx, "/foo", &DeleteOptions{PrevValue: "b z"})
				return err
			}},
		{name: "delete_prev_index", method: "DELETE", uri: "/v2/keys/foo?prevIndex=9", body: "", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Delete(ctx, "/foo", &DeleteOptions{PrevIndex: 9})
				return err
			}},
		{name: "delete_all_sorted", method: "DELETE", uri: "/v2/keys/d?dir=true&prevIndex=9&prevValue=v&recursive=true", body: "", ctype: keysFormType,
			call: func(ctx context.Context, k KeysAPI) error {
				_, err := k.Delete(ctx, "/d", &DeleteOptions{Dir: true, PrevIndex: 9, PrevValue: "v", Recursive: true})
				return err
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, k := keysWireServer(t, nil)
			require.NoError(t, tc.call(context.Background(), k), "call")
			reqs := s.requests()
			require.Len(t, reqs, 1, "requests the server saw")
			r := reqs[0]
			assert.Equal(t, tc.method, r.Method, "method")
			assert.Equal(t, tc.uri, r.RequestURI, "request URI")
			assert.Equal(t, tc.body, r.Body, "body")
			wantCtype := tc.ctype
			if tc.noCtype {
				wantCtype = ""
			}
			assert.Equal(t, wantCtype, r.ContentType, "Content-Type")
			// The query must be exactly what url.Values.Encode makes of it.
			if _, q, ok := strings.Cut(r.RequestURI, "?"); ok {
				v, err := url.ParseQuery(q)
				if err != nil || v.Encode() != q {
					t.Errorf("query %q is not in url.Values.Encode form (%q, %v)", q, v.Encode(), err)
				}
			}
		})
	}
}

// TestKeyPath_emptyKey pins the original's request paths for the empty
// key, with and without an endpoint path: the empty key adds nothing,
// while "/" addresses the directory.
func TestKeyPath_emptyKey(t *testing.T) {
	tests := []struct{ epPath, prefix, key, want string }{
		{"", "/v2/keys", "", "/v2/keys"},
		{"", "/v2/keys", "/", "/v2/keys/"},
		{"/proxy", "/v2/keys", "", "/proxy/v2/keys"},
		{"/proxy", "/v2/keys", "/", "/proxy/v2/keys/"},
		{"/proxy/", "/v2/keys", "", "/proxy/v2/keys"},
		{"", "/v2/keys/pfx", "", "/v2/keys/pfx"},
		{"", "/v2/keys/pfx/", "", "/v2/keys/pfx/"},
		{"", "", "", "/"},
		{"/proxy", "", "", "/proxy"},
		{"", "v2/keys", "", "/v2/keys"},
	}
	for _, tc := range tests {
		if got := keyPath(tc.epPath, tc.prefix, tc.key); got != tc.want {
			t.Errorf("keyPath(%q, %q, %q) = %q, want %q", tc.epPath, tc.prefix, tc.key, got, tc.want)
		}
	}
}

// TestKeysAPI_paths checks how prefix, key and endpoint path make the
// request path, and that keys are escaped as URL path segments.
func TestKeysAPI_paths(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name   string
		prefix *string // nil: NewKeysAPI
		key    string
		uri    string // escaped path below the endpoint's own path
	}{
		{"key_with_slash", nil, "/foo", "/v2/keys/foo"},
		{"key_without_slash", nil, "foo", "/v2/keys/foo"},
		{"nested", nil, "a/b/c", "/v2/keys/a/b/c"},
		{"trailing_slash_kept", nil, "/dir/", "/v2/keys/dir/"},
		{"empty_key", nil, "", "/v2/keys"},
		{"empty_key_prefix", str("/v2/keys/pfx"), "", "/v2/keys/pfx"},
		{"empty_key_prefix_trailing_slash", str("/v2/keys/pfx/"), "", "/v2/keys/pfx/"},
		{"root_key", nil, "/", "/v2/keys/"},
		{"cleaned", nil, "/a//b/./c/../d", "/v2/keys/a/b/d"},
		{"space_escaped", nil, "/a b", "/v2/keys/a%20b"},
		{"percent_escaped", nil, "/50%", "/v2/keys/50%25"},
		{"unicode_escaped", nil, "/ünï", "/v2/keys/%C3%BCn%C3%AF"},
		{"query_chars_escaped", nil, "/q?x#y", "/v2/keys/q%3Fx%23y"},
		{"prefix_with_slash", str("/my/prefix"), "foo", "/my/prefix/foo"},
		{"prefix_without_slash", str("my/prefix"), "/foo", "/my/prefix/foo"},
		{"prefix_without_slash_key_without", str("my/prefix"), "foo", "/my/prefix/foo"},
		{"prefix_trailing_slash", str("/my/prefix/"), "/foo", "/my/prefix/foo"},
		{"prefix_empty", str(""), "foo", "/foo"},
		{"prefix_empty_dir", str(""), "/dir/", "/dir/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, k := keysWireServer(t, tc.prefix)
			// The endpoint carries the path /proxy, which the server's
			// handler has taken off already.
			_, err := k.Get(context.Background(), tc.key, nil)
			require.NoError(t, err, "Get(%q)", tc.key)
			reqs := s.requests()
			require.Len(t, reqs, 1, "requests the server saw")
			got, _, _ := strings.Cut(reqs[0].RequestURI, "?")
			assert.Equal(t, tc.uri, got, "Get(%q) path", tc.key)
		})
	}
}

// TestKeysAPI_endpointPathTrailingSlash: an endpoint written with a
// trailing slash must not produce a double slash.
func TestKeysAPI_endpointPathTrailingSlash(t *testing.T) {
	s, _ := keysWireServer(t, nil)
	k := NewKeysAPI(keysHTTPClient(t, s.endpoint+"/"))
	_, err := k.Get(context.Background(), "foo", nil)
	require.NoError(t, err, "Get(%q)", "foo")
	reqs := s.requests()
	require.Len(t, reqs, 1, "requests the server saw")
	assert.True(t, strings.HasPrefix(reqs[0].RequestURI, "/v2/keys/foo?"), "request URI = %q, want /v2/keys/foo?...", reqs[0].RequestURI)
}

// keysWantResponse decodes a fixture with encoding/json, the reference for
// what the generated decoder must produce, and adds the header fields.
func keysWantResponse(t *testing.T, name string) *Response {
	t.Helper()
	_, h, body := fakeFixture(t, name)
	var r Response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	if v := h.Get("X-Etcd-Index"); v != "" {
		idx, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("fixture %s: X-Etcd-Index %q: %v", name, v, err)
		}
		r.Index = idx
	}
	r.ClusterID = h.Get("X-Etcd-Cluster-Id")
	return &r
}

// keysNodeDiff describes the first difference of two nodes, comparing
// expirations as instants.
func keysNodeDiff(path string, got, want *Node) string {
	if (got == nil) != (want == nil) {
		return fmt.Sprintf("%s = %v, want %v", path, got, want)
	}
	if got == nil {
		return ""
	}
	if got.Key != want.Key || got.Dir != want.Dir || got.Value != want.Value || got.CreatedIndex != want.CreatedIndex ||
		got.ModifiedIndex != want.ModifiedIndex || got.TTL != want.TTL {
		return fmt.Sprintf("%s = %+v, want %+v", path, *got, *want)
	}
	if (got.Expiration == nil) != (want.Expiration == nil) ||
		(got.Expiration != nil && !got.Expiration.Equal(*want.Expiration)) {
		return fmt.Sprintf("%s.Expiration = %v, want %v", path, got.Expiration, want.Expiration)
	}
	if len(got.Nodes) != len(want.Nodes) || (got.Nodes == nil) != (want.Nodes == nil) {
		return fmt.Sprintf("%s.Nodes = %v, want %v", path, got.Nodes, want.Nodes)
	}
	for i := range got.Nodes {
		if d := keysNodeDiff(fmt.Sprintf("%s.Nodes[%d]", path, i), got.Nodes[i], want.Nodes[i]); d != "" {
			return d
		}
	}
	return ""
}

func keysResponseDiff(got, want *Response) string {
	if got.Action != want.Action || got.Index != want.Index || got.ClusterID != want.ClusterID {
		return fmt.Sprintf("Response{Action: %q, Index: %d, ClusterID: %q}, want {%q, %d, %q}",
			got.Action, got.Index, got.ClusterID, want.Action, want.Index, want.ClusterID)
	}
	if d := keysNodeDiff("Node", got.Node, want.Node); d != "" {
		return d
	}
	return keysNodeDiff("PrevNode", got.PrevNode, want.PrevNode)
}

// TestKeysAPI_decodeFixtures plays real answers of etcd 3.4.23 back to the
// calls that produced them.
func TestKeysAPI_decodeFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		call    func(context.Context, KeysAPI) (*Response, error)
		code    int // expected Error.Code; 0 for success
	}{
		{"get", func(ctx context.Context, k KeysAPI) (*Response, error) { return k.Get(ctx, "/foo", nil) }, 0},
		{"set", func(ctx context.Context, k KeysAPI) (*Response, error) { return k.Set(ctx, "/foo", "bar", nil) }, 0},
		{"set_ttl", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Set(ctx, "/tmp", "x", &SetOptions{TTL: 300 * time.Second})
		}, 0},
		{"get_missing", func(ctx context.Context, k KeysAPI) (*Response, error) { return k.Get(ctx, "/missing", nil) }, ErrorCodeKeyNotFound},
		{"create_exists", func(ctx context.Context, k KeysAPI) (*Response, error) { return k.Create(ctx, "/foo", "again") }, ErrorCodeNodeExist},
		{"cas_fail", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Set(ctx, "/foo", "baz", &SetOptions{PrevValue: "nope"})
		}, ErrorCodeTestFailed},
		{"cas_ok", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Set(ctx, "/foo", "baz", &SetOptions{PrevValue: "bar"})
		}, 0},
		{"mkdir", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Set(ctx, "/dir", "", &SetOptions{Dir: true})
		}, 0},
		{"inorder", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.CreateInOrder(ctx, "/dir", "job1", nil)
		}, 0},
		{"get_dir_recursive", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Get(ctx, "/", &GetOptions{Recursive: true, Sort: true})
		}, 0},
		{"delete_dir_notempty", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Delete(ctx, "/dir", &DeleteOptions{Dir: true})
		}, ErrorCodeDirNotEmpty},
		{"not_a_file", func(ctx context.Context, k KeysAPI) (*Response, error) { return k.Set(ctx, "/dir", "v", nil) }, ErrorCodeNotFile},
		{"cad", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Delete(ctx, "/foo", &DeleteOptions{PrevValue: "baz"})
		}, 0},
		{"refresh", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Set(ctx, "/tmp", "", &SetOptions{Refresh: true, TTL: 600 * time.Second, PrevExist: PrevExist})
		}, 0},
		{"novalue", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Set(ctx, "/nv", "x", &SetOptions{NoValueOnSuccess: true})
		}, 0},
		{"watch_event", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Watcher("/churn", &WatcherOptions{AfterIndex: 1014}).Next(ctx)
		}, 0},
		{"watch_cleared", func(ctx context.Context, k KeysAPI) (*Response, error) {
			return k.Watcher("/foo", &WatcherOptions{AfterIndex: 1}).Next(ctx)
		}, ErrorCodeEventIndexCleared},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			ft := newFakeTransport().on("127.0.0.1:1", fakeFixtureReply(t, tc.fixture))
			k := NewKeysAPI(newFakeClient(t, ft, Config{}, "http://127.0.0.1:1"))
			got, err := tc.call(context.Background(), k)
			if tc.code != 0 {
				_, _, body := fakeFixture(t, tc.fixture)
				var want Error
				if err := json.Unmarshal(body, &want); err != nil {
					t.Fatal(err)
				}
				e, ok := err.(Error)
				if !ok {
					t.Fatalf("%s: err = %T %v, want a client.Error value", tc.fixture, err, err)
				}
				if e != want || e.Code != tc.code {
					t.Errorf("%s: err = %#v, want %#v", tc.fixture, e, want)
				}
				if got != nil {
					t.Errorf("%s: response = %v, want nil", tc.fixture, got)
				}
				if IsKeyNotFound(err) != (tc.code == ErrorCodeKeyNotFound) {
					t.Errorf("IsKeyNotFound(%v) = %v", err, !(tc.code == ErrorCodeKeyNotFound))
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: err = %v, want nil", tc.fixture, err)
			}
			if d := keysResponseDiff(got, keysWantResponse(t, tc.fixture)); d != "" {
				t.Errorf("%s: %s", tc.fixture, d)
			}
		})
	}
}

// TestKeysAPI_decodeLiteral pins a few decoded values by hand, so the
// fixture test above does not only compare two decoders.
func TestKeysAPI_decodeLiteral(t *testing.T) {
	ft := newFakeTransport().on("127.0.0.1:1", fakeFixtureReply(t, "set_ttl"))
	k := NewKeysAPI(newFakeClient(t, ft, Config{}, "http://127.0.0.1:1"))
	r, err := k.Set(context.Background(), "/tmp", "x", &SetOptions{TTL: 300 * time.Second})
	if err != nil {
		t.Fatalf("Set = %v", err)
	}
	exp := time.Date(2026, 11, 23, 22, 48, 38, 988765731, time.UTC)
	if r.Action != "set" || r.Index != 5 || r.ClusterID != "48276a8f75b6a87" || r.PrevNode != nil ||
		r.Node.Key != "/tmp" || r.Node.Value != "x" || r.Node.TTL != 300 || r.Node.TTLDuration() != 300*time.Second ||
		r.Node.CreatedIndex != 5 || r.Node.ModifiedIndex != 5 || r.Node.Expiration == nil || !r.Node.Expiration.Equal(exp) {
		t.Errorf("Set response = %+v node %+v, want set /tmp=x ttl 300 index 5 expiring %v", r, r.Node, exp)
	}
	if got, want := r.Node.String(), "{Key: /tmp, CreatedIndex: 5, ModifiedIndex: 5, TTL: 300}"; got != want {
		t.Errorf("Node.String() = %q, want %q", got, want)
	}
}

// TestKeysAPI_responseErrors covers answers that are not etcd's.
func TestKeysAPI_responseErrors(t *testing.T) {
	ok := `{"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}}`
	tests := []struct {
		name    string
		reply   fakeReply
		wantErr error                   // compared with ==
		check   func(*testing.T, error) // instead of wantErr
		index   uint64
	}{
		{name: "200_empty_body", reply: fakeJSON(200, "", "5"), wantErr: ErrEmptyBody},
		{name: "201_empty_body", reply: fakeJSON(201, "", "5"), wantErr: ErrEmptyBody},
		{name: "200_chunked_empty_body", reply: fakeReply{status: 200, chunked: true}, wantErr: ErrEmptyBody},
		{name: "200_garbage", reply: fakeJSON(200, "<html>hello</html>", "5"), wantErr: ErrInvalidJSON},
		{name: "200_truncated_json", reply: fakeJSON(200, ok[:30], "5"), wantErr: ErrInvalidJSON},
		{name: "404_plain_text", reply: fakeReply{status: 404, body: "404 page not found\n"}, check: func(t *testing.T, err error) {
			// A member that serves no v2 API (etcd 3.6+, or 3.4/3.5
			// without --enable-v2): the error says so and names APIv3, and
			// still matches ErrInvalidJSON, the original's error for it.
			if !errors.Is(err, ErrV2NotServed) || !errors.Is(err, ErrInvalidJSON) || !strings.Contains(err.Error(), "API: client.APIv3") {
				t.Errorf("err = %v, want ErrV2NotServed naming API: client.APIv3 and matching ErrInvalidJSON", err)
			}
		}},
		{name: "bad_x_etcd_index", reply: fakeJSON(200, ok, "abc"), check: func(t *testing.T, err error) {
			var ne *strconv.NumError
			if !errors.As(err, &ne) || ne.Num != "abc" {
				t.Errorf("err = %T %v, want the *strconv.NumError of parsing %q", err, err, "abc")
			}
		}},
		{name: "no_x_etcd_index", reply: fakeJSON(200, ok, ""), index: 0},
		{name: "x_etcd_index_large", reply: fakeJSON(200, ok, "18446744073709551615"), index: 1<<64 - 1},
		{name: "412_error_value", reply: fakeJSON(412, `{"errorCode":101,"message":"Compare failed","cause":"[a != b]","index":9}`, "9"),
			check: func(t *testing.T, err error) {
				want := Error{Code: 101, Message: "Compare failed", Cause: "[a != b]", Index: 9}
				if e, ok := err.(Error); !ok || e != want {
					t.Errorf("err = %#v, want %#v", err, want)
				}
				if got, want := err.Error(), "101: Compare failed ([a != b]) [9]"; got != want {
					t.Errorf("Error() = %q, want %q", got, want)
				}
			}},
		{name: "401_unauthorized", reply: fakeJSON(401, `{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}`, ""),
			check: func(t *testing.T, err error) {
				if e, ok := err.(Error); !ok || e.Code != ErrorCodeUnauthorized {
					t.Errorf("err = %#v, want Error with code 110", err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTransport().on("127.0.0.1:1", tc.reply)
			k := NewKeysAPI(newFakeClient(t, ft, Config{}, "http://127.0.0.1:1"))
			r, err := k.Get(context.Background(), "/foo", nil)
			switch {
			case tc.check != nil:
				tc.check(t, err)
			case tc.wantErr != nil:
				if err != tc.wantErr {
					t.Errorf("Get = %v, %v, want error %v", r, err, tc.wantErr)
				}
			default:
				if err != nil || r.Index != tc.index {
					t.Errorf("Get = %+v, %v, want Index %d", r, err, tc.index)
				}
			}
			if n := ft.open.Load(); n != 0 {
				t.Errorf("%d response bodies left open", n)
			}
		})
	}
}

// TestKeysAPI_responseClusterID checks that both headers reach Response.
func TestKeysAPI_responseClusterID(t *testing.T) {
	ft := newFakeTransport().on("127.0.0.1:1", fakeJSON(200, `{"action":"get","node":{"key":"/a"}}`, "77"))
	k := NewKeysAPI(newFakeClient(t, ft, Config{}, "http://127.0.0.1:1"))
	r, err := k.Get(context.Background(), "/a", nil)
	if err != nil || r.Index != 77 || r.ClusterID != "48276a8f75b6a87" {
		t.Errorf("Get = %+v, %v, want Index 77, ClusterID 48276a8f75b6a87", r, err)
	}
}

func TestNodes_sort(t *testing.T) {
	ns := Nodes{{Key: "/c"}, {Key: "/a"}, {Key: "/b"}}
	sort.Sort(ns)
	var got []string
	for _, n := range ns {
		got = append(got, n.Key)
	}
	if strings.Join(got, ",") != "/a,/b,/c" {
		t.Errorf("sorted Nodes = %v, want [/a /b /c]", got)
	}
}

func TestIsKeyNotFound(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{Error{Code: ErrorCodeKeyNotFound}, true},
		{&Error{Code: ErrorCodeKeyNotFound}, true},
		{fmt.Errorf("wrapped: %w", Error{Code: ErrorCodeKeyNotFound}), true},
		{Error{Code: ErrorCodeNodeExist}, false},
		{errors.New("100: Key not found"), false},
		{nil, false},
	}
	for _, tc := range tests {
		if got := IsKeyNotFound(tc.err); got != tc.want {
			t.Errorf("IsKeyNotFound(%#v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// keysWatchScript is a transport handler for watcher tests: it records the
// waitIndex of each poll and answers from a list.
type keysWatchScript struct {
	mu      sync.Mutex
	indexes []string
	queries []string
	replies []fakeReply
}

func (w *keysWatchScript) handle(req *http.Request) (*http.Response, error) {
	w.mu.Lock()
	w.indexes = append(w.indexes, req.URL.Query().Get("waitIndex"))
	w.queries = append(w.queries, req.URL.RawQuery)
	var r fakeReply
	if len(w.replies) > 0 {
		r, w.replies = w.replies[0], w.replies[1:]
	} else {
		r = fakeReply{block: true}
	}
	w.mu.Unlock()
	if r.block {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	h := r.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: r.status, Header: h, Body: io.NopCloser(strings.NewReader(r.body)),
		ContentLength: int64(len(r.body)), Request: req}, nil
}

func keysWatchEvent(modified uint64) fakeReply {
	return fakeJSON(200, fmt.Sprintf(`{"action":"set","node":{"key":"/w","value":"v","modifiedIndex":%d,"createdIndex":1}}`, modified), "")
}

// keysWatchClient answers through ws on a fake transport.
func keysWatchClient(t *testing.T, ws *keysWatchScript) (*fakeTransport, KeysAPI) {
	t.Helper()
	ft := newFakeTransport()
	ft.handler = ws.handle
	return ft, NewKeysAPI(newFakeClient(t, ft, Config{}, "http://127.0.0.1:1"))
}

func TestWatcher_indexes(t *testing.T) {
	tests := []struct {
		name    string
		opts    *WatcherOptions
		replies []fakeReply
		nexts   int
		want    []string // waitIndex of each poll
	}{
		{"nil_opts_from_now", nil, []fakeReply{keysWatchEvent(7)}, 1, []string{"0"}},
		{"after_zero_from_now", &WatcherOptions{}, []fakeReply{keysWatchEvent(7)}, 1, []string{"0"}},
		{"after_index_plus_one", &WatcherOptions{AfterIndex: 5}, []fakeReply{keysWatchEvent(7)}, 1, []string{"6"}},
		{"modified_plus_one", &WatcherOptions{AfterIndex: 5}, []fakeReply{keysWatchEvent(7), keysWatchEvent(12), keysWatchEvent(13)}, 3,
			[]string{"6", "8", "13"}},
		{"from_now_then_modified_plus_one", nil, []fakeReply{keysWatchEvent(40), keysWatchEvent(41)}, 2, []string{"0", "41"}},
		{"empty_body_repolls_after_x_etcd_index", &WatcherOptions{AfterIndex: 5},
			[]fakeReply{fakeJSON(200, "", "20"), keysWatchEvent(25)}, 1, []string{"6", "21"}},
		{"empty_body_without_index_repolls_same", &WatcherOptions{AfterIndex: 5},
			[]fakeReply{fakeJSON(200, "", ""), fakeJSON(200, "", ""), keysWatchEvent(9)}, 1, []string{"6", "6", "6"}},
		{"empty_body_older_index_keeps_position", &WatcherOptions{AfterIndex: 50},
			[]fakeReply{fakeJSON(200, "", "10"), keysWatchEvent(60)}, 1, []string{"51", "51"}},
		{"empty_body_from_now", nil,
			[]fakeReply{fakeJSON(200, "", "99"), keysWatchEvent(100)}, 1, []string{"0", "100"}},
		{"empty_body_from_now_without_index_stays_from_now", nil,
			[]fakeReply{fakeJSON(200, "", ""), keysWatchEvent(100)}, 1, []string{"0", "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := &keysWatchScript{replies: tc.replies}
			ft, k := keysWatchClient(t, ws)
			w := k.Watcher("/w", tc.opts)
			if n := len(ft.requests()); n != 0 {
				t.Fatalf("Watcher sent %d requests before Next, want 0", n)
			}
			for i := 0; i < tc.nexts; i++ {
				r, err := w.Next(context.Background())
				if err != nil || r == nil || r.Node == nil {
					t.Fatalf("Next #%d = %v, %v, want an event", i, r, err)
				}
			}
			ws.mu.Lock()
			defer ws.mu.Unlock()
			if strings.Join(ws.indexes, ",") != strings.Join(tc.want, ",") {
				t.Errorf("waitIndex of the polls = %v, want %v", ws.indexes, tc.want)
			}
			for _, q := range ws.queries {
				if !strings.Contains(q, "wait=true") || !strings.Contains(q, "recursive=false") {
					t.Errorf("poll query %q, want wait=true and recursive=false", q)
				}
			}
		})
	}
}

func TestWatcher_recursive(t *testing.T) {
	ws := &keysWatchScript{replies: []fakeReply{keysWatchEvent(3)}}
	_, k := keysWatchClient(t, ws)
	if _, err := k.Watcher("/dir", &WatcherOptions{Recursive: true}).Next(context.Background()); err != nil {
		t.Fatalf("Next = %v", err)
	}
	if got, want := ws.queries[0], "recursive=true&wait=true&waitIndex=0"; got != want {
		t.Errorf("watch query = %q, want %q", got, want)
	}
}

// TestWatcher_cancelWhileBlocked: a Next blocked on a server that sends
// nothing returns ctx.Err() at once after cancel; TestMain's goleak check
// proves nothing is left running.
func TestWatcher_cancelWhileBlocked(t *testing.T) {
	for _, deadline := range []bool{false, true} {
		t.Run(fmt.Sprintf("deadline=%v", deadline), func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			arrived := make(chan struct{}, 1)
			tr := &http.Transport{}
			s, c := setup(t, withConfig(Config{Transport: tr}))
			s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				<-r.Context().Done()
			})
			k := NewKeysAPI(c)
			var (
				ctx    context.Context
				cancel context.CancelFunc
			)
			if deadline {
				ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			} else {
				ctx, cancel = context.WithCancel(context.Background())
			}
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := k.Watcher("/foo", nil).Next(ctx)
				done <- err
			}()
			if !deadline {
				select {
				case <-arrived:
				case <-time.After(5 * time.Second):
					t.Fatal("watch request never reached the server")
				}
				cancel()
			}
			select {
			case err := <-done:
				if err != ctx.Err() || err == nil {
					t.Errorf("Next = %v, want exactly %v", err, ctx.Err())
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Next did not return after the context ended")
			}
			// Once the connections are gone, nothing of the watch may run.
			tr.CloseIdleConnections()
			s.Close()
			goleak.VerifyNone(t, ignore)
		})
	}
}
