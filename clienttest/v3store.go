package clienttest

// This file holds the v3 key space, separate from the v2 tree as in etcd:
// revisions, each key's create and mod revisions and version, ranges
// (also of the past, back to the last compaction), and compaction. The
// writes (puts, deletes, transactions) are in v3txn.go, leases in
// v3lease.go and watchers in v3watch.go; all work under the same mutex.

import (
	"bytes"
	"sort"
	"sync"
	"time"
)

// maxRequestBytes is etcd's default --max-request-bytes.
const maxRequestBytes = 1536 * 1024

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
