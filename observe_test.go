package client

// Tests of Config.Logger and Config.Hooks (observe.go, hooks.go) on the
// fake transport: what is reported, at which level, with which
// attributes, and that nothing secret is.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed26e043ee/client/internal/syncevent"
)

// logSink collects the records of a JSON slog handler.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// records returns every record as a map of its attributes.
func (s *logSink) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(s.text()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// find returns the records with message msg.
func find(recs []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

func newLogSink() (*logSink, *slog.Logger) {
	s := new(logSink)
	return s, slog.New(slog.NewJSONHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestLogger_failover(t *testing.T) {
	sink, logger := newLogSink()
	ft := newFakeTransport().
		on(clusterHost(clusterEP1), fakeReply{err: errFakeRefused}).
		on(clusterHost(clusterEP2), clusterOKGet())
	c := newFakeClient(t, ft, Config{Logger: logger}, clusterEP1, clusterEP2)

	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	require.NoError(t, err)

	recs := sink.records(t)
	failed := find(recs, "etcd member failed")
	require.Len(t, failed, 1, sink.text())
	assert.Equal(t, "WARN", failed[0]["level"])
	assert.Equal(t, clusterEP1, failed[0]["endpoint"])
	assert.Equal(t, "v2", failed[0]["api"])
	assert.Equal(t, "keys.get", failed[0]["op"])
	assert.Equal(t, "GET", failed[0]["method"])
	assert.Equal(t, "/foo", failed[0]["key"])
	assert.EqualValues(t, 1, failed[0]["attempt"])
	assert.Contains(t, failed[0]["err"], errFakeRefused.Error())
	assert.Contains(t, failed[0], "duration")

	moved := find(recs, "etcd client moved its pin")
	require.Len(t, moved, 1, sink.text())
	assert.Equal(t, "INFO", moved[0]["level"])
	assert.Equal(t, clusterEP1, moved[0]["from"])
	assert.Equal(t, clusterEP2, moved[0]["to"])

	ok := find(recs, "etcd request")
	require.Len(t, ok, 1, sink.text())
	assert.Equal(t, "DEBUG", ok[0]["level"])
	assert.Equal(t, clusterEP2, ok[0]["endpoint"])
	assert.EqualValues(t, 2, ok[0]["attempt"])
	assert.EqualValues(t, 200, ok[0]["status"])

	call := find(recs, "etcd call")
	require.Len(t, call, 1, sink.text())
	assert.Equal(t, clusterEP2, call[0]["endpoint"])
	assert.EqualValues(t, 2, call[0]["attempts"])
	assert.Equal(t, true, call[0]["pin_moved"])
}

func TestLogger_retryAndServerError(t *testing.T) {
	sink, logger := newLogSink()
	ft := newFakeTransport().on(clusterHost(clusterEP1), fakeJSON(500, `{"message":"no leader"}`, "1"), clusterOKGet())
	c := newFakeClient(t, ft, Config{Logger: logger, Retry: &RetryPolicy{InitialBackoff: time.Nanosecond}}, clusterEP1)

	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	require.NoError(t, err)
	recs := sink.records(t)

	fivexx := find(recs, "etcd member answered with a server error")
	require.Len(t, fivexx, 1, sink.text())
	assert.Equal(t, "WARN", fivexx[0]["level"])
	assert.EqualValues(t, 500, fivexx[0]["status"])

	retry := find(recs, "every etcd member failed; retrying")
	require.Len(t, retry, 1, sink.text())
	assert.Equal(t, "WARN", retry[0]["level"])
	assert.EqualValues(t, 1, retry[0]["round"])
	assert.Contains(t, retry[0]["err"], "has no leader")

	ok := find(recs, "etcd request")
	require.Len(t, ok, 1, sink.text())
	assert.EqualValues(t, 2, ok[0]["round"])
	assert.EqualValues(t, 2, ok[0]["attempt"])
}

// No record holds the password of Config.Password, of an endpoint URL, or
// the value a compare-and-swap sends in its query.
func TestLogger_noSecrets(t *testing.T) {
	sink, logger := newLogSink()
	const ep1 = "http://root:endpointpw@127.0.0.1:1"
	ft := newFakeTransport().
		on(clusterHost(clusterEP1), fakeJSON(503, "", "1")).
		on(clusterHost(clusterEP2), fakeReply{status: 307, header: http.Header{"Location": {"http://127.0.0.1:3/v2/keys/k?prevValue=oldsecret"}}}).
		on(clusterHost(clusterEP3), fakeJSON(200, clusterOKGetBody, "5"))
	c := newFakeClient(t, ft, Config{Logger: logger, Username: "root", Password: "configpw"}, ep1, clusterEP2)

	_, err := NewKeysAPI(c).Set(context.Background(), "/k", "newsecret", &SetOptions{PrevValue: "oldsecret"})
	require.NoError(t, err)

	out := sink.text()
	for _, secret := range []string{"endpointpw", "configpw", "oldsecret", "newsecret", "Basic "} {
		assert.NotContains(t, out, secret)
	}
	assert.Contains(t, out, "root:xxxxx@127.0.0.1:1", "the endpoint is named, masked")
	redirected := find(sink.records(t), "etcd member redirected")
	require.Len(t, redirected, 1, out)
	assert.Equal(t, "127.0.0.1:3", redirected[0]["location_host"])
}

func TestMaskUserinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"no url here", "no url here"},
		{"http://127.0.0.1:2379", "http://127.0.0.1:2379"},
		{"member http://u:p@h:1 has no leader", "member http://u:xxxxx@h:1 has no leader"},
		{"http://u@h/x", "http://u@h/x"},
		{`a "https://u:p:q@h/x?y" and http://v:w@k`, `a "https://u:xxxxx@h/x?y" and http://v:xxxxx@k`},
		{"mail me@example.com", "mail me@example.com"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, maskUserinfo(tc.in), tc.in)
	}
}

// hookLog records the hooks' calls in order.
type hookLog struct {
	mu     sync.Mutex
	events []string
	calls  []CallResult
	atts   []AttemptInfo
	res    []AttemptResult
	syncs  []SyncInfo
}

type ctxMark struct{}

func (h *hookLog) add(e string) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
}

func (h *hookLog) hooks() *Hooks {
	return &Hooks{
		Call: func(ctx context.Context, ci CallInfo) (context.Context, func(CallResult)) {
			h.add("call " + ci.API.String() + " " + ci.Op + " " + ci.Method + " " + ci.Key)
			return context.WithValue(ctx, ctxMark{}, "call:"+ci.Key), func(r CallResult) {
				h.mu.Lock()
				h.calls = append(h.calls, r)
				h.mu.Unlock()
				h.add("call done")
			}
		},
		Attempt: func(ctx context.Context, ai AttemptInfo) (context.Context, func(AttemptResult)) {
			h.add("attempt " + ai.Endpoint + " from " + ctx.Value(ctxMark{}).(string))
			h.mu.Lock()
			h.atts = append(h.atts, ai)
			h.mu.Unlock()
			return context.WithValue(ctx, ctxMark{}, "attempt:"+ai.Host), func(r AttemptResult) {
				h.mu.Lock()
				h.res = append(h.res, r)
				h.mu.Unlock()
				h.add("attempt done")
			}
		},
		Sync: func(_ context.Context, si SyncInfo) {
			h.mu.Lock()
			h.syncs = append(h.syncs, si)
			h.mu.Unlock()
		},
	}
}

// A plain RoundTripper (no CancelRequest) in Config.RoundTripper sends the
// requests, and sees the context the Attempt hook returned.
type markRecorder struct {
	ft   *fakeTransport
	mu   sync.Mutex
	seen []string
}

func (m *markRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	v, _ := req.Context().Value(ctxMark{}).(string)
	m.mu.Lock()
	m.seen = append(m.seen, v)
	m.mu.Unlock()
	return m.ft.RoundTrip(req)
}

func TestHooks_callAndAttempts(t *testing.T) {
	ft := newFakeTransport().
		on(clusterHost(clusterEP1), fakeReply{err: errFakeRefused}).
		on(clusterHost(clusterEP2), clusterOKGet())
	rt := &markRecorder{ft: ft}
	var h hookLog
	cc, err := New(Config{Endpoints: []string{clusterEP1, clusterEP2}, RoundTripper: rt, Hooks: h.hooks()})
	require.NoError(t, err)
	c := cc.(*httpClusterClient)
	fakeForceOrder(t, c, []string{clusterEP1, clusterEP2})

	_, err = NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	require.NoError(t, err)

	assert.Equal(t, []string{
		"call APIv2 keys.get GET /foo",
		"attempt " + clusterEP1 + " from call:/foo",
		"attempt done",
		"attempt " + clusterEP2 + " from call:/foo",
		"attempt done",
		"call done",
	}, h.events)
	assert.Equal(t, []string{"attempt:127.0.0.1:1", "attempt:127.0.0.1:2"}, rt.seen, "the request runs under the Attempt hook's context")
	require.Len(t, h.atts, 2)
	assert.Equal(t, 1, h.atts[0].Attempt)
	assert.Equal(t, 2, h.atts[1].Attempt)
	assert.Equal(t, 1, h.atts[1].Round)
	assert.ErrorIs(t, h.res[0].Err, errFakeRefused)
	assert.Equal(t, 200, h.res[1].Status)
	assert.Equal(t, "HTTP/1.1", h.res[1].Proto)
	require.Len(t, h.calls, 1)
	assert.Equal(t, CallResult{Endpoint: clusterEP2, Status: 200, Attempts: 2, PinMoved: true, Duration: h.calls[0].Duration}, h.calls[0])
}

func TestHooks_failedCall(t *testing.T) {
	ft := newFakeTransport().on(clusterHost(clusterEP1), fakeReply{err: errFakeRefused})
	var h hookLog
	c := newFakeClient(t, ft, Config{Hooks: h.hooks()}, clusterEP1)
	_, err := NewKeysAPI(c).Set(context.Background(), "/new", "v", nil)
	var ce *ClusterError
	require.ErrorAs(t, err, &ce)
	require.Len(t, h.calls, 1)
	assert.Equal(t, "call APIv2 keys.set PUT /new", h.events[0])
	assert.Equal(t, "", h.calls[0].Endpoint)
	assert.Equal(t, 0, h.calls[0].Status)
	assert.Equal(t, err, h.calls[0].Err)
}

func TestConfig_transportChoices(t *testing.T) {
	ft := newFakeTransport()
	_, err := New(Config{Endpoints: []string{clusterEP1}, Transport: ft, RoundTripper: ft})
	assert.ErrorContains(t, err, "Config.Transport and Config.RoundTripper are both set")
	_, err = New(Config{Endpoints: []string{clusterEP1}, RoundTripper: ft, TLS: newTestTLSConfig()})
	assert.ErrorContains(t, err, "Config.TLS is set together with")

	// Clients without a transport do not share one.
	a, err := New(Config{Endpoints: []string{clusterEP1}})
	require.NoError(t, err)
	b, err := New(Config{Endpoints: []string{clusterEP1}, TLS: newTestTLSConfig()})
	require.NoError(t, err)
	ta := a.(*httpClusterClient).transport.rt.(*http.Transport)
	tb := b.(*httpClusterClient).transport.rt.(*http.Transport)
	assert.NotSame(t, ta, tb)
	assert.NotSame(t, DefaultTransport, ta)
	assert.True(t, ta.TLSClientConfig == nil || ta.TLSClientConfig.ServerName == "")
	require.NotNil(t, tb.TLSClientConfig)
	assert.Equal(t, "etcd.example", tb.TLSClientConfig.ServerName)
	assert.True(t, tb.ForceAttemptHTTP2)

	// A DefaultTransport a program assigned is used as it is, shared.
	saved := DefaultTransport
	t.Cleanup(func() { DefaultTransport = saved })
	DefaultTransport = ft
	d, err := New(Config{Endpoints: []string{clusterEP1}})
	require.NoError(t, err)
	assert.Same(t, ft, d.(*httpClusterClient).transport.rt)
}

func TestLoggerAndHooks_sync(t *testing.T) {
	sink, logger := newLogSink()
	var h hookLog
	f := newSyncFakeCluster(syncAdvertised, syncLB)
	c, _, ds := newSyncClient(t, f, Config{Logger: logger, Hooks: h.hooks()}, syncLB)

	require.NoError(t, c.Sync(context.Background()))
	d := syncNext(t, ds)
	require.Equal(t, syncevent.KeptUnreachable, d.Outcome, "the syncevent observer still gets its decision")

	kept := find(sink.records(t), "etcd sync kept the endpoints: no advertised client URL answered this client")
	require.Len(t, kept, 1, sink.text())
	assert.Equal(t, "WARN", kept[0]["level"])
	assert.Equal(t, []any{syncLB}, kept[0]["endpoints"])
	require.Len(t, h.syncs, 1)
	assert.Equal(t, "kept-unreachable", h.syncs[0].Outcome)
	assert.Equal(t, syncAdvertised, h.syncs[0].Advertised)
	assert.Empty(t, h.syncs[0].Reachable)
	assert.Equal(t, []string{syncLB}, h.syncs[0].Endpoints)

	// Once a member answers, the advertised list is adopted: Info.
	f.mu.Lock()
	f.up[clusterHost(syncAdv2)] = true
	f.mu.Unlock()
	require.NoError(t, c.Sync(context.Background()))
	syncNext(t, ds)
	adopted := find(sink.records(t), "etcd sync adopted the advertised client URLs")
	require.Len(t, adopted, 1, sink.text())
	assert.Equal(t, "INFO", adopted[0]["level"])
	assert.Equal(t, "adopted", h.syncs[1].Outcome)
	assert.Equal(t, []string{syncAdv2}, h.syncs[1].Reachable)
}

func TestLogger_syncLeaderUnreachable(t *testing.T) {
	sink, logger := newLogSink()
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1)
	f.leader = syncAdv3
	c, _, ds := newSyncClient(t, f, Config{Logger: logger, SelectionMode: EndpointSelectionPrioritizeLeader}, syncLB)
	require.NoError(t, c.Sync(context.Background()))
	require.True(t, syncNext(t, ds).LeaderUnreachable)
	recs := find(sink.records(t), "etcd sync did not pin the leader: it does not answer this client")
	require.Len(t, recs, 1, sink.text())
	assert.Equal(t, "WARN", recs[0]["level"])
	assert.Equal(t, syncAdv3, recs[0]["leader"])
}

func TestLogger_syncFailedIsInfo(t *testing.T) {
	sink, logger := newLogSink()
	ft := newFakeTransport().on(clusterHost(clusterEP1), fakeReply{err: errFakeRefused})
	c := newFakeClient(t, ft, Config{Logger: logger}, clusterEP1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := c.AutoSync(ctx, time.Hour)
	require.Error(t, err)
	recs := sink.records(t)
	failed := find(recs, "etcd sync failed")
	require.Len(t, failed, 1, sink.text())
	assert.Equal(t, "INFO", failed[0]["level"])
	stopped := find(recs, "etcd AutoSync stopped")
	require.Len(t, stopped, 1, sink.text())
	assert.Equal(t, "INFO", stopped[0]["level"])
}

func TestHooksAndLogger_watchResync(t *testing.T) {
	h := &historyServer{keyExists: true}
	srv := newHTTPTestServer(t, h)
	sink, logger := newLogSink()
	var got []WatchResyncInfo
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(Config{Endpoints: []string{srv}, Transport: tr, Logger: logger, Hooks: &Hooks{
		WatchResync: func(_ context.Context, info WatchResyncInfo) { got = append(got, info) },
	}})
	require.NoError(t, err)
	w := NewResilientWatcher(NewKeysAPI(c), "/quiet", &ResilientWatcherOptions{AfterIndex: 7, Recursive: true})
	r, err := w.Next(context.Background())
	require.NoError(t, err)
	require.Equal(t, ActionResync, r.Action)

	require.Len(t, got, 1)
	assert.Equal(t, "/quiet", got[0].Key)
	assert.True(t, got[0].Recursive)
	assert.Equal(t, uint64(2000), got[0].Index)
	assert.True(t, IsEventIndexCleared(got[0].Cause))
	recs := find(sink.records(t), "etcd watcher lost track of the events and resynced")
	require.Len(t, recs, 1, sink.text())
	assert.Equal(t, "WARN", recs[0]["level"])
	assert.EqualValues(t, 2000, recs[0]["index"])
}

// A client with neither logger nor hooks has no observer at all.
func TestObserver_none(t *testing.T) {
	assert.Nil(t, newObserver(nil, nil, APIv2))
	assert.Nil(t, newObserver(nil, &Hooks{}, APIv2))
	var o *observer
	ctx, at := o.startAttempt(context.Background(), clusterEP1, &http.Request{}, 0)
	assert.Nil(t, at)
	at.end(ctx, nil, errors.New("x"))
	o.retrying(ctx, 0, nil)
	o.pinMoved(ctx, "a", "b", "c")
}

// TestHooks_v3Calls: on APIv3 every gateway request a KeysAPI, auth or
// members call makes is one call for Hooks, named after its gateway
// path, with the v2 key (or user, role, member) as its Key, not the
// path.
func TestHooks_v3Calls(t *testing.T) {
	var mu sync.Mutex
	var got []string
	hooks := &Hooks{Call: func(ctx context.Context, ci CallInfo) (context.Context, func(CallResult)) {
		mu.Lock()
		got = append(got, ci.API.String()+" "+ci.Op+" "+ci.Key)
		mu.Unlock()
		return ctx, nil
	}}
	newV3 := func(url string) Client {
		c, err := New(Config{Endpoints: []string{url}, API: APIv3, Hooks: hooks})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	take := func(what string, want ...string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(got, want) {
			t.Errorf("%s: calls\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		got = nil
	}
	_, kv := newFakeGateway(t)
	kapi := NewKeysAPI(newV3(kv.URL))
	if _, err := kapi.Set(ctx, "/a/b", "v", nil); err != nil {
		t.Fatal(err)
	}
	take("Set", "APIv3 v3.kv.txn /a/b", "APIv3 v3.kv.txn /a/b")
	if _, err := kapi.CreateInOrder(ctx, "/q", "v", &CreateInOrderOptions{TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	take("CreateInOrder with a TTL", "APIv3 v3.kv.txn /q", "APIv3 v3.lease.grant /q", "APIv3 v3.kv.txn /q", "APIv3 v3.lease.timetolive /q")
	if _, err := kapi.Get(ctx, "a//b", nil); err != nil {
		t.Fatal(err)
	}
	take("Get", "APIv3 v3.kv.txn /a/b")

	_, as := newFakeAuthGateway(t)
	c := newV3(as.URL)
	if err := NewAuthUserAPI(c).AddUser(ctx, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	take("AddUser", "APIv3 v3.auth.user.add alice")
	if err := NewAuthRoleAPI(c).AddRole(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	take("AddRole", "APIv3 v3.auth.role.add app")
}
