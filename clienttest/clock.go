package clienttest

import (
	"sync"
	"time"
)

// Clock is a manual clock for TTLs: time stands still until Advance. Give
// it to a Server with WithClock; several servers may share one. Its
// methods are safe for concurrent use.
type Clock struct {
	mu      sync.Mutex // guards now, servers
	now     time.Time
	servers map[*Server]struct{}
}

// NewClock returns a Clock showing start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, servers: make(map[*Server]struct{})}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d. Before it returns, every key whose
// expiration has been reached is removed, each with an expire event, and
// every v3 lease whose time has come is revoked with its keys, and the
// v3 watches that asked for progress notifications get those due, in
// every server using the clock.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	servers := make([]*Server, 0, len(c.servers))
	for s := range c.servers {
		servers = append(servers, s)
	}
	c.mu.Unlock()
	for _, s := range servers {
		s.store.expire(now)
		s.v3.expire(now)
		s.v3.tickProgress(now)
	}
}

func (c *Clock) subscribe(s *Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.servers[s] = struct{}{}
}

func (c *Clock) unsubscribe(s *Server) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.servers, s)
}
