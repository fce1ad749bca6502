package clienttest

// This file emulates etcd 3.6's v3 auth as its JSON gateway serves it:
// users and roles (/v3/auth/user/..., /v3/auth/role/...), enabling and
// disabling auth, simple tokens traded for a password
// (/v3/auth/authenticate), and, while auth is on, the check of the token
// every other call carries in its Authorization header and of the
// rights of its user on the keys it reads or writes. It is apart from
// the v2 auth of auth.go, as in etcd.
//
// Tokens are etcd's simple tokens: a token lives until it goes unused for
// the TTL on the server's clock (each use restarts it), its user's
// password changes, its user is deleted, or auth is disabled. A change of
// a user's roles keeps its tokens: every call is checked against the
// roles the user holds when it comes.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// DefaultV3TokenTTL is how long a v3 token lives unused unless
// [WithV3TokenTTL] says otherwise: etcd's --auth-token-ttl default.
const DefaultV3TokenTTL = 300 * time.Second

// WithV3TokenTTL makes the v3 auth tokens the server hands out expire
// after d without use, measured on the server's [Clock] when it has one.
// With a manual clock a test advances the clock past d to see a client
// authenticate again. d <= 0 keeps [DefaultV3TokenTTL].
func WithV3TokenTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.v3TokenTTL = d
		}
	}
}

const v3RootName = "root" // both the root user and the root role

// The permission types of a v3 role, numbered as etcd's proto numbers
// them.
const (
	v3PermRead int32 = iota
	v3PermWrite
	v3PermReadWrite
)

var v3PermNames = []string{"READ", "WRITE", "READWRITE"}

// gRPC codes only the auth answers with.
const (
	grpcPermissionDenied = 7
	grpcUnauthenticated  = 16
)

// The refusals of the v3 auth, with the gateway's status and gRPC code.
var (
	errV3AuthNotEnabled  = &gwError{400, grpcFailedPrecondition, "etcdserver: authentication is not enabled"}
	errV3AuthFailed      = &gwError{400, grpcInvalidArgument, "etcdserver: authentication failed, invalid user ID or password"}
	errV3NoPasswordUser  = &gwError{500, grpcUnknown, "auth: authentication failed, password was given for no password user"}
	errV3UserEmpty       = &gwError{400, grpcInvalidArgument, "etcdserver: user name is empty"}
	errV3InvalidToken    = &gwError{401, grpcUnauthenticated, "etcdserver: invalid auth token"}
	errV3PermDenied      = &gwError{403, grpcPermissionDenied, "etcdserver: permission denied"}
	errV3NoRootUser      = &gwError{400, grpcFailedPrecondition, "etcdserver: root user does not exist"}
	errV3NoRootRole      = &gwError{400, grpcFailedPrecondition, "etcdserver: root user does not have root role"}
	errV3UserExists      = &gwError{400, grpcFailedPrecondition, "etcdserver: user name already exists"}
	errV3UserNotFound    = &gwError{400, grpcFailedPrecondition, "etcdserver: user name not found"}
	errV3RoleExists      = &gwError{400, grpcFailedPrecondition, "etcdserver: role name already exists"}
	errV3RoleNotFound    = &gwError{400, grpcFailedPrecondition, "etcdserver: role name not found"}
	errV3RoleEmpty       = &gwError{400, grpcInvalidArgument, "etcdserver: role name is empty"}
	errV3RoleNotGranted  = &gwError{400, grpcFailedPrecondition, "etcdserver: role is not granted to the user"}
	errV3PermNotGiven    = &gwError{400, grpcInvalidArgument, "etcdserver: permission not given"}
	errV3PermNotGranted  = &gwError{400, grpcFailedPrecondition, "etcdserver: permission is not granted to the role"}
	errV3InvalidAuthMgmt = &gwError{400, grpcInvalidArgument, "etcdserver: invalid auth management"}
)

// v3Perm is one permission of a role: keys [key, end), the key alone
// when end is empty, every key from key on when end is "\x00".
type v3Perm struct {
	typ      int32
	key, end string
}

type v3User struct {
	password   [sha256.Size]byte
	noPassword bool
	roles      []string // sorted
}

type v3Token struct {
	user    string
	expires time.Time
}

// v3AuthStore holds the v3 users, roles and tokens. Its mu comes after
// the authStore's in the package's lock order; nothing else is locked
// while it is held but the clock.
type v3AuthStore struct {
	now func() time.Time
	ttl time.Duration

	mu      sync.Mutex
	enabled bool
	rev     int64 // etcd's authRevision: one more per change
	users   map[string]*v3User
	roles   map[string][]v3Perm
	tokens  map[string]*v3Token
	seq     int64
}

func newV3AuthStore(now func() time.Time, ttl time.Duration) *v3AuthStore {
	if ttl <= 0 {
		ttl = DefaultV3TokenTTL
	}
	return &v3AuthStore{now: now, ttl: ttl, rev: 1,
		users: map[string]*v3User{}, roles: map[string][]v3Perm{}, tokens: map[string]*v3Token{}}
}

// v3authStore gives the server's v3 auth, made on first use so that a
// server that never sees a v3 auth call carries none.
func (s *Server) v3authStore() *v3AuthStore {
	s.v3once.Do(func() { s.v3auth = newV3AuthStore(s.now, s.cfg.v3TokenTTL) })
	return s.v3auth
}

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

// userOfToken checks tok and restarts its TTL; a.mu is held.
func (a *v3AuthStore) userOfToken(tok string) (string, *gwError) {
	if tok == "" {
		return "", errV3UserEmpty
	}
	t := a.tokens[tok]
	if t == nil {
		return "", errV3InvalidToken
	}
	now := a.now()
	if !now.Before(t.expires) {
		delete(a.tokens, tok)
		return "", errV3InvalidToken
	}
	t.expires = now.Add(a.ttl)
	return t.user, nil
}

// isRoot reports whether user holds the root role; a.mu is held.
func (a *v3AuthStore) isRoot(user string) bool {
	u := a.users[user]
	return u != nil && slices.Contains(u.roles, v3RootName)
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

// v3AuthRoutes are the gateway's auth calls.
func (m *Member) v3AuthRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"/v3/auth/enable":        m.v3AuthEnable,
		"/v3/auth/disable":       m.v3AuthDisable,
		"/v3/auth/status":        m.v3AuthStatus,
		"/v3/auth/authenticate":  m.v3Authenticate,
		"/v3/auth/user/add":      m.v3UserAdd,
		"/v3/auth/user/get":      m.v3UserGet,
		"/v3/auth/user/list":     m.v3UserList,
		"/v3/auth/user/delete":   m.v3UserDelete,
		"/v3/auth/user/changepw": m.v3UserChangePassword,
		"/v3/auth/user/grant":    m.v3UserGrant,
		"/v3/auth/user/revoke":   m.v3UserRevoke,
		"/v3/auth/role/add":      m.v3RoleAdd,
		"/v3/auth/role/get":      m.v3RoleGet,
		"/v3/auth/role/list":     m.v3RoleList,
		"/v3/auth/role/delete":   m.v3RoleDelete,
		"/v3/auth/role/grant":    m.v3RoleGrant,
		"/v3/auth/role/revoke":   m.v3RoleRevoke,
	}
}

type v3HeaderOnly struct {
	Header headerJSON `json:"header"`
}

// v3AuthCall reads a request of an auth call into req, runs change under
// the auth store's mutex and answers its refusal, or its answer, or the
// bare header when that is nil. h is the header of the answer: auth
// calls carry the key space's revision.
func (m *Member) v3AuthCall(w http.ResponseWriter, r *http.Request, req any, change func(a *v3AuthStore, h headerJSON) (any, *gwError)) {
	if !readV3(w, r, req) {
		return
	}
	h := m.v3Header(m.srv.v3.revisionNow())
	a := m.srv.v3authStore()
	a.mu.Lock()
	out, err := change(a, h)
	a.mu.Unlock()
	switch {
	case err != nil:
		writeGatewayError(w, err)
	case out == nil:
		writeGateway(w, v3HeaderOnly{h})
	default:
		writeGateway(w, out)
	}
}

type v3StatusResponse struct {
	Header       headerJSON `json:"header"`
	Enabled      bool       `json:"enabled,omitempty"`
	AuthRevision int64      `json:"authRevision,omitempty,string"`
}

type v3TokenResponse struct {
	Header headerJSON `json:"header"`
	Token  string     `json:"token,omitempty"`
}

type v3NamesResponse struct {
	Header headerJSON `json:"header"`
	Roles  []string   `json:"roles,omitempty"`
	Users  []string   `json:"users,omitempty"`
}

type v3PermJSON struct {
	PermType any    `json:"permType,omitempty"` // a name, or a number`
	Key      []byte `json:"key,omitempty"`
	RangeEnd []byte `json:"range_end,omitempty"`
}

type v3PermsResponse struct {
	Header headerJSON   `json:"header"`
	Perm   []v3PermJSON `json:"perm,omitempty"`
}

// v3PermType reads a permission type by name or number.
type v3PermType int32

func (v3PermType) enumNames() []string { return v3PermNames }

func (m *Member) v3AuthEnable(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		if a.enabled {
			return nil, nil
		}
		root := a.users[v3RootName]
		switch {
		case root == nil:
			return nil, errV3NoRootUser
		case !slices.Contains(root.roles, v3RootName):
			return nil, errV3NoRootRole
		}
		a.enabled = true
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3AuthDisable(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		if !a.enabled {
			return nil, nil
		}
		a.enabled = false
		a.tokens = map[string]*v3Token{}
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3AuthStatus(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		return &v3StatusResponse{Header: h, Enabled: a.enabled, AuthRevision: a.rev}, nil
	})
}

// newToken makes a simple token as etcd spells it: sixteen letters, a
// dot and a sequence number.
func (a *v3AuthStore) newToken(user string) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [16]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	a.seq++
	tok := string(b[:]) + "." + strconv.FormatInt(a.seq, 10)
	a.tokens[tok] = &v3Token{user: user, expires: a.now().Add(a.ttl)}
	return tok
}

func (m *Member) v3Authenticate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     string `pb:"name"`
		Password string `pb:"password"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		if !a.enabled {
			return nil, errV3AuthNotEnabled
		}
		u := a.users[req.Name]
		switch {
		case u == nil:
			return nil, errV3AuthFailed
		case u.noPassword:
			return nil, errV3NoPasswordUser
		case u.password != hashPassword(req.Password):
			return nil, errV3AuthFailed
		}
		return &v3TokenResponse{Header: h, Token: a.newToken(req.Name)}, nil
	})
}

// dropTokens ends every token of user; a.mu is held.
func (a *v3AuthStore) dropTokens(user string) {
	for tok, t := range a.tokens {
		if t.user == user {
			delete(a.tokens, tok)
		}
	}
}

func (m *Member) v3UserAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     string `pb:"name"`
		Password string `pb:"password"`
		Options  struct {
			NoPassword bool `pb:"no_password"`
		} `pb:"options"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		switch {
		case req.Name == "":
			return nil, errV3UserEmpty
		case a.users[req.Name] != nil:
			return nil, errV3UserExists
		}
		u := &v3User{noPassword: req.Options.NoPassword}
		if !u.noPassword {
			u.password = hashPassword(req.Password)
		}
		a.users[req.Name] = u
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3UserGet(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `pb:"name"`
	}
	c := callerOf(r)
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		// A user may read itself; anyone else needs the root role.
		if c.on && c.user != req.Name && !a.isRoot(c.user) {
			return nil, errV3PermDenied
		}
		u := a.users[req.Name]
		if u == nil {
			return nil, errV3UserNotFound
		}
		return &v3NamesResponse{Header: h, Roles: slices.Clone(u.roles)}, nil
	})
}

func (m *Member) v3UserList(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		return &v3NamesResponse{Header: h, Users: slices.Sorted(maps.Keys(a.users))}, nil
	})
}

func (m *Member) v3UserDelete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `pb:"name"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		if a.enabled && req.Name == v3RootName {
			return nil, errV3InvalidAuthMgmt
		}
		if a.users[req.Name] == nil {
			return nil, errV3UserNotFound
		}
		delete(a.users, req.Name)
		a.dropTokens(req.Name)
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3UserChangePassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     string `pb:"name"`
		Password string `pb:"password"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		u := a.users[req.Name]
		if u == nil {
			return nil, errV3UserNotFound
		}
		u.password, u.noPassword = hashPassword(req.Password), false
		a.dropTokens(req.Name)
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3UserGrant(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `pb:"user"`
		Role string `pb:"role"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		u := a.users[req.User]
		if u == nil {
			return nil, errV3UserNotFound
		}
		// The root role needs no record to be granted, as in etcd.
		if _, ok := a.roles[req.Role]; !ok && req.Role != v3RootName {
			return nil, errV3RoleNotFound
		}
		if i, found := slices.BinarySearch(u.roles, req.Role); !found {
			u.roles = slices.Insert(u.roles, i, req.Role)
			a.rev++
		}
		return nil, nil
	})
}

func (m *Member) v3UserRevoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `pb:"name"`
		Role string `pb:"role"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		if a.enabled && req.Name == v3RootName && req.Role == v3RootName {
			return nil, errV3InvalidAuthMgmt
		}
		u := a.users[req.Name]
		if u == nil {
			return nil, errV3UserNotFound
		}
		i, found := slices.BinarySearch(u.roles, req.Role)
		if !found {
			return nil, errV3RoleNotGranted
		}
		u.roles = slices.Delete(u.roles, i, i+1)
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3RoleAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `pb:"name"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		if req.Name == "" {
			return nil, errV3RoleEmpty
		}
		if _, ok := a.roles[req.Name]; ok {
			return nil, errV3RoleExists
		}
		a.roles[req.Name] = nil
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3RoleGet(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Role string `pb:"role"`
	}
	c := callerOf(r)
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		// A user may read the roles it holds; others need the root role.
		if c.on && !a.isRoot(c.user) {
			if u := a.users[c.user]; u == nil || !slices.Contains(u.roles, req.Role) {
				return nil, errV3PermDenied
			}
		}
		perms, ok := a.roles[req.Role]
		if !ok {
			return nil, errV3RoleNotFound
		}
		if req.Role == v3RootName {
			// etcd shows the root role as the right to everything.
			return &v3PermsResponse{Header: h, Perm: []v3PermJSON{{PermType: "READWRITE", RangeEnd: []byte{0}}}}, nil
		}
		out := &v3PermsResponse{Header: h}
		for _, p := range perms {
			pj := v3PermJSON{Key: []byte(p.key), RangeEnd: []byte(p.end)}
			switch {
			case p.typ == v3PermRead: // the zero value is left out
			case p.typ > 0 && int(p.typ) < len(v3PermNames):
				pj.PermType = v3PermNames[p.typ]
			default:
				pj.PermType = p.typ // an unknown enum prints as its number
			}
			out.Perm = append(out.Perm, pj)
		}
		return out, nil
	})
}

func (m *Member) v3RoleList(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		return &v3NamesResponse{Header: h, Roles: slices.Sorted(maps.Keys(a.roles))}, nil
	})
}

func (m *Member) v3RoleDelete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Role string `pb:"role"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		if a.enabled && req.Role == v3RootName {
			return nil, errV3InvalidAuthMgmt
		}
		if _, ok := a.roles[req.Role]; !ok {
			return nil, errV3RoleNotFound
		}
		delete(a.roles, req.Role)
		// Its users lose it, as etcd takes it from every user.
		for _, u := range a.users {
			if i, found := slices.BinarySearch(u.roles, req.Role); found {
				u.roles = slices.Delete(u.roles, i, i+1)
			}
		}
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3RoleGrant(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `pb:"name"`
		Perm *struct {
			PermType v3PermType `pb:"permType"`
			Key      jbytes     `pb:"key"`
			RangeEnd jbytes     `pb:"range_end"`
		} `pb:"perm"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		if req.Perm == nil {
			return nil, errV3PermNotGiven
		}
		if len(req.Perm.Key) == 0 {
			return nil, errV3InvalidAuthMgmt
		}
		perms, ok := a.roles[req.Name]
		if !ok {
			return nil, errV3RoleNotFound
		}
		// etcd keeps a type it does not know; it grants nothing.
		p := v3Perm{typ: int32(req.Perm.PermType), key: string(req.Perm.Key), end: string(req.Perm.RangeEnd)}
		// The same keys granted again take the new type.
		i := slices.IndexFunc(perms, func(q v3Perm) bool { return q.key == p.key && q.end == p.end })
		if i >= 0 {
			perms[i] = p
		} else {
			perms = append(perms, p)
			// Listed by key, as etcd keeps them.
			sort.SliceStable(perms, func(i, j int) bool { return bytes.Compare([]byte(perms[i].key), []byte(perms[j].key)) < 0 })
		}
		a.roles[req.Name] = perms
		a.rev++
		return nil, nil
	})
}

func (m *Member) v3RoleRevoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Role     string `pb:"role"`
		Key      jbytes `pb:"key"`
		RangeEnd jbytes `pb:"range_end"`
	}
	m.v3AuthCall(w, r, &req, func(a *v3AuthStore, h headerJSON) (any, *gwError) {
		perms, ok := a.roles[req.Role]
		if !ok {
			return nil, errV3RoleNotFound
		}
		i := slices.IndexFunc(perms, func(q v3Perm) bool { return q.key == string(req.Key) && q.end == string(req.RangeEnd) })
		if i < 0 {
			return nil, errV3PermNotGranted
		}
		a.roles[req.Role] = slices.Delete(perms, i, i+1)
		a.rev++
		return nil, nil
	})
}
