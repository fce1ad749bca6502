package clienttest

// This file holds the state of etcd 3.6's v3 auth as clienttest
// emulates it: users, roles with their permissions, whether auth is on,
// and the tokens traded for a password. The gateway's auth calls that
// change it are in v3authhttp.go; the check of every other call while
// auth is on (its token, its user's rights on the keys) in
// v3authcheck.go. It is apart from the v2 auth of auth.go, as in etcd.
//
// Tokens are etcd's simple tokens: a token lives until it goes unused for
// the TTL on the server's clock (each use restarts it), its user's
// password changes, its user is deleted, or auth is disabled. A change of
// a user's roles keeps its tokens: every call is checked against the
// roles the user holds when it comes.

import (
	"crypto/rand"
	"crypto/sha256"
	"slices"
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

// dropTokens ends every token of user; a.mu is held.
func (a *v3AuthStore) dropTokens(user string) {
	for tok, t := range a.tokens {
		if t.user == user {
			delete(a.tokens, tok)
		}
	}
}

// user is the user name, or etcd's refusal when there is none.
func (a *v3AuthStore) user(name string) (*v3User, *gwError) {
	if u := a.users[name]; u != nil {
		return u, nil
	}
	return nil, errV3UserNotFound
}

// role is the permissions of role name, or etcd's refusal when there is
// no such role.
func (a *v3AuthStore) role(name string) ([]v3Perm, *gwError) {
	if perms, ok := a.roles[name]; ok {
		return perms, nil
	}
	return nil, errV3RoleNotFound
}
