package integration

// Sync and AutoSync against members that advertise client URLs the client
// cannot reach (issue 20): each member listens on one loopback port and
// advertises another where nothing listens, which is what a cluster behind
// NAT, a tunnel, a container port mapping or a load balancer looks like
// from the client. The client, configured with the ports that work, must
// keep working; a cluster advertising reachable URLs is still adopted.

import (
	"context"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
	"github.com/seed26e043ee/client/internal/syncevent"
)

// unreachableURL returns a loopback URL on a port where nothing listens:
// the port is bound by a socket that never listens, so connections are
// refused and no other process (no member of a parallel test) can take it
// before the test ends.
func unreachableURL(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	return "http://127.0.0.1:" + strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
}

// startNATCluster starts n members that each advertise an unreachable
// client URL, and returns them with the advertised URLs by listen URL.
func startNATCluster(t *testing.T, n int) (*etcdtest.Cluster, map[string]string) {
	t.Helper()
	var mu sync.Mutex
	advertised := make(map[string]string)
	cl := etcdtest.Start(t, n, etcdtest.Options{AdvertiseClientURL: func(listen string) string {
		u := unreachableURL(t)
		mu.Lock()
		advertised[listen] = u
		mu.Unlock()
		return u
	}})
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]string, n)
	for _, ep := range cl.Endpoints() {
		out[ep] = advertised[ep]
	}
	return cl, out
}

// observeSync returns the channel the client's Sync decisions arrive on.
func observeSync(t *testing.T, c client.Client) <-chan syncevent.Decision {
	t.Helper()
	ds := make(chan syncevent.Decision, 1000)
	require.True(t, syncevent.Observe(c, func(d syncevent.Decision) {
		select {
		case ds <- d:
		default: // a test reads only the first rounds
		}
	}))
	return ds
}

func nextDecision(t *testing.T, ds <-chan syncevent.Decision) syncevent.Decision {
	t.Helper()
	select {
	case d := <-ds:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("no Sync decision within 30s")
		return syncevent.Decision{}
	}
}

func values(m map[string]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return sortedCopy(vs)
}

// checkNATPremise makes sure the members advertise the unreachable URLs and
// that those indeed refuse, so the test tests what it claims.
func checkNATPremise(t *testing.T, c client.Client, advertised map[string]string) {
	t.Helper()
	ms, err := client.NewMembersAPI(c).List(ctxFor(t, 10*time.Second))
	require.NoError(t, err)
	var got []string
	for _, m := range ms {
		got = append(got, m.ClientURLs...)
	}
	require.Equal(t, values(advertised), sortedCopy(got))
	for _, u := range values(advertised) {
		resp, err := probe.Get(u + "/version")
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err, "advertised %s must be unreachable", u)
	}
}

// checkKeysWork writes and reads back a key through c.
func checkKeysWork(t *testing.T, c client.Client, key string) {
	t.Helper()
	kapi := client.NewKeysAPI(c)
	_, err := kapi.Set(ctxFor(t, 10*time.Second), key, "v", nil)
	require.NoError(t, err)
	resp, err := kapi.Get(ctxFor(t, 10*time.Second), key, &client.GetOptions{Quorum: true})
	require.NoError(t, err)
	assert.Equal(t, "v", resp.Node.Value)
}

// runAutoSync runs AutoSync until rounds decisions were recorded, checking
// each with check and that keys work meanwhile, then cancels it.
func runAutoSync(t *testing.T, c client.Client, ds <-chan syncevent.Decision, rounds int, check func(syncevent.Decision)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.AutoSync(ctx, 20*time.Millisecond) }()
	for i := range rounds {
		select {
		case d := <-ds:
			check(d)
		case err := <-done:
			t.Fatalf("AutoSync() = %v after %d rounds, want it to run until cancelled", err, i)
		case <-time.After(30 * time.Second):
			t.Fatalf("no AutoSync round within 30s after %d rounds", i)
		}
		checkKeysWork(t, c, "/autosync/"+strconv.Itoa(i))
	}
	cancel()
	select {
	case err := <-done:
		assert.Equal(t, context.Canceled, err)
	case <-time.After(30 * time.Second):
		t.Fatal("AutoSync still runs 30s after its context was cancelled")
	}
}

func testSyncBehindNAT(t *testing.T, n int) {
	cl, advertised := startNATCluster(t, n)
	real := sortedCopy(cl.Endpoints())

	t.Run("random", func(t *testing.T) {
		c, _ := newClient(t, cl, client.Config{})
		checkNATPremise(t, c, advertised)
		ds := observeSync(t, c)

		require.NoError(t, c.Sync(ctxFor(t, 10*time.Second)))
		d := nextDecision(t, ds)
		assert.Equal(t, syncevent.KeptUnreachable, d.Outcome)
		assert.Equal(t, values(advertised), sortedCopy(d.Advertised))
		assert.Empty(t, d.Reachable)
		assert.Equal(t, real, sortedCopy(c.Endpoints()), "the working endpoints are kept")
		checkKeysWork(t, c, "/nat/random")

		runAutoSync(t, c, ds, 3, func(d syncevent.Decision) {
			assert.Equal(t, syncevent.KeptUnreachable, d.Outcome)
			assert.NoError(t, d.Err)
			assert.Equal(t, real, sortedCopy(d.Endpoints))
		})
		assert.Equal(t, real, sortedCopy(c.Endpoints()))
	})

	t.Run("prioritize_leader", func(t *testing.T) {
		c, _ := newClient(t, cl, client.Config{SelectionMode: client.EndpointSelectionPrioritizeLeader})
		ds := observeSync(t, c)

		// Right after an election a member may not know the leader yet
		// and the leader query fails; that is not what this test is about.
		deadline := time.Now().Add(20 * time.Second)
		for {
			err := c.Sync(ctxFor(t, 10*time.Second))
			d := nextDecision(t, ds)
			if err == nil {
				assert.Equal(t, syncevent.KeptUnreachable, d.Outcome)
				assert.True(t, d.LeaderUnreachable, "the leader's advertised URL does not answer")
				assert.False(t, d.LeaderPinned)
				assert.Contains(t, values(advertised), d.Leader)
				break
			}
			require.ErrorIs(t, err, client.ErrNoLeaderEndpoint)
			require.True(t, time.Now().Before(deadline), "Sync() = %v for 20s", err)
			time.Sleep(100 * time.Millisecond)
		}
		assert.Equal(t, real, sortedCopy(c.Endpoints()), "an unreachable leader URL replaces nothing")
		checkKeysWork(t, c, "/nat/leader")

		runAutoSync(t, c, ds, 3, func(d syncevent.Decision) {
			assert.NoError(t, d.Err)
			assert.Equal(t, syncevent.KeptUnreachable, d.Outcome)
			assert.True(t, d.LeaderUnreachable)
			assert.Equal(t, real, sortedCopy(d.Endpoints))
		})
		assert.Equal(t, real, sortedCopy(c.Endpoints()))
	})
}

func TestSyncNAT_SingleMember(t *testing.T) {
	t.Parallel()
	testSyncBehindNAT(t, 1)
}

func TestSyncNAT_ThreeMembers(t *testing.T) {
	skipOnStandin(t, "needs three members")
	t.Parallel()
	testSyncBehindNAT(t, 3)
}

// TestSync_ReachableAdvertisedAdopted: a cluster advertising URLs the
// client reaches is adopted as by the original: a configured endpoint that
// is no member's is dropped, and later rounds change nothing.
func TestSync_ReachableAdvertisedAdopted(t *testing.T) {
	t.Parallel()
	cl := etcdtest.Start(t, 1)
	member := cl.Members[0].ClientURL
	c, _ := newClient(t, cl, client.Config{Endpoints: []string{member, unreachableURL(t)}})
	ds := observeSync(t, c)

	require.NoError(t, c.Sync(ctxFor(t, 10*time.Second)))
	d := nextDecision(t, ds)
	assert.Equal(t, syncevent.Adopted, d.Outcome)
	assert.Equal(t, []string{member}, d.Reachable)
	assert.Equal(t, []string{member}, c.Endpoints())

	runAutoSync(t, c, ds, 3, func(d syncevent.Decision) {
		assert.Equal(t, syncevent.Unchanged, d.Outcome)
		assert.NoError(t, d.Err)
		assert.Equal(t, []string{member}, d.Endpoints)
	})
}
