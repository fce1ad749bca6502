// Package integration runs the client against real etcd servers started by
// internal/etcdtest: an installed etcd 3.4 or 3.5 (Debian's 3.4 on CI), the
// binary named by $ETCD_BIN, or else etcd 3.5.35 built once into the user's
// cache; $ETCDTEST_VERSION picks another version (CI also runs it against
// 3.5.35). Against etcd 3.6 and later, which serve no v2 API, only the
// APIv3 tests (TestV3*) run; CI runs them on 3.6.16 and 3.7.3.
//
// Where etcd 3.4 and 3.5 differ, the test says so in a comment, and it
// branches on etcdtest.ServerVersion if their answers differ. So far the two
// answer alike everywhere these tests look; only timings differ.
package integration

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestMain fails the run if a watcher, AutoSync or request of the client
// leaves a goroutine behind. Every test closes its transport's idle
// connections, so none of their read loops remain either.
//
// etcdtest.Prepare builds etcd on a first run before the tests start, so
// the build does not eat into their -timeout; so does the lookup of the
// etcd the APIv3 tests compare on.
func TestMain(m *testing.M) {
	etcdtest.Prepare()
	if os.Getenv(etcdtest.EnvVersion) == "" {
		_, _ = etcdtest.LocateVersion(v3Default) // an error is reported by the tests that need it
	}
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction(etcdtest.SpawnerFunction))
}

// recorder is the transport of every test client: it sends through its own
// *http.Transport and records the host of each request, which is how the
// tests see the endpoint a client is pinned to without reaching into it.
type recorder struct {
	*http.Transport

	mu       sync.Mutex // guards hosts, answered
	hosts    []string
	answered int           // requests since the last take whose response headers arrived
	changed  chan struct{} // gets a token whenever answered grows
}

func newRecorder(t testing.TB) *recorder {
	tr := client.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &recorder{Transport: tr, changed: make(chan struct{}, 1)}
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.URL.Host)
	r.mu.Unlock()
	resp, err := r.Transport.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.answered++
		r.mu.Unlock()
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}
	return resp, err
}

// waitAnswered blocks until n requests sent since the last take have had
// their response headers, or ctx ends.
func (r *recorder) waitAnswered(ctx context.Context, t testing.TB, n int) {
	t.Helper()
	for {
		r.mu.Lock()
		got := r.answered
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-r.changed:
		case <-ctx.Done():
			t.Fatalf("%d requests had their headers, want %d: %v", got, n, ctx.Err())
		}
	}
}

// take returns the hosts recorded since the last take, in order.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.hosts
	r.hosts = nil
	r.answered = 0
	return h
}

// newClient returns a client for cfg, its endpoints defaulting to every
// running member of cl and its transport to a fresh recorder.
func newClient(t testing.TB, cl *etcdtest.Cluster, cfg client.Config) (client.Client, *recorder) {
	t.Helper()
	if cfg.Endpoints == nil {
		cfg.Endpoints = cl.Endpoints()
	}
	rec := newRecorder(t)
	cfg.Transport = rec
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("client.New(%+v) = %v", cfg, err)
	}
	return c, rec
}

// ctxFor returns a context that ends after d or with the test.
func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// hostOf turns a member's client URL into the host a recorder records.
func hostOf(t testing.TB, clientURL string) string {
	t.Helper()
	u, err := url.Parse(clientURL)
	if err != nil {
		t.Fatalf("url.Parse(%q) = %v", clientURL, err)
	}
	return u.Host
}

// pinnedMember returns the member a client is pinned to: a successful call
// ends on the pinned endpoint (a success elsewhere moves the pin there), so
// the last request of a successful Get shows it.
func pinnedMember(t testing.TB, cl *etcdtest.Cluster, kapi client.KeysAPI, rec *recorder) *etcdtest.Member {
	t.Helper()
	rec.take()
	if _, err := kapi.Get(ctxFor(t, 5*time.Second), "/", nil); err != nil {
		t.Fatalf("Get(%q) = %v, want success", "/", err)
	}
	hosts := rec.take()
	if len(hosts) == 0 {
		t.Fatalf("Get(%q) sent no request", "/")
	}
	m := cl.MemberByClientURL("http://" + hosts[len(hosts)-1])
	if m == nil {
		t.Fatalf("request went to %s, which is no member", hosts[len(hosts)-1])
	}
	return m
}

// errorCode returns the etcd error code of err, or 0 if err is no Error.
func errorCode(err error) int {
	var e client.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// probe reads members directly, bypassing the client under test. It keeps
// no idle connections, which goleak would report.
var probe = &http.Client{
	Timeout:   2 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// waitApplied waits until every running member has applied the raft log up
// to index, so that a plain (non-quorum) Get of any member sees the writes
// before it. A write is acknowledged once the leader commits it; followers
// learn of the commit only with the next heartbeat, which never comes if
// the leader is frozen or killed right after.
func waitApplied(t testing.TB, cl *etcdtest.Cluster, api client.API, index uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, ep := range cl.Endpoints() {
		for {
			n, err := appliedIndex(ep, api)
			if err == nil && n >= index {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %s has not applied index %d after 10s (last error %v)", ep, index, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// appliedIndex is the index member ep has applied: X-Etcd-Index on v2,
// the revision of a serializable (member-local) read on v3.
func appliedIndex(ep string, api client.API) (uint64, error) {
	if api == client.APIv3 {
		resp, err := probe.Post(ep+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"AA==","serializable":true}`))
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var out struct {
			Header struct {
				Revision uint64 `json:"revision,string"`
			} `json:"header"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		return out.Header.Revision, err
	}
	resp, err := probe.Get(ep + "/v2/keys/")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return strconv.ParseUint(resp.Header.Get("X-Etcd-Index"), 10, 64)
}

func sortedCopy(s []string) []string { return slices.Sorted(slices.Values(s)) }
