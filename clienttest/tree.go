package clienttest

// This file holds the node tree of the key space: nodes and how they go on
// the wire, walking to a path, linking and unlinking nodes with etcd's
// rules for missing parents, and TTL bookkeeping. Nothing here takes
// store.mu: every function is called by a store method that holds it.

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
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

// setTTL makes n permanent (zero expire) or gives it a new expiry.
func (s *store) setTTL(n *node, expire time.Time) {
	n.expireTime = expire
	if n.permanent() {
		delete(s.ttlNodes, n)
	} else {
		s.ttlNodes[n] = struct{}{}
	}
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
