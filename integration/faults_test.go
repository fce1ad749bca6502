package integration

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// The fault tests each run a 3-member cluster and hurt the member the
// client is pinned to, found by observing where its requests go.

// TestFaults_KillPinned: after SIGKILL of the pinned member the next call
// succeeds on another member and the pin moves there.
func TestFaults_KillPinned(t *testing.T)   { testKillPinned(t, client.APIv2) }
func TestV3Faults_KillPinned(t *testing.T) { testKillPinned(t, client.APIv3) }

func testKillPinned(t *testing.T, api client.API) {
	skipOnStandin(t, "needs a second member to fail over to")
	t.Parallel()
	cl, kapi, rec, dead := startFaultCluster(t, client.Config{API: api})
	dead.Kill(t)

	rec.take()
	resp, err := kapi.Get(ctxFor(t, 10*time.Second), "/fault", nil)
	if err != nil || resp.Node.Value != "v" {
		t.Fatalf("Get(/fault) after killing the pinned member = %+v, %v; want v", resp, err)
	}
	hosts := rec.take()
	if len(hosts) != 2 || hosts[0] != hostOf(t, dead.ClientURL) || hosts[1] == hosts[0] {
		t.Errorf("Get(/fault) went to %v, want the dead %s, then one other member", hosts, dead.ClientURL)
	}
	if now := pinnedMember(t, cl, kapi, rec); now == dead {
		t.Errorf("pin after failover = %s, want a live member", now.Name)
	}
	// pinnedMember's Get went straight to the new pin: one request.
	if _, err := kapi.Get(ctxFor(t, 10*time.Second), "/fault", nil); err != nil {
		t.Fatalf("Get(/fault) = %v", err)
	}
	if hosts := rec.take(); len(hosts) != 1 || hosts[0] == hostOf(t, dead.ClientURL) {
		t.Errorf("Get(/fault) after failover went to %v, want one live member", hosts)
	}
}

// TestFaults_StopPinnedHeaderTimeout: with HeaderTimeoutPerRequest, a frozen
// pinned member costs one header timeout, not the caller's whole deadline.
func TestFaults_StopPinnedHeaderTimeout(t *testing.T) { testStopPinnedHeaderTimeout(t, client.APIv2) }
func TestV3Faults_StopPinnedHeaderTimeout(t *testing.T) {
	testStopPinnedHeaderTimeout(t, client.APIv3)
}

func testStopPinnedHeaderTimeout(t *testing.T, api client.API) {
	skipOnStandin(t, "needs a second member to fail over to")
	t.Parallel()
	const headerTimeout = 500 * time.Millisecond
	_, kapi, rec, frozen := startFaultCluster(t, client.Config{API: api, HeaderTimeoutPerRequest: headerTimeout})
	frozen.Stop(t)
	t.Cleanup(func() { frozen.Cont(t) })

	rec.take()
	start := time.Now()
	resp, err := kapi.Get(ctxFor(t, 10*time.Second), "/fault", nil)
	took := time.Since(start)
	if !frozen.Frozen() {
		t.Fatalf("%s was thawed during the test by someone else", frozen.Name)
	}
	if err != nil || resp.Node.Value != "v" {
		t.Fatalf("Get(/fault) with the pinned member frozen = %+v, %v; want v", resp, err)
	}
	// At least one header timeout; which members were asked, not how
	// long it took, shows that it was not more (a loaded machine may
	// stretch any duration).
	if took < headerTimeout {
		t.Errorf("Get(/fault) took %v, less than the header timeout %v it had to wait out", took, headerTimeout)
	}
	if hosts := rec.take(); len(hosts) != 2 || hosts[0] != hostOf(t, frozen.ClientURL) {
		t.Errorf("Get(/fault) went to %v, want the frozen %s, then another member", hosts, frozen.ClientURL)
	}
	for i := range 3 {
		if _, err := kapi.Get(ctxFor(t, 10*time.Second), "/fault", nil); err != nil {
			t.Fatalf("Get(/fault) #%d after failover = %v", i, err)
		}
		if hosts := rec.take(); len(hosts) != 1 || hosts[0] == hostOf(t, frozen.ClientURL) {
			t.Errorf("Get(/fault) #%d after failover went to %v, want one request to a live member", i, hosts)
		}
	}
}

// TestFaults_StopPinnedNoHeaderTimeout: without a header timeout, a call to
// a frozen pinned member ends with exactly the caller's deadline; the pin
// moves on (an improvement over the original), so the next call succeeds
// elsewhere.
func TestFaults_StopPinnedNoHeaderTimeout(t *testing.T) {
	testStopPinnedNoHeaderTimeout(t, client.APIv2)
}
func TestV3Faults_StopPinnedNoHeaderTimeout(t *testing.T) {
	testStopPinnedNoHeaderTimeout(t, client.APIv3)
}

func testStopPinnedNoHeaderTimeout(t *testing.T, api client.API) {
	skipOnStandin(t, "needs a second member to fail over to")
	t.Parallel()
	_, kapi, rec, frozen := startFaultCluster(t, client.Config{API: api})
	frozen.Stop(t)
	t.Cleanup(func() { frozen.Cont(t) })

	rec.take()
	const deadline = time.Second
	// start is taken before the context, so took can never be less than
	// the deadline merely because the clock was read after it was set.
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	resp, err := kapi.Get(ctx, "/fault", nil)
	took := time.Since(start)
	if !frozen.Frozen() {
		t.Fatalf("%s was thawed during the test by someone else", frozen.Name)
	}
	if err != context.DeadlineExceeded {
		t.Fatalf("Get(/fault) with the pinned member frozen %s = %+v, %v after %v via %v; want exactly context.DeadlineExceeded", frozen.ClientURL, resp, err, took, rec.take())
	}
	if took < deadline {
		t.Errorf("Get(/fault) returned after %v, before its %v deadline", took, deadline)
	}
	if hosts := rec.take(); len(hosts) != 1 || hosts[0] != hostOf(t, frozen.ClientURL) {
		t.Errorf("Get(/fault) went to %v, want only the frozen %s", hosts, frozen.ClientURL)
	}

	resp, err = kapi.Get(ctxFor(t, 5*time.Second), "/fault", nil)
	if err != nil || resp.Node.Value != "v" {
		t.Fatalf("next Get(/fault) = %+v, %v; want v from another member", resp, err)
	}
	if hosts := rec.take(); len(hosts) != 1 || hosts[0] == hostOf(t, frozen.ClientURL) {
		t.Errorf("next Get(/fault) went to %v, want straight to a live member", hosts)
	}
}

// TestFaults_WriteAfterPinnedDied: Create and Delete, which are never sent
// to a second member once one may have received them, still go on to the
// next member when the pinned one is dead: a refused connection proves the
// request never left. The pin moves to the member that answered.
func TestFaults_WriteAfterPinnedDied(t *testing.T)   { testWriteAfterPinnedDied(t, client.APIv2) }
func TestV3Faults_WriteAfterPinnedDied(t *testing.T) { testWriteAfterPinnedDied(t, client.APIv3) }

func testWriteAfterPinnedDied(t *testing.T, api client.API) {
	skipOnStandin(t, "needs a three-member cluster")
	t.Parallel()
	cl := startFaultMembers(t, api)
	c, rec := newClient(t, cl, client.Config{API: api})
	kapi := client.NewKeysAPI(c)
	set, err := kapi.Set(ctxFor(t, 10*time.Second), "/doomed", "v", nil)
	if err != nil {
		t.Fatalf("Set(/doomed) = %v", err)
	}
	waitApplied(t, cl, api, set.Index)

	steps := []struct {
		name string
		call func(context.Context) error
	}{
		{"Create", func(ctx context.Context) error { _, err := kapi.Create(ctx, "/once", "v"); return err }},
		{"Delete", func(ctx context.Context) error { _, err := kapi.Delete(ctx, "/doomed", nil); return err }},
	}
	var previous *etcdtest.Member
	for _, st := range steps {
		dead := pinnedMember(t, cl, kapi, rec)
		dead.Kill(t)
		// Two of three members must run for the write that follows.
		if previous != nil {
			previous.Restart(t)
		}
		cl.Leader(t)

		rec.take()
		if err := st.call(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatalf("%s with the pinned member dead = %v, want success on the next member", st.name, err)
		}
		// On APIv3 a write is a read, then the commit: the read found the
		// member dead and the commit followed the pin.
		hosts := rec.take()
		if want := map[client.API]int{client.APIv2: 2, client.APIv3: 3}[api]; len(hosts) != want || hosts[0] != hostOf(t, dead.ClientURL) || hosts[1] == hosts[0] || hosts[len(hosts)-1] != hosts[1] {
			t.Errorf("%s went to %v, want the dead %s, then one other member (%d requests)", st.name, hosts, dead.ClientURL, want)
		}
		if now := pinnedMember(t, cl, kapi, rec); now == dead || len(hosts) == 0 || hostOf(t, now.ClientURL) != hosts[len(hosts)-1] {
			t.Errorf("pin after %s = %s, want the member that answered", st.name, now.Name)
		}
		previous = dead
	}
}

// TestFaults_LeaderKilled: a PrioritizeLeader client pins the leader on
// Sync; after the leader dies, Sync pins the new one.
func TestFaults_LeaderKilled(t *testing.T)   { testLeaderKilled(t, client.APIv2) }
func TestV3Faults_LeaderKilled(t *testing.T) { testLeaderKilled(t, client.APIv3) }

func testLeaderKilled(t *testing.T, api client.API) {
	skipOnStandin(t, "needs a three-member cluster whose leader is killed")
	t.Parallel()
	cl := startFaultMembers(t, api)
	c, rec := newClient(t, cl, client.Config{API: api, SelectionMode: client.EndpointSelectionPrioritizeLeader})
	kapi := client.NewKeysAPI(c)

	old := cl.Leader(t)
	if err := c.Sync(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatalf("Sync() = %v", err)
	}
	if got := pinnedMember(t, cl, kapi, rec); got != old {
		t.Fatalf("pinned after Sync = %s, want the leader %s", got.Name, old.Name)
	}

	old.Kill(t)
	next := cl.Leader(t)
	// Until every live member has seen the election, one may answer the
	// leader query with an error; Sync then fails with ErrNoLeaderEndpoint
	// and is simply asked again.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := c.Sync(ctxFor(t, 5*time.Second))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sync() after the leader died = %v, still failing after 20s", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := pinnedMember(t, cl, kapi, rec); got != next {
		t.Errorf("pinned after Sync = %s, want the new leader %s", got.Name, next.Name)
	}
	if _, err := kapi.Set(ctxFor(t, 10*time.Second), "/after-election", "v", nil); err != nil {
		t.Errorf("Set on the new leader = %v", err)
	}
	// (On APIv3 the Set is two requests, a read and the commit.)
	if hosts := rec.take(); len(hosts) == 0 || slices.ContainsFunc(hosts, func(h string) bool { return h != hostOf(t, next.ClientURL) }) {
		t.Errorf("Set went to %v, want only the new leader %s", hosts, next.ClientURL)
	}
}

// startFaultCluster starts a 3-member cluster, writes /fault = "v" and
// waits until every member applied it (so any member can serve it after
// a fault), and returns the cluster, a KeysAPI with its request recorder,
// and the member the client is pinned to.
func startFaultCluster(t *testing.T, cfg client.Config) (*etcdtest.Cluster, client.KeysAPI, *recorder, *etcdtest.Member) {
	t.Helper()
	cl := startFaultMembers(t, cfg.API)
	c, rec := newClient(t, cl, cfg)
	kapi := client.NewKeysAPI(c)
	set, err := kapi.Set(ctxFor(t, 10*time.Second), "/fault", "v", nil)
	if err != nil {
		t.Fatalf("Set(/fault) = %v", err)
	}
	waitApplied(t, cl, cfg.API, set.Index)
	return cl, kapi, rec, pinnedMember(t, cl, kapi, rec)
}

// startFaultMembers starts the 3-member cluster of a fault test: the
// default etcd for APIv2; for APIv3 etcd 3.6 (or $ETCDTEST_VERSION)
// serving the v3 API only, as the other APIv3 tests.
func startFaultMembers(t *testing.T, api client.API) *etcdtest.Cluster {
	t.Helper()
	if api == client.APIv3 {
		return etcdtest.Start(t, 3, etcdtest.Options{Version: v3TestVersion(t), V3Only: true})
	}
	return etcdtest.Start(t, 3)
}
