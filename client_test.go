package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seed26e043ee/client/version"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

// Endpoints of the fake cluster; fakeTransport keys its script by host.
const (
	clusterEP1 = "http://127.0.0.1:1"
	clusterEP2 = "http://127.0.0.1:2"
	clusterEP3 = "http://127.0.0.1:3"
	clusterEP4 = "http://127.0.0.1:4"
)

func clusterHost(ep string) string { return strings.TrimPrefix(ep, "http://") }

const clusterOKGetBody = `{"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":4,"createdIndex":4}}`

func clusterOKGet() fakeReply { return fakeJSON(200, clusterOKGetBody, "5") }

func TestErrorTexts(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrNoEndpoints, "client: no endpoints available"},
		{ErrTooManyRedirects, "client: too many redirects"},
		{ErrClusterUnavailable, "client: etcd cluster is unavailable or misconfigured"},
		{ErrNoLeaderEndpoint, "client: no leader endpoint available"},
		{ErrNoRequest, "no HTTPRequest was available"},
		{ErrInvalidJSON, "client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint."},
		{ErrEmptyBody, "client: response body is empty"},
		{Error{Code: 100, Message: "Key not found", Cause: "/foo", Index: 7}, "100: Key not found (/foo) [7]"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if DefaultRequestTimeout != 5*time.Second {
		t.Errorf("DefaultRequestTimeout = %v, want 5s", DefaultRequestTimeout)
	}
}

func TestNew_errors(t *testing.T) {
	tests := []struct {
		name    string
		eps     []string
		wantErr func(error) bool
	}{
		{"nil", nil, func(err error) bool { return err == ErrNoEndpoints }},
		{"empty", []string{}, func(err error) bool { return err == ErrNoEndpoints }},
		{"unparsable", []string{clusterEP1, "http://[::1"}, func(err error) bool {
			var ue *url.Error
			return errors.As(err, &ue) && ue.URL == "http://[::1"
		}},
		{"control_char", []string{"http://127.0.0.1:1/\x7f"}, func(err error) bool {
			var ue *url.Error
			return errors.As(err, &ue)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{Endpoints: tc.eps})
			if c != nil || !tc.wantErr(err) {
				t.Errorf("New(%q) = %v, %v, want the documented error", tc.eps, c, err)
			}
		})
	}
}

func TestNew_defaults(t *testing.T) {
	c, err := New(Config{Endpoints: []string{clusterEP1}})
	if err != nil {
		t.Fatal(err)
	}
	hc := c.(*httpClusterClient)
	own, ok := hc.transport.rt.(*http.Transport)
	if !ok || hc.transport.rt == DefaultTransport {
		t.Errorf("transport = %T %p, want a copy of DefaultTransport of the client's own", hc.transport.rt, hc.transport.rt)
	} else if own.MaxIdleConnsPerHost != 64 || !own.ForceAttemptHTTP2 || own.DialContext == nil {
		t.Errorf("the client's transport = %+v, want DefaultTransport's settings", own)
	}
	if hc.checkRedirect == nil || hc.checkRedirect(10) != nil || hc.checkRedirect(11) != ErrTooManyRedirects {
		t.Errorf("checkRedirect does not behave as DefaultCheckRedirect")
	}
	tr, ok := DefaultTransport.(*http.Transport)
	if !ok {
		t.Fatalf("DefaultTransport is %T, want *http.Transport", DefaultTransport)
	}
	if tr.MaxIdleConnsPerHost <= http.DefaultMaxIdleConnsPerHost || tr.DialContext == nil || tr.Proxy == nil ||
		tr.TLSHandshakeTimeout != 10*time.Second {
		t.Errorf("DefaultTransport = %+v, want DialContext, proxy, 10s TLS timeout and more than %d idle conns per host",
			tr, http.DefaultMaxIdleConnsPerHost)
	}
}

func TestDefaultCheckRedirect(t *testing.T) {
	for via := 0; via <= 12; via++ {
		var want error
		if via > 10 {
			want = ErrTooManyRedirects
		}
		if got := DefaultCheckRedirect(via); got != want {
			t.Errorf("DefaultCheckRedirect(%d) = %v, want %v", via, got, want)
		}
	}
}

// TestNew_shuffle: over many clients, every endpoint is sometimes first,
// so clients spread over the members.
func TestNew_shuffle(t *testing.T) {
	eps := []string{clusterEP1, clusterEP2, clusterEP3}
	first := map[string]int{}
	for range 300 {
		c, err := New(Config{Endpoints: eps, Transport: newFakeTransport()})
		if err != nil {
			t.Fatal(err)
		}
		got := c.Endpoints()
		if !slices.Equal(slices.Sorted(slices.Values(got)), eps) {
			t.Fatalf("Endpoints() = %v, want a permutation of %v", got, eps)
		}
		first[got[0]]++
	}
	for _, ep := range eps {
		if first[ep] == 0 {
			t.Errorf("%s was never first in 300 clients: %v", ep, first)
		}
	}
	if eps[0] != clusterEP1 || eps[1] != clusterEP2 {
		t.Errorf("New shuffled the caller's slice: %v", eps)
	}

	c, _ := New(Config{Endpoints: eps, Transport: newFakeTransport()})
	first = map[string]int{}
	for range 300 {
		if err := c.SetEndpoints(eps); err != nil {
			t.Fatal(err)
		}
		first[c.Endpoints()[0]]++
	}
	for _, ep := range eps {
		if first[ep] == 0 {
			t.Errorf("SetEndpoints never put %s first in 300 calls: %v", ep, first)
		}
	}
}

func TestClient_Endpoints(t *testing.T) {
	ft := newFakeTransport()
	c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2)
	got := c.Endpoints()
	if !slices.Equal(got, []string{clusterEP1, clusterEP2}) {
		t.Fatalf("Endpoints() = %v, want [%s %s]", got, clusterEP1, clusterEP2)
	}
	got[0] = "http://changed:1"
	if again := c.Endpoints(); again[0] != clusterEP1 {
		t.Errorf("Endpoints() after changing the returned slice = %v, want a fresh copy", again)
	}
}

func TestClient_SetEndpoints(t *testing.T) {
	ft := newFakeTransport()
	c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2)
	c.state.Load().pinned.Store(1)

	for _, bad := range [][]string{nil, {}, {clusterEP3, "http://[::1"}} {
		if err := c.SetEndpoints(bad); err == nil {
			t.Errorf("SetEndpoints(%q) = nil, want an error", bad)
		}
		if got := c.Endpoints(); !slices.Equal(got, []string{clusterEP1, clusterEP2}) || fakePinned(c) != clusterEP2 {
			t.Errorf("after failed SetEndpoints(%q): Endpoints() = %v pinned %s, want the old list pinned at %s", bad, got, fakePinned(c), clusterEP2)
		}
	}
	if err := c.SetEndpoints(nil); err != ErrNoEndpoints {
		t.Errorf("SetEndpoints(nil) = %v, want ErrNoEndpoints", err)
	}

	in := []string{clusterEP3, clusterEP4}
	if err := c.SetEndpoints(in); err != nil {
		t.Fatalf("SetEndpoints(%v) = %v", in, err)
	}
	got := c.Endpoints()
	if !slices.Equal(slices.Sorted(slices.Values(got)), []string{clusterEP3, clusterEP4}) {
		t.Errorf("Endpoints() = %v, want %v in some order", got, in)
	}
	if fakePinned(c) != got[0] {
		t.Errorf("pinned = %s after SetEndpoints, want the first entry %s", fakePinned(c), got[0])
	}

	ft.on(clusterHost(got[0]), clusterOKGet())
	if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); err != nil {
		t.Fatalf("Get after SetEndpoints = %v", err)
	}
	if h := ft.hosts(); !slices.Equal(h, []string{clusterHost(got[0])}) {
		t.Errorf("Get after SetEndpoints went to %v, want [%s]", h, clusterHost(got[0]))
	}
}

// TestClient_failoverOrder: a call starts at the pinned endpoint and goes
// round the list once, recording every failure in order.
func TestClient_failoverOrder(t *testing.T) {
	for pin := range 4 {
		t.Run(fmt.Sprintf("pinned=%d", pin), func(t *testing.T) {
			eps := []string{clusterEP1, clusterEP2, clusterEP3, clusterEP4}
			ft := newFakeTransport()
			for _, ep := range eps {
				ft.on(clusterHost(ep), fakeReply{err: fmt.Errorf("refused by %s", ep)})
			}
			c := newFakeClient(t, ft, Config{}, eps...)
			c.state.Load().pinned.Store(int64(pin))

			_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
			var want []string
			var wantErrs []string
			for k := range 4 {
				ep := eps[(pin+k)%4]
				want = append(want, clusterHost(ep))
				wantErrs = append(wantErrs, "refused by "+ep)
			}
			if got := ft.hosts(); !slices.Equal(got, want) {
				t.Errorf("hosts tried = %v, want %v", got, want)
			}
			var ce *ClusterError
			if !errors.As(err, &ce) {
				t.Fatalf("Get = %v, want *ClusterError", err)
			}
			var got []string
			for _, e := range ce.Errors {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, wantErrs) {
				t.Errorf("ClusterError.Errors = %q, want %q", got, wantErrs)
			}
			if fakePinned(c) != eps[pin] {
				t.Errorf("pinned = %s after a failed round, want unchanged %s", fakePinned(c), eps[pin])
			}
		})
	}
}

// TestClient_pinning: the first endpoint with a non-5xx answer wins and is
// pinned; a 4xx is a real answer and wins too.
func TestClient_pinning(t *testing.T) {
	tests := []struct {
		name       string
		replies    map[string]fakeReply
		wantHosts  []string
		wantPinned string
		wantErr    func(error) bool
	}{
		{name: "pinned_ok", replies: map[string]fakeReply{clusterEP1: clusterOKGet(), clusterEP2: clusterOKGet()},
			wantHosts: []string{clusterEP1}, wantPinned: clusterEP1},
		{name: "503_then_ok", replies: map[string]fakeReply{clusterEP1: fakeJSON(503, "", ""), clusterEP2: clusterOKGet()},
			wantHosts: []string{clusterEP1, clusterEP2}, wantPinned: clusterEP2},
		{name: "500_502_then_ok", replies: map[string]fakeReply{clusterEP1: fakeJSON(500, "", ""), clusterEP2: fakeJSON(502, "", ""), clusterEP3: clusterOKGet()},
			wantHosts: []string{clusterEP1, clusterEP2, clusterEP3}, wantPinned: clusterEP3},
		{name: "refused_then_ok", replies: map[string]fakeReply{clusterEP1: {err: errFakeRefused}, clusterEP2: clusterOKGet()},
			wantHosts: []string{clusterEP1, clusterEP2}, wantPinned: clusterEP2},
		{name: "404_wins", replies: map[string]fakeReply{clusterEP1: fakeFixtureReply(t, "get_missing"), clusterEP2: clusterOKGet()},
			wantHosts: []string{clusterEP1}, wantPinned: clusterEP1, wantErr: IsKeyNotFound},
		{name: "503_then_412_wins_and_pins", replies: map[string]fakeReply{clusterEP1: fakeJSON(503, "", ""), clusterEP2: fakeFixtureReply(t, "cas_fail"), clusterEP3: clusterOKGet()},
			wantHosts: []string{clusterEP1, clusterEP2}, wantPinned: clusterEP2, wantErr: func(err error) bool { e, ok := err.(Error); return ok && e.Code == 101 }},
		{name: "3xx_without_location_is_failure", replies: map[string]fakeReply{clusterEP1: fakeJSON(307, "", ""), clusterEP2: clusterOKGet()},
			wantHosts: []string{clusterEP1, clusterEP2}, wantPinned: clusterEP2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTransport()
			for ep, r := range tc.replies {
				ft.on(clusterHost(ep), r)
			}
			c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2, clusterEP3)
			_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !tc.wantErr(err) {
				t.Errorf("Get = %v", err)
			}
			var want []string
			for _, ep := range tc.wantHosts {
				want = append(want, clusterHost(ep))
			}
			if got := ft.hosts(); !slices.Equal(got, want) {
				t.Errorf("hosts tried = %v, want %v", got, want)
			}
			if fakePinned(c) != tc.wantPinned {
				t.Errorf("pinned = %s, want %s", fakePinned(c), tc.wantPinned)
			}
			// The next call goes straight to the pinned member.
			ft.reset()
			NewKeysAPI(c).Get(context.Background(), "/foo", nil)
			if got := ft.hosts(); len(got) == 0 || got[0] != clusterHost(tc.wantPinned) {
				t.Errorf("next call tried %v first, want %s", got, clusterHost(tc.wantPinned))
			}
			if n := ft.open.Load(); n != 0 {
				t.Errorf("%d response bodies left open", n)
			}
		})
	}
}

// TestClient_clusterErrorContents checks the recorded text of each kind of
// failure and the whole message.
func TestClient_clusterErrorContents(t *testing.T) {
	ft := newFakeTransport().
		on(clusterHost(clusterEP1), fakeJSON(500, `{"errorCode":300,"message":"Raft Internal Error"}`, "")).
		on(clusterHost(clusterEP2), fakeJSON(503, "", "")).
		on(clusterHost(clusterEP3), fakeJSON(502, "", "")).
		on(clusterHost(clusterEP4), fakeReply{err: errFakeRefused})
	c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2, clusterEP3, clusterEP4)
	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	ce, ok := err.(*ClusterError)
	if !ok {
		t.Fatalf("Get = %T %v, want *ClusterError", err, err)
	}
	wantErrs := []string{
		"client: etcd member http://127.0.0.1:1 has no leader",
		"client: etcd member http://127.0.0.1:2 has no leader",
		"client: etcd member http://127.0.0.1:3 returns server error [Bad Gateway]",
		"fake: connection refused",
	}
	if len(ce.Errors) != len(wantErrs) {
		t.Fatalf("ClusterError.Errors = %v, want %d errors", ce.Errors, len(wantErrs))
	}
	for i, e := range ce.Errors {
		if e.Error() != wantErrs[i] {
			t.Errorf("ClusterError.Errors[%d] = %q, want %q", i, e.Error(), wantErrs[i])
		}
	}
	want := "client: etcd cluster is unavailable or misconfigured" +
		"; error #0: " + wantErrs[0] + "\n" +
		"; error #1: " + wantErrs[1] + "\n" +
		"; error #2: " + wantErrs[2] + "\n" +
		"; error #3: " + wantErrs[3] + "\n"
	if ce.Error() != want {
		t.Errorf("Error() = %q, want %q", ce.Error(), want)
	}
	if !errors.Is(err, errFakeRefused) {
		t.Errorf("errors.Is(%v, errFakeRefused) = false, want true", err)
	}
}

// TestClient_clusterErrorStatusTexts: every other 5xx names its status.
func TestClient_clusterErrorStatusTexts(t *testing.T) {
	for _, code := range []int{500, 501, 502, 503, 504, 505, 507, 599} {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(code, "", ""))
		c := newFakeClient(t, ft, Config{}, clusterEP1)
		_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
		want := fmt.Sprintf("client: etcd member %s returns server error [%s]", clusterEP1, http.StatusText(code))
		if code == 500 || code == 503 {
			want = "client: etcd member " + clusterEP1 + " has no leader"
		}
		ce, ok := err.(*ClusterError)
		if !ok || len(ce.Errors) != 1 || ce.Errors[0].Error() != want {
			t.Errorf("Get with status %d = %v, want a ClusterError with %q", code, err, want)
		}
	}
}

// TestClient_connectionRefused uses a real closed port: errors.Is must see
// ECONNREFUSED through the ClusterError.
func TestClient_connectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(Config{Endpoints: []string{"http://" + addr}, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	var ce *ClusterError
	if !errors.As(err, &ce) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Get on a closed port = %v, want a ClusterError that errors.Is ECONNREFUSED", err)
	}
}

// TestClient_oneShot: Create, Delete and Set with PrevNoExist try one
// endpoint only when the failure may have reached it (an opaque transport
// error, a 5xx), return its error wrapped as ErrOutcomeUnknown and move
// the pin on. (Failures that prove the request never left are in
// write_retry_test.go.)
func TestClient_oneShot(t *testing.T) {
	calls := []struct {
		name string
		call func(context.Context, KeysAPI) error
	}{
		{"create", func(ctx context.Context, k KeysAPI) error { _, err := k.Create(ctx, "/foo", "v"); return err }},
		{"delete", func(ctx context.Context, k KeysAPI) error { _, err := k.Delete(ctx, "/foo", nil); return err }},
		{"delete_recursive", func(ctx context.Context, k KeysAPI) error {
			_, err := k.Delete(ctx, "/d", &DeleteOptions{Recursive: true})
			return err
		}},
		{"set_prev_no_exist", func(ctx context.Context, k KeysAPI) error {
			_, err := k.Set(ctx, "/foo", "v", &SetOptions{PrevExist: PrevNoExist, TTL: time.Second})
			return err
		}},
	}
	failures := []struct {
		name    string
		reply   fakeReply
		wantErr func(error) bool
	}{
		{"request_error", fakeReply{err: errFakeRefused}, func(err error) bool {
			return errors.Is(err, ErrOutcomeUnknown) && errors.Is(err, errFakeRefused)
		}},
		{"503", fakeJSON(503, "", ""), func(err error) bool {
			_, isCE := err.(*ClusterError)
			return !isCE && errors.Is(err, ErrOutcomeUnknown) && err.Error() == ErrOutcomeUnknown.Error()+": client: etcd member "+clusterEP2+" has no leader"
		}},
		{"502", fakeJSON(502, "", ""), func(err error) bool {
			_, isCE := err.(*ClusterError)
			return !isCE && errors.Is(err, ErrOutcomeUnknown) && err.Error() == ErrOutcomeUnknown.Error()+": client: etcd member "+clusterEP2+" returns server error [Bad Gateway]"
		}},
	}
	for _, cl := range calls {
		for _, f := range failures {
			t.Run(cl.name+"/"+f.name, func(t *testing.T) {
				ft := newFakeTransport().on(clusterHost(clusterEP2), f.reply).on(clusterHost(clusterEP3), clusterOKGet()).on(clusterHost(clusterEP1), clusterOKGet())
				c := newFakeClient(t, ft, Config{Retry: &RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Millisecond}}, clusterEP1, clusterEP2, clusterEP3)
				c.state.Load().pinned.Store(1)
				err := cl.call(context.Background(), NewKeysAPI(c))
				if !f.wantErr(err) {
					t.Errorf("%s = %T %v, want the failure of %s as an unknown outcome", cl.name, err, err, clusterEP2)
				}
				if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP2)}) {
					t.Errorf("hosts tried = %v, want only %s", got, clusterHost(clusterEP2))
				}
				if fakePinned(c) != clusterEP3 {
					t.Errorf("pinned = %s after a one-shot failure, want the next endpoint %s", fakePinned(c), clusterEP3)
				}
			})
		}
	}

	// The pin wraps around from the last endpoint.
	ft := newFakeTransport().on(clusterHost(clusterEP2), fakeReply{err: errFakeRefused})
	c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2)
	c.state.Load().pinned.Store(1)
	NewKeysAPI(c).Create(context.Background(), "/foo", "v")
	if fakePinned(c) != clusterEP1 {
		t.Errorf("pinned = %s after a one-shot failure on the last endpoint, want %s", fakePinned(c), clusterEP1)
	}

	// Update and Set with PrevExist are not one-shot.
	ft = newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(503, "", "")).on(clusterHost(clusterEP2), clusterOKGet())
	c = newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2)
	if _, err := NewKeysAPI(c).Update(context.Background(), "/foo", "v"); err != nil {
		t.Errorf("Update = %v, want failover to %s", err, clusterEP2)
	}
	if got := ft.hosts(); len(got) != 2 {
		t.Errorf("Update tried %v, want both endpoints", got)
	}
}

// clusterBlocked scripts clusterEP1 to never send headers and clusterEP2 to answer.
func clusterBlocked(t *testing.T, cfg Config) (*fakeTransport, *httpClusterClient) {
	ft := newFakeTransport().on(clusterHost(clusterEP1), fakeReply{block: true}).on(clusterHost(clusterEP2), clusterOKGet())
	return ft, newFakeClient(t, ft, cfg, clusterEP1, clusterEP2)
}

func TestClient_contextCanceled(t *testing.T) {
	ft, c := clusterBlocked(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := NewKeysAPI(c).Get(ctx, "/foo", nil)
		done <- err
	}()
	clusterWaitRequests(t, ft, 1)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Get after cancel = %v, want exactly context.Canceled", err)
	}
	if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP1)}) {
		t.Errorf("hosts tried = %v, want only %s", got, clusterHost(clusterEP1))
	}
	if fakePinned(c) != clusterEP1 {
		t.Errorf("pinned = %s after cancel, want %s (only a deadline moves it)", fakePinned(c), clusterEP1)
	}
	if n := ft.cancelCalls.Load(); n != 0 {
		t.Errorf("CancelRequest called %d times, want 0: cancellation goes through the request context", n)
	}
}

func TestClient_contextAlreadyDone(t *testing.T) {
	ft, c := clusterBlocked(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewKeysAPI(c).Get(ctx, "/foo", nil); err != context.Canceled {
		t.Errorf("Get with a cancelled context = %v, want exactly context.Canceled", err)
	}
	if got := ft.hosts(); len(got) > 1 {
		t.Errorf("hosts tried = %v, want at most the pinned one", got)
	}
}

// TestClient_deadlineAwaitingHeaders: the caller gets exactly
// DeadlineExceeded, nothing else is tried, and the pin leaves the member
// that sent no headers.
func TestClient_deadlineAwaitingHeaders(t *testing.T) {
	ft, c := clusterBlocked(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := NewKeysAPI(c).Get(ctx, "/foo", nil)
	if err != context.DeadlineExceeded {
		t.Fatalf("Get past its deadline = %v, want exactly context.DeadlineExceeded", err)
	}
	if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP1)}) {
		t.Errorf("hosts tried = %v, want only %s", got, clusterHost(clusterEP1))
	}
	if fakePinned(c) != clusterEP2 {
		t.Errorf("pinned = %s, want %s after a deadline awaiting headers", fakePinned(c), clusterEP2)
	}
	ft.reset()
	// Bounded, so a pin left on the frozen member fails instead of hanging.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if _, err := NewKeysAPI(c).Get(ctx2, "/foo", nil); err != nil {
		t.Errorf("next Get = %v, want the answer of %s", err, clusterEP2)
	}
	if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP2)}) {
		t.Errorf("next Get tried %v, want only %s", got, clusterHost(clusterEP2))
	}
}

// TestClient_contextEndsDuringBody: after the headers, the body is bounded
// by the caller's context; it is closed and the pin stays.
func TestClient_contextEndsDuringBody(t *testing.T) {
	for _, ending := range []error{context.Canceled, context.DeadlineExceeded} {
		t.Run(fmt.Sprintf("deadline=%v", ending == context.DeadlineExceeded), func(t *testing.T) {
			reading := make(chan struct{})
			ft := newFakeTransport().on(clusterHost(clusterEP1), fakeReply{status: 200, bodyBlock: true, bodyReading: reading}).on(clusterHost(clusterEP2), clusterOKGet())
			c := newFakeClient(t, ft, Config{HeaderTimeoutPerRequest: 20 * time.Millisecond}, clusterEP1, clusterEP2)
			timers := useManualTimers(c)
			ctx := newTriggerCtx(t)
			done := make(chan error, 1)
			go func() {
				_, err := NewKeysAPI(c).Get(ctx, "/foo", nil)
				done <- err
			}()
			<-reading
			// The headers arrived: the header timeout is over and must
			// not cut the body.
			assert.Equal(t, 0, timers.fire(), "header timers still running while the body is read")
			ctx.end(ending)
			err := <-done
			if err != ending {
				t.Errorf("Get = %v, want exactly %v", err, ending)
			}
			if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP1)}) {
				t.Errorf("hosts tried = %v, want only %s (the header timeout does not cover the body)", got, clusterHost(clusterEP1))
			}
			if fakePinned(c) != clusterEP1 {
				t.Errorf("pinned = %s, want %s: the member did send its headers", fakePinned(c), clusterEP1)
			}
			if n := ft.open.Load(); n != 0 {
				t.Errorf("%d response bodies left open", n)
			}
		})
	}
}

func clusterWaitRequests(t *testing.T, ft *fakeTransport, n int) {
	t.Helper()
	for start := time.Now(); len(ft.requests()) < n; time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("saw %d requests, want %d", len(ft.requests()), n)
		}
	}
}

func TestClient_headerTimeout(t *testing.T) {
	ft, c := clusterBlocked(t, Config{HeaderTimeoutPerRequest: 30 * time.Millisecond})
	expireFirstHeaderTimer(c)
	if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); err != nil {
		t.Fatalf("Get = %v, want the answer of %s", err, clusterEP2)
	}
	if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP1), clusterHost(clusterEP2)}) {
		t.Errorf("hosts tried = %v, want [%s %s]", got, clusterHost(clusterEP1), clusterHost(clusterEP2))
	}
	if fakePinned(c) != clusterEP2 {
		t.Errorf("pinned = %s, want %s", fakePinned(c), clusterEP2)
	}

	ft = newFakeTransport().on(clusterHost(clusterEP1), fakeReply{block: true}).on(clusterHost(clusterEP2), fakeReply{block: true})
	c = newFakeClient(t, ft, Config{HeaderTimeoutPerRequest: 20 * time.Millisecond}, clusterEP1, clusterEP2)
	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	ce, ok := err.(*ClusterError)
	if !ok || len(ce.Errors) != 2 {
		t.Fatalf("Get = %v, want a ClusterError with two header timeouts", err)
	}
	for i, ep := range []string{clusterEP1, clusterEP2} {
		if want := "client: endpoint " + ep + " exceeded header timeout"; ce.Errors[i].Error() != want {
			t.Errorf("ClusterError.Errors[%d] = %q, want %q", i, ce.Errors[i], want)
		}
	}
	if n := ft.cancelCalls.Load(); n != 0 {
		t.Errorf("CancelRequest called %d times, want 0", n)
	}
}

// TestClient_headerTimeoutWatchExempt: a watch may wait for its headers
// longer than HeaderTimeoutPerRequest.
func TestClient_headerTimeoutWatchExempt(t *testing.T) {
	release := make(chan struct{})
	ft := newFakeTransport()
	ft.handler = func(req *http.Request) (*http.Response, error) { return eventOnRelease(release, req) }
	c := newFakeClient(t, ft, Config{HeaderTimeoutPerRequest: 10 * time.Millisecond}, clusterEP1, clusterEP2)
	timers := useManualTimers(c)
	done := nextInBackground(c, context.Background())
	clusterWaitRequests(t, ft, 1)
	// Whatever time passes now, no header timeout may end the watch.
	assert.Equal(t, 0, timers.count(), "a watch started a header timer")
	timers.fire()
	close(release)
	res := <-done
	if res.err != nil || res.r.Node.ModifiedIndex != 9 {
		t.Fatalf("Watcher.Next = %v, %v, want the event once the member answers", res.r, res.err)
	}
	if got := ft.hosts(); len(got) != 1 {
		t.Errorf("watch sent %d requests (%v), want 1", len(got), got)
	}
}

// TestClient_headerTimeoutSlowBody: only the wait for headers is bounded.
func TestClient_headerTimeoutSlowBody(t *testing.T) {
	pr, pw := io.Pipe()
	reading := make(chan struct{})
	ft := newFakeTransport()
	ft.handler = func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: &signalReader{Reader: pr, reading: reading},
			ContentLength: -1, Request: req}, nil
	}
	c := newFakeClient(t, ft, Config{HeaderTimeoutPerRequest: 10 * time.Millisecond}, clusterEP1)
	timers := useManualTimers(c)
	go func() {
		<-reading
		// The headers are in; past the header timeout, the body comes.
		timers.fire()
		pw.Write([]byte(clusterOKGetBody))
		pw.Close()
	}()
	if r, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); err != nil || r.Node.Value != "bar" {
		t.Errorf("Get with a slow body = %v, %v, want the value", r, err)
	}
	assert.Equal(t, 1, timers.count(), "header timers started")
}

// signalReader closes reading at its first Read.
type signalReader struct {
	io.Reader
	reading chan struct{}
	once    sync.Once
}

func (r *signalReader) Read(p []byte) (int, error) {
	r.once.Do(func() { close(r.reading) })
	return r.Reader.Read(p)
}

func (r *signalReader) Close() error { return nil }

// clusterRedirectReply is a 307 to loc (no Location header when loc is "").
func clusterRedirectReply(loc string) fakeReply {
	h := http.Header{}
	if loc != "" {
		h.Set("Location", loc)
	}
	return fakeReply{status: http.StatusTemporaryRedirect, header: h}
}

func TestClient_redirects(t *testing.T) {
	tests := []struct {
		name     string
		replies  map[string][]fakeReply // by host
		wantURLs []string
		wantErr  string // exact error text; "" for success
	}{
		{name: "absolute_location_followed",
			replies: map[string][]fakeReply{
				clusterHost(clusterEP1): {clusterRedirectReply("http://127.0.0.1:9/v2/keys/foo?quorum=true")},
				"127.0.0.1:9":           {clusterOKGet()},
			},
			wantURLs: []string{clusterEP1 + "/v2/keys/foo?quorum=false&recursive=false&sorted=false", "http://127.0.0.1:9/v2/keys/foo?quorum=true"}},
		{name: "relative_absolute_path",
			replies:  map[string][]fakeReply{clusterHost(clusterEP1): {clusterRedirectReply("/other/path"), clusterOKGet()}},
			wantURLs: []string{clusterEP1 + "/v2/keys/foo?quorum=false&recursive=false&sorted=false", clusterEP1 + "/other/path"}},
		{name: "relative_path_resolved_against_request",
			replies:  map[string][]fakeReply{clusterHost(clusterEP1): {clusterRedirectReply("bar"), clusterOKGet()}},
			wantURLs: []string{clusterEP1 + "/v2/keys/foo?quorum=false&recursive=false&sorted=false", clusterEP1 + "/v2/keys/bar"}},
		{name: "chain_of_two",
			replies: map[string][]fakeReply{
				clusterHost(clusterEP1): {clusterRedirectReply("http://127.0.0.1:8/a")},
				"127.0.0.1:8":           {clusterRedirectReply("http://127.0.0.1:9/b")},
				"127.0.0.1:9":           {clusterOKGet()},
			},
			wantURLs: []string{clusterEP1 + "/v2/keys/foo?quorum=false&recursive=false&sorted=false", "http://127.0.0.1:8/a", "http://127.0.0.1:9/b"}},
		{name: "missing_location",
			replies:  map[string][]fakeReply{clusterHost(clusterEP1): {clusterRedirectReply("")}},
			wantURLs: []string{clusterEP1 + "/v2/keys/foo?quorum=false&recursive=false&sorted=false"},
			wantErr:  "Location header not set"},
		{name: "invalid_location",
			replies:  map[string][]fakeReply{clusterHost(clusterEP1): {clusterRedirectReply("http://[::1")}},
			wantURLs: []string{clusterEP1 + "/v2/keys/foo?quorum=false&recursive=false&sorted=false"},
			wantErr:  "Location header not valid URL: http://[::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTransport()
			for h, rs := range tc.replies {
				ft.on(h, rs...)
			}
			c := newFakeClient(t, ft, Config{}, clusterEP1)
			_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
			if tc.wantErr == "" && err != nil {
				t.Errorf("Get = %v, want nil", err)
			}
			if tc.wantErr != "" {
				var ce *ClusterError
				// cluster.md gives these texts exactly, capital L included.
				if !errors.As(err, &ce) || len(ce.Errors) != 1 || ce.Errors[0].Error() != tc.wantErr {
					t.Errorf("Get = %v, want the endpoint to fail with %q", err, tc.wantErr)
				}
			}
			var got []string
			for _, r := range ft.requests() {
				got = append(got, r.URL)
			}
			if !slices.Equal(got, tc.wantURLs) {
				t.Errorf("requested URLs = %q, want %q", got, tc.wantURLs)
			}
			if n := ft.open.Load(); n != 0 {
				t.Errorf("%d response bodies left open", n)
			}
		})
	}
}

// TestClient_redirectKeepsRequest: the same action is rebuilt for the
// new location: method, body and Content-Type travel along.
func TestClient_redirectKeepsRequest(t *testing.T) {
	ft := newFakeTransport().on(clusterHost(clusterEP1), clusterRedirectReply("http://127.0.0.1:9/v2/keys/foo?prevExist=true")).
		on("127.0.0.1:9", clusterOKGet())
	c := newFakeClient(t, ft, Config{}, clusterEP1)
	if _, err := NewKeysAPI(c).Update(context.Background(), "/foo", "v w"); err != nil {
		t.Fatalf("Update = %v", err)
	}
	reqs := ft.requests()
	if len(reqs) != 2 {
		t.Fatalf("requests = %+v, want 2", reqs)
	}
	r := reqs[1]
	if r.Method != "PUT" || r.Body != "value=v+w" || r.Header.Get("Content-Type") != keysFormType || r.Host != "127.0.0.1:9" {
		t.Errorf("redirected request = %+v, want PUT value=v+w with form Content-Type to 127.0.0.1:9", r)
	}
}

func TestClient_checkRedirect(t *testing.T) {
	loop := clusterRedirectReply(clusterEP1 + "/loop")

	// CheckRedirect sees the number of requests made so far.
	var vias []int
	ft := newFakeTransport().on(clusterHost(clusterEP1), clusterRedirectReply(clusterEP1+"/a"), clusterRedirectReply(clusterEP1+"/b"), clusterRedirectReply(clusterEP1+"/c"), clusterOKGet())
	c := newFakeClient(t, ft, Config{CheckRedirect: func(via int) error { vias = append(vias, via); return nil }}, clusterEP1)
	if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); err != nil {
		t.Fatalf("Get = %v", err)
	}
	if !slices.Equal(vias, []int{1, 2, 3}) {
		t.Errorf("CheckRedirect called with %v, want [1 2 3]", vias)
	}

	// Its error ends the following of redirects.
	errStop := errors.New("stop here")
	ft = newFakeTransport().on(clusterHost(clusterEP1), loop)
	c = newFakeClient(t, ft, Config{CheckRedirect: func(via int) error {
		if via == 2 {
			return errStop
		}
		return nil
	}}, clusterEP1)
	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	if !errors.Is(err, errStop) {
		t.Errorf("Get = %v, want the CheckRedirect error", err)
	}
	if n := len(ft.requests()); n != 2 {
		t.Errorf("%d requests sent, want 2 (CheckRedirect(2) refused the third)", n)
	}

	// The default allows ten redirects: eleven requests.
	ft = newFakeTransport().on(clusterHost(clusterEP1), loop)
	c = newFakeClient(t, ft, Config{}, clusterEP1)
	_, err = NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("Get in a redirect loop = %v, want ErrTooManyRedirects", err)
	}
	if n := len(ft.requests()); n != 11 {
		t.Errorf("%d requests sent in a redirect loop, want 11", n)
	}

	// A CheckRedirect that allows everything still stops at 100 hops.
	ft = newFakeTransport().on(clusterHost(clusterEP1), loop)
	c = newFakeClient(t, ft, Config{CheckRedirect: func(int) error { return nil }}, clusterEP1)
	if _, err = NewKeysAPI(c).Get(context.Background(), "/foo", nil); err == nil {
		t.Errorf("Get in an endless redirect loop = nil, want an error")
	}
	if n := len(ft.requests()); n != 100 {
		t.Errorf("%d requests sent in an endless redirect loop, want 100", n)
	}
	if n := ft.open.Load(); n != 0 {
		t.Errorf("%d response bodies left open", n)
	}
}

func TestClient_basicAuth(t *testing.T) {
	s, _ := setup(t)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etcd-Index", "1")
		w.Write([]byte(clusterOKGetBody))
	})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	for _, tc := range []struct {
		user, pass string
		want       string
	}{
		{"root", "s3cr:t", "Basic " + base64.StdEncoding.EncodeToString([]byte("root:s3cr:t"))},
		{"", "ignored", ""},
	} {
		c, err := New(Config{Endpoints: []string{s.endpoint}, Transport: tr, Username: tc.user, Password: tc.pass})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); err != nil {
			t.Fatalf("Get = %v", err)
		}
		if _, err := NewMembersAPI(c).List(context.Background()); err != nil {
			t.Fatalf("List = %v", err)
		}
		reqs := s.requests()
		for _, r := range reqs[len(reqs)-2:] {
			if r.Auth != tc.want {
				t.Errorf("Authorization of %s %s = %q, want %q", r.Method, r.RequestURI, r.Auth, tc.want)
			}
		}
	}
}

// TestClient_redirectCredentials: credentials follow a redirect to an
// endpoint's host, whatever the port (net/http's rule), never to a foreign
// host.
func TestClient_redirectCredentials(t *testing.T) {
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("u:p"))
	tests := []struct {
		name     string
		location string
		want     string
	}{
		{"other_endpoint", clusterEP2 + "/v2/keys/foo", auth},
		{"same_endpoint", clusterEP1 + "/v2/keys/foo2", auth},
		{"foreign_host", "http://evil.example:9/v2/keys/foo", ""},
		{"other_ip", "http://127.0.0.2:9/v2/keys/foo", ""},
		{"other_port_same_ip", "http://127.0.0.1:10/v2/keys/foo", auth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTransport().on(clusterHost(clusterEP1), clusterRedirectReply(tc.location), clusterOKGet()).
				on(clusterHost(clusterEP2), clusterOKGet()).on("evil.example:9", clusterOKGet()).
				on("127.0.0.2:9", clusterOKGet()).on("127.0.0.1:10", clusterOKGet())
			c := newFakeClient(t, ft, Config{Username: "u", Password: "p"}, clusterEP1, clusterEP2)
			if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); err != nil {
				t.Fatalf("Get = %v", err)
			}
			reqs := ft.requests()
			if len(reqs) != 2 {
				t.Fatalf("requests = %d, want 2", len(reqs))
			}
			if got := reqs[0].Header.Get("Authorization"); got != auth {
				t.Errorf("first request Authorization = %q, want %q", got, auth)
			}
			if got := reqs[1].Header.Get("Authorization"); got != tc.want {
				t.Errorf("redirected request to %s: Authorization = %q, want %q", tc.location, got, tc.want)
			}
		})
	}
}

// clusterMembersHandler answers /v2/members and /v2/members/leader for a
// fake cluster whose members have the given client URLs.
func clusterMembersHandler(members []string, leader int, leaderStatus int) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		var body string
		status := 200
		switch req.URL.Path {
		case "/v2/members":
			var ms []string
			for i, u := range members {
				ms = append(ms, fmt.Sprintf(`{"id":"%d","name":"m%d","peerURLs":["http://127.0.0.1:%d"],"clientURLs":[%q]}`, i, i, 7000+i, u))
			}
			body = `{"members":[` + strings.Join(ms, ",") + `]}`
		case "/v2/members/leader":
			status = leaderStatus
			body = fmt.Sprintf(`{"id":"%d","name":"m%d","peerURLs":[],"clientURLs":[%q]}`, leader, leader, members[leader])
		default:
			status = 200
			body = clusterOKGetBody
		}
		return &http.Response{StatusCode: status, Header: http.Header{"X-Etcd-Index": {"5"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
	}
}

func TestClient_Sync(t *testing.T) {
	t.Run("random_same_set_changes_nothing", func(t *testing.T) {
		ft := newFakeTransport()
		ft.handler = clusterMembersHandler([]string{clusterEP3, clusterEP1, clusterEP2}, 0, 200)
		c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2, clusterEP3)
		c.state.Load().pinned.Store(2)
		before := c.state.Load()
		if err := c.Sync(context.Background()); err != nil {
			t.Fatalf("Sync = %v", err)
		}
		if got := c.Endpoints(); !slices.Equal(got, []string{clusterEP1, clusterEP2, clusterEP3}) || fakePinned(c) != clusterEP3 {
			t.Errorf("after Sync with the same set: Endpoints() = %v pinned %s, want [%s %s %s] pinned %s",
				got, fakePinned(c), clusterEP1, clusterEP2, clusterEP3, clusterEP3)
		}
		if c.state.Load() != before {
			t.Errorf("Sync with the same set replaced the endpoint state")
		}
	})
	t.Run("random_new_set_replaces", func(t *testing.T) {
		ft := newFakeTransport()
		ft.handler = clusterMembersHandler([]string{clusterEP2, clusterEP3, clusterEP4}, 0, 200)
		c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2)
		if err := c.Sync(context.Background()); err != nil {
			t.Fatalf("Sync = %v", err)
		}
		got := c.Endpoints()
		if !slices.Equal(slices.Sorted(slices.Values(got)), []string{clusterEP2, clusterEP3, clusterEP4}) {
			t.Errorf("Endpoints() after Sync = %v, want %v in some order", got, []string{clusterEP2, clusterEP3, clusterEP4})
		}
		if fakePinned(c) != got[0] {
			t.Errorf("pinned = %s after Sync, want the first entry %s", fakePinned(c), got[0])
		}
	})
	t.Run("members_without_client_urls_skipped", func(t *testing.T) {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(200,
			`{"members":[{"id":"a","clientURLs":["`+clusterEP2+`"]},{"id":"b","peerURLs":["http://127.0.0.1:7"]},{"id":"c","clientURLs":null}]}`, "")).
			on(clusterHost(clusterEP2), fakeFixtureReply(t, "version")) // the advertised member answers Sync's probe
		c := newFakeClient(t, ft, Config{}, clusterEP1)
		if err := c.Sync(context.Background()); err != nil {
			t.Fatalf("Sync = %v", err)
		}
		if got := c.Endpoints(); !slices.Equal(got, []string{clusterEP2}) {
			t.Errorf("Endpoints() after Sync = %v, want [%s]", got, clusterEP2)
		}
	})
	t.Run("list_failure_keeps_list", func(t *testing.T) {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(503, "", "")).on(clusterHost(clusterEP2), fakeJSON(404, "", ""))
		c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2)
		err := c.Sync(context.Background())
		if err == nil || err.Error() != "unexpected status code 404" {
			t.Errorf("Sync = %v, want the List error", err)
		}
		if got := c.Endpoints(); !slices.Equal(got, []string{clusterEP1, clusterEP2}) {
			t.Errorf("Endpoints() after a failed Sync = %v, want unchanged", got)
		}
	})
	t.Run("prioritize_leader_pins_leader", func(t *testing.T) {
		for leader := range 3 {
			members := []string{clusterEP1, clusterEP2, clusterEP3}
			ft := newFakeTransport()
			ft.handler = clusterMembersHandler(members, leader, 200)
			c := newFakeClient(t, ft, Config{SelectionMode: EndpointSelectionPrioritizeLeader}, clusterEP1, clusterEP2, clusterEP3)
			if err := c.Sync(context.Background()); err != nil {
				t.Fatalf("Sync = %v", err)
			}
			if fakePinned(c) != members[leader] {
				t.Errorf("pinned = %s after Sync, want the leader %s", fakePinned(c), members[leader])
			}
			ft.reset()
			NewKeysAPI(c).Get(context.Background(), "/foo", nil)
			if got := ft.hosts(); len(got) != 1 || got[0] != clusterHost(members[leader]) {
				t.Errorf("Get after Sync went to %v, want the leader %s", got, members[leader])
			}
		}
	})
	t.Run("prioritize_leader_lookup_fails", func(t *testing.T) {
		ft := newFakeTransport()
		ft.handler = clusterMembersHandler([]string{clusterEP1, clusterEP2}, 0, 404)
		c := newFakeClient(t, ft, Config{SelectionMode: EndpointSelectionPrioritizeLeader}, clusterEP1, clusterEP2)
		if err := c.Sync(context.Background()); err != ErrNoLeaderEndpoint {
			t.Errorf("Sync = %v, want ErrNoLeaderEndpoint", err)
		}
	})
	t.Run("unknown_mode", func(t *testing.T) {
		ft := newFakeTransport()
		ft.handler = clusterMembersHandler([]string{clusterEP1, clusterEP2}, 0, 200)
		c := newFakeClient(t, ft, Config{SelectionMode: EndpointSelectionMode(7)}, clusterEP1, clusterEP2)
		err := c.Sync(context.Background())
		if err == nil || !strings.Contains(err.Error(), "7") {
			t.Errorf("Sync with mode 7 = %v, want an error naming the mode", err)
		}
	})
}

func TestClient_AutoSync(t *testing.T) {
	t.Run("context_end", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		ft := newFakeTransport()
		ft.handler = clusterMembersHandler([]string{clusterEP1}, 0, 200)
		c := newFakeClient(t, ft, Config{}, clusterEP1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.AutoSync(ctx, 5*time.Millisecond) }()
		clusterWaitRequests(t, ft, 3)
		cancel()
		select {
		case err := <-done:
			if err != context.Canceled {
				t.Errorf("AutoSync = %v, want exactly context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("AutoSync did not return after cancel")
		}
	})
	t.Run("syncs_at_once", func(t *testing.T) {
		ft := newFakeTransport()
		ft.handler = clusterMembersHandler([]string{clusterEP1}, 0, 200)
		c := newFakeClient(t, ft, Config{}, clusterEP1)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := c.AutoSync(ctx, time.Hour); err != context.DeadlineExceeded {
			t.Errorf("AutoSync = %v, want exactly context.DeadlineExceeded", err)
		}
		if n := len(ft.requests()); n != 1 {
			t.Errorf("AutoSync with a 1h interval sent %d requests in 50ms, want 1", n)
		}
	})
	t.Run("sync_error", func(t *testing.T) {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(200, `{"members":[]}`, ""), fakeJSON(418, "", ""))
		c := newFakeClient(t, ft, Config{}, clusterEP1)
		err := c.AutoSync(context.Background(), time.Millisecond)
		if err != ErrNoEndpoints {
			t.Errorf("AutoSync = %v, want the Sync error %v", err, ErrNoEndpoints)
		}
		ft = newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(200, `{"members":[{"clientURLs":["`+clusterEP1+`"]}]}`, ""), fakeJSON(418, "", ""))
		c = newFakeClient(t, ft, Config{}, clusterEP1)
		err = c.AutoSync(context.Background(), time.Millisecond)
		var se *StatusError
		if !errors.As(err, &se) || se.Code != 418 {
			t.Errorf("AutoSync = %v, want the second Sync's error (status 418)", err)
		}
	})
}

func TestClient_GetVersion(t *testing.T) {
	tests := []struct {
		name    string
		reply   fakeReply
		want    *version.Versions
		wantErr func(error) bool
	}{
		{name: "fixture", reply: fakeFixtureReply(t, "version"), want: &version.Versions{Server: "3.4.23", Cluster: "3.4.0"}},
		{name: "empty", reply: fakeJSON(200, "", ""), wantErr: func(err error) bool { return err == ErrEmptyBody }},
		{name: "garbage", reply: fakeJSON(200, "3.4.23", ""), wantErr: func(err error) bool { return err == ErrInvalidJSON }},
		{name: "non_200_error_body", reply: fakeJSON(401, `{"errorCode":110,"message":"denied","cause":"c","index":3}`, ""),
			wantErr: func(err error) bool { return err == Error{Code: 110, Message: "denied", Cause: "c", Index: 3} }},
		{name: "non_200_garbage", reply: fakeJSON(404, "404 page not found", ""), wantErr: func(err error) bool { return err == ErrInvalidJSON }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTransport().on(clusterHost(clusterEP1), tc.reply)
			c := newFakeClient(t, ft, Config{}, clusterEP1)
			got, err := c.GetVersion(context.Background())
			if tc.wantErr != nil {
				if !tc.wantErr(err) || got != nil {
					t.Errorf("GetVersion() = %v, %v, want the documented error", got, err)
				}
			} else if err != nil || *got != *tc.want {
				t.Errorf("GetVersion() = %v, %v, want %v", got, err, tc.want)
			}
			if r := ft.requests(); len(r) != 1 || r[0].Method != "GET" || r[0].URL != clusterEP1+"/version" {
				t.Errorf("GetVersion sent %+v, want GET %s/version", r, clusterEP1)
			}
		})
	}
}

func TestClient_retry(t *testing.T) {
	t.Run("rounds_until_max_attempts", func(t *testing.T) {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(503, "", "")).on(clusterHost(clusterEP2), fakeJSON(503, "", ""))
		c := newFakeClient(t, ft, Config{Retry: &RetryPolicy{MaxAttempts: 4, InitialBackoff: 20 * time.Millisecond, MaxBackoff: time.Second}},
			clusterEP1, clusterEP2)
		pauses := recordPauses(c, nil)
		_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
		var ce *ClusterError
		if !errors.As(err, &ce) || len(ce.Errors) != 2 {
			t.Errorf("Get = %v, want the last round's ClusterError", err)
		}
		if n := len(ft.requests()); n != 8 {
			t.Errorf("%d requests, want 4 rounds of 2", n)
		}
		// The pauses double: 20ms, 40ms, 80ms.
		assert.Equal(t, []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond}, *pauses,
			"pauses between the 4 rounds")
	})
	t.Run("success_in_second_round", func(t *testing.T) {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(503, "", ""), clusterOKGet()).on(clusterHost(clusterEP2), fakeJSON(500, "", ""))
		c := newFakeClient(t, ft, Config{Retry: &RetryPolicy{InitialBackoff: time.Millisecond}}, clusterEP1, clusterEP2)
		if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); err != nil {
			t.Errorf("Get = %v, want success in the second round", err)
		}
		if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP1), clusterHost(clusterEP2), clusterHost(clusterEP1)}) {
			t.Errorf("hosts tried = %v", got)
		}
	})
	t.Run("stops_at_context_end", func(t *testing.T) {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(503, "", ""))
		c := newFakeClient(t, ft, Config{Retry: &RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}}, clusterEP1)
		ctx := newTriggerCtx(t)
		pauses := recordPauses(c, func(n int) {
			if n == 3 {
				ctx.end(context.DeadlineExceeded) // the deadline passes during the third pause
			}
		})
		if _, err := NewKeysAPI(c).Get(ctx, "/foo", nil); err != context.DeadlineExceeded {
			t.Errorf("Get = %v, want exactly context.DeadlineExceeded", err)
		}
		if n := len(ft.requests()); n < 2 {
			t.Errorf("%d requests, want several rounds", n)
		}
		assert.Equal(t, []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}, *pauses, "pauses until the deadline")
	})
	t.Run("no_retry_without_policy", func(t *testing.T) {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(503, "", ""))
		c := newFakeClient(t, ft, Config{}, clusterEP1)
		NewKeysAPI(c).Get(context.Background(), "/foo", nil)
		if n := len(ft.requests()); n != 1 {
			t.Errorf("%d requests without Retry, want 1", n)
		}
	})
	t.Run("4xx_not_retried", func(t *testing.T) {
		ft := newFakeTransport().on(clusterHost(clusterEP1), fakeFixtureReply(t, "get_missing"))
		c := newFakeClient(t, ft, Config{Retry: &RetryPolicy{InitialBackoff: time.Millisecond}}, clusterEP1)
		if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); !IsKeyNotFound(err) {
			t.Errorf("Get = %v, want key not found", err)
		}
		if n := len(ft.requests()); n != 1 {
			t.Errorf("%d requests for a 404, want 1", n)
		}
	})
}

func TestClient_maxResponseBytes(t *testing.T) {
	limit := int64(len(clusterOKGetBody))
	tests := []struct {
		name  string
		reply fakeReply
		ok    bool
	}{
		{"at_limit", fakeJSON(200, clusterOKGetBody, "1"), true},
		{"at_limit_chunked", fakeReply{status: 200, body: clusterOKGetBody, chunked: true}, true},
		{"over_limit", fakeJSON(200, clusterOKGetBody+" ", "1"), false},
		{"over_limit_chunked", fakeReply{status: 200, body: clusterOKGetBody + " ", chunked: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTransport().on(clusterHost(clusterEP1), tc.reply)
			c := newFakeClient(t, ft, Config{MaxResponseBytes: limit}, clusterEP1)
			_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
			if tc.ok && err != nil || !tc.ok && !errors.Is(err, ErrResponseTooLarge) {
				t.Errorf("Get = %v, want ok=%v", err, tc.ok)
			}
			if n := ft.open.Load(); n != 0 {
				t.Errorf("%d response bodies left open", n)
			}
		})
	}
}

// clusterNilAction is a caller's own httpAction that builds no request.
type clusterNilAction struct{}

func (clusterNilAction) HTTPRequest(url.URL) *http.Request { return nil }

func TestClient_noRequest(t *testing.T) {
	c := newFakeClient(t, newFakeTransport(), Config{}, clusterEP1)
	if _, _, err := c.Do(context.Background(), clusterNilAction{}); !errors.Is(err, ErrNoRequest) {
		t.Errorf("Do(nil request) = %v, want ErrNoRequest", err)
	}
}

// TestClient_concurrency runs calls while the endpoint list, Sync and the
// cURL switch change under them; run it with -race.
func TestClient_concurrency(t *testing.T) {
	curlCaptureOutput(t) // the lines themselves are not checked here

	ft := newFakeTransport()
	ft.handler = clusterMembersHandler([]string{clusterEP1, clusterEP2, clusterEP3}, 1, 200)
	c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2, clusterEP3)
	k := NewKeysAPI(c)

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 16 {
		wg.Go(func() {
			for i := 0; !stop.Load() || i < 20; i++ {
				if _, err := k.Get(context.Background(), "/foo", nil); err != nil {
					errs <- err
					return
				}
				if _, err := k.Set(context.Background(), "/foo", "v", nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range 50 {
		switch i % 4 {
		case 0:
			if err := c.SetEndpoints([]string{clusterEP1, clusterEP2, clusterEP3}); err != nil {
				t.Error(err)
			}
		case 1:
			if err := c.Sync(context.Background()); err != nil {
				t.Error(err)
			}
		case 2:
			EnablecURLDebug()
		case 3:
			DisablecURLDebug()
		}
		_ = c.Endpoints()
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call = %v", err)
	}
}

// clusterAllocTransport answers every request with one canned response; it
// allocates only the response, so AllocsPerRun measures the client.
type clusterAllocTransport struct {
	header http.Header
	body   []byte
}

func (a *clusterAllocTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: a.header, ContentLength: int64(len(a.body)),
		Body: io.NopCloser(&clusterAllocReader{b: a.body}), Request: req}, nil
}

func (a *clusterAllocTransport) CancelRequest(*http.Request) {}

type clusterAllocReader struct {
	b []byte
	i int
}

func (r *clusterAllocReader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}

// clientGetAllocs is the measured number of allocations of one Get
// through clusterAllocTransport (go1.26, amd64, also under -race): the
// test fails when a change makes the hot path allocate more.
const clientGetAllocs = 13

func TestClient_GetAllocs(t *testing.T) {
	tr := &clusterAllocTransport{
		header: http.Header{"X-Etcd-Index": {"5"}, "X-Etcd-Cluster-Id": {"48276a8f75b6a87"}, "Content-Type": {"application/json"}},
		body:   []byte(clusterOKGetBody),
	}
	c, err := New(Config{Endpoints: []string{clusterEP1}, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	k := NewKeysAPI(c)
	ctx := context.Background()
	got := testing.AllocsPerRun(200, func() {
		if _, err := k.Get(ctx, "/foo", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("one Get allocates %.0f times", got)
	if got > clientGetAllocs {
		t.Errorf("one Get allocates %.0f times, want at most %d", got, clientGetAllocs)
	}
}

// TestClient_frozenMember uses real sockets: a member that accepts the
// connection but never answers (like a SIGSTOPped etcd) costs one call its
// deadline, and the next call goes elsewhere.
func TestClient_frozenMember(t *testing.T) {
	frozen, _ := setup(t)
	frozen.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	alive, _ := setup(t)
	alive.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etcd-Index", "5")
		w.Write([]byte(clusterOKGetBody))
	})
	c := newTestClient(t, Config{Endpoints: []string{frozen.endpoint, alive.endpoint}})
	hc := c.(*httpClusterClient)
	fakeForceOrder(t, hc, []string{frozen.endpoint, alive.endpoint})
	k := NewKeysAPI(c)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := k.Get(ctx, "/foo", nil); err != context.DeadlineExceeded {
		t.Fatalf("Get on a frozen member = %v, want exactly context.DeadlineExceeded", err)
	}
	if n := len(alive.requests()); n != 0 {
		t.Errorf("the live member got %d requests during the failed call, want 0", n)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if _, err := k.Get(ctx2, "/foo", nil); err != nil {
		t.Errorf("next Get = %v, want the live member's answer", err)
	}
	if n := len(frozen.requests()); n != 1 {
		t.Errorf("the frozen member got %d requests, want 1", n)
	}
}

// TestClient_oneShotWithCredentials: wrapping actions for basic auth must
// not turn a one-shot call into a retried one, nor put a watch under the
// header timeout.
func TestClient_oneShotWithCredentials(t *testing.T) {
	ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(503, "", "")).on(clusterHost(clusterEP2), clusterOKGet())
	c := newFakeClient(t, ft, Config{Username: "u", Password: "p"}, clusterEP1, clusterEP2)
	if _, err := NewKeysAPI(c).Create(context.Background(), "/foo", "v"); err == nil {
		t.Errorf("Create on a 503 member = nil, want its error")
	}
	if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP1)}) {
		t.Errorf("Create tried %v, want only %s", got, clusterHost(clusterEP1))
	}
	ft = newFakeTransport().on(clusterHost(clusterEP1), fakeReply{block: true}).on(clusterHost(clusterEP2), clusterOKGet())
	c = newFakeClient(t, ft, Config{Username: "u", Password: "p", HeaderTimeoutPerRequest: 10 * time.Millisecond}, clusterEP1, clusterEP2)
	timers := useManualTimers(c)
	ctx := newTriggerCtx(t)
	done := nextInBackground(c, ctx)
	clusterWaitRequests(t, ft, 1)
	assert.Equal(t, 0, timers.count(), "a watch with credentials started a header timer")
	timers.fire()
	ctx.end(context.DeadlineExceeded)
	if res := <-done; res.err != context.DeadlineExceeded {
		t.Errorf("Watcher.Next with credentials = %v, %v, want to wait past the header timeout until the deadline", res.r, res.err)
	}
}

// TestClient_GetVersion_endpointPath: the version path goes below the
// endpoint's own path.
func TestClient_GetVersion_endpointPath(t *testing.T) {
	s, c := setup(t)
	s.mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`))
	})
	v, err := c.GetVersion(context.Background())
	if err != nil || v.Server != "3.4.23" || v.Cluster != "3.4.0" {
		t.Fatalf("GetVersion() = %v, %v, want 3.4.23/3.4.0", v, err)
	}
	if r := s.requests(); len(r) != 1 || r[0].Method != "GET" || r[0].RequestURI != "/version" {
		t.Errorf("GetVersion sent %+v, want GET /proxy/version", r)
	}
}

// TestClient_redirectKeepsCallKind: a redirected Create stays one-shot and
// a redirected watch stays exempt from the header timeout.
func TestClient_redirectKeepsCallKind(t *testing.T) {
	ft := newFakeTransport().on(clusterHost(clusterEP1), clusterRedirectReply("http://127.0.0.1:9/v2/keys/foo?prevExist=false")).
		on("127.0.0.1:9", fakeJSON(503, "", "")).on(clusterHost(clusterEP2), clusterOKGet())
	c := newFakeClient(t, ft, Config{}, clusterEP1, clusterEP2)
	if _, err := NewKeysAPI(c).Create(context.Background(), "/foo", "v"); err == nil {
		t.Errorf("redirected Create to a 503 member = nil, want its error")
	}
	if got := ft.hosts(); !slices.Equal(got, []string{clusterHost(clusterEP1), "127.0.0.1:9"}) {
		t.Errorf("redirected Create tried %v, want only the endpoint and its redirect", got)
	}

	release := make(chan struct{})
	ft = newFakeTransport()
	ft.handler = func(req *http.Request) (*http.Response, error) {
		if req.URL.Host != "127.0.0.1:9" {
			return &http.Response{StatusCode: http.StatusTemporaryRedirect, Body: http.NoBody, Request: req,
				Header: http.Header{"Location": {"http://127.0.0.1:9/v2/keys/foo?wait=true"}}}, nil
		}
		return eventOnRelease(release, req)
	}
	c = newFakeClient(t, ft, Config{HeaderTimeoutPerRequest: 10 * time.Millisecond}, clusterEP1, clusterEP2)
	timers := useManualTimers(c)
	done := nextInBackground(c, context.Background())
	clusterWaitRequests(t, ft, 2)
	assert.Equal(t, 0, timers.count(), "a redirected watch started a header timer")
	timers.fire()
	close(release)
	if res := <-done; res.err != nil || res.r.Node.ModifiedIndex != 9 {
		t.Errorf("redirected Watcher.Next = %v, %v, want the event once the member answers", res.r, res.err)
	}
}

// watchResult is what one Watcher.Next returned.
type watchResult struct {
	r   *Response
	err error
}

// nextInBackground runs one Watcher.Next on /foo and delivers its result.
func nextInBackground(c Client, ctx context.Context) <-chan watchResult {
	done := make(chan watchResult, 1)
	go func() {
		r, err := NewKeysAPI(c).Watcher("/foo", nil).Next(ctx)
		done <- watchResult{r, err}
	}()
	return done
}

// eventOnRelease answers req like a member whose next event on /foo, at
// index 9, happens when release is closed.
func eventOnRelease(release <-chan struct{}, req *http.Request) (*http.Response, error) {
	select {
	case <-release:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	body := `{"action":"set","node":{"key":"/foo","value":"v","modifiedIndex":9,"createdIndex":9}}`
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req}, nil
}
