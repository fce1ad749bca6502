package clienttest

// This file holds the auth store of etcd 3.4's v2 API: users, roles, the
// enabled switch, and the checks every request goes through. Its HTTP side
// is authhttp.go.
//
// etcd keeps these records in its v2 store outside the key space, so each
// change takes an etcd index, and the first change ever made also writes
// the auth directories (authSetupWrites more indexes).

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Names etcd gives a meaning of their own.
const (
	rootName  = "root"
	guestName = "guest"
)

// authSetupWrites is how many indexes etcd spends on its auth directories
// the first time anything is written to the auth store.
const authSetupWrites = 4

// authError is an auth call's failure: an HTTP status and etcd's message.
type authError struct {
	status int
	msg    string
}

func (e *authError) Error() string { return e.msg }

func authErrorf(status int, format string, args ...any) *authError {
	return &authError{status: status, msg: "auth: " + fmt.Sprintf(format, args...)}
}

// authUser is a stored user. roles keeps the difference between nil and
// empty, which etcd's answers show as null and [].
type authUser struct {
	name     string
	password [sha256.Size]byte
	roles    []string
}

// perms is a role's key permissions; nil and empty lists differ, as above.
type perms struct {
	read, write []string
}

func equalList(a, b []string) bool { return (a == nil) == (b == nil) && slices.Equal(a, b) }

func (p perms) equal(q perms) bool { return equalList(p.read, q.read) && equalList(p.write, q.write) }

// rootPerms are the rights of the root role, which is never stored.
var rootPerms = perms{read: []string{"/*"}, write: []string{"/*"}}

// authStore is the Server's auth state. In the package's lock order its mu
// comes after a Member's and before the store's: a change takes its indexes
// from the store with mu held.
type authStore struct {
	st *store // the key space, for the indexes

	mu      sync.Mutex // guards the fields below
	enabled bool
	setUp   bool // the auth directories were written
	users   map[string]*authUser
	roles   map[string]perms
}

func newAuthStore(st *store) *authStore {
	return &authStore{st: st, users: make(map[string]*authUser), roles: make(map[string]perms)}
}

func hashPassword(p string) [sha256.Size]byte { return sha256.Sum256([]byte(p)) }

// writeLocked takes the indexes of one auth change.
func (a *authStore) writeLocked() {
	n := 1
	if !a.setUp {
		a.setUp = true
		n += authSetupWrites
	}
	a.st.internalWrites(n)
}

// setUpLocked writes the auth directories if that has not happened yet, as
// etcd does before a change that may then still fail.
func (a *authStore) setUpLocked() {
	if !a.setUp {
		a.setUp = true
		a.st.internalWrites(authSetupWrites)
	}
}

// userLocked returns a copy of the user as etcd reads it back: the root
// user always holds the root role.
func (a *authStore) userLocked(name string) (authUser, bool) {
	u, ok := a.users[name]
	if !ok {
		return authUser{}, false
	}
	c := *u
	c.roles = slices.Clone(u.roles)
	if name == rootName && !slices.Contains(c.roles, rootName) {
		c.roles = append(c.roles, rootName)
	}
	return c, true
}

func (a *authStore) roleLocked(name string) (perms, bool) {
	if name == rootName {
		return rootPerms, true
	}
	p, ok := a.roles[name]
	return p, ok
}

// createUserLocked adds u; it fails like etcd's CreateUser.
func (a *authStore) createUserLocked(name, password string, roles []string) (authUser, *authError) {
	if password == "" {
		return authUser{}, authErrorf(http.StatusBadRequest, "Cannot create user %s with an empty password", name)
	}
	a.setUpLocked()
	if _, ok := a.users[name]; ok {
		return authUser{}, authErrorf(http.StatusConflict, "User %s already exists.", name)
	}
	u := &authUser{name: name, password: hashPassword(password), roles: slices.Clone(roles)}
	if name == rootName && !slices.Contains(u.roles, rootName) {
		u.roles = append(u.roles, rootName)
	}
	a.users[name] = u
	a.writeLocked()
	return *u, nil
}

// updateUserLocked changes the password (if given) and the roles of an
// existing user.
func (a *authStore) updateUserLocked(name, password string, grant, revoke []string) (authUser, *authError) {
	u, ok := a.userLocked(name)
	if !ok {
		return authUser{}, authErrorf(http.StatusNotFound, "User %s does not exist.", name)
	}
	if password == "" && len(grant) == 0 && len(revoke) == 0 {
		return authUser{}, &authError{status: http.StatusBadRequest, msg: "auth: User not updated. Use grant/revoke/password to update the user."}
	}
	if password != "" {
		u.password = hashPassword(password)
	}
	roles := append([]string{}, u.roles...)
	for _, r := range grant {
		if slices.Contains(roles, r) {
			return authUser{}, authErrorf(http.StatusConflict, "Granting duplicate role %s for user %s", r, name)
		}
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range revoke {
		i := slices.Index(roles, r)
		if i < 0 {
			return authUser{}, authErrorf(http.StatusConflict, "Revoking ungranted role %s for user %s", r, name)
		}
		roles = slices.Delete(roles, i, i+1)
	}
	u.roles = roles
	stored := u
	a.users[name] = &stored
	a.writeLocked()
	return u, nil
}

func (a *authStore) deleteUserLocked(name string) *authError {
	if a.enabled && name == rootName {
		return authErrorf(http.StatusForbidden, "Cannot delete root user while auth is enabled.")
	}
	a.setUpLocked()
	if _, ok := a.users[name]; !ok {
		return authErrorf(http.StatusNotFound, "User %s does not exist", name)
	}
	delete(a.users, name)
	a.writeLocked()
	return nil
}

func errRootRole() *authError {
	return authErrorf(http.StatusForbidden, "Cannot modify role root: is root role.")
}

func (a *authStore) createRoleLocked(name string, p perms) *authError {
	if name == rootName {
		return errRootRole()
	}
	a.setUpLocked()
	if _, ok := a.roles[name]; ok {
		return authErrorf(http.StatusConflict, "Role %s already exists.", name)
	}
	a.roles[name] = perms{read: slices.Clone(p.read), write: slices.Clone(p.write)}
	a.writeLocked()
	return nil
}

// grantList adds add to old, refusing duplicates; the result is never nil.
func grantList(old, add []string, kind string) ([]string, *authError) {
	out := append([]string{}, old...)
	for _, p := range add {
		if slices.Contains(out, p) {
			return nil, authErrorf(http.StatusConflict, "Granting duplicate %s permission %s", kind, p)
		}
		out = append(out, p)
	}
	return out, nil
}

// revokeList removes drop from old, ignoring what old lacks; the result is
// never nil.
func revokeList(old, drop []string) []string {
	out := []string{}
	for _, p := range old {
		if !slices.Contains(drop, p) {
			out = append(out, p)
		}
	}
	return out
}

func (a *authStore) updateRoleLocked(name string, grant, revoke perms) (perms, *authError) {
	if name == rootName {
		return perms{}, errRootRole()
	}
	old, ok := a.roles[name]
	if !ok {
		return perms{}, authErrorf(http.StatusNotFound, "Role %s does not exist.", name)
	}
	var next perms
	var err *authError
	if next.read, err = grantList(old.read, grant.read, "read"); err != nil {
		return perms{}, err
	}
	if next.write, err = grantList(old.write, grant.write, "write"); err != nil {
		return perms{}, err
	}
	next.read, next.write = revokeList(next.read, revoke.read), revokeList(next.write, revoke.write)
	if next.equal(old) {
		return perms{}, &authError{status: http.StatusBadRequest, msg: "auth: Role not updated. Use grant/revoke to update the role."}
	}
	a.roles[name] = next
	a.writeLocked()
	return next, nil
}

func (a *authStore) deleteRoleLocked(name string) *authError {
	if name == rootName {
		return errRootRole()
	}
	a.setUpLocked()
	if _, ok := a.roles[name]; !ok {
		return authErrorf(http.StatusNotFound, "Role %s doesn't exist.", name)
	}
	delete(a.roles, name)
	a.writeLocked()
	return nil
}

// enableLocked turns auth on, creating the guest role with full rights if
// it is missing.
func (a *authStore) enableLocked() *authError {
	if a.enabled {
		return &authError{status: http.StatusConflict, msg: "auth: already enabled"}
	}
	if _, ok := a.users[rootName]; !ok {
		return &authError{status: http.StatusConflict, msg: "auth: No root user available, please create one"}
	}
	if _, ok := a.roles[guestName]; !ok {
		a.roles[guestName] = perms{read: []string{"/*"}, write: []string{"/*"}}
		a.writeLocked()
	}
	a.enabled = true
	a.writeLocked()
	return nil
}

func (a *authStore) disableLocked() *authError {
	if !a.enabled {
		return &authError{status: http.StatusConflict, msg: "auth: already disabled"}
	}
	a.enabled = false
	a.writeLocked()
	return nil
}

// credentialsLocked returns the user r names with a matching password. ok
// is false when r sends no basic auth at all.
func (a *authStore) credentialsLocked(r *http.Request) (u authUser, valid, ok bool) {
	name, pass, ok := r.BasicAuth()
	if !ok {
		return authUser{}, false, false
	}
	u, found := a.userLocked(name)
	if !found {
		return authUser{}, false, true
	}
	h := hashPassword(pass)
	return u, subtle.ConstantTimeCompare(h[:], u.password[:]) == 1, true
}

// rootAccess tells whether r may use the auth API and change members: with
// auth off anyone may; with it on only a user holding the root role.
func (a *authStore) rootAccess(r *http.Request) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.enabled {
		return true
	}
	u, valid, ok := a.credentialsLocked(r)
	return ok && valid && slices.Contains(u.roles, rootName)
}

// writeRootAccess is rootAccess for the calls that change something; reads
// stay open.
func (a *authStore) writeRootAccess(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	return a.rootAccess(r)
}

// keyAccess tells whether r may read (or write) key, or with recursive the
// whole tree under it. Requests without credentials get the guest role's
// rights; roles that no longer exist grant nothing.
func (a *authStore) keyAccess(r *http.Request, key string, recursive, write bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.enabled {
		return true
	}
	u, valid, ok := a.credentialsLocked(r)
	var roles []string
	switch {
	case !ok:
		roles = []string{guestName}
	case !valid:
		return false
	default:
		roles = u.roles
	}
	for _, name := range roles {
		p, found := a.roleLocked(name)
		if !found {
			continue
		}
		list := p.read
		if write {
			list = p.write
		}
		for _, pat := range list {
			if patternAllows(pat, key, recursive) {
				return true
			}
		}
	}
	return false
}

// patternAllows is etcd's match of a permission: "/a/*" covers every key
// starting with "/a/", anything else only itself, and only a "*" pattern
// covers a recursive request.
func patternAllows(pattern, key string, recursive bool) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(key, prefix)
	}
	return !recursive && key == pattern
}

// presetBasicAuth is WithBasicAuth's state: auth on, user holding the root
// role, and a guest role without rights. Like a server started with
// etcd's auth already configured, it took no indexes.
func (a *authStore) presetBasicAuth(user, password string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.setUp = true
	a.users[user] = &authUser{name: user, password: hashPassword(password), roles: []string{rootName}}
	a.roles[guestName] = perms{read: []string{}, write: []string{}}
	a.enabled = true
}
