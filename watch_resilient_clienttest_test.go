package client_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// hostRecorder is a transport that records the host of every request.
type hostRecorder struct {
	http.Transport

	mu    sync.Mutex // guards hosts
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return h.Transport.RoundTrip(r)
}

func (h *hostRecorder) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.hosts
	h.hosts = nil
	return out
}

// TestResilientWatcher_clienttestFrozenMember freezes the pinned member of
// an in-memory 3-member cluster; the watcher's poll stalls there, moves on
// to another member after MaxPollTime and gets the event.
func TestResilientWatcher_clienttestFrozenMember(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithMembers(3))
	tr := &hostRecorder{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := client.New(client.Config{Endpoints: srv.Endpoints(), Transport: tr})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	kapi := client.NewKeysAPI(c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r0, err := kapi.Set(ctx, "/k", "v0", nil)
	if err != nil {
		t.Fatalf("Set = %v", err)
	}
	pinned := tr.take()[0]

	var frozen *clienttest.Member
	for _, m := range srv.Members() {
		if "http://"+pinned == m.URL() {
			frozen = m
		}
	}
	if frozen == nil {
		t.Fatalf("no member at %s", pinned)
	}
	// clienttest freezes a member's request handling, not a body already
	// being sent, so the member freezes before the poll reaches it: the
	// poll then stalls awaiting headers (the integration suite covers a
	// stall in the middle of the body with a real SIGSTOP).
	frozen.Freeze()
	t.Cleanup(frozen.Thaw)
	frozenAt := time.Now()

	const maxPoll = 300 * time.Millisecond
	w := client.NewResilientWatcher(kapi, "/k", &client.ResilientWatcherOptions{AfterIndex: r0.Index, MaxPollTime: maxPoll})
	type result struct {
		ev  *client.Response
		err error
	}
	done := make(chan result, 1)
	go func() {
		ev, err := w.Next(ctx)
		done <- result{ev, err}
	}()

	var other string
	for _, ep := range srv.Endpoints() {
		if ep != "http://"+pinned {
			other = ep
		}
	}
	wtr := &http.Transport{}
	t.Cleanup(wtr.CloseIdleConnections)
	wc, err := client.New(client.Config{Endpoints: []string{other}, Transport: wtr})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	r1, err := client.NewKeysAPI(wc).Set(ctx, "/k", "v1", nil)
	if err != nil {
		t.Fatalf("Set through %s = %v", other, err)
	}

	select {
	case got := <-done:
		if got.err != nil || got.ev.Node.Value != "v1" || got.ev.Node.ModifiedIndex != r1.Node.ModifiedIndex {
			t.Fatalf("Next = %+v, %v; want the set of v1", got.ev, got.err)
		}
	case <-time.After(maxPoll + 5*time.Second):
		t.Fatalf("Next returned nothing %v after the freeze", time.Since(frozenAt))
	}
	hosts := tr.take()
	if len(hosts) < 2 || hosts[0] != pinned || hosts[len(hosts)-1] == pinned {
		t.Errorf("polls went to %v, want the first to %s and the last elsewhere", hosts, pinned)
	}
}
