package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newRSWClient returns a client for eps on a transport of its own, whose
// idle connections are closed when the test ends.
func newRSWClient(t *testing.T, eps ...string) Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(Config{Endpoints: eps, Transport: tr})
	if err != nil {
		t.Fatalf("New(%q) = %v", eps, err)
	}
	return c
}

func TestIsEventIndexCleared(t *testing.T) {
	cleared := Error{Code: ErrorCodeEventIndexCleared, Message: "The event in requested index is outdated and cleared", Index: 1029}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"value", cleared, true},
		{"pointer", &cleared, true},
		{"nil_pointer", (*Error)(nil), false},
		{"wrapped", fmt.Errorf("watch /quiet: %w", cleared), true},
		{"wrapped_pointer", fmt.Errorf("watch: %w", &cleared), true},
		{"in_cluster_error", &ClusterError{Errors: []error{errors.New("refused"), cleared}}, true},
		{"key_not_found", Error{Code: ErrorCodeKeyNotFound}, false},
		{"watcher_cleared", Error{Code: ErrorCodeWatcherCleared}, false},
		{"other", errors.New("401"), false},
		{"context", context.Canceled, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsEventIndexCleared(tc.err); got != tc.want {
				t.Errorf("IsEventIndexCleared(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// historyServer imitates an etcd member whose event history starts after
// index 1000: waits from earlier indexes fail with 401, a Get answers at
// index 2000, and a wait from 2001 returns one event.
type historyServer struct {
	keyExists bool

	mu         sync.Mutex // guards the fields below
	waitIdx    []uint64
	getQueries []url.Values
}

func (h *historyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Etcd-Cluster-Id", "48276a8f75b6a87")
	if q.Get("wait") != "true" {
		h.mu.Lock()
		h.getQueries = append(h.getQueries, q)
		h.mu.Unlock()
		w.Header().Set("X-Etcd-Index", "2000")
		if !h.keyExists {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"errorCode":100,"message":"Key not found","cause":%q,"index":2000}`, r.URL.Path)
			return
		}
		fmt.Fprint(w, `{"action":"get","node":{"key":"/quiet","value":"v1","modifiedIndex":5,"createdIndex":5}}`)
		return
	}
	idx, _ := strconv.ParseUint(q.Get("waitIndex"), 10, 64)
	h.mu.Lock()
	h.waitIdx = append(h.waitIdx, idx)
	h.mu.Unlock()
	switch {
	case idx <= 1000:
		w.Header().Set("X-Etcd-Index", "1029")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [30/2]","index":1029}`)
	case idx <= 2001:
		w.Header().Set("X-Etcd-Index", "2001")
		fmt.Fprint(w, `{"action":"set","node":{"key":"/quiet","value":"v2","modifiedIndex":2001,"createdIndex":2001}}`)
	default:
		<-r.Context().Done()
	}
}

func TestResilientWatcher_Next_resync(t *testing.T) {
	tests := []struct {
		name      string
		recursive bool
		keyExists bool
	}{
		{"key", false, true},
		{"recursive", true, true},
		{"missing_key", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &historyServer{keyExists: tc.keyExists}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			kapi := NewKeysAPI(newRSWClient(t, srv.URL))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			// The plain watcher is stuck with the error for good.
			plain := kapi.Watcher("/quiet", &WatcherOptions{AfterIndex: 7, Recursive: tc.recursive})
			for i := range 2 {
				if _, err := plain.Next(ctx); !IsEventIndexCleared(err) {
					t.Fatalf("plain Watcher.Next #%d = %v, want event index cleared", i, err)
				}
			}

			w := NewResilientWatcher(kapi, "/quiet", &ResilientWatcherOptions{AfterIndex: 7, Recursive: tc.recursive})
			r, err := w.Next(ctx)
			if err != nil {
				t.Fatalf("resilient Next = %v, want a resync", err)
			}
			if r.Action != ActionResync || r.Index != 2000 {
				t.Fatalf("resilient Next = {Action: %q, Index: %d}, want {%q, 2000}", r.Action, r.Index, ActionResync)
			}
			if tc.keyExists {
				if r.Node == nil || r.Node.Value != "v1" || r.ClusterID != "48276a8f75b6a87" {
					t.Fatalf("resync = %+v (node %v), want node /quiet=v1 and the cluster ID", r, r.Node)
				}
			} else if r.Node != nil {
				t.Fatalf("resync node = %v, want nil for a missing key", r.Node)
			}

			r, err = w.Next(ctx)
			if err != nil || r.Action != "set" || r.Node == nil || r.Node.ModifiedIndex != 2001 {
				t.Fatalf("Next after resync = %+v, %v; want the set at 2001", r, err)
			}

			h.mu.Lock()
			defer h.mu.Unlock()
			if want := []uint64{8, 8, 8, 2001}; fmt.Sprint(h.waitIdx) != fmt.Sprint(want) {
				t.Errorf("waitIndex of the polls = %v, want %v", h.waitIdx, want)
			}
			if len(h.getQueries) != 1 {
				t.Fatalf("Gets = %d, want 1", len(h.getQueries))
			}
			if got := h.getQueries[0].Get("recursive"); got != strconv.FormatBool(tc.recursive) {
				t.Errorf("resync Get recursive = %q, want %v", got, tc.recursive)
			}
		})
	}
}

func TestResilientWatcher_Next_getFails(t *testing.T) {
	var waits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etcd-Index", "1029")
		if r.URL.Query().Get("wait") == "true" {
			waits.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"errorCode":401,"message":"cleared","cause":"","index":1029}`)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}`)
	}))
	t.Cleanup(srv.Close)
	w := NewResilientWatcher(NewKeysAPI(newRSWClient(t, srv.URL)), "/k", &ResilientWatcherOptions{AfterIndex: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 2 {
		_, err := w.Next(ctx)
		var e Error
		if !errors.As(err, &e) || e.Code != ErrorCodeUnauthorized {
			t.Fatalf("Next #%d = %v, want the Get's Error 110", i, err)
		}
	}
	// Each Next tried the watch again from the old index before resyncing.
	if got := waits.Load(); got != 2 {
		t.Errorf("watch polls = %d, want 2", got)
	}
}

// stallingMember answers the first long poll of all its group with
// headers and then nothing, like a member frozen mid-poll; every later
// poll gets an event.
type stallingMember struct {
	group *stallGroup
	name  string
}

type stallGroup struct {
	mu    sync.Mutex // guards polls
	polls []string   // member name per wait request, in order
}

func (s *stallingMember) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Etcd-Index", "41")
	if r.URL.Query().Get("wait") != "true" {
		fmt.Fprint(w, `{"action":"get","node":{"key":"/k","value":"x","modifiedIndex":3,"createdIndex":3}}`)
		return
	}
	s.group.mu.Lock()
	first := len(s.group.polls) == 0
	s.group.polls = append(s.group.polls, s.name)
	s.group.mu.Unlock()
	if first {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	fmt.Fprint(w, `{"action":"set","node":{"key":"/k","value":"y","modifiedIndex":42,"createdIndex":3}}`)
}

func TestResilientWatcher_Next_stalledPoll(t *testing.T) {
	g := &stallGroup{}
	a := httptest.NewServer(&stallingMember{group: g, name: "a"})
	t.Cleanup(a.Close)
	b := httptest.NewServer(&stallingMember{group: g, name: "b"})
	t.Cleanup(b.Close)
	c := newRSWClient(t, a.URL, b.URL)
	kapi := NewKeysAPI(c)

	const maxPoll = 200 * time.Millisecond
	w := NewResilientWatcher(kapi, "/k", &ResilientWatcherOptions{MaxPollTime: maxPoll})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	r, err := w.Next(ctx)
	if err != nil || r.Node == nil || r.Node.ModifiedIndex != 42 {
		t.Fatalf("Next = %+v, %v; want the event at 42", r, err)
	}
	if d := time.Since(start); d < maxPoll {
		t.Errorf("Next returned after %v, before MaxPollTime %v: the stall was not waited out", d, maxPoll)
	}
	g.mu.Lock()
	polls := append([]string(nil), g.polls...)
	g.mu.Unlock()
	if len(polls) != 2 || polls[0] == polls[1] {
		t.Fatalf("polls went to %v, want two different members", polls)
	}
	// The pin moved with the poll: a plain Get now goes to the member
	// that answered, not the frozen one.
	before := len(polls)
	if _, err := kapi.Get(ctx, "/k", nil); err != nil {
		t.Fatalf("Get = %v", err)
	}
	if _, err := w.Next(ctx); err != nil {
		t.Fatalf("second Next = %v", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if got := g.polls[before]; got != polls[1] {
		t.Errorf("poll after the stall went to %q, want %q (the pin should stay off %q)", got, polls[1], polls[0])
	}
}

func TestResilientWatcher_Next_noMaxPollTime(t *testing.T) {
	g := &stallGroup{}
	a := httptest.NewServer(&stallingMember{group: g, name: "a"})
	t.Cleanup(a.Close)
	w := NewResilientWatcher(NewKeysAPI(newRSWClient(t, a.URL)), "/k", &ResilientWatcherOptions{MaxPollTime: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := w.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next = %v, want context.DeadlineExceeded", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.polls) != 1 {
		t.Errorf("polls = %v, want exactly one (no limit, no re-issue)", g.polls)
	}
}

func TestResilientWatcher_Next_callerContext(t *testing.T) {
	g := &stallGroup{}
	a := httptest.NewServer(&stallingMember{group: g, name: "a"})
	t.Cleanup(a.Close)
	w := NewResilientWatcher(NewKeysAPI(newRSWClient(t, a.URL)), "/k", &ResilientWatcherOptions{MaxPollTime: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := w.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next = %v, want context.Canceled", err)
	}
	if _, err := w.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next on a done context = %v, want context.Canceled", err)
	}
}

func TestNewResilientWatcher_options(t *testing.T) {
	kapi := NewKeysAPI(newRSWClient(t, "http://127.0.0.1:1"))
	tests := []struct {
		name string
		opts *ResilientWatcherOptions
		want time.Duration
	}{
		{"nil", nil, DefaultMaxPollTime},
		{"zero", &ResilientWatcherOptions{}, DefaultMaxPollTime},
		{"set", &ResilientWatcherOptions{MaxPollTime: time.Second}, time.Second},
		{"unbounded", &ResilientWatcherOptions{MaxPollTime: -1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewResilientWatcher(kapi, "/k", tc.opts).(*resilientWatcher)
			if w.maxPoll != tc.want {
				t.Errorf("NewResilientWatcher(%+v).maxPoll = %v, want %v", tc.opts, w.maxPoll, tc.want)
			}
		})
	}
}
