package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestV3Faults_CASAndInOrder: goroutines increment a counter with
// compare-and-swap and add in-order keys through APIv3 on a 3-member
// cluster while one member is SIGKILLed and restarted and another
// SIGSTOPped and thawed. Every write carries a payload of its own, so the
// history shows exactly which writes applied: the counter's events must
// count 1, 2, 3... (none lost, none doubled), each applied increment must be
// one the client acknowledged with that very value or one whose outcome it
// called unknown, and each acknowledged one must be there once. In-order
// names must be unique and increase with their creation, and hold every
// acknowledged payload once and no payload the client did not send. The
// phases wait for calls to complete, not for time to pass.
func TestV3Faults_CASAndInOrder(t *testing.T) {
	t.Parallel()
	version := v3TestVersion(t)
	cl := etcdtest.Start(t, 3, etcdtest.Options{Version: version, V3Only: true})
	c, _ := newClient(t, cl, client.Config{API: client.APIv3, V3KeyPrefix: "faults", HeaderTimeoutPerRequest: 2 * time.Second})
	kapi := client.NewKeysAPI(c)
	ctx := ctxFor(t, 50*time.Second)

	start, err := kapi.Set(ctx, "/ctr", "0 start", nil)
	if err != nil {
		t.Fatalf("Set(/ctr) = %v", err)
	}

	const (
		workers = 6
		// phase is how many calls complete between two faults.
		phase = 60
	)
	type inOrder struct {
		payload, name string
		created       uint64
	}
	var (
		mu         sync.Mutex
		ackedCAS   = map[string]int{} // payload -> counter value acknowledged
		unknownCAS = map[string]bool{}
		failedCAS  = map[string]bool{} // answered "Compare failed"
		ackedIO    []inOrder
		unknownIO  = map[string]bool{}
		otherErrs  = map[string]int{}
		completed  atomic.Int64
		progress   = make(chan struct{}, 1)
	)
	done := func() {
		completed.Add(1)
		select {
		case progress <- struct{}{}:
		default:
		}
	}
	// unknown reports whether err leaves a write's outcome open: any error
	// but a v2 refusal, which etcd gave after deciding. Called under mu.
	unknown := func(err error) bool {
		var e client.Error
		if !errors.As(err, &e) {
			otherErrs[fmt.Sprintf("%T", err)]++
			return true
		}
		return false
	}

	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; wctx.Err() == nil; i++ {
				cctx, cancel := context.WithTimeout(wctx, 10*time.Second)
				if i%2 == 0 {
					// One increment: read, then swap in value+1.
					payload := fmt.Sprintf("w%d-%d", w, i)
					r, err := kapi.Get(cctx, "/ctr", &client.GetOptions{Quorum: true})
					if err == nil {
						n, _ := strconv.Atoi(strings.Fields(r.Node.Value)[0])
						_, err = kapi.Set(cctx, "/ctr", fmt.Sprintf("%d %s", n+1, payload), &client.SetOptions{PrevValue: r.Node.Value})
						var e client.Error
						mu.Lock()
						switch {
						case err == nil:
							ackedCAS[payload] = n + 1
						case errors.As(err, &e) && e.Code == client.ErrorCodeTestFailed:
							failedCAS[payload] = true
						case unknown(err):
							unknownCAS[payload] = true
						default:
							t.Errorf("CAS(%s) = %v", payload, err)
						}
						mu.Unlock()
					}
				} else {
					payload := fmt.Sprintf("q%d-%d", w, i)
					r, err := kapi.CreateInOrder(cctx, "/q", payload, nil)
					mu.Lock()
					switch {
					case err == nil:
						ackedIO = append(ackedIO, inOrder{payload, r.Node.Key, r.Node.CreatedIndex})
					case unknown(err):
						unknownIO[payload] = true
					default:
						t.Errorf("CreateInOrder(%s) = %v", payload, err)
					}
					mu.Unlock()
				}
				cancel()
				if wctx.Err() == nil {
					done()
				}
			}
		}()
	}
	waitCalls := func(what string, n int64) {
		t.Helper()
		target := completed.Load() + n
		for completed.Load() < target {
			select {
			case <-progress:
			case <-ctx.Done():
				t.Fatalf("%s: %d calls completed, want %d: %v", what, completed.Load(), target, ctx.Err())
			}
		}
	}
	waitCalls("before the faults", phase)
	killed := cl.Members[0] // the pinned member: the first endpoint
	killed.Kill(t)
	waitCalls("with "+killed.Name+" killed", phase)
	killed.Restart(t)
	waitCalls("after "+killed.Name+" restarted", phase)
	frozen := cl.Members[1]
	frozen.Stop(t)
	waitCalls("with "+frozen.Name+" frozen", phase)
	frozen.Cont(t)
	waitCalls("after "+frozen.Name+" thawed", phase)
	stop()
	wg.Wait()

	// The counter's history, from the watch: each event one applied
	// increment.
	final, err := kapi.Get(ctx, "/ctr", &client.GetOptions{Quorum: true})
	if err != nil {
		t.Fatalf("Get(/ctr) = %v", err)
	}
	w := kapi.Watcher("/ctr", &client.WatcherOptions{AfterIndex: start.Index})
	defer w.(interface{ Close() error }).Close()
	applied := map[string]bool{}
	want := 1
	for idx := start.Index; idx < final.Node.ModifiedIndex; {
		ev, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("history of /ctr: %v", err)
		}
		idx = ev.Node.ModifiedIndex
		f := strings.Fields(ev.Node.Value)
		n, _ := strconv.Atoi(f[0])
		if ev.Action != "compareAndSwap" || n != want || len(f) != 2 {
			t.Fatalf("event %d of /ctr: %s %q, want a compareAndSwap to %d", want, ev.Action, ev.Node.Value, want)
		}
		want++
		p := f[1]
		switch {
		case applied[p]:
			t.Errorf("increment %s applied twice", p)
		case failedCAS[p]:
			t.Errorf("increment %s applied (to %d) though the client answered Compare failed", p, n)
		case !unknownCAS[p] && ackedCAS[p] == 0:
			t.Errorf("increment %s applied but never acknowledged nor left unknown", p)
		case ackedCAS[p] != 0 && ackedCAS[p] != n:
			t.Errorf("increment %s acknowledged as %d, applied as %d", p, ackedCAS[p], n)
		}
		applied[p] = true
	}
	unknownApplied := 0
	for p := range unknownCAS {
		if applied[p] {
			unknownApplied++
		}
	}
	for p, n := range ackedCAS {
		if !applied[p] {
			t.Errorf("acknowledged increment %s (to %d) lost", p, n)
		}
	}
	counter, _ := strconv.Atoi(strings.Fields(final.Node.Value)[0])
	if counter != len(ackedCAS)+unknownApplied {
		t.Errorf("counter = %d, want %d acknowledged + %d of unknown outcome that applied", counter, len(ackedCAS), unknownApplied)
	}

	// The in-order keys.
	q, err := kapi.Get(ctx, "/q", &client.GetOptions{Quorum: true, Sort: true})
	if err != nil {
		t.Fatalf("Get(/q) = %v", err)
	}
	byPayload := map[string]*client.Node{}
	var last *client.Node
	for _, n := range q.Node.Nodes {
		if byPayload[n.Value] != nil {
			t.Errorf("payload %s stored twice: %s and %s", n.Value, byPayload[n.Value].Key, n.Key)
		}
		byPayload[n.Value] = n
		if last != nil && n.CreatedIndex <= last.CreatedIndex {
			t.Errorf("in-order names do not increase with creation: %s (created %d) after %s (created %d)", n.Key, n.CreatedIndex, last.Key, last.CreatedIndex)
		}
		last = n
	}
	for _, a := range ackedIO {
		n := byPayload[a.payload]
		if n == nil || n.Key != a.name || n.CreatedIndex != a.created {
			t.Errorf("acknowledged in-order key %s (%s) = %+v", a.payload, a.name, n)
		}
	}
	unknownStored := 0
	for p := range byPayload {
		switch {
		case unknownIO[p]:
			unknownStored++
		case !slices.ContainsFunc(ackedIO, func(a inOrder) bool { return a.payload == p }):
			t.Errorf("in-order payload %s stored but never acknowledged nor left unknown", p)
		}
	}
	if len(q.Node.Nodes) != len(ackedIO)+unknownStored {
		t.Errorf("%d in-order keys, want %d acknowledged + %d of unknown outcome", len(q.Node.Nodes), len(ackedIO), unknownStored)
	}
	t.Logf("etcd %s: %d calls; CAS: %d acknowledged, %d compare failed, %d unknown (%d of them applied), counter %d; CreateInOrder: %d acknowledged, %d unknown (%d stored); other errors %v",
		version, completed.Load(), len(ackedCAS), len(failedCAS), len(unknownCAS), unknownApplied, counter, len(ackedIO), len(unknownIO), unknownStored, otherErrs)
	if len(ackedCAS) == 0 || len(ackedIO) == 0 {
		t.Errorf("no acknowledged writes: the test proved nothing")
	}
}
