package clienttest

// This file holds the key space: a tree of nodes with etcd's v2 rules for
// set, create, update, compare-and-swap, delete and TTL expiry, the history
// of the last 1,000 events, and the watchers waiting for new ones. The HTTP
// side that parses requests and writes answers is in keys.go.

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
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

// node is one key or directory. Paths are absolute and clean; the root is "/".
type node struct {
	path          string
	value         string
	dir           bool
	children      map[string]*node
	parent        *node
	createdIndex  uint64
	modifiedIndex uint64
	expireTime    time.Time // zero: permanent
}

func (n *node) permanent() bool { return n.expireTime.IsZero() }

func (n *node) hidden() bool {
	_, name := path.Split(n.path)
	return strings.HasPrefix(name, "_")
}

// nodeJSON is a node as it goes on the wire. The field order and omitempty
// rules are etcd's, so encoding/json produces its exact bytes.
type nodeJSON struct {
	Key           string      `json:"key,omitempty"`
	Value         *string     `json:"value,omitempty"`
	Dir           bool        `json:"dir,omitempty"`
	Expiration    *time.Time  `json:"expiration,omitempty"`
	TTL           int64       `json:"ttl,omitempty"`
	Nodes         []*nodeJSON `json:"nodes,omitempty"`
	ModifiedIndex uint64      `json:"modifiedIndex,omitempty"`
	CreatedIndex  uint64      `json:"createdIndex,omitempty"`
}

type nodesByKey []*nodeJSON

func (ns nodesByKey) Len() int           { return len(ns) }
func (ns nodesByKey) Less(i, j int) bool { return ns[i].Key < ns[j].Key }
func (ns nodesByKey) Swap(i, j int)      { ns[i], ns[j] = ns[j], ns[i] }

// wireKey turns a store path into the key etcd shows: the root has none.
func wireKey(p string) string {
	if p == "/" {
		return ""
	}
	return p
}

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

// storeError is etcd's v2 error body.
type storeError struct {
	Code    int    `json:"errorCode"`
	Message string `json:"message"`
	Cause   string `json:"cause,omitempty"`
	Index   uint64 `json:"index"`
}

func (e *storeError) Error() string {
	return fmt.Sprintf("%v: %v (%v) [%v]", e.Code, e.Message, e.Cause, e.Index)
}

// Error codes of the etcd v2 API.
const (
	codeKeyNotFound       = 100
	codeTestFailed        = 101
	codeNotFile           = 102
	codeNotDir            = 104
	codeNodeExist         = 105
	codeRootROnly         = 107
	codeDirNotEmpty       = 108
	codeUnauthorized      = 110
	codePrevValueRequired = 201
	codeTTLNaN            = 202
	codeIndexNaN          = 203
	codeInvalidField      = 209
	codeInvalidForm       = 210
	codeRefreshValue      = 211
	codeRefreshTTLMissing = 212
	codeRaftInternal      = 300
	codeLeaderElect       = 301
	codeEventIndexCleared = 401
)

var errorMessages = map[int]string{
	codeKeyNotFound:       "Key not found",
	codeTestFailed:        "Compare failed",
	codeNotFile:           "Not a file",
	codeNotDir:            "Not a directory",
	codeNodeExist:         "Key already exists",
	codeRootROnly:         "Root is read only",
	codeDirNotEmpty:       "Directory not empty",
	codeUnauthorized:      "The request requires user authentication",
	codePrevValueRequired: "PrevValue is Required in POST form",
	codeTTLNaN:            "The given TTL in POST form is not a number",
	codeIndexNaN:          "The given index in POST form is not a number",
	codeInvalidField:      "Invalid field",
	codeInvalidForm:       "Invalid POST form",
	codeRefreshValue:      "Value provided on refresh",
	codeRefreshTTLMissing: "A TTL must be provided on refresh",
	codeRaftInternal:      "Raft Internal Error",
	codeLeaderElect:       "During Leader Election",
	codeEventIndexCleared: "The event in requested index is outdated and cleared",
}

func newError(code int, cause string, index uint64) *storeError {
	return &storeError{Code: code, Message: errorMessages[code], Cause: cause, Index: index}
}

// status is the HTTP status etcd answers with for the error.
func (e *storeError) status() int {
	switch e.Code {
	case codeKeyNotFound:
		return 404
	case codeNotFile, codeDirNotEmpty:
		return 403
	case codeUnauthorized:
		return 401
	case codeTestFailed, codeNodeExist:
		return 412
	case codeRaftInternal, codeLeaderElect:
		return 500
	}
	return 400
}

// watcher waits for the first event at or after sinceIndex on key (or
// below it, when recursive).
type watcher struct {
	key        string
	recursive  bool
	stream     bool
	sinceIndex uint64
	startIndex uint64 // the store index when the watch began
	ch         chan *event
	removed    bool
}

// store is the shared key space of every member of a Server. It is safe for
// concurrent use.
type store struct {
	now func() time.Time

	mu        sync.Mutex // guards everything below
	root      *node
	index     uint64
	raftIndex uint64
	ttlNodes  map[*node]struct{}
	history   []*event // oldest first, at most historySize
	watchers  map[string][]*watcher
	closed    bool
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

func (s *store) addHistory(e *event) {
	if len(s.history) == historySize {
		copy(s.history, s.history[1:])
		s.history = s.history[:historySize-1]
	}
	s.history = append(s.history, e)
}

func cleanPath(p string) string { return path.Clean(path.Join("/", p)) }

// expirationAndTTL gives the expiration time and the remaining whole
// seconds, rounded up like etcd does.
func (s *store) expirationAndTTL(n *node) (*time.Time, int64) {
	if n.permanent() {
		return nil, 0
	}
	left := n.expireTime.Sub(s.now())
	ttl := left / time.Second
	if left%time.Second > 0 {
		ttl++
	}
	t := n.expireTime.UTC()
	return &t, int64(ttl)
}

// repr renders n; directories list their visible children when recursive.
func (s *store) repr(n *node, recursive, sorted bool) *nodeJSON {
	j := &nodeJSON{Key: wireKey(n.path), ModifiedIndex: n.modifiedIndex, CreatedIndex: n.createdIndex}
	j.Expiration, j.TTL = s.expirationAndTTL(n)
	if !n.dir {
		v := n.value
		j.Value = &v
		return j
	}
	j.Dir = true
	if recursive {
		j.Nodes = s.listChildren(n, true, sorted)
	}
	return j
}

func (s *store) listChildren(n *node, recursive, sorted bool) []*nodeJSON {
	var out []*nodeJSON
	for _, c := range n.children {
		if c.hidden() {
			continue
		}
		out = append(out, s.repr(c, recursive, sorted))
	}
	// Go map order is random, so an unsorted listing is sorted anyway: that
	// is one of the orders etcd itself may give.
	sort.Sort(nodesByKey(out))
	return out
}

// load renders n the way a get shows it: a directory always lists its
// direct children.
func (s *store) load(n *node, recursive, sorted bool) *nodeJSON {
	j := s.repr(n, false, false)
	if n.dir {
		j.Nodes = s.listChildren(n, recursive, sorted)
	}
	return j
}

// lookup walks to p. A missing component gives "Key not found" naming the
// first missing path; walking through a key gives "Not a directory".
func (s *store) lookup(p string) (*node, *storeError) {
	cur := s.root
	for _, part := range strings.Split(p, "/")[1:] {
		if part == "" {
			return cur, nil
		}
		if !cur.dir {
			return nil, newError(codeNotDir, cur.path, s.index)
		}
		c, ok := cur.children[part]
		if !ok {
			return nil, newError(codeKeyNotFound, path.Join(cur.path, part), s.index)
		}
		cur = c
	}
	return cur, nil
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

// create makes p (a key or a directory), creating missing parent
// directories on the way; replace allows overwriting an existing key.
func (s *store) create(p string, dir bool, value string, unique, replace bool, expire time.Time, action string) (*event, *storeError) {
	next := s.index + 1
	if unique {
		p += "/" + fmt.Sprintf("%020d", next)
	}
	p = cleanPath(p)
	if p == "/" {
		return nil, newError(codeRootROnly, "/", s.index)
	}
	dirName, name := path.Split(p)
	parent := s.root
	for _, part := range strings.Split(dirName, "/")[1:] {
		if part == "" {
			break
		}
		c, ok := parent.children[part]
		if !ok {
			// etcd creates the missing parents right away, even if the
			// call then fails.
			c = &node{path: path.Join(parent.path, part), dir: true, children: make(map[string]*node),
				parent: parent, createdIndex: next, modifiedIndex: next}
			parent.children[part] = c
		} else if !c.dir {
			return nil, newError(codeNotDir, c.path, s.index)
		}
		parent = c
	}
	e := newEvent(action, p, next, next)
	if old, ok := parent.children[name]; ok {
		if !replace {
			return nil, newError(codeNodeExist, p, s.index)
		}
		if old.dir {
			return nil, newError(codeNotFile, p, s.index)
		}
		e.PrevNode = s.repr(old, false, false)
		s.remove(old, nil)
	}
	n := &node{path: p, dir: dir, parent: parent, createdIndex: next, modifiedIndex: next, expireTime: expire}
	if dir {
		n.children = make(map[string]*node)
		e.Node.Dir = true
	} else {
		n.value = value
		v := value
		e.Node.Value = &v
	}
	parent.children[name] = n
	if !n.permanent() {
		s.ttlNodes[n] = struct{}{}
		e.Node.Expiration, e.Node.TTL = s.expirationAndTTL(n)
	}
	s.index = next
	return e, nil
}

// remove unlinks n and everything below it, calling notify for each path
// removed (deepest first for directories, as etcd does).
func (s *store) remove(n *node, notify func(p string)) {
	for _, c := range n.children {
		s.remove(c, notify)
	}
	if n.parent != nil {
		_, name := path.Split(n.path)
		if n.parent.children[name] == n {
			delete(n.parent.children, name)
		}
	}
	if notify != nil {
		notify(n.path)
	}
	delete(s.ttlNodes, n)
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

// setTTL makes n permanent (zero expire) or gives it a new expiry.
func (s *store) setTTL(n *node, expire time.Time) {
	n.expireTime = expire
	if n.permanent() {
		delete(s.ttlNodes, n)
	} else {
		s.ttlNodes[n] = struct{}{}
	}
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

// compare checks prevValue and prevIndex; an empty or zero one always matches.
func compare(n *node, prevValue string, prevIndex uint64) (string, bool) {
	indexOK := prevIndex == 0 || n.modifiedIndex == prevIndex
	valueOK := prevValue == "" || n.value == prevValue
	switch {
	case indexOK && valueOK:
		return "", true
	case indexOK:
		return fmt.Sprintf("[%v != %v]", prevValue, n.value), false
	case valueOK:
		return fmt.Sprintf("[%v != %v]", prevIndex, n.modifiedIndex), false
	}
	return fmt.Sprintf("[%v != %v] [%v != %v]", prevValue, n.value, prevIndex, n.modifiedIndex), false
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
