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

// busyWrites sets n keys under dir with a few goroutines and returns the
// highest index written.
func busyWrites(t *testing.T, kapi client.KeysAPI, dir string, n int) uint64 {
	t.Helper()
	const workers = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex // guards maxIdx, firstErr
		maxIdx   uint64
		firstErr error
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				r, err := kapi.Set(ctx, fmt.Sprintf("%s/k%d", dir, i), "x", nil)
				cancel()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil && r.Node.ModifiedIndex > maxIdx {
					maxIdx = r.Node.ModifiedIndex
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("busy Set = %v", firstErr)
	}
	return maxIdx
}

// TestResilientWatcher_EventIndexCleared watches a quiet key while 1,500
// writes go to other keys between two calls of Next: more than the 1,000
// events etcd keeps. A plain watcher fails with "event index cleared"; the
// resilient one hands over the key's state as a resync and then the next
// real event.
func TestResilientWatcher_EventIndexCleared(t *testing.T) {
	t.Parallel()
	cl := etcdtest.Start(t, 1)
	c, _ := newClient(t, cl, client.Config{})
	kapi := client.NewKeysAPI(c)
	ctx := ctxFor(t, 120*time.Second)

	tests := []struct {
		name      string
		watchKey  string // what is watched
		writeKey  string // the quiet key that changes
		recursive bool
	}{
		{"key", "/quiet", "/quiet", false},
		{"recursive", "/quietdir", "/quietdir/a", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r0, err := kapi.Set(ctx, tc.writeKey, "v0", nil)
			if err != nil {
				t.Fatalf("Set(%s) = %v", tc.writeKey, err)
			}
			start := r0.Node.ModifiedIndex
			opts := &client.WatcherOptions{AfterIndex: start, Recursive: tc.recursive}
			plain := kapi.Watcher(tc.watchKey, opts)
			resilient := client.NewResilientWatcher(kapi, tc.watchKey, &client.ResilientWatcherOptions{
				AfterIndex: start, Recursive: tc.recursive,
			})

			// One event each, so both have a position in the history.
			r1, err := kapi.Set(ctx, tc.writeKey, "v1", nil)
			if err != nil {
				t.Fatalf("Set(%s) = %v", tc.writeKey, err)
			}
			for name, w := range map[string]client.Watcher{"plain": plain, "resilient": resilient} {
				ev, err := w.Next(ctx)
				if err != nil || ev.Node.ModifiedIndex != r1.Node.ModifiedIndex {
					t.Fatalf("%s Next = %v, %v; want the set at %d", name, ev, err, r1.Node.ModifiedIndex)
				}
			}

			// The caller is busy elsewhere while 1,500 other writes happen.
			last := busyWrites(t, kapi, "/busy-"+tc.name, 1500)

			if _, err := plain.Next(ctx); !client.IsEventIndexCleared(err) {
				t.Fatalf("plain Next after 1,500 writes = %v, want event index cleared", err)
			}

			ev, err := resilient.Next(ctx)
			if err != nil {
				t.Fatalf("resilient Next after 1,500 writes = %v, want a resync", err)
			}
			if ev.Action != client.ActionResync || ev.Index < last {
				t.Fatalf("resilient Next = {Action: %q, Index: %d}, want {%q, >= %d}", ev.Action, ev.Index, client.ActionResync, last)
			}
			node := ev.Node
			if tc.recursive {
				if node == nil || !node.Dir || len(node.Nodes) != 1 {
					t.Fatalf("resync node = %v, want the directory with its one child", node)
				}
				node = node.Nodes[0]
			}
			if node == nil || node.Key != tc.writeKey || node.Value != "v1" {
				t.Fatalf("resync node = %v, want %s=v1", node, tc.writeKey)
			}

			r2, err := kapi.Set(ctx, tc.writeKey, "v2", nil)
			if err != nil {
				t.Fatalf("Set(%s) = %v", tc.writeKey, err)
			}
			ev, err = resilient.Next(ctx)
			if err != nil || ev.Action != "set" || ev.Node.Value != "v2" || ev.Node.ModifiedIndex != r2.Node.ModifiedIndex {
				t.Fatalf("resilient Next after the resync = %+v, %v; want the set of v2 at %d", ev, err, r2.Node.ModifiedIndex)
			}
		})
	}
}

// TestResilientWatcher_FrozenMember freezes (SIGSTOP) the member serving a
// long poll of a 3-member cluster. The resilient watcher gives up on the
// poll after MaxPollTime and gets the next event from another member; a
// plain watcher pinned to the same member stays stuck.
func TestResilientWatcher_FrozenMember(t *testing.T) { testResilientFrozenMember(t, client.APIv2) }

// TestV3ResilientWatcher_FrozenMember is the same on APIv3, whose watcher
// holds a watch stream where v2 holds a long poll.
func TestV3ResilientWatcher_FrozenMember(t *testing.T) {
	testResilientFrozenMember(t, client.APIv3)
}

func testResilientFrozenMember(t *testing.T, api client.API) {
	skipOnStandin(t, "needs a second member to fail over to while one is frozen")
	t.Parallel()
	cl := startFaultMembers(t, api)
	ctx := ctxFor(t, 120*time.Second)

	c, rec := newClient(t, cl, client.Config{API: api})
	kapi := client.NewKeysAPI(c)
	frozen := pinnedMember(t, cl, kapi, rec)

	// A plain watcher on a client pinned to the same member, as control.
	var pkapi client.KeysAPI
	for range 50 {
		pc, prec := newClient(t, cl, client.Config{API: api})
		k := client.NewKeysAPI(pc)
		if pinnedMember(t, cl, k, prec) == frozen {
			pkapi = k
			break
		}
	}
	if pkapi == nil {
		t.Fatalf("no client pinned to %s after 50 tries", frozen.Name)
	}

	r0, err := kapi.Set(ctx, "/watched", "v0", nil)
	if err != nil {
		t.Fatalf("Set = %v", err)
	}
	waitApplied(t, cl, api, r0.Node.ModifiedIndex)
	const maxPoll = 2 * time.Second
	resilient := client.NewResilientWatcher(kapi, "/watched", &client.ResilientWatcherOptions{
		AfterIndex: r0.Node.ModifiedIndex, MaxPollTime: maxPoll,
	})
	plain := pkapi.Watcher("/watched", &client.WatcherOptions{AfterIndex: r0.Node.ModifiedIndex})
	// On APIv3 both hold a watch stream open; end them with the test.
	for _, w := range []client.Watcher{resilient, plain} {
		if c, ok := w.(interface{ Close() error }); ok {
			t.Cleanup(func() { c.Close() })
		}
	}

	type result struct {
		ev  *client.Response
		err error
		at  time.Time
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resCh := make(chan result, 1)
	plainCh := make(chan result, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	t.Cleanup(func() { cancel(); wg.Wait() })
	rec.take()
	go func() {
		defer wg.Done()
		ev, err := resilient.Next(wctx)
		resCh <- result{ev, err, time.Now()}
	}()
	go func() {
		defer wg.Done()
		ev, err := plain.Next(wctx)
		plainCh <- result{ev, err, time.Now()}
	}()

	// Let the resilient watcher's poll reach the member and get its
	// headers, then freeze the member mid-poll.
	rec.waitAnswered(ctx, t, 1)
	if hosts := rec.take(); len(hosts) != 1 || hosts[0] != hostOf(t, frozen.ClientURL) {
		t.Fatalf("first poll went to %v, want %s", hosts, frozen.ClientURL)
	}
	frozen.Stop(t)
	frozenAt := time.Now()
	t.Cleanup(func() { frozen.Cont(t) })

	// Write through the other members; if the frozen one led, they elect
	// a new leader first, which Retry waits out.
	var others []string
	for _, m := range cl.Members {
		if m != frozen {
			others = append(others, m.ClientURL)
		}
	}
	wc, _ := newClient(t, cl, client.Config{API: api, Endpoints: others, HeaderTimeoutPerRequest: time.Second, Retry: &client.RetryPolicy{}})
	r1, err := client.NewKeysAPI(wc).Set(ctx, "/watched", "v1", nil)
	if err != nil {
		t.Fatalf("Set through the other members = %v", err)
	}
	wrote := time.Now()
	t.Logf("wrote v1 at index %d, %v after the freeze", r1.Node.ModifiedIndex, wrote.Sub(frozenAt))

	// The stall is noticed MaxPollTime after the poll began; the event is
	// then served from another member. Only the order is checked: the
	// event comes, and not from the frozen member; the test's context
	// bounds a watcher that never delivers.
	var got result
	select {
	case got = <-resCh:
	case <-ctx.Done():
		t.Fatalf("resilient watcher delivered nothing %v after the freeze (MaxPollTime %v)", time.Since(frozenAt), maxPoll)
	}
	// Retry may have sent the Set twice (a first attempt that timed out
	// during an election can still commit), so the first event is the set
	// of v1 at its first application: after r0, at r1 at the latest.
	if got.err != nil || got.ev.Node.Value != "v1" || got.ev.Node.ModifiedIndex <= r0.Node.ModifiedIndex || got.ev.Node.ModifiedIndex > r1.Node.ModifiedIndex {
		t.Fatalf("resilient Next = %+v, %v; want the set of v1 after %d, at %d at the latest", got.ev, got.err, r0.Node.ModifiedIndex, r1.Node.ModifiedIndex)
	}
	t.Logf("resilient watcher delivered %v after the freeze", got.at.Sub(frozenAt))
	for _, h := range rec.take() {
		if h == hostOf(t, frozen.ClientURL) {
			t.Errorf("the re-issued poll went to the frozen member %s", h)
		}
	}

	select {
	case p := <-plainCh:
		t.Fatalf("plain watcher pinned to the frozen member returned %+v, %v; want it stuck", p.ev, p.err)
	case <-time.After(500 * time.Millisecond):
	}
	cancel()
	if p := <-plainCh; !errors.Is(p.err, context.Canceled) {
		t.Errorf("plain Next after cancel = %v, want context.Canceled", p.err)
	}
}
