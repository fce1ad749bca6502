package clienttest

// This file holds the store, the key space every member of a Server
// shares, and its etcd v2 operations: get, set, create, update,
// compare-and-swap, delete, compare-and-delete and TTL expiry. The node
// tree they work on is in tree.go, the events and watchers they feed in
// watch.go, the errors they give in errors.go; the HTTP side is keys.go.

import (
	"sort"
	"sync"
	"time"
)

// store is the shared key space of every member of a Server. It is safe for
// concurrent use.
//
// mu guards every field below it, the whole node tree, and each watcher's
// removed flag. The methods that lock it are the operations in this file
// and indexes, bumpRaft, membershipChange, Watch, Unwatch, closeWatchers
// and waitWatching; every other method (tree.go, watch.go) expects its caller
// to hold it. In the package's lock order (see Server) only the clock's
// comes after mu: with mu held the store may call now, and nothing else
// that locks. It hands events to watchers without waiting, dropping a
// watcher whose buffer is full.
type store struct {
	now func() time.Time // set at creation; the Server's clock

	mu        sync.Mutex
	root      *node
	index     uint64
	raftIndex uint64
	ttlNodes  map[*node]struct{}
	history   []*event // oldest first, at most historySize
	watchers  map[string][]*watcher
	closed    bool
	// watchersChanged fires whenever a watcher is added or removed, for
	// the package's tests that wait for a watch to be in place.
	watchersChanged changeSignal
}

func newStore(now func() time.Time, startIndex uint64) *store {
	s := &store{
		now:      now,
		ttlNodes: make(map[*node]struct{}),
		watchers: make(map[string][]*watcher),
	}
	s.root = &node{path: "/", dir: true, children: make(map[string]*node)}
	// A fresh etcd has already used a few indexes for its own membership
	// records; starting from the same number keeps our indexes close to
	// what real etcd shows.
	for i := uint64(1); i <= startIndex; i++ {
		s.addInternalEvent()
	}
	s.raftIndex = startIndex + 1
	return s
}

// addInternalEvent records a write outside the key space, as etcd does for
// membership changes: it takes an index and a history slot.
func (s *store) addInternalEvent() {
	s.index++
	e := newEvent(actionSet, "/0", s.index, s.index)
	e.internal = true
	s.addHistory(e)
}

// indexes returns the current etcd and raft index.
func (s *store) indexes() (uint64, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index, s.raftIndex
}

// bumpRaft counts a request that went through consensus without changing
// the key space (a quorum read).
func (s *store) bumpRaft() {
	s.mu.Lock()
	s.raftIndex++
	s.mu.Unlock()
}

// membershipChange takes n indexes for a membership record write.
func (s *store) membershipChange(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raftIndex++
	for range n {
		s.addInternalEvent()
	}
}

// internalWrites takes n indexes for writes outside the key space (the
// auth store's), each a raft entry of its own.
func (s *store) internalWrites(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.raftIndex++
		s.addInternalEvent()
	}
}

// Get reads p.
func (s *store) Get(p string, recursive, sorted bool) (*event, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p = cleanPath(p)
	n, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	e := newEvent(actionGet, p, n.modifiedIndex, n.createdIndex)
	e.etcdIndex = s.index
	e.Node = s.load(n, recursive, sorted)
	e.Node.Key = wireKey(p)
	return e, nil
}

// Set writes p unconditionally.
func (s *store) Set(p string, dir bool, value string, expire time.Time, refresh bool) (*event, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raftIndex++
	p = cleanPath(p)
	prev, getErr := s.lookup(p)
	if getErr != nil && getErr.Code != codeKeyNotFound {
		return nil, getErr
	}
	if refresh {
		if getErr != nil {
			return nil, getErr
		}
		value = prev.value
	}
	var prevJSON *nodeJSON
	if getErr == nil {
		prevJSON = s.load(prev, false, false)
	}
	e, err := s.create(p, dir, value, false, true, expire, actionSet)
	if err != nil {
		return nil, err
	}
	e.etcdIndex = s.index
	e.PrevNode = prevJSON
	s.publish(e, refresh)
	return e, nil
}

// Create writes p only if it does not exist; unique appends an in-order
// name under p.
func (s *store) Create(p string, dir bool, value string, unique bool, expire time.Time) (*event, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raftIndex++
	e, err := s.create(p, dir, value, unique, false, expire, actionCreate)
	if err != nil {
		return nil, err
	}
	e.etcdIndex = s.index
	s.publish(e, false)
	return e, nil
}

// Update changes an existing key's value and TTL (a TTL left out makes it
// permanent).
func (s *store) Update(p, value string, expire time.Time, refresh bool) (*event, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raftIndex++
	p = cleanPath(p)
	if p == "/" {
		return nil, newError(codeRootROnly, "/", s.index)
	}
	n, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	if n.dir && value != "" {
		return nil, newError(codeNotFile, p, s.index)
	}
	if refresh {
		value = n.value
	}
	next := s.index + 1
	e := newEvent(actionUpdate, p, next, n.createdIndex)
	e.etcdIndex = next
	e.PrevNode = s.repr(n, false, false)
	if n.dir {
		// etcd refuses to write a directory's value and so leaves its
		// modifiedIndex alone, although the event carries the new one.
		e.Node.Dir = true
	} else {
		n.value = value
		n.modifiedIndex = next
		v := value
		e.Node.Value = &v
	}
	s.setTTL(n, expire)
	e.Node.Expiration, e.Node.TTL = s.expirationAndTTL(n)
	s.index = next
	s.publish(e, refresh)
	return e, nil
}

// CompareAndSwap writes an existing key if it still has prevValue and/or
// prevIndex.
func (s *store) CompareAndSwap(p, prevValue string, prevIndex uint64, value string, expire time.Time, refresh bool) (*event, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raftIndex++
	p = cleanPath(p)
	if p == "/" {
		return nil, newError(codeRootROnly, "/", s.index)
	}
	n, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, newError(codeNotFile, p, s.index)
	}
	if cause, ok := compare(n, prevValue, prevIndex); !ok {
		return nil, newError(codeTestFailed, cause, s.index)
	}
	if refresh {
		value = n.value
	}
	s.index++
	e := newEvent(actionCompareAndSwap, p, s.index, n.createdIndex)
	e.etcdIndex = s.index
	e.PrevNode = s.repr(n, false, false)
	n.value = value
	n.modifiedIndex = s.index
	s.setTTL(n, expire)
	v := value
	e.Node.Value = &v
	e.Node.Expiration, e.Node.TTL = s.expirationAndTTL(n)
	s.publish(e, refresh)
	return e, nil
}

// Delete removes p; directories need dir or recursive, non-empty ones
// recursive.
func (s *store) Delete(p string, dir, recursive bool) (*event, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raftIndex++
	p = cleanPath(p)
	if p == "/" {
		return nil, newError(codeRootROnly, "/", s.index)
	}
	if recursive {
		dir = true
	}
	n, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	if n.dir {
		if !dir {
			return nil, newError(codeNotFile, n.path, s.index)
		}
		if len(n.children) > 0 && !recursive {
			return nil, newError(codeDirNotEmpty, n.path, s.index)
		}
	}
	next := s.index + 1
	e := newEvent(actionDelete, p, next, n.createdIndex)
	e.etcdIndex = next
	e.PrevNode = s.repr(n, false, false)
	if n.dir {
		e.Node.Dir = true
	}
	s.index = next
	s.remove(n, func(q string) { s.notifyAt(e, q, true) })
	s.publish(e, false)
	return e, nil
}

// CompareAndDelete removes a key if it still has prevValue and/or prevIndex.
func (s *store) CompareAndDelete(p, prevValue string, prevIndex uint64) (*event, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raftIndex++
	p = cleanPath(p)
	n, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, newError(codeNotFile, p, s.index)
	}
	if cause, ok := compare(n, prevValue, prevIndex); !ok {
		return nil, newError(codeTestFailed, cause, s.index)
	}
	s.index++
	e := newEvent(actionCompareAndDelete, p, s.index, n.createdIndex)
	e.etcdIndex = s.index
	e.PrevNode = s.repr(n, false, false)
	s.remove(n, func(q string) { s.notifyAt(e, q, true) })
	s.publish(e, false)
	return e, nil
}

// expire removes every key whose time has come, oldest expiry first, each
// with an expire event.
func (s *store) expire(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*node
	for n := range s.ttlNodes {
		if !n.expireTime.After(now) {
			due = append(due, n)
		}
	}
	if len(due) == 0 {
		return
	}
	// etcd expires through a raft entry of its own.
	s.raftIndex++
	sort.Slice(due, func(i, j int) bool {
		if !due[i].expireTime.Equal(due[j].expireTime) {
			return due[i].expireTime.Before(due[j].expireTime)
		}
		return due[i].path < due[j].path
	})
	for _, n := range due {
		if _, ok := s.ttlNodes[n]; !ok {
			continue // went with an expired parent directory
		}
		s.index++
		e := newEvent(actionExpire, n.path, s.index, n.createdIndex)
		e.etcdIndex = s.index
		e.PrevNode = s.repr(n, false, false)
		// The expiry happens once the time has passed, so no seconds are
		// left to show.
		e.PrevNode.TTL = 0
		if n.dir {
			e.Node.Dir = true
		}
		s.remove(n, func(q string) { s.notifyAt(e, q, true) })
		s.publish(e, false)
	}
}
