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
	"fmt"
	"strconv"
	"time"
)

// maxWriteRounds bounds the read-decide-commit rounds of one write that
// keeps losing to concurrent writers.
const maxWriteRounds = 1000

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
	ctx = withSubject(ctx, key)
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
	// Every commit compares what its round read, so a repeat cannot apply
	// twice, but may be refused because the first attempt applied.
	kind := kindConditional
	if o.PrevExist == PrevNoExist {
		kind = kindNonIdempotent
	}
	var unsure error
	return writeRounds("Set", key, func() (*Response, bool, error) { return k.setOnce(ctx, key, val, o, kind, &unsure) })
}

// writeRounds repeats one read-decide-commit round of a write until it is
// done or fails, at most maxWriteRounds times: a write that keeps losing
// to concurrent writers ends with an error naming it.
func writeRounds(op, key string, once func() (*Response, bool, error)) (*Response, error) {
	for range maxWriteRounds {
		resp, done, err := once()
		if done || err != nil {
			return resp, err
		}
	}
	return nil, fmt.Errorf("client: %s(%q) lost to concurrent writers %d times", op, key, maxWriteRounds)
}

// setOnce is one round of Set; done is false when it must be repeated.
// *unsure is why a commit of an earlier round failed after it may have
// applied: a compare-and-swap that then finds its comparison failed, or
// its key gone, may be seeing its own write, so it cannot say it failed.
func (k *v3KeysAPI) setOnce(ctx context.Context, key, val string, o SetOptions, kind callKind, unsure *error) (*Response, bool, error) {
	st, err := k.read(ctx, ancestors(key), key)
	if err != nil {
		return nil, true, err
	}
	fail := func(code int, cause string) (*Response, bool, error) {
		return nil, true, v2Error(code, cause, st.rev)
	}
	missing := func() (*Response, bool, error) {
		return nil, true, k.notFound(ctx, key, st.rev, st.ancFile, st.ancMarker)
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
			if *unsure != nil {
				return nil, true, repeatRefused(*unsure, k.notFound(ctx, key, st.rev, st.ancFile, st.ancMarker))
			}
			return missing()
		}
		if cause, ok := compareCause(o.PrevValue, o.PrevIndex, st.file); !ok {
			if *unsure != nil {
				return nil, true, repeatRefused(*unsure, v2Error(ErrorCodeTestFailed, cause, st.rev))
			}
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
	tr, ok, again, err := k.commit(ctx, st.compares(false), ops, kind)
	if again != nil && *unsure == nil {
		*unsure = again
	}
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
	ctx = withSubject(ctx, key)
	if key == "/" {
		h, err := k.currentHeader(ctx)
		if err != nil {
			return nil, err
		}
		return nil, v2Error(ErrorCodeRootROnly, "/", h.Revision)
	}
	return writeRounds("Delete", key, func() (*Response, bool, error) { return k.deleteOnce(ctx, key, o) })
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
		return nil, true, k.notFound(ctx, key, st.rev, st.ancFile, st.ancMarker)
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
	tr, ok, _, err := k.commit(ctx, st.compares(false), ops, kindNonIdempotent)
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
	ctx = withSubject(ctx, dir)
	return writeRounds("CreateInOrder", dir, func() (*Response, bool, error) { return k.createInOrderOnce(ctx, dir, val, ttl) })
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
	tr, ok, _, err := k.commit(ctx, cs, ops, kindNonIdempotent)
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
