package clienttest

// This file holds the v3 leases: granting (with a chosen ID or a random
// one), revoking, keep-alive, time-to-live, the list, and expiry on the
// Server's clock, which deletes the lease's keys in one revision, as
// etcd's leader does when it revokes an expired lease. It works on the
// v3store under its mutex.

import (
	"crypto/rand"
	"encoding/binary"
	"sort"
	"time"
)

// minLeaseTTL is the least TTL etcd grants with its default election
// timeout; shorter ones are raised to it.
const minLeaseTTL = 2

// maxLeaseTTL is the largest TTL etcd grants.
const maxLeaseTTL = 9000000000

type lease struct {
	id      int64
	ttl     int64 // granted, in seconds
	expires time.Time
	keys    map[string]struct{}
}

// attach records that key k lives under lease id (none for 0); mu is held
// and the lease exists.
func (s *v3store) attach(id int64, k string) {
	if l := s.leases[id]; l != nil {
		l.keys[k] = struct{}{}
	}
}

// detach forgets that key k lives under lease id; mu is held.
func (s *v3store) detach(id int64, k string) {
	if l := s.leases[id]; l != nil {
		delete(l.keys, k)
	}
}

func randomLeaseID() int64 {
	var b [8]byte
	rand.Read(b[:])
	id := int64(binary.BigEndian.Uint64(b[:]) >> 1)
	if id == 0 {
		id = 1
	}
	return id
}

// Grant makes a lease of ttl seconds; id 0 lets the store choose one.
func (s *v3store) Grant(id, ttl int64) (int64, int64, int64, *gwError) {
	if ttl > maxLeaseTTL {
		return 0, 0, 0, errV3LeaseTTLTooBig
	}
	ttl = max(ttl, minLeaseTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == 0 {
		for id == 0 || s.leases[id] != nil {
			id = randomLeaseID()
		}
	} else if s.leases[id] != nil {
		return 0, 0, 0, errV3LeaseExists
	}
	s.leases[id] = &lease{id: id, ttl: ttl, expires: s.now().Add(time.Duration(ttl) * time.Second), keys: map[string]struct{}{}}
	return id, ttl, s.rev, nil
}

// Revoke ends a lease and deletes its keys.
func (s *v3store) Revoke(id int64) (int64, *gwError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[id]
	if l == nil {
		return 0, errV3LeaseNotFound
	}
	s.revokeLocked(l)
	return s.rev, nil
}

// revokeLocked deletes l's keys, in key order and in one revision if it
// has any, and then l; mu is held.
func (s *v3store) revokeLocked(l *lease) {
	keys := make([]string, 0, len(l.keys))
	for k := range l.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	run := &txnRun{s: s, rev: s.rev + 1}
	for _, k := range keys {
		if kv := s.kvs[k]; kv != nil {
			run.remove(kv)
		}
	}
	delete(s.leases, l.id)
	if len(run.events) > 0 {
		s.commit(run.rev, run.events)
	}
}

// KeepAlive renews a lease to its granted TTL; ttl is 0 for a lease that
// does not exist.
func (s *v3store) KeepAlive(id int64) (ttl, rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[id]
	if l == nil {
		return 0, s.rev
	}
	l.expires = s.now().Add(time.Duration(l.ttl) * time.Second)
	return l.ttl, s.rev
}

// leaseInfo is what time-to-live tells of a lease.
type leaseInfo struct {
	ttl, granted int64
	keys         []string
}

// TimeToLive tells the seconds a lease has left (-1 when it does not
// exist), its granted TTL and, with keys, its keys.
func (s *v3store) TimeToLive(id int64, keys bool) (leaseInfo, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[id]
	if l == nil {
		return leaseInfo{ttl: -1}, s.rev
	}
	left := int64(l.expires.Sub(s.now()) / time.Second)
	info := leaseInfo{ttl: max(left, 0), granted: l.ttl}
	if keys {
		for k := range l.keys {
			info.keys = append(info.keys, k)
		}
		sort.Strings(info.keys)
	}
	return info, s.rev
}

// Leases lists the IDs of the leases, in increasing order (etcd's order
// is that of a map).
func (s *v3store) Leases() ([]int64, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.leases))
	for id := range s.leases {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, s.rev
}

// expire revokes every lease whose time has come, earliest first, each in
// a revision of its own.
func (s *v3store) expire(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*lease
	for _, l := range s.leases {
		if !l.expires.After(now) {
			due = append(due, l)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].expires.Equal(due[j].expires) {
			return due[i].expires.Before(due[j].expires)
		}
		return due[i].id < due[j].id
	})
	for _, l := range due {
		s.revokeLocked(l)
	}
}
