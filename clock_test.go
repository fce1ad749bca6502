package client

// Test controls that replace time where the client waits, so a test says
// when a header timeout fires, when a context ends and what Retry paused,
// instead of racing real durations on a loaded machine.

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// manualTimers replaces a client's header timers: none fires until the
// test calls fire.
type manualTimers struct {
	mu     sync.Mutex // guards timers
	timers []*manualTimer
}

type manualTimer struct {
	mu      sync.Mutex // guards state
	f       func()
	d       time.Duration
	stopped bool
	fired   bool
}

func (mt *manualTimer) Stop() bool {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if mt.fired || mt.stopped {
		return false
	}
	mt.stopped = true
	return true
}

// useManualTimers makes c's header timers manual.
func useManualTimers(c *httpClusterClient) *manualTimers {
	m := &manualTimers{}
	c.transport.afterFunc = func(d time.Duration, f func()) stopper {
		mt := &manualTimer{f: f, d: d}
		m.mu.Lock()
		m.timers = append(m.timers, mt)
		m.mu.Unlock()
		return mt
	}
	return m
}

// expireFirstHeaderTimer makes c's first header timer fire at once and
// every later one never, so the first member asked times out however
// quickly it would answer and the next one answers however slowly: no
// real duration races a fake member's answer.
func expireFirstHeaderTimer(c *httpClusterClient) {
	var started atomic.Int32
	c.transport.afterFunc = func(d time.Duration, f func()) stopper {
		if started.Add(1) == 1 {
			return time.AfterFunc(0, f)
		}
		return &manualTimer{f: f, d: d}
	}
}

// count is the number of header timers started so far.
func (m *manualTimers) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.timers)
}

// fire fires every timer that is neither stopped nor fired yet, as if
// its duration had passed, and returns how many fired.
func (m *manualTimers) fire() int {
	m.mu.Lock()
	timers := append([]*manualTimer(nil), m.timers...)
	m.mu.Unlock()
	n := 0
	for _, mt := range timers {
		mt.mu.Lock()
		live := !mt.fired && !mt.stopped
		mt.fired = mt.fired || live
		mt.mu.Unlock()
		if live {
			mt.f()
			n++
		}
	}
	return n
}

// triggerCtx is a context the test ends at a moment of its choosing with
// the error of its choosing, context.DeadlineExceeded included, so a
// "deadline" never depends on how fast the machine is.
type triggerCtx struct {
	context.Context // Background: no values, no deadline
	done            chan struct{}
	once            sync.Once
	mu              sync.Mutex // guards err
	err             error
}

func newTriggerCtx(t *testing.T) *triggerCtx {
	c := &triggerCtx{Context: context.Background(), done: make(chan struct{})}
	t.Cleanup(func() { c.end(context.Canceled) })
	return c
}

func (c *triggerCtx) Done() <-chan struct{} { return c.done }

func (c *triggerCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// end ends the context with err; later calls do nothing.
func (c *triggerCtx) end(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	})
}

// recordPauses replaces the pauses between Retry rounds: each is
// recorded and returns at once, and onPause (if not nil) may end the
// caller's context to stop the rounds.
func recordPauses(c *httpClusterClient, onPause func(n int)) *[]time.Duration {
	var (
		mu     sync.Mutex
		pauses []time.Duration
	)
	c.pause = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		pauses = append(pauses, d)
		n := len(pauses)
		mu.Unlock()
		if onPause != nil {
			onPause(n)
		}
		return ctx.Err()
	}
	return &pauses
}
