package client

// This file holds the writes of the v2 keys API on v3 (Set and its
// variants, Delete, CreateInOrder). Each write reads the state it depends
// on in one read-only transaction, decides there what v2 would do (or
// which v2 error it gives), and commits in one transaction whose
// conditions assert that nothing it read has changed. When something
// has, it reads again and decides anew, so every write, a
// compare-and-swap included, applies as one transaction, as on v2.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// maxWriteRounds bounds the read-decide-commit rounds of one write that
// keeps losing to concurrent writers.
const maxWriteRounds = 1000

// v3State is what a write read: the key, its subtree and its ancestors,
// all at revision rev.
type v3State struct {
	k      *v3KeysAPI
	header v3Header
	rev    int64

	anc       []string      // the key's directories, the root first
	ancFile   []*v3KeyValue // the ancestors as keys (nil: none; always nil for the root)
	ancMarker []*v3KeyValue // the ancestors' markers (nil: none)

	self    string      // the key; "" when not read
	file    *v3KeyValue // the key as a key
	sub     []v3KeyValue
	subSize int64 // keys in the key's subtree, its own marker included
}

// read reads the state of self (may be "") below the directories anc.
func (k *v3KeysAPI) read(ctx context.Context, anc []string, self string) (*v3State, error) {
	txn := &v3TxnRequest{}
	for _, a := range anc {
		if a != "/" {
			txn.Success = append(txn.Success, v3RequestOp{Range: &v3RangeRequest{Key: k.fileKey(a)}})
		}
		txn.Success = append(txn.Success, v3RequestOp{Range: &v3RangeRequest{Key: k.markerKey(a)}})
	}
	if self != "" {
		mk := k.markerKey(self)
		txn.Success = append(txn.Success,
			v3RequestOp{Range: &v3RangeRequest{Key: k.fileKey(self)}},
			v3RequestOp{Range: &v3RangeRequest{Key: mk, RangeEnd: prefixEnd(mk), Limit: 2}})
	}
	tr, err := k.kv.txn(ctx, txn, kindRetryable)
	if err != nil {
		return nil, err
	}
	if len(tr.Responses) != len(txn.Success) {
		return nil, ErrInvalidJSON
	}
	st := &v3State{k: k, header: tr.Header, rev: tr.Header.Revision, anc: anc, self: self}
	first := func(i int) *v3KeyValue {
		r := tr.Responses[i].Range
		if r == nil || len(r.Kvs) == 0 {
			return nil
		}
		return &r.Kvs[0]
	}
	i := 0
	for _, a := range anc {
		var f *v3KeyValue
		if a != "/" {
			f = first(i)
			i++
		}
		st.ancFile = append(st.ancFile, f)
		st.ancMarker = append(st.ancMarker, first(i))
		i++
	}
	if self != "" {
		st.file = first(i)
		if r := tr.Responses[i+1].Range; r != nil {
			st.sub, st.subSize = r.Kvs, r.Count
		}
	}
	return st, nil
}

// fileAncestor returns the first ancestor that is a key, or "".
func (st *v3State) fileAncestor() string {
	for i, f := range st.ancFile {
		if f != nil {
			return st.anc[i]
		}
	}
	return ""
}

// isDir reports whether the key is a directory: not a key, but with
// something below it (its marker at least).
func (st *v3State) isDir() bool { return st.file == nil && st.subSize > 0 }

// dirMarkerKV returns the key's own marker, if it has one.
func (st *v3State) dirMarkerKV() *v3KeyValue {
	if len(st.sub) > 0 && string(st.sub[0].Key) == string(st.k.markerKey(st.self)) {
		return &st.sub[0]
	}
	return nil
}

// dirEmpty reports whether the key's subtree holds nothing but its
// marker.
func (st *v3State) dirEmpty() bool {
	return st.subSize == 0 || (st.subSize == 1 && st.dirMarkerKV() != nil)
}

// inheritedLease is the lease of the nearest ancestor directory with a
// TTL: keys created below it take it, so they go when it expires.
func (st *v3State) inheritedLease() int64 {
	for i := len(st.ancMarker) - 1; i >= 0; i-- {
		if m := st.ancMarker[i]; m != nil && m.Lease != 0 {
			return m.Lease
		}
	}
	return 0
}

// compares asserts that nothing read has changed: each key read keeps
// its revision (0 for an absent one), each ancestor marker its
// incarnation (strictParent: the parent's marker its revision too), and
// nothing in the key's subtree was written after the read.
func (st *v3State) compares(strictParent bool) []v3Compare {
	k := st.k
	var cs []v3Compare
	rev := func(kv *v3KeyValue, create bool) int64 {
		if kv == nil {
			return 0
		}
		if create {
			return kv.CreateRevision
		}
		return kv.ModRevision
	}
	for i, a := range st.anc {
		if a != "/" {
			cs = append(cs, v3Compare{Key: k.fileKey(a), Target: "MOD", Result: "EQUAL", Rev: rev(st.ancFile[i], false)})
		}
		strict := strictParent && i == len(st.anc)-1
		if strict {
			cs = append(cs, v3Compare{Key: k.markerKey(a), Target: "MOD", Result: "EQUAL", Rev: rev(st.ancMarker[i], false)})
		} else {
			cs = append(cs, v3Compare{Key: k.markerKey(a), Target: "CREATE", Result: "EQUAL", Rev: rev(st.ancMarker[i], true)})
		}
	}
	if st.self != "" {
		mk := k.markerKey(st.self)
		cs = append(cs,
			v3Compare{Key: k.fileKey(st.self), Target: "MOD", Result: "EQUAL", Rev: rev(st.file, false)},
			v3Compare{Key: mk, RangeEnd: prefixEnd(mk), Target: "MOD", Result: "LESS", Rev: st.rev + 1})
	}
	return cs
}

// ancestorOps makes the writes every write does to the directories: the
// markers of missing directories are created (taking the TTL of the
// nearest directory above that has one), and the parent's marker records
// the write's action.
func (st *v3State) ancestorOps(rec dirMarker) []v3RequestOp {
	val, _ := json.Marshal(rec)
	var ops []v3RequestOp
	lease := int64(0)
	for i, a := range st.anc {
		m := st.ancMarker[i]
		last := i == len(st.anc)-1
		if m != nil {
			lease = m.Lease
			if last {
				ops = append(ops, v3RequestOp{Put: &v3PutRequest{Key: st.k.markerKey(a), Value: val, IgnoreLease: true}})
			}
			continue
		}
		v := []byte("{}")
		if last {
			v = val
		}
		ops = append(ops, v3RequestOp{Put: &v3PutRequest{Key: st.k.markerKey(a), Value: v, Lease: lease}})
	}
	return ops
}

// commit sends the write; ok is false when something read had changed.
func (k *v3KeysAPI) commit(ctx context.Context, cs []v3Compare, ops []v3RequestOp, kind callKind) (*v3TxnResponse, bool, error) {
	tr, err := k.kv.txn(ctx, &v3TxnRequest{Compare: cs, Success: ops}, kind)
	if err != nil {
		return nil, false, err
	}
	return tr, tr.Succeeded, nil
}

// currentRev returns the current revision and header, for errors that
// need no read.
func (k *v3KeysAPI) currentHeader(ctx context.Context) (v3Header, error) {
	rr, err := k.kv.rangeKeys(ctx, &v3RangeRequest{Key: k.markerKey("/"), CountOnly: true})
	if err != nil {
		return v3Header{}, err
	}
	return rr.Header, nil
}

// fileNode is the node of key stored as kv, with its TTL unless it holds
// the lease inherited from its directories.
func (k *v3KeysAPI) fileNode(ctx context.Context, key string, kv *v3KeyValue, withValue bool, inherited int64) (*Node, error) {
	n := &Node{Key: key, CreatedIndex: uint64(kv.CreateRevision), ModifiedIndex: uint64(kv.ModRevision)}
	if withValue {
		n.Value = string(kv.Value)
	}
	t := &ttls{k: k}
	if err := t.fill(ctx, n, kv.Lease, inherited); err != nil {
		return nil, err
	}
	return n, nil
}

// dirNode is the node of directory key, whose marker is m (nil for a
// directory made only of keys written by other clients).
func (k *v3KeysAPI) dirNode(ctx context.Context, key string, m *v3KeyValue, inherited int64) (*Node, error) {
	n := &Node{Key: key, Dir: true}
	if m == nil {
		return n, nil
	}
	n.CreatedIndex, n.ModifiedIndex = uint64(m.CreateRevision), uint64(m.CreateRevision)
	t := &ttls{k: k}
	if err := t.fill(ctx, n, m.Lease, inherited); err != nil {
		return nil, err
	}
	return n, nil
}

// compareCause is v2's cause of a failed comparison.
func compareCause(prevValue string, prevIndex uint64, kv *v3KeyValue) (string, bool) {
	var cause string
	ok := true
	if prevValue != "" && prevValue != string(kv.Value) {
		cause = fmt.Sprintf("[%s != %s]", prevValue, kv.Value)
		ok = false
	}
	if prevIndex != 0 && prevIndex != uint64(kv.ModRevision) {
		if cause != "" {
			cause += " "
		}
		cause += fmt.Sprintf("[%d != %d]", prevIndex, kv.ModRevision)
		ok = false
	}
	return cause, ok
}

func (k *v3KeysAPI) Create(ctx context.Context, key, val string) (*Response, error) {
	return k.Set(ctx, key, val, &SetOptions{PrevExist: PrevNoExist})
}

func (k *v3KeysAPI) Update(ctx context.Context, key, val string) (*Response, error) {
	return k.Set(ctx, key, val, &SetOptions{PrevExist: PrevExist})
}

func (k *v3KeysAPI) Set(ctx context.Context, key, val string, opts *SetOptions) (*Response, error) {
	var o SetOptions
	if opts != nil {
		o = *opts
	}
	key = cleanKey(key)
	// etcd checks the form before anything else, so these errors have
	// no index. The v2 client sends prevExist as given; etcd reads it as
	// a boolean.
	switch o.PrevExist {
	case PrevIgnore, PrevExist, PrevNoExist:
	default:
		b, err := strconv.ParseBool(string(o.PrevExist))
		if err != nil {
			return nil, v2Error(ErrorCodeInvalidField, "invalid value for prevExist", 0)
		}
		o.PrevExist = PrevNoExist
		if b {
			o.PrevExist = PrevExist
		}
	}
	if o.Refresh && val != "" {
		return nil, v2Error(211, "A value was provided on a refresh", 0)
	}
	if o.Refresh && o.TTL < time.Second {
		return nil, v2Error(212, "No TTL value set", 0)
	}
	if key == "/" {
		h, err := k.currentHeader(ctx)
		if err != nil {
			return nil, err
		}
		return nil, v2Error(ErrorCodeRootROnly, "/", h.Revision)
	}
	kind := kindRetryable
	if o.PrevExist == PrevNoExist {
		kind = kindNonIdempotent
	}
	for range maxWriteRounds {
		resp, done, err := k.setOnce(ctx, key, val, o, kind)
		if done || err != nil {
			return resp, err
		}
	}
	return nil, fmt.Errorf("client: Set(%q) lost to concurrent writers %d times", key, maxWriteRounds)
}

// setOnce is one round of Set; done is false when it must be repeated.
func (k *v3KeysAPI) setOnce(ctx context.Context, key, val string, o SetOptions, kind callKind) (*Response, bool, error) {
	st, err := k.read(ctx, ancestors(key), key)
	if err != nil {
		return nil, true, err
	}
	fail := func(code int, cause string) (*Response, bool, error) {
		return nil, true, v2Error(code, cause, st.rev)
	}
	missing := func() (*Response, bool, error) {
		return nil, true, k.notFound(ctx, key, st.rev)
	}
	if f := st.fileAncestor(); f != "" {
		return fail(ErrorCodeNotDir, f)
	}
	exists, isDir := st.file != nil, st.isDir()
	var action string
	switch {
	case o.PrevExist == PrevNoExist:
		// v2 decides on prevExist=false first: a create, whatever the
		// comparisons.
		if exists || isDir {
			return fail(ErrorCodeNodeExist, key)
		}
		action = "create"
	case (o.PrevValue != "" && !o.Dir) || o.PrevIndex != 0:
		if isDir {
			return fail(ErrorCodeNotFile, key)
		}
		if !exists {
			return missing()
		}
		if cause, ok := compareCause(o.PrevValue, o.PrevIndex, st.file); !ok {
			return fail(ErrorCodeTestFailed, cause)
		}
		action = "compareAndSwap"
	case o.PrevExist == PrevExist:
		if !exists && !isDir {
			return missing()
		}
		// v2 updates a node in place, whatever the Dir option: a
		// directory's TTL (a value for it is refused), a key's value
		// and TTL (with Dir, the client sends no value: it becomes "").
		if isDir && val != "" && !o.Dir {
			return fail(ErrorCodeNotFile, key)
		}
		action = "update"
	default:
		if isDir {
			return fail(ErrorCodeNotFile, key)
		}
		if o.Refresh && !exists {
			return missing()
		}
		action = "set"
	}

	// The node before, with its TTL, for PrevNode.
	var prev *Node
	var oldLease int64
	switch {
	case exists:
		if prev, err = k.fileNode(ctx, key, st.file, true, st.inheritedLease()); err != nil {
			return nil, true, err
		}
		oldLease = st.file.Lease
	case isDir:
		m := st.dirMarkerKV()
		if prev, err = k.dirNode(ctx, key, m, st.inheritedLease()); err != nil {
			return nil, true, err
		}
		if m != nil {
			oldLease = m.Lease
		}
	}
	if o.Refresh && exists {
		val = string(st.file.Value)
	}
	// A Set or Create with Dir makes a directory (replacing a key); an
	// update or compare-and-swap keeps the node's kind.
	makeDir := o.Dir
	if action == "update" || action == "compareAndSwap" {
		makeDir = isDir
	}
	if o.Dir && !makeDir {
		val = ""
	}

	inherited := st.inheritedLease()
	lease := inherited
	if o.TTL >= time.Second {
		if lease, err = k.kv.leaseGrant(ctx, int64(o.TTL/time.Second)); err != nil {
			return nil, true, err
		}
	}
	ops := st.ancestorOps(dirMarker{Action: action, Key: key, Refresh: o.Refresh})
	if makeDir {
		if exists {
			ops = append(ops, v3RequestOp{DeleteRange: &v3DeleteRangeRequest{Key: k.fileKey(key)}})
		}
		mv := []byte("{}")
		if m := st.dirMarkerKV(); m != nil {
			mv = m.Value
		}
		ops = append(ops, v3RequestOp{Put: &v3PutRequest{Key: k.markerKey(key), Value: mv, Lease: lease}})
	} else {
		ops = append(ops, v3RequestOp{Put: &v3PutRequest{Key: k.fileKey(key), Value: []byte(val), Lease: lease}})
	}
	tr, ok, err := k.commit(ctx, st.compares(false), ops, kind)
	if err != nil || !ok {
		if lease != inherited {
			k.revokeQuietly(lease)
		}
		return nil, err != nil, err
	}
	if oldLease != 0 && oldLease != lease && oldLease != inherited {
		// The key's own lease is no longer used by anything.
		k.revokeQuietly(oldLease)
	}

	resp := v3Response(action, tr.Header)
	if o.NoValueOnSuccess {
		return resp, true, nil
	}
	rev := tr.Header.Revision
	n := &Node{Key: key, Dir: makeDir, ModifiedIndex: uint64(rev), CreatedIndex: uint64(rev)}
	if !makeDir {
		n.Value = val
	}
	if prev != nil && prev.Dir == makeDir {
		n.CreatedIndex = prev.CreatedIndex
	}
	if lease != 0 {
		t := &ttls{k: k}
		if err := t.fill(ctx, n, lease, inherited); err != nil {
			return nil, true, err
		}
	}
	resp.Node, resp.PrevNode = n, prev
	return resp, true, nil
}

// revokeQuietly revokes a lease nothing uses any more. A failure only
// leaves the lease to expire on its own, so it is not reported.
func (k *v3KeysAPI) revokeQuietly(lease int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = k.kv.leaseRevoke(ctx, lease)
}

func (k *v3KeysAPI) Delete(ctx context.Context, key string, opts *DeleteOptions) (*Response, error) {
	var o DeleteOptions
	if opts != nil {
		o = *opts
	}
	key = cleanKey(key)
	if key == "/" {
		h, err := k.currentHeader(ctx)
		if err != nil {
			return nil, err
		}
		return nil, v2Error(ErrorCodeRootROnly, "/", h.Revision)
	}
	for range maxWriteRounds {
		resp, done, err := k.deleteOnce(ctx, key, o)
		if done || err != nil {
			return resp, err
		}
	}
	return nil, fmt.Errorf("client: Delete(%q) lost to concurrent writers %d times", key, maxWriteRounds)
}

func (k *v3KeysAPI) deleteOnce(ctx context.Context, key string, o DeleteOptions) (*Response, bool, error) {
	st, err := k.read(ctx, ancestors(key), key)
	if err != nil {
		return nil, true, err
	}
	fail := func(code int, cause string) (*Response, bool, error) {
		return nil, true, v2Error(code, cause, st.rev)
	}
	missing := func() (*Response, bool, error) {
		return nil, true, k.notFound(ctx, key, st.rev)
	}
	if f := st.fileAncestor(); f != "" {
		return fail(ErrorCodeNotDir, f)
	}
	exists, isDir := st.file != nil, st.isDir()
	if !exists && !isDir {
		return missing()
	}
	action := "delete"
	if o.PrevValue != "" || o.PrevIndex != 0 {
		if isDir {
			return fail(ErrorCodeNotFile, key)
		}
		if cause, ok := compareCause(o.PrevValue, o.PrevIndex, st.file); !ok {
			return fail(ErrorCodeTestFailed, cause)
		}
		action = "compareAndDelete"
	}
	if isDir && !o.Dir && !o.Recursive {
		return fail(ErrorCodeNotFile, key)
	}
	if isDir && !o.Recursive && !st.dirEmpty() {
		return fail(ErrorCodeDirNotEmpty, key)
	}

	var prev *Node
	var ownLease int64
	if exists {
		if prev, err = k.fileNode(ctx, key, st.file, true, st.inheritedLease()); err != nil {
			return nil, true, err
		}
		if st.file.Lease != st.inheritedLease() {
			ownLease = st.file.Lease
		}
	} else {
		if prev, err = k.dirNode(ctx, key, st.dirMarkerKV(), st.inheritedLease()); err != nil {
			return nil, true, err
		}
	}
	ops := st.ancestorOps(dirMarker{Action: action, Key: key})
	if exists {
		ops = append(ops, v3RequestOp{DeleteRange: &v3DeleteRangeRequest{Key: k.fileKey(key)}})
	} else {
		mk := k.markerKey(key)
		ops = append(ops, v3RequestOp{DeleteRange: &v3DeleteRangeRequest{Key: mk, RangeEnd: prefixEnd(mk)}})
	}
	tr, ok, err := k.commit(ctx, st.compares(false), ops, kindNonIdempotent)
	if err != nil || !ok {
		return nil, err != nil, err
	}
	if ownLease != 0 {
		k.revokeQuietly(ownLease)
	}
	resp := v3Response(action, tr.Header)
	resp.Node = &Node{Key: key, Dir: prev.Dir, CreatedIndex: prev.CreatedIndex, ModifiedIndex: uint64(tr.Header.Revision)}
	resp.PrevNode = prev
	return resp, true, nil
}

func (k *v3KeysAPI) CreateInOrder(ctx context.Context, dir, val string, opts *CreateInOrderOptions) (*Response, error) {
	var ttl time.Duration
	if opts != nil {
		ttl = opts.TTL
	}
	dir = cleanKey(dir)
	for range maxWriteRounds {
		resp, done, err := k.createInOrderOnce(ctx, dir, val, ttl)
		if done || err != nil {
			return resp, err
		}
	}
	return nil, fmt.Errorf("client: CreateInOrder(%q) lost to concurrent writers %d times", dir, maxWriteRounds)
}

// createInOrderOnce names the new key after the revision after the one it
// read, zero-padded to 20 digits as v2 does. Its commit requires that
// the directory's marker did not change since: every write into the
// directory rewrites it, so of two concurrent CreateInOrders only one
// commits with a name, and the other reads again and takes a larger one.
// So names are unique and increase in the order of the commits.
func (k *v3KeysAPI) createInOrderOnce(ctx context.Context, dir, val string, ttl time.Duration) (*Response, bool, error) {
	anc := append(ancestors(dir), dir)
	if dir == "/" {
		anc = []string{"/"}
	}
	st, err := k.read(ctx, anc, "")
	if err != nil {
		return nil, true, err
	}
	if f := st.fileAncestor(); f != "" {
		return nil, true, v2Error(ErrorCodeNotDir, f, st.rev)
	}
	name := strconv.FormatInt(st.rev+1, 10)
	for len(name) < 20 {
		name = "0" + name
	}
	key := dir + "/" + name
	if dir == "/" {
		key = "/" + name
	}
	inherited := st.inheritedLease()
	lease := inherited
	if ttl >= time.Second {
		if lease, err = k.kv.leaseGrant(ctx, int64(ttl/time.Second)); err != nil {
			return nil, true, err
		}
	}
	ops := st.ancestorOps(dirMarker{Action: "create", Key: key})
	ops = append(ops, v3RequestOp{Put: &v3PutRequest{Key: k.fileKey(key), Value: []byte(val), Lease: lease}})
	cs := append(st.compares(true), v3Compare{Key: k.fileKey(key), Target: "CREATE", Result: "EQUAL", Rev: 0})
	tr, ok, err := k.commit(ctx, cs, ops, kindNonIdempotent)
	if err != nil || !ok {
		if lease != inherited {
			k.revokeQuietly(lease)
		}
		return nil, err != nil, err
	}
	rev := uint64(tr.Header.Revision)
	n := &Node{Key: key, Value: val, CreatedIndex: rev, ModifiedIndex: rev}
	if lease != 0 {
		t := &ttls{k: k}
		if err := t.fill(ctx, n, lease, inherited); err != nil {
			return nil, true, err
		}
	}
	resp := v3Response("create", tr.Header)
	resp.Node = n
	return resp, true, nil
}
