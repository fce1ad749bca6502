package integration

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestConcurrency_MemberKilledAndRestarted runs 16 goroutines of mixed calls
// on one client, with AutoSync running, while a member is killed and
// restarted. A call that ended with its context's error must return exactly
// that error, and every call must come back once its context is done (a
// call that ignored its deadline would hold wg.Wait forever: the test's
// context then fails it); -race and TestMain's goleak check the rest. The
// phases wait for calls to complete, not for time to pass.
func TestConcurrency_MemberKilledAndRestarted(t *testing.T) {
	skipOnStandin(t, "needs a three-member cluster that keeps its data across a restart")
	t.Parallel()
	cl := etcdtest.Start(t, 3)
	c, _ := newClient(t, cl, client.Config{})
	kapi := client.NewKeysAPI(c)
	mapi := client.NewMembersAPI(c)

	const (
		workers  = 16
		callTime = 2 * time.Second
		// calls is how many calls complete in each phase: before the
		// kill, while the member is down and after its restart.
		calls = 150
	)
	type op struct {
		name string
		call func(ctx context.Context, g, i int) error
	}
	ops := []op{
		{"Get", func(ctx context.Context, g, i int) error {
			_, err := kapi.Get(ctx, fmt.Sprintf("/conc/%d", g), nil)
			return err
		}},
		{"QuorumGet", func(ctx context.Context, g, i int) error {
			_, err := kapi.Get(ctx, "/conc", &client.GetOptions{Quorum: true, Recursive: true})
			return err
		}},
		{"Set", func(ctx context.Context, g, i int) error {
			_, err := kapi.Set(ctx, fmt.Sprintf("/conc/%d", g), fmt.Sprint(i), nil)
			return err
		}},
		{"Create", func(ctx context.Context, g, i int) error {
			_, err := kapi.Create(ctx, fmt.Sprintf("/conc/once/%d-%d", g, i), "v")
			return err
		}},
		{"Delete", func(ctx context.Context, g, i int) error {
			_, err := kapi.Delete(ctx, fmt.Sprintf("/conc/once/%d-%d", g, i-1), nil)
			return err
		}},
		{"CAS", func(ctx context.Context, g, i int) error {
			_, err := kapi.Set(ctx, fmt.Sprintf("/conc/%d", g), fmt.Sprint(i), &client.SetOptions{PrevValue: fmt.Sprint(i - 1)})
			return err
		}},
		{"Watch", func(ctx context.Context, g, i int) error {
			// Most of these wait for an event that a Set of the same
			// goroutine never makes, so they end at their deadline.
			wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			_, err := kapi.Watcher(fmt.Sprintf("/conc/w/%d", g), nil).Next(wctx)
			return err
		}},
		{"MembersList", func(ctx context.Context, g, i int) error {
			_, err := mapi.List(ctx)
			return err
		}},
	}

	syncCtx, stopSync := context.WithCancel(t.Context())
	syncDone := make(chan error, 1)
	go func() { syncDone <- c.AutoSync(syncCtx, 100*time.Millisecond) }()

	var (
		stop     atomic.Bool
		okCalls  atomic.Int64
		errCalls atomic.Int64
		done     atomic.Int64 // calls completed, successful or not
		mu       sync.Mutex   // guards late
		late     []string
	)
	// waitCalls waits until n more calls have completed (and, with ok,
	// succeeded).
	// guard only stops a hung test from waiting for go test's timeout.
	guard, stopGuard := context.WithTimeout(t.Context(), 3*time.Minute)
	defer stopGuard()
	waitCalls := func(n int64, ok bool) {
		t.Helper()
		counter := &done
		if ok {
			counter = &okCalls
		}
		for target := counter.Load() + n; counter.Load() < target; {
			select {
			case <-guard.Done():
				t.Fatalf("calls stopped completing: %d done, %d succeeded", done.Load(), okCalls.Load())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 1; !stop.Load(); i++ {
				o := ops[rng.IntN(len(ops))]
				ctx, cancel := context.WithTimeout(t.Context(), callTime)
				err := o.call(ctx, g, i)
				if ctxErr := ctx.Err(); ctxErr != nil && err != nil && errors.Is(err, ctxErr) && err != ctxErr {
					mu.Lock()
					late = append(late, fmt.Sprintf("%s ended with %v, want exactly %v", o.name, err, ctxErr))
					mu.Unlock()
				}
				cancel()
				if err == nil {
					okCalls.Add(1)
				} else {
					errCalls.Add(1)
				}
				done.Add(1)
			}
		})
	}

	victim := cl.Members[1]
	waitCalls(calls, false)
	victim.Kill(t)
	waitCalls(calls, false)
	victim.Restart(t)
	before := okCalls.Load()
	waitCalls(calls, true)
	stop.Store(true)
	wg.Wait()
	after := okCalls.Load()

	stopSync()
	select {
	case err := <-syncDone:
		var ce *client.ClusterError
		if err != context.Canceled && !errors.As(err, &ce) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("AutoSync() = %v, want context.Canceled (or a sync failure during the kill)", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("AutoSync() still runs 5s after its context was cancelled")
	}

	for _, l := range late {
		t.Errorf("call after its context ended: %s", l)
	}
	t.Logf("%d calls succeeded, %d failed (%d after the restart)", okCalls.Load(), errCalls.Load(), after-before)
	// The client still works normally once the cluster is whole again.
	if _, err := kapi.Set(ctxFor(t, 10*time.Second), "/conc/final", "v", nil); err != nil {
		t.Errorf("Set after the storm = %v", err)
	}
}
