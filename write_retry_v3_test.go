package client

// The write rule of write_retry_test.go on APIv3: a write's committing
// transaction goes on to the next member only after a failure that proves
// it never left; after any other, Create, Delete and CreateInOrder end
// with ErrOutcomeUnknown and are not sent again, while a plain Set (the
// same transaction applied twice changes nothing more) goes on.

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// v3wrCall is one KeysAPI call and the check that it applied once (true)
// or not at all (false) on the gateway's state.
type v3wrCall struct {
	name       string
	idempotent bool
	call       func(context.Context, KeysAPI) error
	applied    func(*testing.T, KeysAPI) bool
}

func v3wrValue(t *testing.T, k KeysAPI, key string) string {
	r, err := k.Get(context.Background(), key, nil)
	if IsKeyNotFound(err) {
		return ""
	}
	require.NoError(t, err)
	return r.Node.Value
}

var v3wrCalls = []v3wrCall{
	{name: "Create",
		call:    func(ctx context.Context, k KeysAPI) error { _, err := k.Create(ctx, "/new", "v"); return err },
		applied: func(t *testing.T, k KeysAPI) bool { return v3wrValue(t, k, "/new") == "v" }},
	{name: "Delete",
		call:    func(ctx context.Context, k KeysAPI) error { _, err := k.Delete(ctx, "/old", nil); return err },
		applied: func(t *testing.T, k KeysAPI) bool { return v3wrValue(t, k, "/old") == "" }},
	{name: "CreateInOrder",
		call: func(ctx context.Context, k KeysAPI) error { _, err := k.CreateInOrder(ctx, "/q", "v", nil); return err },
		applied: func(t *testing.T, k KeysAPI) bool {
			r, err := k.Get(context.Background(), "/q", &GetOptions{Recursive: true})
			require.NoError(t, err)
			require.LessOrEqual(t, len(r.Node.Nodes), 1, "CreateInOrder applied twice")
			return len(r.Node.Nodes) == 1
		}},
	{name: "Set", idempotent: true,
		call:    func(ctx context.Context, k KeysAPI) error { _, err := k.Set(ctx, "/old", "new", nil); return err },
		applied: func(t *testing.T, k KeysAPI) bool { return v3wrValue(t, k, "/old") == "new" }},
}

// v3Failing serves g's reads as they are and fails its writing
// transactions the way fail says.
func v3Failing(t *testing.T, g *fakeGateway, fail func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if writeTxn(t, r) {
			fail(w, r)
			return
		}
		g.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWriteRetry_v3FailureKinds(t *testing.T) {
	answer := func(status int, body string) func(*testing.T, *fakeGateway, chan<- struct{}) string {
		return func(t *testing.T, g *fakeGateway, _ chan<- struct{}) string {
			return v3Failing(t, g, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				io.WriteString(w, body)
			}).URL
		}
	}
	failures := []struct {
		name string
		// first returns the pinned member's URL; it may signal on
		// hanging when it holds a write.
		first     func(t *testing.T, g *fakeGateway, hanging chan<- struct{}) string
		neverSent bool // the failure proves the write never left
		appliedBy bool // the pinned member applied it before failing
	}{
		{name: "dial_refused", neverSent: true, first: func(t *testing.T, _ *fakeGateway, _ chan<- struct{}) string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			l.Close() // nothing listens there any more
			return "http://" + l.Addr().String()
		}},
		{name: "reset_before_apply", first: func(t *testing.T, g *fakeGateway, _ chan<- struct{}) string {
			return dropBeforeApply(t, g).URL
		}},
		{name: "reset_after_apply", appliedBy: true, first: func(t *testing.T, g *fakeGateway, _ chan<- struct{}) string {
			return applyThenDrop(t, g).URL
		}},
		{name: "500", first: answer(500, `{"code":13,"message":"etcdserver: internal error"}`)},
		{name: "503_request_timed_out", first: answer(503, `{"code":14,"message":"etcdserver: request timed out"}`)},
		{name: "header_timeout", first: func(t *testing.T, g *fakeGateway, hanging chan<- struct{}) string {
			return v3Failing(t, g, func(w http.ResponseWriter, r *http.Request) {
				hanging <- struct{}{}
				<-r.Context().Done()
			}).URL
		}},
	}
	for _, call := range v3wrCalls {
		for _, f := range failures {
			t.Run(call.name+"/"+f.name, func(t *testing.T) {
				g, direct := newFakeGateway(t)
				var writesAtDirect atomic.Int32
				second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if writeTxn(t, r) {
						writesAtDirect.Add(1)
					}
					g.ServeHTTP(w, r)
				}))
				t.Cleanup(second.Close)
				ctx := context.Background()
				setup, err := New(Config{Endpoints: []string{direct.URL}, API: APIv3})
				require.NoError(t, err)
				sk := NewKeysAPI(setup)
				_, err = sk.Set(ctx, "/old", "v", nil)
				require.NoError(t, err)
				_, err = sk.Set(ctx, "/q", "", &SetOptions{Dir: true})
				require.NoError(t, err)

				hanging := make(chan struct{}, 1)
				eps := []string{f.first(t, g, hanging), second.URL}
				c, err := New(Config{Endpoints: eps, API: APIv3, HeaderTimeoutPerRequest: time.Minute})
				require.NoError(t, err)
				cc := c.(*httpClusterClient)
				fakeForceOrder(t, cc, eps)
				// A held write's header timer fires once the member holds
				// it; the reads before it answered and stopped theirs.
				timers := useManualTimers(cc)
				go func() {
					if _, ok := <-hanging; ok {
						timers.fire()
					}
				}()
				t.Cleanup(func() { close(hanging) })

				err = call.call(ctx, NewKeysAPI(c))
				if call.idempotent || f.neverSent {
					require.NoError(t, err, "the next member takes it")
					assert.True(t, call.applied(t, sk))
					return
				}
				require.ErrorIs(t, err, ErrOutcomeUnknown)
				assert.Zero(t, writesAtDirect.Load(), "a write that may have been applied is not sent again")
				assert.Equal(t, f.appliedBy, call.applied(t, sk), "applied by the first member only")
			})
		}
	}
}
