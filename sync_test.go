package client

// Tests of Sync's rule that advertised client URLs replace the endpoints
// only when the client reaches at least one of them (issue 20), on a fake
// cluster whose members advertise addresses the client may not reach.

import (
	"context"
	"fmt"
	"io"
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

// The client is configured with syncLB (a load balancer, tunnel or NAT
// port); the members advertise syncAdv1..3, addresses of their own network.
const (
	syncLB   = "http://127.0.0.1:12379"
	syncAdv1 = "http://10.0.0.1:2379"
	syncAdv2 = "http://10.0.0.2:2379"
	syncAdv3 = "http://10.0.0.3:2379"
)

var syncAdvertised = []string{syncAdv1, syncAdv2, syncAdv3}

// syncFakeCluster answers as a cluster whose members advertise advertised
// (plus one added, unstarted member without client URLs). Only the hosts
// in up answer; the others refuse connections.
type syncFakeCluster struct {
	advertised []string
	leader     string // the leader's client URL; "" answers the leader call 404

	mu sync.Mutex // guards up
	up map[string]bool

	// onProbe, when set, handles GET /version instead of the default.
	onProbe func(*http.Request) (*http.Response, error)
}

func newSyncFakeCluster(advertised []string, up ...string) *syncFakeCluster {
	f := &syncFakeCluster{advertised: advertised, up: make(map[string]bool)}
	for _, ep := range up {
		f.up[clusterHost(ep)] = true
	}
	return f
}

func (f *syncFakeCluster) handle(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	up := f.up[req.URL.Host]
	f.mu.Unlock()
	if !up {
		return nil, errFakeRefused
	}
	status, body := http.StatusOK, ""
	switch req.URL.Path {
	case "/v2/members":
		var ms []string
		for i, u := range f.advertised {
			ms = append(ms, fmt.Sprintf(`{"id":"%x","name":"m%d","peerURLs":["http://10.0.1.%d:2380"],"clientURLs":[%q]}`, i+1, i, i, u))
		}
		ms = append(ms, `{"id":"ff","name":"","peerURLs":["http://10.0.1.99:2380"],"clientURLs":[]}`)
		body = `{"members":[` + strings.Join(ms, ",") + `]}`
	case "/v2/members/leader":
		if f.leader == "" {
			status, body = http.StatusNotFound, `{"message":"no leader"}`
		} else {
			body = fmt.Sprintf(`{"id":"1","name":"m","peerURLs":[],"clientURLs":[%q]}`, f.leader)
		}
	case "/version":
		if f.onProbe != nil {
			return f.onProbe(req)
		}
		body = `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`
	default:
		body = clusterOKGetBody
	}
	return &http.Response{StatusCode: status, Header: http.Header{"X-Etcd-Index": {"5"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
}

// newSyncClient returns a client over a fake transport answering as f,
// configured with eps in this order, and the channel its Sync decisions
// arrive on.
func newSyncClient(t *testing.T, f *syncFakeCluster, cfg Config, eps ...string) (*httpClusterClient, *fakeTransport, <-chan syncevent.Decision) {
	t.Helper()
	ft := newFakeTransport()
	ft.handler = f.handle
	c := newFakeClient(t, ft, cfg, eps...)
	ds := make(chan syncevent.Decision, 100)
	require.True(t, syncevent.Observe(c, func(d syncevent.Decision) { ds <- d }))
	return c, ft, ds
}

// syncNext returns the next decision; Sync records one before it returns.
func syncNext(t *testing.T, ds <-chan syncevent.Decision) syncevent.Decision {
	t.Helper()
	select {
	case d := <-ds:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no Sync decision recorded")
		return syncevent.Decision{}
	}
}

// syncProbedHosts returns the hosts that got GET /version, sorted.
func syncProbedHosts(ft *fakeTransport) []string {
	var hs []string
	for _, r := range ft.requests() {
		if r.Method == http.MethodGet && r.Path == "/version" {
			hs = append(hs, r.Host)
		}
	}
	slices.Sort(hs)
	return hs
}

func syncHosts(eps ...string) []string {
	var hs []string
	for _, ep := range eps {
		hs = append(hs, clusterHost(ep))
	}
	slices.Sort(hs)
	return hs
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func TestSync_AllAdvertisedReachable(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1, syncAdv2, syncAdv3)
	c, ft, ds := newSyncClient(t, f, Config{}, syncLB)

	require.NoError(t, c.Sync(context.Background()))

	assert.Equal(t, sorted(syncAdvertised), sorted(c.Endpoints()), "the advertised URLs replace the configured one")
	assert.Equal(t, c.Endpoints()[0], fakePinned(c))
	assert.Equal(t, syncHosts(syncAdvertised...), syncProbedHosts(ft), "each advertised URL is probed once; the unstarted member has none")
	d := syncNext(t, ds)
	assert.Equal(t, syncevent.Adopted, d.Outcome)
	assert.Equal(t, syncAdvertised, d.Advertised)
	assert.Equal(t, syncAdvertised, d.Reachable)
	assert.Equal(t, c.Endpoints(), d.Endpoints)
	assert.NoError(t, d.Err)
}

func TestSync_SomeAdvertisedReachable(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv2)
	c, ft, ds := newSyncClient(t, f, Config{}, syncLB)

	require.NoError(t, c.Sync(context.Background()))

	// The whole advertised set is adopted, as by the original, but the
	// member that answered comes first and takes the pin; then the
	// configured endpoint, through which the client reached the cluster;
	// the unreachable members last, as failover targets.
	eps := c.Endpoints()
	assert.Equal(t, sorted(append([]string{syncLB}, syncAdvertised...)), sorted(eps))
	assert.Equal(t, []string{syncAdv2, syncLB}, eps[:2])
	assert.Equal(t, syncAdv2, fakePinned(c))
	d := syncNext(t, ds)
	assert.Equal(t, syncevent.Adopted, d.Outcome)
	assert.Equal(t, []string{syncAdv2}, d.Reachable)

	ft.reset()
	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{clusterHost(syncAdv2)}, ft.hosts(), "the next call goes straight to the reachable member")
}

// TestSync_SomeReachableThenItDies: the one reachable member goes away;
// the configured endpoint kept after it still reaches the cluster, so the
// client is not stranded among the advertised URLs it cannot reach, and
// the next Sync, reading the member list through it, probes again.
func TestSync_SomeReachableThenItDies(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv2)
	c, ft, _ := newSyncClient(t, f, Config{}, syncLB)
	require.NoError(t, c.Sync(context.Background()))
	require.Equal(t, syncAdv2, fakePinned(c))

	f.mu.Lock()
	delete(f.up, clusterHost(syncAdv2))
	f.mu.Unlock()
	ft.reset()
	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	require.NoError(t, err, "the configured endpoint still serves")
	assert.Equal(t, []string{clusterHost(syncAdv2), clusterHost(syncLB)}, ft.hosts())
	require.NoError(t, c.Sync(context.Background()))
	assert.Contains(t, c.Endpoints(), syncLB, "nothing advertised answers: the list stays")
}

func TestSync_NoAdvertisedReachable(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB)
	c, ft, ds := newSyncClient(t, f, Config{}, syncLB)
	before := c.state.Load()

	require.NoError(t, c.Sync(context.Background()), "the cluster was reachable, so Sync succeeds")

	assert.Same(t, before, c.state.Load(), "the working endpoint list is kept as it was")
	assert.Equal(t, []string{syncLB}, c.Endpoints())
	assert.Equal(t, syncHosts(syncAdvertised...), syncProbedHosts(ft))
	d := syncNext(t, ds)
	assert.Equal(t, syncevent.KeptUnreachable, d.Outcome)
	assert.Equal(t, syncAdvertised, d.Advertised)
	assert.Empty(t, d.Reachable)
	assert.Equal(t, []string{syncLB}, d.Endpoints)
	assert.NoError(t, d.Err)

	ft.reset()
	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{clusterHost(syncLB)}, ft.hosts())

	// Once the advertised addresses become reachable (the client moved
	// into the cluster's network), the next Sync adopts them.
	f.mu.Lock()
	f.up[clusterHost(syncAdv3)] = true
	f.mu.Unlock()
	require.NoError(t, c.Sync(context.Background()))
	assert.Equal(t, syncevent.Adopted, syncNext(t, ds).Outcome)
	assert.Equal(t, syncAdv3, fakePinned(c))
}

// A NAT that drops packets never refuses: the probe must end by its own
// bound, well before the caller's context.
func TestSync_AdvertisedBlackholed(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1, syncAdv2, syncAdv3)
	f.onProbe = func(req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	c, _, ds := newSyncClient(t, f, Config{}, syncLB)
	c.probeTimeout = time.Millisecond

	require.NoError(t, c.Sync(context.Background()))

	assert.Equal(t, []string{syncLB}, c.Endpoints())
	assert.Equal(t, syncevent.KeptUnreachable, syncNext(t, ds).Outcome)
}

// A member that answers 5xx is no member to switch to.
func TestSync_AdvertisedAnswers5xx(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1, syncAdv2, syncAdv3)
	f.onProbe = func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusBadGateway, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	}
	c, _, ds := newSyncClient(t, f, Config{}, syncLB)

	require.NoError(t, c.Sync(context.Background()))

	assert.Equal(t, []string{syncLB}, c.Endpoints())
	assert.Equal(t, syncevent.KeptUnreachable, syncNext(t, ds).Outcome)
}

func TestSync_UnchangedSetIsNotProbed(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncAdv1, syncAdv2, syncAdv3)
	c, ft, ds := newSyncClient(t, f, Config{}, syncAdv3, syncAdv1, syncAdv2)
	before := c.state.Load()

	require.NoError(t, c.Sync(context.Background()))

	assert.Same(t, before, c.state.Load())
	assert.Empty(t, syncProbedHosts(ft), "a list that does not change needs no probe")
	d := syncNext(t, ds)
	assert.Equal(t, syncevent.Unchanged, d.Outcome)
	assert.Nil(t, d.Reachable)
}

func TestSync_DuplicateAdvertisedURLProbedOnce(t *testing.T) {
	// Members behind one load balancer may all advertise its URL.
	f := newSyncFakeCluster([]string{syncAdv1, syncAdv1, syncAdv1}, syncLB, syncAdv1)
	c, ft, ds := newSyncClient(t, f, Config{}, syncLB)

	require.NoError(t, c.Sync(context.Background()))

	assert.Equal(t, []string{clusterHost(syncAdv1)}, syncProbedHosts(ft))
	assert.Equal(t, []string{syncAdv1, syncAdv1, syncAdv1}, c.Endpoints(), "the list keeps what the members advertise, as the original did")
	assert.Equal(t, []string{syncAdv1}, syncNext(t, ds).Reachable)
}

func TestSync_ContextEndsDuringProbe(t *testing.T) {
	probing := make(chan struct{}, len(syncAdvertised))
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1, syncAdv2, syncAdv3)
	f.onProbe = func(req *http.Request) (*http.Response, error) {
		probing <- struct{}{}
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	c, _, ds := newSyncClient(t, f, Config{}, syncLB)
	before := c.state.Load()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Sync(ctx) }()
	for range syncAdvertised {
		<-probing
	}
	cancel()

	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Sync did not return after its context was cancelled")
	}
	assert.Equal(t, context.Canceled, err, "exactly ctx.Err()")
	assert.Same(t, before, c.state.Load(), "the old endpoints stay")
	d := syncNext(t, ds)
	assert.Equal(t, syncevent.Interrupted, d.Outcome)
	assert.Equal(t, context.Canceled, d.Err)
	assert.Equal(t, []string{syncLB}, d.Endpoints)
}

func TestSync_SetEndpointsDuringProbeWins(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1, syncAdv2, syncAdv3)
	var c *httpClusterClient
	var once sync.Once
	f.onProbe = func(req *http.Request) (*http.Response, error) {
		once.Do(func() { assert.NoError(t, c.SetEndpoints([]string{clusterEP4})) })
		body := `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
	}
	c, _, ds := newSyncClient(t, f, Config{}, syncLB)

	require.NoError(t, c.Sync(context.Background()))

	assert.Equal(t, []string{clusterEP4}, c.Endpoints(), "the caller's newer list is not overwritten")
	assert.Equal(t, syncevent.Superseded, syncNext(t, ds).Outcome)
}

func TestSync_ProbeCarriesCredentials(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1)
	c, ft, _ := newSyncClient(t, f, Config{Username: "u", Password: "p"}, syncLB)

	require.NoError(t, c.Sync(context.Background()))

	want := basicAuth("u", "p")
	n := 0
	for _, r := range ft.requests() {
		if r.Path == "/version" {
			n++
			assert.Equal(t, want, r.Header.Get("Authorization"), "probe of %s: the would-be endpoint gets what every call to it would", r.Host)
		}
	}
	assert.Equal(t, len(syncAdvertised), n)
}

func TestSync_ListFailureIsRecorded(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised) // nothing answers
	c, _, ds := newSyncClient(t, f, Config{}, syncLB)

	err := c.Sync(context.Background())
	require.Error(t, err)

	d := syncNext(t, ds)
	assert.Equal(t, syncevent.Failed, d.Outcome)
	assert.Equal(t, err, d.Err)
	assert.Equal(t, []string{syncLB}, d.Endpoints)
}

func TestSync_PrioritizeLeader(t *testing.T) {
	pl := Config{SelectionMode: EndpointSelectionPrioritizeLeader}

	t.Run("leader_reachable", func(t *testing.T) {
		f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1, syncAdv2, syncAdv3)
		f.leader = syncAdv3
		c, ft, ds := newSyncClient(t, f, pl, syncLB)

		require.NoError(t, c.Sync(context.Background()))

		assert.Equal(t, sorted(syncAdvertised), sorted(c.Endpoints()))
		assert.Equal(t, syncAdv3, fakePinned(c))
		d := syncNext(t, ds)
		assert.Equal(t, syncevent.Adopted, d.Outcome)
		assert.Equal(t, syncAdv3, d.Leader)
		assert.True(t, d.LeaderPinned)
		assert.False(t, d.LeaderUnreachable)

		ft.reset()
		_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
		require.NoError(t, err)
		assert.Equal(t, []string{clusterHost(syncAdv3)}, ft.hosts())
	})
	t.Run("leader_unreachable_others_reachable", func(t *testing.T) {
		f := newSyncFakeCluster(syncAdvertised, syncLB, syncAdv1)
		f.leader = syncAdv2
		c, _, ds := newSyncClient(t, f, pl, syncLB)

		require.NoError(t, c.Sync(context.Background()))

		// Some advertised URLs are unreachable: the configured one stays.
		assert.Equal(t, sorted(append([]string{syncLB}, syncAdvertised...)), sorted(c.Endpoints()))
		assert.Equal(t, syncAdv1, fakePinned(c), "the pin stays on a member that answered, not on the unreachable leader")
		d := syncNext(t, ds)
		assert.Equal(t, syncAdv2, d.Leader)
		assert.False(t, d.LeaderPinned)
		assert.True(t, d.LeaderUnreachable)
	})
	t.Run("nothing_reachable", func(t *testing.T) {
		f := newSyncFakeCluster(syncAdvertised, syncLB)
		f.leader = syncAdv2
		c, ft, ds := newSyncClient(t, f, pl, syncLB)
		before := c.state.Load()

		require.NoError(t, c.Sync(context.Background()))

		assert.Same(t, before, c.state.Load(), "an unreachable leader URL does not replace the working endpoint")
		assert.Equal(t, syncLB, fakePinned(c))
		d := syncNext(t, ds)
		assert.Equal(t, syncevent.KeptUnreachable, d.Outcome)
		assert.True(t, d.LeaderUnreachable)
		assert.False(t, d.LeaderPinned)

		ft.reset()
		_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
		require.NoError(t, err)
		assert.Equal(t, []string{clusterHost(syncLB)}, ft.hosts())
	})
	t.Run("leader_outside_list_reachable_is_put_first", func(t *testing.T) {
		// The membership changed between the list and the leader call.
		f := newSyncFakeCluster([]string{syncAdv1, syncAdv2}, syncAdv1, syncAdv2, syncAdv3)
		f.leader = syncAdv3
		c, ft, ds := newSyncClient(t, f, pl, syncAdv1, syncAdv2)

		require.NoError(t, c.Sync(context.Background()))

		assert.Equal(t, []string{syncAdv3, syncAdv1, syncAdv2}, c.Endpoints())
		assert.Equal(t, syncAdv3, fakePinned(c))
		assert.Equal(t, []string{clusterHost(syncAdv3)}, syncProbedHosts(ft), "only the new leader URL needed a probe")
		d := syncNext(t, ds)
		assert.Equal(t, syncevent.Unchanged, d.Outcome)
		assert.True(t, d.LeaderPinned)
	})
	t.Run("leader_outside_list_unreachable_is_left_out", func(t *testing.T) {
		f := newSyncFakeCluster([]string{syncAdv1, syncAdv2}, syncAdv1, syncAdv2)
		f.leader = syncAdv3
		c, _, ds := newSyncClient(t, f, pl, syncAdv1, syncAdv2)
		before := c.state.Load()

		require.NoError(t, c.Sync(context.Background()))

		assert.Same(t, before, c.state.Load())
		d := syncNext(t, ds)
		assert.True(t, d.LeaderUnreachable)
		assert.False(t, d.LeaderPinned)
	})
	t.Run("context_ends_during_leader_probe", func(t *testing.T) {
		probing := make(chan struct{}, 1)
		f := newSyncFakeCluster([]string{syncAdv1}, syncAdv1, syncAdv3)
		f.leader = syncAdv3
		f.onProbe = func(req *http.Request) (*http.Response, error) {
			probing <- struct{}{}
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		c, _, _ := newSyncClient(t, f, pl, syncAdv1)
		before := c.state.Load()

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Sync(ctx) }()
		<-probing
		cancel()
		select {
		case err := <-done:
			assert.Equal(t, context.Canceled, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Sync did not return after its context was cancelled")
		}
		assert.Same(t, before, c.state.Load())
	})
}

func TestAutoSync_KeepsWorkingEndpointsBehindNAT(t *testing.T) {
	f := newSyncFakeCluster(syncAdvertised, syncLB)
	c, _, ds := newSyncClient(t, f, Config{}, syncLB)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.AutoSync(ctx, time.Millisecond) }()
	for range 3 {
		d := syncNext(t, ds)
		assert.Equal(t, syncevent.KeptUnreachable, d.Outcome)
		assert.NoError(t, d.Err)
		assert.Equal(t, []string{syncLB}, d.Endpoints)
	}
	cancel()
	select {
	case err := <-done:
		assert.Equal(t, context.Canceled, err)
	case <-time.After(10 * time.Second):
		t.Fatal("AutoSync did not return after its context was cancelled")
	}
	_, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
	assert.NoError(t, err)
}

func TestSyncevent_Observe(t *testing.T) {
	assert.False(t, syncevent.Observe(struct{}{}, func(syncevent.Decision) {}), "only a client made by New can be observed")

	f := newSyncFakeCluster(syncAdvertised, syncLB)
	c, _, ds := newSyncClient(t, f, Config{}, syncLB)
	require.True(t, syncevent.Observe(c, nil))
	require.NoError(t, c.Sync(context.Background()))
	select {
	case d := <-ds:
		t.Fatalf("removed observer got %+v", d)
	default:
	}
	assert.Equal(t, "kept-unreachable", syncevent.KeptUnreachable.String())
}

// TestAutoSync_PrioritizeLeaderContextEndsDuringLeaderLookup: when the
// caller's context ends while Sync asks for the leader, Sync and AutoSync
// return exactly the context's error, not ErrNoLeaderEndpoint.
func TestAutoSync_PrioritizeLeaderContextEndsDuringLeaderLookup(t *testing.T) {
	members := clusterMembersHandler([]string{clusterEP1}, 0, 200)
	asked := make(chan struct{}, 1)
	ft := newFakeTransport()
	ft.handler = func(req *http.Request) (*http.Response, error) {
		if req.URL.Path == "/v2/members/leader" {
			asked <- struct{}{}
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return members(req)
	}
	c := newFakeClient(t, ft, Config{SelectionMode: EndpointSelectionPrioritizeLeader}, clusterEP1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.AutoSync(ctx, time.Hour) }()
	<-asked
	cancel()
	assert.Equal(t, context.Canceled, <-done)
}
