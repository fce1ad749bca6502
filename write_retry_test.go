package client

// Tests of the write rule (issue 19): a write a repeat could apply twice
// goes on to the next member only after a failure that proves its request
// never left; any other failure ends it with ErrOutcomeUnknown.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Endpoints of these tests; the first is pinned.
const (
	wrEP1 = "http://127.0.0.1:11"
	wrEP2 = "http://127.0.0.1:12"
	wrEP3 = "http://127.0.0.1:13"
)

func wrHost(ep string) string { return strings.TrimPrefix(ep, "http://") }

// wrOK is a member's success answer to any keys call.
func wrOK() fakeReply {
	return fakeJSON(200, `{"action":"create","node":{"key":"/q/00000000000000000007","value":"v","modifiedIndex":7,"createdIndex":7}}`, "7")
}

// wrDialRefused is what net/http returns when a member's port is closed.
func wrDialRefused() error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// wrReset is a connection reset while the answer was awaited: the request
// was written.
func wrReset() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

// wrCall is one call of the keys API.
type wrCall struct {
	name       string
	idempotent bool // may be repeated after any failure
	call       func(context.Context, KeysAPI) error
}

var wrCalls = []wrCall{
	{name: "Create", call: func(ctx context.Context, k KeysAPI) error { _, err := k.Create(ctx, "/k", "v"); return err }},
	{name: "SetPrevNoExist", call: func(ctx context.Context, k KeysAPI) error {
		_, err := k.Set(ctx, "/k", "v", &SetOptions{PrevExist: PrevNoExist})
		return err
	}},
	{name: "CreateInOrder", call: func(ctx context.Context, k KeysAPI) error { _, err := k.CreateInOrder(ctx, "/q", "v", nil); return err }},
	{name: "Delete", call: func(ctx context.Context, k KeysAPI) error { _, err := k.Delete(ctx, "/k", nil); return err }},
	{name: "DeletePrevIndex", call: func(ctx context.Context, k KeysAPI) error {
		_, err := k.Delete(ctx, "/k", &DeleteOptions{PrevIndex: 3})
		return err
	}},
	{name: "Set", idempotent: true, call: func(ctx context.Context, k KeysAPI) error { _, err := k.Set(ctx, "/k", "v", nil); return err }},
	{name: "Update", idempotent: true, call: func(ctx context.Context, k KeysAPI) error { _, err := k.Update(ctx, "/k", "v"); return err }},
	{name: "SetPrevIndex", idempotent: true, call: func(ctx context.Context, k KeysAPI) error {
		_, err := k.Set(ctx, "/k", "v", &SetOptions{PrevIndex: 3})
		return err
	}},
	{name: "SetPrevValue", idempotent: true, call: func(ctx context.Context, k KeysAPI) error {
		_, err := k.Set(ctx, "/k", "v", &SetOptions{PrevValue: "old"})
		return err
	}},
	{name: "Get", idempotent: true, call: func(ctx context.Context, k KeysAPI) error { _, err := k.Get(ctx, "/k", nil); return err }},
}

// TestWriteRetry_failureKinds runs every call kind against every failure
// kind of the pinned member, the next member answering.
func TestWriteRetry_failureKinds(t *testing.T) {
	failures := []struct {
		name          string
		reply         fakeReply
		headerTimeout bool
		neverSent     bool  // the failure proves the request never left
		cause         error // errors.Is target of the call's error, besides ErrOutcomeUnknown
		text          string
	}{
		{name: "dial_refused", reply: fakeReply{err: wrDialRefused()}, neverSent: true},
		{name: "reset_after_write", reply: fakeReply{err: wrReset()}, cause: syscall.ECONNRESET, text: "connection reset"},
		{name: "header_timeout", reply: fakeReply{block: true}, headerTimeout: true, text: "client: endpoint " + wrEP1 + " exceeded header timeout"},
		{name: "500_request_timed_out", reply: fakeJSON(500, `{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}`, "6"),
			text: "client: etcd member " + wrEP1 + " has no leader"},
		{name: "503", reply: fakeJSON(503, "", ""), text: "client: etcd member " + wrEP1 + " has no leader"},
	}
	for _, call := range wrCalls {
		for _, f := range failures {
			t.Run(call.name+"/"+f.name, func(t *testing.T) {
				ft := newFakeTransport().on(wrHost(wrEP1), f.reply).on(wrHost(wrEP2), wrOK()).on(wrHost(wrEP3), wrOK())
				cfg := Config{}
				if f.headerTimeout {
					cfg.HeaderTimeoutPerRequest = 20 * time.Millisecond
				}
				c := newFakeClient(t, ft, cfg, wrEP1, wrEP2, wrEP3)
				if f.headerTimeout {
					expireFirstHeaderTimer(c)
				}
				err := call.call(context.Background(), NewKeysAPI(c))

				if call.idempotent || f.neverSent {
					require.NoError(t, err, "the next member answers")
					assert.Equal(t, []string{wrHost(wrEP1), wrHost(wrEP2)}, ft.hosts())
					assert.Equal(t, wrEP2, fakePinned(c), "the member that answered is pinned")
					return
				}
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrOutcomeUnknown)
				if f.cause != nil {
					assert.ErrorIs(t, err, f.cause)
				}
				assert.Contains(t, err.Error(), ErrOutcomeUnknown.Error()+": ")
				assert.Contains(t, err.Error(), f.text)
				var ce *ClusterError
				assert.False(t, errors.As(err, &ce), "an unknown outcome is no ClusterError: %v", err)
				assert.Equal(t, []string{wrHost(wrEP1)}, ft.hosts(), "a write that may have been applied is not sent again")
				assert.Equal(t, wrEP2, fakePinned(c), "the pin moves on after a failed write")
			})
		}
	}
}

// TestWriteRetry_allNeverSent: when no member could be reached, a write
// fails with a ClusterError of the plain causes, not an unknown outcome.
func TestWriteRetry_allNeverSent(t *testing.T) {
	ft := newFakeTransport().on(wrHost(wrEP1), fakeReply{err: wrDialRefused()}).on(wrHost(wrEP2), fakeReply{err: wrDialRefused()})
	c := newFakeClient(t, ft, Config{}, wrEP1, wrEP2)
	_, err := NewKeysAPI(c).CreateInOrder(context.Background(), "/q", "v", nil)
	var ce *ClusterError
	require.ErrorAs(t, err, &ce)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	require.Len(t, ce.Errors, 2)
	for _, e := range ce.Errors {
		_, marked := e.(*notSentError)
		assert.False(t, marked, "ClusterError entries are the causes themselves: %T", e)
	}
	assert.Equal(t, []string{wrHost(wrEP1), wrHost(wrEP2)}, ft.hosts())
}

// TestWriteRetry_retryRounds: Config.Retry repeats a write's round only
// when every failure of it proved the request never left.
func TestWriteRetry_retryRounds(t *testing.T) {
	retry := &RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Millisecond}

	// Nothing reached anyone in round one; round two succeeds.
	ft := newFakeTransport().
		on(wrHost(wrEP1), fakeReply{err: wrDialRefused()}).
		on(wrHost(wrEP2), fakeReply{err: wrDialRefused()}, wrOK())
	c := newFakeClient(t, ft, Config{Retry: retry}, wrEP1, wrEP2)
	_, err := NewKeysAPI(c).CreateInOrder(context.Background(), "/q", "v", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{wrHost(wrEP1), wrHost(wrEP2), wrHost(wrEP1), wrHost(wrEP2)}, ft.hosts())

	// One member may have received it: no second round, no next member.
	ft = newFakeTransport().
		on(wrHost(wrEP1), fakeReply{err: wrDialRefused()}).
		on(wrHost(wrEP2), fakeJSON(503, "", ""), wrOK()).
		on(wrHost(wrEP3), wrOK())
	c = newFakeClient(t, ft, Config{Retry: retry}, wrEP1, wrEP2, wrEP3)
	_, err = NewKeysAPI(c).CreateInOrder(context.Background(), "/q", "v", nil)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, []string{wrHost(wrEP1), wrHost(wrEP2)}, ft.hosts())
	assert.Equal(t, wrEP3, fakePinned(c), "the pin moves past the member that may have applied it")
}

// TestWriteRetry_callerContext: a write whose caller's context ends still
// returns exactly ctx.Err().
func TestWriteRetry_callerContext(t *testing.T) {
	ft := newFakeTransport().on(wrHost(wrEP1), fakeReply{block: true}).on(wrHost(wrEP2), wrOK())
	c := newFakeClient(t, ft, Config{}, wrEP1, wrEP2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := NewKeysAPI(c).CreateInOrder(ctx, "/q", "v", nil)
	assert.True(t, err == context.DeadlineExceeded, "CreateInOrder = %v, want exactly context.DeadlineExceeded", err)
}

// wrTraceTransport answers through fn, which sees the request's trace
// hooks, like a RoundTripper built on net/http's Transport.
func wrTraceTransport(fn func(req *http.Request, tr *httptrace.ClientTrace) (*http.Response, error)) *fakeTransport {
	ft := newFakeTransport()
	ft.handler = func(req *http.Request) (*http.Response, error) {
		tr := httptrace.ContextClientTrace(req.Context())
		if tr == nil {
			tr = &httptrace.ClientTrace{}
		}
		return fn(req, tr)
	}
	return ft
}

// The hooks a transport fires; those nobody set are skipped, as net/http
// does.
func wrGetConn(tr *httptrace.ClientTrace) {
	if tr.GetConn != nil {
		tr.GetConn(wrHost(wrEP1))
	}
}

func wrGotConn(tr *httptrace.ClientTrace) {
	if tr.GotConn != nil {
		tr.GotConn(httptrace.GotConnInfo{})
	}
}

func wrWrote(tr *httptrace.ClientTrace, err error) {
	if tr.WroteRequest != nil {
		tr.WroteRequest(httptrace.WroteRequestInfo{Err: err})
	}
}

func wrOKResponse(req *http.Request) *http.Response {
	body := `{"action":"create","node":{"key":"/q/7","value":"v","modifiedIndex":7,"createdIndex":7}}`
	return &http.Response{StatusCode: 200, Header: http.Header{"X-Etcd-Index": {"7"}}, Request: req,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// TestWriteRetry_traceEvidence: what the trace shows decides, and a dial
// error after a connection was obtained proves nothing.
func TestWriteRetry_traceEvidence(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(req *http.Request, tr *httptrace.ClientTrace) error
		cfg       Config
		neverSent bool
	}{
		{"no_connection_opaque_error", func(_ *http.Request, tr *httptrace.ClientTrace) error {
			wrGetConn(tr)
			return errors.New("proxy unreachable")
		}, Config{}, true},
		{"connection_then_dial_error", func(_ *http.Request, tr *httptrace.ClientTrace) error {
			wrGetConn(tr)
			wrGotConn(tr)
			wrWrote(tr, nil)
			wrGetConn(tr)
			return wrDialRefused()
		}, Config{}, false},
		{"write_failed", func(_ *http.Request, tr *httptrace.ClientTrace) error {
			wrGetConn(tr)
			wrGotConn(tr)
			err := errors.New("write: broken pipe")
			wrWrote(tr, err)
			return err
		}, Config{}, false},
		{"no_trace_opaque_error", func(*http.Request, *httptrace.ClientTrace) error {
			return errors.New("custom transport failed")
		}, Config{}, false},
		{"header_timeout_while_connecting", func(req *http.Request, tr *httptrace.ClientTrace) error {
			wrGetConn(tr)
			<-req.Context().Done()
			return req.Context().Err()
		}, Config{HeaderTimeoutPerRequest: 20 * time.Millisecond}, true},
		{"header_timeout_after_write", func(req *http.Request, tr *httptrace.ClientTrace) error {
			wrGetConn(tr)
			wrGotConn(tr)
			wrWrote(tr, nil)
			<-req.Context().Done()
			return req.Context().Err()
		}, Config{HeaderTimeoutPerRequest: 20 * time.Millisecond}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := wrTraceTransport(func(req *http.Request, tr *httptrace.ClientTrace) (*http.Response, error) {
				if req.URL.Host == wrHost(wrEP1) {
					return nil, tt.fail(req, tr)
				}
				return wrOKResponse(req), nil
			})
			c := newFakeClient(t, ft, tt.cfg, wrEP1, wrEP2)
			if tt.cfg.HeaderTimeoutPerRequest > 0 {
				expireFirstHeaderTimer(c)
			}
			_, err := NewKeysAPI(c).CreateInOrder(context.Background(), "/q", "v", nil)
			if tt.neverSent {
				require.NoError(t, err)
				assert.Equal(t, []string{wrHost(wrEP1), wrHost(wrEP2)}, ft.hosts())
				return
			}
			require.ErrorIs(t, err, ErrOutcomeUnknown)
			assert.Equal(t, []string{wrHost(wrEP1)}, ft.hosts())
		})
	}
}

// TestWriteRetry_callerTraceKeepsWorking: the client's own trace hooks do
// not replace those of the caller's context.
func TestWriteRetry_callerTraceKeepsWorking(t *testing.T) {
	ft := wrTraceTransport(func(req *http.Request, tr *httptrace.ClientTrace) (*http.Response, error) {
		wrGetConn(tr)
		wrGotConn(tr)
		return wrOKResponse(req), nil
	})
	c := newFakeClient(t, ft, Config{}, wrEP1)
	var got atomic.Int32
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { got.Add(1) },
	})
	_, err := NewKeysAPI(c).Create(ctx, "/k", "v")
	require.NoError(t, err)
	assert.Equal(t, int32(1), got.Load())
}

// TestWriteRetry_redirectHop: a hop of a redirect chain counts like the
// endpoint itself.
func TestWriteRetry_redirectHop(t *testing.T) {
	const target = "127.0.0.1:19"
	redirect := fakeReply{status: http.StatusTemporaryRedirect, header: http.Header{"Location": {"http://" + target + "/v2/keys/q"}}}

	// The redirect target may have received it: unknown.
	ft := newFakeTransport().on(wrHost(wrEP1), redirect).on(target, fakeReply{err: wrReset()}).on(wrHost(wrEP2), wrOK())
	c := newFakeClient(t, ft, Config{}, wrEP1, wrEP2)
	_, err := NewKeysAPI(c).CreateInOrder(context.Background(), "/q", "v", nil)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	assert.Equal(t, []string{wrHost(wrEP1), target}, ft.hosts())

	// The redirect target refused the connection and the endpoint only
	// redirected: no one served it, so the next member may.
	ft = newFakeTransport().on(wrHost(wrEP1), redirect).on(target, fakeReply{err: wrDialRefused()}).on(wrHost(wrEP2), wrOK())
	c = newFakeClient(t, ft, Config{}, wrEP1, wrEP2)
	_, err = NewKeysAPI(c).CreateInOrder(context.Background(), "/q", "v", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{wrHost(wrEP1), target, wrHost(wrEP2)}, ft.hosts())
}

// TestWriteRetry_realTransport: net/http's Transport, a closed port and a
// member that drops the connection after reading the whole request.
func TestWriteRetry_realTransport(t *testing.T) {
	var served, dropped atomic.Int32
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Etcd-Index", "7")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"action":"create","node":{"key":"/q/7","value":"v","modifiedIndex":7,"createdIndex":7}}`)
	}))
	t.Cleanup(live.Close)
	dropper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dropped.Add(1)
		io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		conn.Close()
	}))
	t.Cleanup(dropper.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	newClient := func(eps ...string) KeysAPI {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		c, err := New(Config{Endpoints: eps, Transport: tr})
		require.NoError(t, err)
		fakeForceOrder(t, c.(*httpClusterClient), eps)
		return NewKeysAPI(c)
	}

	_, err := newClient(closedURL, live.URL).CreateInOrder(context.Background(), "/q", "v", nil)
	require.NoError(t, err, "a refused connection proves nothing was sent")
	assert.Equal(t, int32(1), served.Load())

	_, err = newClient(dropper.URL, live.URL).CreateInOrder(context.Background(), "/q", "v", nil)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, int32(1), dropped.Load())
	assert.Equal(t, int32(1), served.Load(), "the write is not sent to a second member")
}
