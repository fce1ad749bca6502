package clienttest

// This file is the check of v3 calls while auth is on: the token a call
// carries (v3Admit), the rights its user needs on the keys it reads or
// writes (v3Permit and the *Needs functions), by the union of the
// permissions of the user's roles, and the refusal of a watch on the
// stream (v3WatchRefusal). The auth store itself is in v3auth.go.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
)

// v3Caller is who a call comes from while auth is on.
type v3Caller struct {
	user string
	on   bool // auth was on when the call came
}

type v3CallerKey struct{}

func callerOf(r *http.Request) v3Caller {
	c, _ := r.Context().Value(v3CallerKey{}).(v3Caller)
	return c
}

// v3AdminPaths are the calls only a user with the root role may make
// while auth is on (user/get and role/get also let a user read itself
// and its own roles; their handlers check that).
var v3AdminPaths = map[string]bool{
	"/v3/kv/compaction":         true,
	"/v3/cluster/member/add":    true,
	"/v3/cluster/member/remove": true,
	"/v3/cluster/member/update": true,
	"/v3/auth/enable":           true,
	"/v3/auth/disable":          true,
	"/v3/auth/status":           true,
	"/v3/auth/user/add":         true,
	"/v3/auth/user/delete":      true,
	"/v3/auth/user/changepw":    true,
	"/v3/auth/user/grant":       true,
	"/v3/auth/user/revoke":      true,
	"/v3/auth/user/list":        true,
	"/v3/auth/role/add":         true,
	"/v3/auth/role/delete":      true,
	"/v3/auth/role/grant":       true,
	"/v3/auth/role/revoke":      true,
	"/v3/auth/role/list":        true,
}

// v3Admit checks the token of a call while auth is on, as etcd does
// before it looks at the request, and passes the caller on in the
// request's context. It answers the refusal itself and returns false.
// A watch stream is always opened: etcd refuses its watches one by one
// (v3WatchRefusal).
func (m *Member) v3Admit(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	a := m.srv.v3authStore()
	path := r.URL.Path
	if path == "/v3/auth/authenticate" || path == "/v3/watch" {
		return r, true
	}
	a.mu.Lock()
	if !a.enabled {
		a.mu.Unlock()
		return r, true
	}
	user, err := a.userOfToken(r.Header.Get("Authorization"))
	if err == nil && v3AdminPaths[path] && !a.isRoot(user) {
		err = errV3PermDenied
	}
	a.mu.Unlock()
	if err != nil {
		if path == "/v3/lease/keepalive" {
			// A stream's refusal comes as a stream message.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(err.status)
			b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": err.code, "message": err.msg}})
			w.Write(append(b, '\n'))
			return r, false
		}
		writeGatewayError(w, err)
		return r, false
	}
	return r.WithContext(context.WithValue(r.Context(), v3CallerKey{}, v3Caller{user: user, on: true})), true
}

// v3Need is one right a call needs: typ on keys [key, end) as a role
// permission spells them.
type v3Need struct {
	typ      int32
	key, end string
}

// v3Permit checks that the caller of r holds every right of needs, and
// answers etcd's refusal when it does not.
func (m *Member) v3Permit(w http.ResponseWriter, r *http.Request, needs []v3Need) bool {
	c := callerOf(r)
	if !c.on {
		return true
	}
	a := m.srv.v3authStore()
	a.mu.Lock()
	ok := a.permittedLocked(c.user, needs)
	a.mu.Unlock()
	if !ok {
		writeGatewayError(w, errV3PermDenied)
	}
	return ok
}

// permittedLocked reports whether user holds every right of needs,
// taking the union of the permissions of all its roles as etcd's
// permission cache merges them.
func (a *v3AuthStore) permittedLocked(user string, needs []v3Need) bool {
	u := a.users[user]
	if u == nil {
		return false
	}
	if slices.Contains(u.roles, v3RootName) {
		return true
	}
	for _, n := range needs {
		var ivs []v3Perm
		for _, role := range u.roles {
			for _, p := range a.roles[role] {
				if p.typ == v3PermReadWrite || p.typ == n.typ {
					ivs = append(ivs, p)
				}
			}
		}
		if !covers(ivs, n.key, n.end) {
			return false
		}
	}
	return true
}

// interval turns a key and range end into [lo, hi); inf means no upper
// bound. A key alone is the interval holding it only.
func interval(key, end string) (lo, hi string, inf bool) {
	switch {
	case end == "":
		return key, key + "\x00", false
	case end == "\x00":
		return key, "", true
	case end <= key:
		// An empty range reads nothing; it needs the key it names.
		return key, key + "\x00", false
	}
	return key, end, false
}

// covers reports whether the union of ivs holds every key of [key, end).
func covers(ivs []v3Perm, key, end string) bool {
	lo, hi, inf := interval(key, end)
	type span struct {
		lo, hi string
		inf    bool
	}
	spans := make([]span, 0, len(ivs))
	for _, p := range ivs {
		l, h, i := interval(p.key, p.end)
		spans = append(spans, span{l, h, i})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	cur := lo // every key in [lo, cur) is covered
	for _, s := range spans {
		if s.lo > cur {
			break
		}
		if s.inf {
			return true
		}
		if s.hi > cur {
			cur = s.hi
		}
		if !inf && cur >= hi {
			return true
		}
	}
	return !inf && cur >= hi
}

// rangeNeeds is what a range needs; none when it is malformed, so that
// the store answers its own refusal.
func rangeNeeds(r *rangeRequest) []v3Need {
	if checkRange(r) != nil {
		return nil
	}
	return []v3Need{{v3PermRead, string(r.Key), string(r.RangeEnd)}}
}

func putNeeds(p *putRequest) []v3Need {
	if len(p.Key) == 0 {
		return nil
	}
	n := []v3Need{{v3PermWrite, string(p.Key), ""}}
	if p.PrevKv {
		n = append(n, v3Need{v3PermRead, string(p.Key), ""})
	}
	return n
}

func deleteNeeds(d *deleteRangeRequest) []v3Need {
	if len(d.Key) == 0 {
		return nil
	}
	n := []v3Need{{v3PermWrite, string(d.Key), string(d.RangeEnd)}}
	if d.PrevKv {
		n = append(n, v3Need{v3PermRead, string(d.Key), string(d.RangeEnd)})
	}
	return n
}

// txnNeeds is what a transaction needs: reading every key it compares,
// and the rights of every operation of both branches, nested ones too.
func txnNeeds(t *txnRequest) []v3Need {
	if checkTxn(t) != nil {
		return nil
	}
	var n []v3Need
	for _, c := range t.Compare {
		n = append(n, v3Need{v3PermRead, string(c.Key), string(c.RangeEnd)})
	}
	for _, ops := range [][]requestOp{t.Success, t.Failure} {
		for _, op := range ops {
			switch {
			case op.Range != nil:
				n = append(n, v3Need{v3PermRead, string(op.Range.Key), string(op.Range.RangeEnd)})
			case op.Put != nil:
				n = append(n, putNeeds(op.Put)...)
			case op.DeleteRange != nil:
				n = append(n, deleteNeeds(op.DeleteRange)...)
			case op.Txn != nil:
				n = append(n, txnNeeds(op.Txn)...)
			}
		}
	}
	return n
}

// leaseNeeds is what revoking lease id needs: writing every key attached
// to it, whose deletion the revoke causes.
func (s *Server) leaseNeeds(id int64) []v3Need {
	info, _ := s.v3.TimeToLive(id, true)
	var n []v3Need
	for _, k := range info.keys {
		n = append(n, v3Need{v3PermWrite, k, ""})
	}
	return n
}

// v3WatchRefusal is the cancel reason of a watch etcd refuses, or "" for
// one it lets through: the stream's token is checked at each create.
func (m *Member) v3WatchRefusal(r *http.Request, cr *watchCreateRequest) string {
	a := m.srv.v3authStore()
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.enabled {
		return ""
	}
	user, err := a.userOfToken(r.Header.Get("Authorization"))
	switch {
	case err == errV3UserEmpty:
		return "rpc error: code = InvalidArgument desc = " + err.msg
	case err != nil:
		return "rpc error: code = Unauthenticated desc = " + err.msg
	case !a.permittedLocked(user, []v3Need{{v3PermRead, string(cr.Key), string(cr.RangeEnd)}}):
		return "rpc error: code = PermissionDenied desc = " + errV3PermDenied.msg
	}
	return ""
}
