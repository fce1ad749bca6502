package clienttest

// changeSignal wakes the goroutines waiting for some state to change. It is
// guarded by the mutex of the state it belongs to, and costs nothing while
// nobody waits: the channel exists only once someone asked for it.
type changeSignal struct{ ch chan struct{} }

// wait returns a channel closed at the next change; the owner's mutex is
// held.
func (c *changeSignal) wait() <-chan struct{} {
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	return c.ch
}

// changed wakes every waiter; the owner's mutex is held.
func (c *changeSignal) changed() {
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}
