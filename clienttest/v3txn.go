package clienttest

// This file holds the writes of the v3 key space: put and delete-range,
// each a transaction of one operation, and transactions, checked as etcd
// checks them before they run, with every compare target and result,
// nested transactions, and one new revision for all they write. The key
// space they change is in v3store.go.

import "bytes"

// maxTxnOps is etcd's default --max-txn-ops: the most operations one list
// of a transaction (compares, success, failure) may hold.
const maxTxnOps = 128

// Put answers a put request, a transaction of one put.
func (s *v3store) Put(p *putRequest) (*putResponse, *gwError) {
	tr, err := s.Txn(&txnRequest{Success: []requestOp{{Put: p}}})
	if err != nil {
		return nil, err
	}
	out := tr.Responses[0].Put
	out.Header = tr.Header
	return out, nil
}

// DeleteRange answers a delete request, a transaction of one delete.
func (s *v3store) DeleteRange(d *deleteRangeRequest) (*deleteRangeResponse, *gwError) {
	tr, err := s.Txn(&txnRequest{Success: []requestOp{{DeleteRange: d}}})
	if err != nil {
		return nil, err
	}
	out := tr.Responses[0].DeleteRange
	out.Header = tr.Header
	return out, nil
}

// checkTxn checks a transaction as etcd does before running it: keys
// given, oneofs, sort options, sizes, and no key written twice in a
// branch.
func checkTxn(t *txnRequest) *gwError {
	return checkTxnOps(t, maxTxnOps)
}

// checkTxnOps is checkTxn with budget operations allowed in each of t's
// lists: a nested transaction gets what its parent's longest list left.
func checkTxnOps(t *txnRequest, budget int) *gwError {
	n := max(len(t.Compare), len(t.Success), len(t.Failure))
	if n > budget {
		return errV3TooManyOps
	}
	for i := range t.Compare {
		if len(t.Compare[i].Key) == 0 {
			return errV3KeyNotProvided
		}
	}
	size := 0
	for _, ops := range [][]requestOp{t.Success, t.Failure} {
		for _, op := range ops {
			switch {
			case op.Range != nil:
				if err := checkRange(op.Range); err != nil {
					return err
				}
			case op.Put != nil:
				p := op.Put
				if len(p.Key) == 0 {
					return errV3KeyNotProvided
				}
				if p.IgnoreValue && len(p.Value) != 0 {
					return errV3ValueProvided
				}
				if p.IgnoreLease && p.Lease != 0 {
					return errV3LeaseProvided
				}
				size += len(p.Key) + len(p.Value)
			case op.DeleteRange != nil:
				if len(op.DeleteRange.Key) == 0 {
					return errV3KeyNotProvided
				}
			case op.Txn != nil:
				if err := checkTxnOps(op.Txn, budget-n); err != nil {
					return err
				}
			default:
				// An empty op: etcd reads it as a put without a key.
				return errV3KeyNotFound
			}
		}
		if dupWrites(ops) {
			return errV3Duplicate
		}
	}
	if size > maxRequestBytes {
		return errV3TooLarge
	}
	return nil
}

// dupWrites tells whether a branch puts a key twice, or puts a key it also
// deletes, counting the writes of nested transactions.
func dupWrites(ops []requestOp) bool {
	puts := map[string]bool{}
	var dels []keyRange
	var nested []string
	for _, op := range ops {
		switch {
		case op.Put != nil:
			k := string(op.Put.Key)
			if puts[k] {
				return true
			}
			puts[k] = true
		case op.DeleteRange != nil:
			dels = append(dels, keyRange{op.DeleteRange.Key, op.DeleteRange.RangeEnd})
		case op.Txn != nil:
			for _, br := range [][]requestOp{op.Txn.Success, op.Txn.Failure} {
				nested = append(nested, putKeys(br)...)
			}
		}
	}
	for _, k := range nested {
		if puts[k] {
			return true
		}
	}
	for k := range puts {
		for _, d := range dels {
			if d.contains(k) {
				return true
			}
		}
	}
	return false
}

func putKeys(ops []requestOp) []string {
	var out []string
	for _, op := range ops {
		switch {
		case op.Put != nil:
			out = append(out, string(op.Put.Key))
		case op.Txn != nil:
			out = append(out, putKeys(op.Txn.Success)...)
			out = append(out, putKeys(op.Txn.Failure)...)
		}
	}
	return out
}

// txnRun is one running transaction: the writes it made so far, all at
// revision rev.
type txnRun struct {
	s      *v3store
	rev    int64
	events []mvccEvent
	// headers are the sub-answers' headers, given the transaction's
	// revision once it is known.
	headers []*headerJSON
}

// Txn answers a transaction.
func (s *v3store) Txn(t *txnRequest) (*txnResponse, *gwError) {
	if err := checkTxn(t); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	run := &txnRun{s: s, rev: s.rev + 1}
	ok := run.compares(t.Compare)
	branch := t.Failure
	if ok {
		branch = t.Success
	}
	if err := run.precheck(branch, ok); err != nil {
		return nil, err
	}
	resp := &txnResponse{Succeeded: ok, Responses: run.ops(branch)}
	if len(run.events) > 0 {
		s.commit(run.rev, run.events)
	}
	for _, h := range run.headers {
		h.Revision = s.rev
	}
	resp.Header.Revision = s.rev
	return resp, nil
}

// precheck checks what can only be known against the key space: read
// revisions, leases of puts, and the keys of puts that keep their value or
// lease. Nothing has been written yet, so a refusal leaves no trace.
func (r *txnRun) precheck(ops []requestOp, _ bool) *gwError {
	s := r.s
	for _, op := range ops {
		switch {
		case op.Range != nil:
			if err := s.checkRev(int64(op.Range.Revision)); err != nil {
				return err
			}
		case op.Put != nil:
			p := op.Put
			if p.Lease != 0 {
				if _, ok := s.leases[int64(p.Lease)]; !ok {
					return errV3LeaseNotFound
				}
			}
			if p.IgnoreValue || p.IgnoreLease {
				if _, ok := s.kvs[string(p.Key)]; !ok {
					return errV3KeyNotFound
				}
			}
		case op.Txn != nil:
			ok := r.compares(op.Txn.Compare)
			br := op.Txn.Failure
			if ok {
				br = op.Txn.Success
			}
			if err := r.precheck(br, ok); err != nil {
				return err
			}
		}
	}
	return nil
}

// compares evaluates conditions against the key space as the transaction
// has left it so far.
func (r *txnRun) compares(cs []v3Compare) bool {
	for i := range cs {
		if !r.s.compareOne(&cs[i]) {
			return false
		}
	}
	return true
}

// compareOne holds when every key in the compare's range satisfies it; a
// range without keys compares a key with all fields zero, except for a
// value compare, which then fails.
func (s *v3store) compareOne(c *v3Compare) bool {
	kvs := inRange(s.kvs, keyRange{c.Key, c.RangeEnd})
	if len(kvs) == 0 {
		if c.Target == cmpValue {
			return false
		}
		return compareKV(c, &mvccKV{})
	}
	for _, kv := range kvs {
		if !compareKV(c, kv) {
			return false
		}
	}
	return true
}

func compareKV(c *v3Compare, kv *mvccKV) bool {
	num := func(p *jint) int64 {
		if p == nil {
			return 0
		}
		return int64(*p)
	}
	var res int
	switch c.Target {
	case cmpVersion:
		res = cmpInt(kv.version, num(c.Version))
	case cmpCreate:
		res = cmpInt(kv.create, num(c.CreateRevision))
	case cmpMod:
		res = cmpInt(kv.mod, num(c.ModRevision))
	case cmpLease:
		res = cmpInt(kv.lease, num(c.Lease))
	case cmpValue:
		var v []byte
		if c.Value != nil {
			v = *c.Value
		}
		res = bytes.Compare(kv.value, v)
	default:
		return false
	}
	switch c.Result {
	case cmpEqual:
		return res == 0
	case cmpGreater:
		return res > 0
	case cmpLess:
		return res < 0
	case cmpNotEqual:
		return res != 0
	}
	return false
}

// ops runs a branch; every write goes to the key space at once, so later
// operations see it, as in etcd.
func (r *txnRun) ops(ops []requestOp) []responseOp {
	var out []responseOp
	for _, op := range ops {
		switch {
		case op.Range != nil:
			rr := r.s.rangeLocked(op.Range, r.s.kvs)
			r.headers = append(r.headers, &rr.Header)
			out = append(out, responseOp{Range: rr})
		case op.Put != nil:
			pr := r.put(op.Put)
			r.headers = append(r.headers, &pr.Header)
			out = append(out, responseOp{Put: pr})
		case op.DeleteRange != nil:
			dr := r.deleteRange(op.DeleteRange)
			r.headers = append(r.headers, &dr.Header)
			out = append(out, responseOp{DeleteRange: dr})
		case op.Txn != nil:
			// A nested transaction's own header stays empty, as etcd
			// leaves it.
			ok := r.compares(op.Txn.Compare)
			br := op.Txn.Failure
			if ok {
				br = op.Txn.Success
			}
			out = append(out, responseOp{Txn: &txnResponse{Succeeded: ok, Responses: r.ops(br)}})
		}
	}
	return out
}

func (r *txnRun) put(p *putRequest) *putResponse {
	s := r.s
	k := string(p.Key)
	prev := s.kvs[k]
	kv := &mvccKV{key: k, value: []byte(p.Value), create: r.rev, mod: r.rev, version: 1, lease: int64(p.Lease)}
	if prev != nil {
		kv.create, kv.version = prev.create, prev.version+1
		if p.IgnoreValue {
			kv.value = prev.value
		}
		if p.IgnoreLease {
			kv.lease = prev.lease
		}
	}
	if prev != nil && prev.lease != kv.lease {
		s.detach(prev.lease, k)
	}
	s.attach(kv.lease, k)
	s.kvs[k] = kv
	resp := &putResponse{}
	if prev != nil {
		if p.PrevKv {
			pj := prev.json(false)
			resp.PrevKv = &pj
		}
		pc := *prev
		r.events = append(r.events, mvccEvent{kv: *kv, prev: &pc})
	} else {
		r.events = append(r.events, mvccEvent{kv: *kv})
	}
	return resp
}

func (r *txnRun) deleteRange(d *deleteRangeRequest) *deleteRangeResponse {
	resp := &deleteRangeResponse{}
	for _, kv := range inRange(r.s.kvs, keyRange{d.Key, d.RangeEnd}) {
		r.remove(kv)
		resp.Deleted++
		if d.PrevKv {
			resp.PrevKvs = append(resp.PrevKvs, kv.json(false))
		}
	}
	return resp
}

// remove deletes kv from the key space as part of the run.
func (r *txnRun) remove(kv *mvccKV) {
	r.s.detach(kv.lease, kv.key)
	delete(r.s.kvs, kv.key)
	pc := *kv
	r.events = append(r.events, mvccEvent{del: true, kv: mvccKV{key: kv.key, mod: r.rev}, prev: &pc})
}

// commit records a revision's writes, already applied to kvs, and hands
// them to the watchers; mu is held.
func (s *v3store) commit(rev int64, events []mvccEvent) {
	s.rev = rev
	s.history = append(s.history, revision{rev: rev, events: events})
	for w := range s.watchers {
		w.deliver(rev, events)
	}
}
