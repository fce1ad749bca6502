package clienttest

// This file holds the v3 key space, separate from the v2 tree as in etcd:
// revisions, each key's create and mod revisions and version, ranges
// (also of the past, back to the last compaction), puts, deletes,
// transactions, and compaction. Leases are in v3lease.go and watchers in
// v3watch.go; both work under the same mutex.

import (
	"bytes"
	"sort"
	"sync"
	"time"
)

// maxRequestBytes is etcd's default --max-request-bytes.
const maxRequestBytes = 1536 * 1024

// maxTxnOps is etcd's default --max-txn-ops: the most operations one list
// of a transaction (compares, success, failure) may hold.
const maxTxnOps = 128

// mvccKV is one version of a key.
type mvccKV struct {
	key     string
	value   []byte
	create  int64
	mod     int64
	version int64
	lease   int64
}

func (kv *mvccKV) json(keysOnly bool) kvJSON3 {
	out := kvJSON3{Key: []byte(kv.key), CreateRevision: kv.create, ModRevision: kv.mod, Version: kv.version, Lease: kv.lease}
	if !keysOnly {
		out.Value = kv.value
	}
	return out
}

// mvccEvent is one change of a revision: a put, or a delete (kv then
// holds only the key and the revision).
type mvccEvent struct {
	del  bool
	kv   mvccKV
	prev *mvccKV
}

// revision is what one write transaction changed.
type revision struct {
	rev    int64
	events []mvccEvent
}

// v3store is the v3 key space all members share. mu guards everything in
// it, the leases and the registered watchers included; in the package's
// lock order it stands where store.mu does (the two are never held
// together), and with it held the store may read the clock and lock a
// watch stream's queue, nothing else.
type v3store struct {
	now func() time.Time // the Server's clock

	mu         sync.Mutex
	rev        int64
	compactRev int64 // -1 before the first compaction
	kvs        map[string]*mvccKV
	// base is the key space at compactRev-1 (empty before any
	// compaction); history holds every revision from compactRev on, so
	// any revision since the compaction can be read back.
	base     map[string]*mvccKV
	history  []revision
	leases   map[int64]*lease
	watchers map[*v3watcher]struct{}
}

func newV3Store(now func() time.Time) *v3store {
	return &v3store{
		now:        now,
		rev:        1, // a fresh etcd's key space is at revision 1
		compactRev: -1,
		kvs:        make(map[string]*mvccKV),
		base:       make(map[string]*mvccKV),
		leases:     make(map[int64]*lease),
		watchers:   make(map[*v3watcher]struct{}),
	}
}

// revisionNow returns the current revision.
func (s *v3store) revisionNow() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rev
}

// keyRange is a key or a range of keys as etcd gives them: no end is one
// key, an end of "\x00" is every key from key on.
type keyRange struct {
	key, end []byte
}

func (r keyRange) contains(k string) bool {
	kb := []byte(k)
	switch {
	case len(r.end) == 0:
		return bytes.Equal(kb, r.key)
	case len(r.end) == 1 && r.end[0] == 0:
		return bytes.Compare(kb, r.key) >= 0
	}
	return bytes.Compare(kb, r.key) >= 0 && bytes.Compare(kb, r.end) < 0
}

// stateAt returns the key space at rev; mu is held and rev is in
// [compactRev, s.rev].
func (s *v3store) stateAt(rev int64) map[string]*mvccKV {
	if rev >= s.rev {
		return s.kvs
	}
	st := make(map[string]*mvccKV, len(s.base))
	for k, v := range s.base {
		st[k] = v
	}
	for _, r := range s.history {
		if r.rev > rev {
			break
		}
		for _, e := range r.events {
			if e.del {
				delete(st, e.kv.key)
			} else {
				kv := e.kv
				st[e.kv.key] = &kv
			}
		}
	}
	return st
}

// inRange lists the keys of st in r, sorted by key.
func inRange(st map[string]*mvccKV, r keyRange) []*mvccKV {
	var out []*mvccKV
	if len(r.end) == 0 {
		if kv, ok := st[string(r.key)]; ok {
			out = append(out, kv)
		}
		return out
	}
	for k, kv := range st {
		if r.contains(k) {
			out = append(out, kv)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// checkRev checks a revision to read at; mu is held.
func (s *v3store) checkRev(rev int64) *gwError {
	if rev > s.rev {
		return errV3FutureRev
	}
	if rev > 0 && rev < s.compactRev {
		return errV3Compacted
	}
	return nil
}

func checkRange(r *rangeRequest) *gwError {
	if len(r.Key) == 0 {
		return errV3KeyNotProvided
	}
	if r.SortOrder < sortNone || r.SortOrder > sortDescend || r.SortTarget < sortByKey || r.SortTarget > sortByValue {
		return errV3SortOption
	}
	return nil
}

// Range answers a range request.
func (s *v3store) Range(r *rangeRequest) (*rangeResponse, *gwError) {
	if err := checkRange(r); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkRev(int64(r.Revision)); err != nil {
		return nil, err
	}
	return s.rangeLocked(r, s.kvs), nil
}

// rangeLocked reads r, from cur when it asks for no past revision; mu is
// held and the revision has been checked.
func (s *v3store) rangeLocked(r *rangeRequest, cur map[string]*mvccKV) *rangeResponse {
	st := cur
	if r.Revision > 0 && int64(r.Revision) < s.rev {
		st = s.stateAt(int64(r.Revision))
	}
	kvs := inRange(st, keyRange{r.Key, r.RangeEnd})
	resp := &rangeResponse{Count: int64(len(kvs))}
	if r.CountOnly {
		return resp
	}
	var kept []*mvccKV
	for _, kv := range kvs {
		if (r.MinModRevision > 0 && kv.mod < int64(r.MinModRevision)) ||
			(r.MaxModRevision > 0 && kv.mod > int64(r.MaxModRevision)) ||
			(r.MinCreateRevision > 0 && kv.create < int64(r.MinCreateRevision)) ||
			(r.MaxCreateRevision > 0 && kv.create > int64(r.MaxCreateRevision)) {
			continue
		}
		kept = append(kept, kv)
	}
	order := r.SortOrder
	if order == sortNone && r.SortTarget != sortByKey {
		order = sortAscend // etcd sorts ascending when only a target is given
	}
	if order != sortNone {
		less := func(a, b *mvccKV) int {
			switch r.SortTarget {
			case sortByVersion:
				return cmpInt(a.version, b.version)
			case sortByCreate:
				return cmpInt(a.create, b.create)
			case sortByMod:
				return cmpInt(a.mod, b.mod)
			case sortByValue:
				return bytes.Compare(a.value, b.value)
			}
			return bytes.Compare([]byte(a.key), []byte(b.key))
		}
		sort.SliceStable(kept, func(i, j int) bool {
			if order == sortDescend {
				return less(kept[j], kept[i]) < 0
			}
			return less(kept[i], kept[j]) < 0
		})
	}
	if r.Limit > 0 && int64(len(kept)) > int64(r.Limit) {
		kept = kept[:r.Limit]
		resp.More = true
	}
	for _, kv := range kept {
		resp.Kvs = append(resp.Kvs, kv.json(r.KeysOnly))
	}
	return resp
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

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

// Compact forgets the revisions before rev: reading them, or watching
// from them, is refused from then on.
func (s *v3store) Compact(rev int64) (int64, *gwError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev > s.rev {
		return 0, errV3FutureRev
	}
	if rev <= s.compactRev {
		return 0, errV3Compacted
	}
	// rev-1 is below the current revision, so this is a copy, not the
	// live map.
	s.base = s.stateAt(rev - 1)
	i := sort.Search(len(s.history), func(i int) bool { return s.history[i].rev >= rev })
	s.history = append([]revision(nil), s.history[i:]...)
	s.compactRev = rev
	return s.rev, nil
}
