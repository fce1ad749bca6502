package client

// This file holds what the writes of the v2 keys API on v3 (keys_v3_write.go)
// read and decide on: the state of a key, its subtree and its ancestors at
// one revision, the conditions that assert it has not changed, the commit,
// and the nodes built from it.

import (
	"context"
	"encoding/json"
	"fmt"
)

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
	// nodeOnly: the subtree was refused (a role with the node alone), so
	// only the key's marker was read, and found absent.
	nodeOnly bool
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
	nodeOnly := false
	if self != "" && isPermissionDenied(err) {
		// A role with the node alone (its key and its marker) may not
		// read the subtree: read the marker alone. A directory then
		// stays refused (its children cannot be read); a key or nothing
		// is decided on the key and the marker's absence.
		denied := err
		txn.Success[len(txn.Success)-1].Range.RangeEnd = nil
		if tr, err = k.kv.txn(ctx, txn, kindRetryable); err != nil {
			return nil, err
		}
		if len(tr.Responses) != len(txn.Success) {
			return nil, ErrInvalidJSON
		}
		if r := tr.Responses[len(tr.Responses)-1].Range; r != nil && len(r.Kvs) > 0 {
			return nil, denied
		}
		nodeOnly = true
	}
	if err != nil {
		return nil, err
	}
	if len(tr.Responses) != len(txn.Success) {
		return nil, ErrInvalidJSON
	}
	st := &v3State{k: k, header: tr.Header, rev: tr.Header.Revision, anc: anc, self: self, nodeOnly: nodeOnly}
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
		cs = append(cs, v3Compare{Key: k.fileKey(st.self), Target: "MOD", Result: "EQUAL", Rev: rev(st.file, false)})
		if st.nodeOnly {
			// Still no directory: every write below the key through
			// this package makes its marker.
			cs = append(cs, v3Compare{Key: mk, Target: "CREATE", Result: "EQUAL", Rev: 0})
		} else {
			cs = append(cs, v3Compare{Key: mk, RangeEnd: prefixEnd(mk), Target: "MOD", Result: "LESS", Rev: st.rev + 1})
		}
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
// unsure, for a write that failed so, is why an earlier attempt of it
// failed after it may have applied (see action.unsure): the change that
// made it fail may be its own.
func (k *v3KeysAPI) commit(ctx context.Context, cs []v3Compare, ops []v3RequestOp, kind callKind) (tr *v3TxnResponse, ok bool, unsure, err error) {
	tr, unsure, err = k.kv.txnUnsure(ctx, &v3TxnRequest{Compare: cs, Success: ops}, kind)
	if err != nil {
		return nil, false, nil, err
	}
	if tr.Succeeded {
		unsure = nil
	}
	return tr, tr.Succeeded, unsure, nil
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
