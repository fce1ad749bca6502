package clienttest

// This file holds events, the history of the last 1,000 of them, and the
// watchers waiting for new ones: publishing an event, delivering it, and
// finding a past one for a watch that starts behind the current index.
// Watch, Unwatch, closeWatchers and waitWatching take store.mu; the other
// functions are called with it held.

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// historySize is how many events etcd keeps for watchers that ask for a
// past index.
const historySize = 1000

// watcherBuffer is how many events a watcher may have pending before it is
// dropped, as etcd does with a slow stream.
const watcherBuffer = 100

// Event actions, as etcd spells them.
const (
	actionGet              = "get"
	actionSet              = "set"
	actionCreate           = "create"
	actionUpdate           = "update"
	actionDelete           = "delete"
	actionCompareAndSwap   = "compareAndSwap"
	actionCompareAndDelete = "compareAndDelete"
	actionExpire           = "expire"
)

// event is the outcome of a successful keys call, and what watchers get.
type event struct {
	Action   string    `json:"action"`
	Node     *nodeJSON `json:"node,omitempty"`
	PrevNode *nodeJSON `json:"prevNode,omitempty"`

	etcdIndex uint64
	refresh   bool // a TTL refresh: kept in history but never delivered
	internal  bool // a membership change: takes an index, no key watches it
}

func (e *event) index() uint64 { return e.Node.ModifiedIndex }

// created tells whether the answer is 201 rather than 200.
func (e *event) created() bool {
	return e.Action == actionCreate || (e.Action == actionSet && e.PrevNode == nil)
}

func newEvent(action, p string, modified, created uint64) *event {
	return &event{Action: action, Node: &nodeJSON{Key: wireKey(p), ModifiedIndex: modified, CreatedIndex: created}}
}

// watcher waits for the first event at or after sinceIndex on key (or
// below it, when recursive).
type watcher struct {
	// Set by Watch, never changed after.
	key        string
	recursive  bool
	stream     bool
	sinceIndex uint64
	startIndex uint64 // the store index when the watch began
	ch         chan *event

	removed bool // guarded by store.mu; once set, ch gets nothing more
}

func (s *store) addHistory(e *event) {
	if len(s.history) == historySize {
		copy(s.history, s.history[1:])
		s.history = s.history[:historySize-1]
	}
	s.history = append(s.history, e)
}

// publish stores e in the history and hands it to the watchers of its key
// and of every directory above it. A refresh is recorded but not delivered.
func (s *store) publish(e *event, refresh bool) {
	e.refresh = refresh
	s.addHistory(e)
	if refresh {
		return
	}
	key := e.Node.Key
	if key == "" {
		key = "/"
	}
	cur := "/"
	s.notifyAt(e, cur, false)
	for _, part := range strings.Split(key, "/") {
		if part == "" {
			continue
		}
		cur = path.Join(cur, part)
		s.notifyAt(e, cur, false)
	}
}

// isHidden tells whether keyPath lies in a hidden part of the tree as seen
// from watchPath.
func isHidden(watchPath, keyPath string) bool {
	if len(watchPath) > len(keyPath) {
		return false
	}
	after := path.Clean("/" + keyPath[len(watchPath):])
	return strings.Contains(after, "/_")
}

// notifyAt delivers e to the watchers registered at p. deleted is set when
// p itself goes away with a deleted directory.
func (s *store) notifyAt(e *event, p string, deleted bool) {
	ws := s.watchers[p]
	if len(ws) == 0 {
		return
	}
	key := e.Node.Key
	if key == "" {
		key = "/"
	}
	original := key == p
	kept := ws[:0]
	for _, w := range ws {
		if (original || !isHidden(p, key)) && (w.recursive || original || deleted) && e.index() >= w.sinceIndex {
			select {
			case w.ch <- e:
			default:
				// A watcher that cannot keep up is dropped, as etcd does.
				w.removed = true
				close(w.ch)
				continue
			}
			if !w.stream {
				w.removed = true
				continue
			}
		}
		kept = append(kept, w)
	}
	if len(kept) != len(ws) {
		s.watchersChanged.changed()
	}
	if len(kept) == 0 {
		delete(s.watchers, p)
	} else {
		s.watchers[p] = kept
	}
}

// scan looks for the first event at or after index that concerns key.
func (s *store) scan(key string, recursive bool, index uint64) (*event, *storeError) {
	var start, last uint64
	if len(s.history) > 0 {
		start = s.history[0].index()
		last = s.history[len(s.history)-1].index()
	}
	if index < start {
		return nil, newError(codeEventIndexCleared, fmt.Sprintf("the requested history has been cleared [%v/%v]", start, index), 0)
	}
	if index > last {
		return nil, nil
	}
	prefix := key
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	for _, e := range s.history[index-start:] {
		if e.refresh || e.internal {
			continue
		}
		ek := e.Node.Key
		if ek == "" {
			ek = "/"
		}
		ok := ek == key || (recursive && strings.HasPrefix(ek, prefix))
		if (e.Action == actionDelete || e.Action == actionExpire) && e.PrevNode != nil && e.PrevNode.Dir {
			ok = ok || strings.HasPrefix(key, e.PrevNode.Key)
		}
		if ok {
			return e, nil
		}
	}
	return nil, nil
}

// Watch registers a watcher for the first event on key at or after
// sinceIndex (0: the next one). A past event is delivered at once.
func (s *store) Watch(key string, recursive, stream bool, sinceIndex uint64) (*watcher, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key = cleanPath(key)
	if sinceIndex == 0 {
		sinceIndex = s.index + 1
	}
	e, err := s.scan(key, recursive, sinceIndex)
	if err != nil {
		err.Index = s.index
		return nil, err
	}
	w := &watcher{key: key, recursive: recursive, stream: stream, sinceIndex: sinceIndex,
		startIndex: s.index, ch: make(chan *event, watcherBuffer)}
	if e != nil {
		w.ch <- e
		if !stream {
			w.removed = true
			return w, nil
		}
	}
	if s.closed {
		w.removed = true
		close(w.ch)
		return w, nil
	}
	s.watchers[key] = append(s.watchers[key], w)
	s.watchersChanged.changed()
	return w, nil
}

// Unwatch forgets w if it still waits.
func (s *store) Unwatch(w *watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.removed {
		return
	}
	w.removed = true
	ws := s.watchers[w.key]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(s.watchers, w.key)
	} else {
		s.watchers[w.key] = ws
	}
	s.watchersChanged.changed()
}

// closeWatchers ends every waiting watch, for shutdown.
func (s *store) closeWatchers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for k, ws := range s.watchers {
		for _, w := range ws {
			w.removed = true
			close(w.ch)
		}
		delete(s.watchers, k)
	}
	s.watchersChanged.changed()
}

// waitWatching blocks until exactly n watchers wait at key (a cleaned
// path), or ctx ends. The package's tests use it to write only once a
// watch is in place, instead of sleeping.
func (s *store) waitWatching(ctx context.Context, key string, n int) error {
	key = cleanPath(key)
	for {
		s.mu.Lock()
		have := len(s.watchers[key])
		ch := s.watchersChanged.wait()
		s.mu.Unlock()
		if have == n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%d watchers at %s, want %d: %w", have, key, n, ctx.Err())
		}
	}
}
