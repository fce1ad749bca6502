package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusedEndpoint returns the URL of a loopback port that was just free:
// connecting to it is refused by the kernel.
func refusedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen = %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// errorsTestServer serves fixed answers by path, like a member that
// refuses every call in its own way.
func errorsTestServer(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Index", "5")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestErrors_clusterErrorRefused(t *testing.T) {
	eps := []string{refusedEndpoint(t), refusedEndpoint(t)}
	kapi := NewKeysAPI(newRSWClient(t, eps...))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := kapi.Get(ctx, "/foo", nil)

	var ce *ClusterError
	if !errors.As(err, &ce) {
		t.Fatalf("Get = %T %v, want a *ClusterError", err, err)
	}
	if len(ce.Errors) != len(eps) {
		t.Fatalf("ClusterError.Errors = %d entries, want %d", len(ce.Errors), len(eps))
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(%v, ECONNREFUSED) = false, want true", err)
	}
	// The transport's own error type comes through: requests go to
	// RoundTrip directly (not http.Client), which reports a refused dial
	// as a *net.OpError naming the address.
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		t.Fatalf("errors.As(%v, *net.OpError) = %v (op %q), want a dial error", err, oe != nil, opOf(oe))
	}
	if got := oe.Addr.String(); got != strings.TrimPrefix(eps[0], "http://") && got != strings.TrimPrefix(eps[1], "http://") {
		t.Errorf("OpError.Addr = %s, want one of %q", got, eps)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "connect" {
		t.Errorf("errors.As(%v, *os.SyscallError) = %v, want the connect call", err, se)
	}
	// Wrapped once more by a caller, everything still works.
	wrapped := fmt.Errorf("load config: %w", err)
	if !errors.Is(wrapped, syscall.ECONNREFUSED) || !errors.As(wrapped, &ce) {
		t.Errorf("through %%w: Is ECONNREFUSED / As *ClusterError failed for %v", wrapped)
	}

	msg := err.Error()
	if !strings.HasPrefix(msg, ErrClusterUnavailable.Error()) {
		t.Errorf("Error() = %q, want it to start with %q", msg, ErrClusterUnavailable)
	}
	for _, ep := range eps {
		host := strings.TrimPrefix(ep, "http://")
		if !strings.Contains(msg, host) {
			t.Errorf("Error() = %q, want it to name endpoint %s", msg, host)
		}
	}
	if got := strings.Count(msg, "connection refused"); got != len(eps) {
		t.Errorf("Error() = %q names the cause %d times, want %d", msg, got, len(eps))
	}
}

func opOf(oe *net.OpError) string {
	if oe == nil {
		return ""
	}
	return oe.Op
}

func TestErrors_clusterErrorMixedCauses(t *testing.T) {
	refused := refusedEndpoint(t)
	noLeader := errorsTestServer(t, http.StatusServiceUnavailable, `{"message":"no leader"}`)
	badGateway := errorsTestServer(t, http.StatusBadGateway, "")
	kapi := NewKeysAPI(newRSWClient(t, refused, noLeader, badGateway))
	_, err := kapi.Set(context.Background(), "/foo", "bar", nil)
	var ce *ClusterError
	if !errors.As(err, &ce) {
		t.Fatalf("Set = %T %v, want a *ClusterError", err, err)
	}
	msg := err.Error()
	for _, want := range []string{
		strings.TrimPrefix(refused, "http://"), "connection refused",
		noLeader + " has no leader",
		badGateway + " returns server error [Bad Gateway]",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, want it to contain %q", msg, want)
		}
	}
	if d := ce.Detail(); strings.Contains(d, ErrClusterUnavailable.Error()) || strings.Count(d, "\n") != 3 {
		t.Errorf("Detail() = %q, want three lines without the summary", d)
	}
}

func TestErrors_asThroughWrapping(t *testing.T) {
	ctx := context.Background()
	keyMissing := errorsTestServer(t, http.StatusNotFound, `{"errorCode":100,"message":"Key not found","cause":"/foo","index":5}`)
	conflict := errorsTestServer(t, http.StatusConflict, `{"message":"membership: peerURL exists"}`)
	userMissing := errorsTestServer(t, http.StatusNotFound, `{"message":"auth: User foo does not exist."}`)

	tests := []struct {
		name  string
		call  func() error
		check func(t *testing.T, err error)
	}{
		{
			name: "keys_Error",
			call: func() error {
				_, err := NewKeysAPI(newRSWClient(t, keyMissing)).Get(ctx, "/foo", nil)
				return err
			},
			check: func(t *testing.T, err error) {
				var e Error
				if !errors.As(err, &e) || e.Code != ErrorCodeKeyNotFound || e.Index != 5 {
					t.Errorf("errors.As(%v, Error) = %+v, want code 100 at index 5", err, e)
				}
				if !IsKeyNotFound(err) {
					t.Errorf("IsKeyNotFound(%v) = false through wrapping", err)
				}
			},
		},
		{
			name: "MembersError",
			call: func() error {
				_, err := NewMembersAPI(newRSWClient(t, conflict)).Add(ctx, "http://127.0.0.1:2380")
				return err
			},
			check: func(t *testing.T, err error) {
				var me *MembersError
				if !errors.As(err, &me) || me.Code != http.StatusConflict || me.Message != "membership: peerURL exists" {
					t.Errorf("errors.As(%v, *MembersError) = %+v, want 409 with the server's message", err, me)
				}
			},
		},
		{
			name: "AuthError",
			call: func() error {
				_, err := NewAuthUserAPI(newRSWClient(t, userMissing)).GetUser(ctx, "foo")
				return err
			},
			check: func(t *testing.T, err error) {
				var ae *AuthError
				if !errors.As(err, &ae) || ae.Code != http.StatusNotFound || ae.Message != "auth: User foo does not exist." {
					t.Errorf("errors.As(%v, *AuthError) = %+v, want 404 with the server's message", err, ae)
				}
				if !IsUserNotFound(err) {
					t.Errorf("IsUserNotFound(%v) = false through wrapping", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("call = nil error, want a refusal")
			}
			tc.check(t, err)
			tc.check(t, fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", err)))
			tc.check(t, errors.Join(errors.New("unrelated"), err))
		})
	}
}

func TestErrors_sentinelsAreSameValues(t *testing.T) {
	ctx := context.Background()
	notEtcd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A proxy's page. (An etcd member that serves no v2 API answers
		// "404 page not found", which gives ErrV2NotServed; see
		// TestKeysAPI_responseErrors.)
		http.Error(w, "<html>Not Found</html>", http.StatusNotFound)
	}))
	t.Cleanup(notEtcd.Close)
	empty := errorsTestServer(t, http.StatusOK, "")
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.String(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(loop.Close)
	var leaderless *httptest.Server
	leaderless = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/members/leader" {
			http.Error(w, `{"message":"no leader"}`, http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, `{"members":[{"id":"1","name":"m0","peerURLs":["http://127.0.0.1:2380"],"clientURLs":[%q]}]}`, leaderless.URL)
	}))
	t.Cleanup(leaderless.Close)

	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"New_no_endpoints", func() error { _, err := New(Config{}); return err }, ErrNoEndpoints},
		{"SetEndpoints_empty", func() error { return newRSWClient(t, empty).SetEndpoints([]string{}) }, ErrNoEndpoints},
		{"not_etcd", func() error { _, err := NewKeysAPI(newRSWClient(t, notEtcd.URL)).Get(ctx, "/foo", nil); return err }, ErrInvalidJSON},
		{"members_not_etcd", func() error {
			_, err := NewMembersAPI(newRSWClient(t, empty)).List(ctx)
			return err
		}, ErrInvalidJSON},
		{"empty_body", func() error { _, err := NewKeysAPI(newRSWClient(t, empty)).Get(ctx, "/foo", nil); return err }, ErrEmptyBody},
		{"one_shot_redirect_loop", func() error {
			// Create is never tried on another member, so the redirect
			// error comes back bare, as in the original.
			_, err := NewKeysAPI(newRSWClient(t, loop.URL)).Create(ctx, "/foo", "bar")
			return err
		}, ErrTooManyRedirects},
		{"prioritize_leader_without_leader", func() error {
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			c, err := New(Config{Endpoints: []string{leaderless.URL}, Transport: tr, SelectionMode: EndpointSelectionPrioritizeLeader})
			if err != nil {
				return err
			}
			return c.Sync(ctx)
		}, ErrNoLeaderEndpoint},
		{"deadline", func() error {
			dctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
			defer cancel()
			<-dctx.Done()
			_, err := NewKeysAPI(newRSWClient(t, empty)).Get(dctx, "/foo", nil)
			return err
		}, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != tc.want {
				t.Errorf("err = %T %v, want the sentinel %v itself (==)", err, err, tc.want)
			}
		})
	}
}

func TestErrors_wrappedSentinels(t *testing.T) {
	huge := errorsTestServer(t, http.StatusOK, strings.Repeat("x", 4096))
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.String(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(loop.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(Config{Endpoints: []string{huge}, Transport: tr, MaxResponseBytes: 1024})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	_, err = NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("Get of a 4 KiB body with a 1 KiB cap = %v, want ErrResponseTooLarge inside", err)
	}
	_, err = NewKeysAPI(newRSWClient(t, loop.URL)).Get(context.Background(), "/foo", nil)
	var ce *ClusterError
	if !errors.Is(err, ErrTooManyRedirects) || !errors.As(err, &ce) {
		t.Errorf("Get through a redirect loop = %v, want a ClusterError holding ErrTooManyRedirects", err)
	}
}

func TestClusterError_IsErrClusterUnavailable(t *testing.T) {
	ce := &ClusterError{Errors: []error{errors.New("boom")}}
	wrapped := fmt.Errorf("sync: %w", ce)
	if !errors.Is(wrapped, ErrClusterUnavailable) {
		t.Errorf("errors.Is(%v, ErrClusterUnavailable) = false, want true", wrapped)
	}
	if errors.Is(errors.New("other"), ErrClusterUnavailable) {
		t.Error("errors.Is(unrelated, ErrClusterUnavailable) = true, want false")
	}
}

// TestStatusError_keepsBody: an unexpected status keeps the answer's body
// for the caller, while the error's text stays what it always was.
func TestStatusError_keepsBody(t *testing.T) {
	ft := newFakeTransport().on("127.0.0.1:1", fakeJSON(http.StatusTeapot, `{"why":"short and stout"}`, ""))
	c := newFakeClient(t, ft, Config{}, "http://127.0.0.1:1")
	_, err := NewMembersAPI(c).List(context.Background())
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusTeapot, se.Code)
	assert.Equal(t, `{"why":"short and stout"}`, string(se.Body))
	assert.EqualError(t, err, "unexpected status code 418")
}
