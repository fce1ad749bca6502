package integration

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// setStream runs Sets of fresh keys under dir, one after another, until
// stop is closed. Each call gets a generous deadline of its own, so only
// the client's behaviour decides whether an error reaches the caller.
type setStream struct {
	kapi client.KeysAPI
	rec  *recorder
	dir  string
	eps  int // endpoints of the client: more requests per Set mean another round

	mu         sync.Mutex // guards the fields below
	ok         []string   // keys whose Set succeeded
	errs       []error
	multiRound int // Sets that needed more than one round over the endpoints
}

func (s *setStream) run(stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		key := fmt.Sprintf("%s/k%05d", s.dir, i)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.rec.take()
		_, err := s.kapi.Set(ctx, key, "v", nil)
		cancel()
		sent := len(s.rec.take())
		s.mu.Lock()
		if err != nil {
			s.errs = append(s.errs, err)
		} else {
			s.ok = append(s.ok, key)
		}
		if sent > s.eps {
			s.multiRound++
		}
		s.mu.Unlock()
		if err != nil {
			// Without retry, the caller would back off itself.
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestRetry_LeaderKilledDuringSets kills the leader of a 3-member cluster
// while two clients, both pinned to the leader, write a stream of Sets:
// one with Config.Retry, one without as a control. With Retry no error may
// reach the caller; the control shows the election really made whole
// rounds fail.
//
// etcd 3.4 holds a write on a follower until the election is over (about
// 1.5s here) rather than answering 5xx at once, so what fails the round is
// the per-request header timeout that clients commonly set (the original's
// examples use 1s): the killed leader refuses, both followers time out.
func TestRetry_LeaderKilledDuringSets(t *testing.T) {
	skipOnStandin(t, "needs a three-member cluster whose leader is killed")
	t.Parallel()
	cl := etcdtest.Start(t, 3)

	newPinned := func(cfg client.Config) (client.KeysAPI, *recorder) {
		cfg.SelectionMode = client.EndpointSelectionPrioritizeLeader
		c, rec := newClient(t, cl, cfg)
		if err := c.Sync(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatalf("Sync() = %v", err)
		}
		return client.NewKeysAPI(c), rec
	}
	leader := cl.Leader(t)
	const headerTimeout = 500 * time.Millisecond
	rkapi, rrec := newPinned(client.Config{
		HeaderTimeoutPerRequest: headerTimeout,
		Retry:                   &client.RetryPolicy{InitialBackoff: 20 * time.Millisecond, MaxBackoff: 500 * time.Millisecond},
	})
	ckapi, crec := newPinned(client.Config{HeaderTimeoutPerRequest: headerTimeout})
	for _, p := range []struct {
		kapi client.KeysAPI
		rec  *recorder
	}{{rkapi, rrec}, {ckapi, crec}} {
		if got := pinnedMember(t, cl, p.kapi, p.rec); got != leader {
			t.Fatalf("pinned after Sync = %s, want the leader %s", got.Name, leader.Name)
		}
	}

	withRetry := &setStream{kapi: rkapi, rec: rrec, dir: "/retry/on", eps: 3}
	control := &setStream{kapi: ckapi, rec: crec, dir: "/retry/off", eps: 3}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go withRetry.run(stop, &wg)
	go control.run(stop, &wg)
	stopped := false
	stopStreams := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	t.Cleanup(stopStreams)

	waitSets := func(s *setStream, n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s.mu.Lock()
			got := len(s.ok)
			s.mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d Sets of %s succeeded after 30s, want %d", got, s.dir, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitSets(withRetry, 20)
	leader.Kill(t)
	killed := time.Now()
	next := cl.Leader(t)
	t.Logf("leader %s killed; %s elected after %v", leader.Name, next.Name, time.Since(killed))
	// Keep writing well past the election, so calls after it are covered.
	withRetry.mu.Lock()
	afterKill := len(withRetry.ok)
	withRetry.mu.Unlock()
	waitSets(withRetry, afterKill+50)
	if d := time.Since(killed); d < 3*time.Second {
		time.Sleep(3*time.Second - d)
	}
	stopStreams()

	withRetry.mu.Lock()
	defer withRetry.mu.Unlock()
	control.mu.Lock()
	defer control.mu.Unlock()
	t.Logf("with Retry: %d Sets, %d errors, %d needed more than one round", len(withRetry.ok), len(withRetry.errs), withRetry.multiRound)
	t.Logf("control:    %d Sets, %d errors", len(control.ok), len(control.errs))
	for i, err := range withRetry.errs {
		t.Errorf("with Retry, error #%d reached the caller: %v", i, err)
	}
	var clusterErrs int
	for _, err := range control.errs {
		var ce *client.ClusterError
		if errors.As(err, &ce) {
			clusterErrs++
		}
	}
	if clusterErrs == 0 {
		t.Errorf("control run saw no *ClusterError (errors: %v): the election never failed a whole round, so the test shows nothing", control.errs)
	}
	if withRetry.multiRound == 0 {
		t.Errorf("no Set with Retry needed a second round: the option was never exercised")
	}

	// Every acknowledged Set is really there.
	r, err := rkapi.Get(ctxFor(t, 10*time.Second), withRetry.dir, &client.GetOptions{Recursive: true, Quorum: true})
	if err != nil {
		t.Fatalf("Get(%s) = %v", withRetry.dir, err)
	}
	have := make(map[string]bool, len(r.Node.Nodes))
	for _, n := range r.Node.Nodes {
		have[n.Key] = true
	}
	for _, k := range withRetry.ok {
		if !have[k] {
			t.Errorf("acknowledged key %s is missing", k)
		}
	}
}
