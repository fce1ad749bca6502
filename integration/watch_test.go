package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestWatch covers watchers against one real member, with the writes made
// by a second client so that events really come from another writer.
func TestWatch(t *testing.T) {
	t.Parallel()
	cl := etcdtest.Start(t, 1)
	wc, _ := newClient(t, cl, client.Config{})
	watcher := client.NewKeysAPI(wc)
	pc, _ := newClient(t, cl, client.Config{})
	writer := client.NewKeysAPI(pc)

	t.Run("event_from_another_writer", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		w := watcher.Watcher("/w/key", nil)
		type result struct {
			resp *client.Response
			err  error
		}
		got := make(chan result, 1)
		go func() {
			resp, err := w.Next(ctx)
			got <- result{resp, err}
		}()
		// A watcher without AfterIndex sees only writes after its request
		// arrived, which the test cannot observe; so it writes until the
		// watcher reports one of its writes.
		written := map[uint64]string{}
		var r result
	loop:
		for i := 0; ; i++ {
			v := fmt.Sprint("hello-", i)
			set, err := writer.Set(ctx, "/w/key", v, nil)
			if err != nil {
				t.Fatalf("Set(/w/key) = %v", err)
			}
			written[set.Node.ModifiedIndex] = v
			select {
			case r = <-got:
				break loop
			case <-time.After(100 * time.Millisecond):
			}
		}
		if r.err != nil || r.resp.Action != "set" || written[r.resp.Node.ModifiedIndex] != r.resp.Node.Value {
			t.Fatalf("Next() = %+v, %v; want one of the sets %v", r.resp, r.err, written)
		}

		// The watcher continues after the event it returned: it sees any
		// later set of the loop above, then the delete.
		del, err := writer.Delete(ctx, "/w/key", nil)
		if err != nil {
			t.Fatalf("Delete(/w/key) = %v", err)
		}
		last := r.resp.Node.ModifiedIndex
		for {
			resp, err := w.Next(ctx)
			if err != nil || resp.Node.ModifiedIndex <= last {
				t.Fatalf("later Next() = %+v, %v; want an event after index %d", resp, err, last)
			}
			last = resp.Node.ModifiedIndex
			if resp.Action == "delete" {
				if last != del.Node.ModifiedIndex {
					t.Errorf("Next() delete at %d, want %d", last, del.Node.ModifiedIndex)
				}
				break
			}
		}
	})

	t.Run("recursive_directory", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		base, err := writer.Set(ctx, "/wdir", "", &client.SetOptions{Dir: true})
		if err != nil {
			t.Fatalf("Set(/wdir, Dir) = %v", err)
		}
		w := watcher.Watcher("/wdir", &client.WatcherOptions{AfterIndex: base.Node.ModifiedIndex, Recursive: true})
		for _, k := range []string{"/wdir/a", "/wdir/sub/b"} {
			if _, err := writer.Set(ctx, k, "v", nil); err != nil {
				t.Fatalf("Set(%q) = %v", k, err)
			}
		}
		for _, want := range []string{"/wdir/a", "/wdir/sub/b"} {
			resp, err := w.Next(ctx)
			if err != nil || resp.Node.Key != want {
				t.Fatalf("Next() = %+v, %v; want an event on %s", resp, err, want)
			}
		}

		// Without Recursive, a change below the directory is no event of it.
		flat := watcher.Watcher("/wdir", &client.WatcherOptions{AfterIndex: base.Node.ModifiedIndex})
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		if resp, err := flat.Next(short); err != context.DeadlineExceeded {
			t.Errorf("non-recursive Next() = %+v, %v; want no event (context.DeadlineExceeded)", resp, err)
		}
	})

	t.Run("after_index_replays", func(t *testing.T) {
		ctx := ctxFor(t, 10*time.Second)
		var idx []uint64
		for i := range 3 {
			resp, err := writer.Set(ctx, "/replay", fmt.Sprint(i), nil)
			if err != nil {
				t.Fatalf("Set(/replay, %d) = %v", i, err)
			}
			idx = append(idx, resp.Node.ModifiedIndex)
		}
		w := watcher.Watcher("/replay", &client.WatcherOptions{AfterIndex: idx[0]})
		for i, want := range []string{"1", "2"} {
			resp, err := w.Next(ctx)
			if err != nil || resp.Node.Value != want || resp.Node.ModifiedIndex != idx[i+1] {
				t.Fatalf("replayed Next() #%d = %+v, %v; want value %s at %d", i, resp, err, want, idx[i+1])
			}
		}
	})

	t.Run("cancel_blocked_next", func(t *testing.T) {
		// A client of its own, so that its recorder sees only the watch.
		c, rec := newClient(t, cl, client.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		w := client.NewKeysAPI(c).Watcher("/never", nil)
		done := make(chan error, 1)
		go func() {
			_, err := w.Next(ctx)
			done <- err
		}()
		// etcd answers a watch's headers at once and holds its body: once
		// they arrived, Next is blocked on the event that never comes.
		rec.waitAnswered(ctxFor(t, time.Minute), t, 1)
		cancel()
		select {
		case err := <-done:
			if err != context.Canceled {
				t.Errorf("Next() after cancel = %v, want exactly context.Canceled", err)
			}
		case <-time.After(time.Minute):
			// Only a Next that ignores its context gets here.
			t.Fatal("Next() still blocked a minute after its context was cancelled")
		}
	})

	t.Run("event_index_cleared", func(t *testing.T) {
		ctx := ctxFor(t, 60*time.Second)
		first, err := writer.Set(ctx, "/old", "v", nil)
		if err != nil {
			t.Fatalf("Set(/old) = %v", err)
		}
		// The v2 store keeps the last 1000 events; more writes than that
		// push the one at first's index out of the history.
		const writes, workers = 1010, 8
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for g := range workers {
			wg.Go(func() {
				for i := g; i < writes; i += workers {
					if _, err := writer.Set(ctx, fmt.Sprintf("/churn/%d", g), fmt.Sprint(i), nil); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("churn Set = %v", err)
		}

		w := watcher.Watcher("/old", &client.WatcherOptions{AfterIndex: first.Node.ModifiedIndex - 1})
		_, err = w.Next(ctx)
		e, ok := err.(client.Error)
		if !ok || e.Code != client.ErrorCodeEventIndexCleared || e.Index < first.Node.ModifiedIndex+writes {
			t.Fatalf("Next() from a cleared index = %T %v, want a client.Error with code %d and the current index", err, err, client.ErrorCodeEventIndexCleared)
		}
		if e.Message != "The event in requested index is outdated and cleared" {
			t.Errorf("Next() error message = %q, want etcd's text", e.Message)
		}

		// The usual recovery: watch again from the index the error names.
		if _, err := writer.Set(ctx, "/old", "new", nil); err != nil {
			t.Fatalf("Set(/old, new) = %v", err)
		}
		w = watcher.Watcher("/old", &client.WatcherOptions{AfterIndex: e.Index})
		resp, err := w.Next(ctx)
		if err != nil || resp.Node.Value != "new" {
			t.Errorf("Next() after recovery = %+v, %v; want the set of new", resp, err)
		}
	})
}

// TestWatch_ownTransport: a client without Config.Transport carries its
// watches itself over plain HTTP (longpoll.go, no net/http goroutines per
// poll). Against real etcd, successive events reach one watcher, and a
// member killed and restarted between polls costs nothing: the idle
// connection it closed is replaced.
func TestWatch_ownTransport(t *testing.T) {
	t.Parallel()
	cl := etcdtest.Start(t, 1)
	c, err := client.New(client.Config{Endpoints: cl.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.(interface{ CloseIdleConnections() }).CloseIdleConnections)
	kapi := client.NewKeysAPI(c)
	ctx := ctxFor(t, 60*time.Second)
	r0, err := kapi.Set(ctx, "/lp", "0", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := kapi.Watcher("/lp", &client.WatcherOptions{AfterIndex: r0.Node.ModifiedIndex})
	next := func(want string) {
		t.Helper()
		if _, err := kapi.Set(ctx, "/lp", want, nil); err != nil {
			t.Fatalf("Set(/lp, %s) = %v", want, err)
		}
		ev, err := w.Next(ctx)
		if err != nil || ev.Node.Value != want {
			t.Fatalf("Next = %+v, %v; want the set of %s", ev, err, want)
		}
	}
	for _, v := range []string{"1", "2", "3"} {
		next(v)
	}
	m := cl.Members[0]
	m.Kill(t)
	m.Restart(t)
	// The last poll left its connection for the next, which the kill
	// closed. (A new watcher from the index of a write made after the
	// restart: the etcd stand-in starts empty again.)
	r, err := kapi.Set(ctx, "/lp", "after restart", nil)
	if err != nil {
		t.Fatalf("Set after the restart = %v", err)
	}
	w = kapi.Watcher("/lp", &client.WatcherOptions{AfterIndex: r.Node.ModifiedIndex - 1})
	if ev, err := w.Next(ctx); err != nil || ev.Node.Value != "after restart" {
		t.Fatalf("Next after the restart = %+v, %v; want the set of after restart", ev, err)
	}
}
