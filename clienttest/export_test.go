package clienttest

import "context"

// This file lends the package's external tests two views of the server's
// state, so that they can wait for an event instead of sleeping.

// WaitWatching blocks until exactly n watches wait for events at key, or
// ctx ends.
func WaitWatching(ctx context.Context, s *Server, key string, n int) error {
	return s.store.waitWatching(ctx, key, n)
}

// WaitHeld blocks until exactly n requests or connections to m are held by
// Hang or Freeze, or ctx ends.
func WaitHeld(ctx context.Context, m *Member, n int) error {
	return m.waitHeld(ctx, n)
}

// V3Watches is how many v3 watches are registered in s, for tests that
// wait until a watch is open.
func V3Watches(s *Server) int {
	s.v3.mu.Lock()
	defer s.v3.mu.Unlock()
	return len(s.v3.watchers)
}
