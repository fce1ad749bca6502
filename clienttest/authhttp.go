package clienttest

// This file answers /v2/auth: enable and disable, users and roles, with
// the JSON shapes, status codes and messages of etcd 3.4. The state and the
// rules are in auth.go.

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

const authPrefix = "/v2/auth"

// kvJSON is a role's key permissions on the wire.
type kvJSON struct {
	Read  []string `json:"read"`
	Write []string `json:"write"`
}

type permsJSON struct {
	KV kvJSON `json:"kv"`
}

type roleJSON struct {
	Role        string    `json:"role"`
	Permissions permsJSON `json:"permissions"`
}

func toRoleJSON(name string, p perms) roleJSON {
	return roleJSON{Role: name, Permissions: permsJSON{KV: kvJSON{Read: p.read, Write: p.write}}}
}

// roleRequest is the body of PUT /v2/auth/roles/<name>.
type roleRequest struct {
	Role        string     `json:"role"`
	Permissions *permsJSON `json:"permissions"`
	Grant       *permsJSON `json:"grant"`
	Revoke      *permsJSON `json:"revoke"`
}

func (p *permsJSON) empty() bool { return p == nil || len(p.KV.Read)+len(p.KV.Write) == 0 }

func (p *permsJSON) perms() perms {
	if p == nil {
		return perms{}
	}
	return perms{read: p.KV.Read, write: p.KV.Write}
}

// userRequest is the body of PUT /v2/auth/users/<name>.
type userRequest struct {
	User     string   `json:"user"`
	Password string   `json:"password"`
	Roles    []string `json:"roles"`
	Grant    []string `json:"grant"`
	Revoke   []string `json:"revoke"`
}

// userWritten is a user as etcd answers a change: role names only.
type userWritten struct {
	User  string   `json:"user"`
	Roles []string `json:"roles"`
}

// userRead is a user as etcd answers a read: whole roles, none at all
// when it has none.
type userRead struct {
	User  string     `json:"user"`
	Roles []roleJSON `json:"roles,omitempty"`
}

func writeAuthError(w http.ResponseWriter, e *authError) { writeMessage(w, e.status, e.msg) }

func (m *Member) serveAuthEnable(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, "GET", "PUT", "DELETE") {
		return
	}
	a := m.srv.auth
	if !a.writeRootAccess(r) {
		writeMessage(w, http.StatusUnauthorized, "Insufficient credentials")
		return
	}
	w.Header().Set("X-Etcd-Cluster-Id", m.srv.clusterID)
	w.Header().Set("Content-Type", "application/json")
	a.mu.Lock()
	defer a.mu.Unlock()
	var err *authError
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, struct {
			Enabled bool `json:"enabled"`
		}{a.enabled})
		return
	case http.MethodPut:
		err = a.enableLocked()
	case http.MethodDelete:
		err = a.disableLocked()
	}
	if err != nil {
		writeAuthError(w, err)
	}
}

// authName splits the name off /v2/auth/<what>/<name>; ok is false for a
// path with more parts, which etcd refuses.
func authName(r *http.Request, what string) (name string, ok bool) {
	rest := strings.TrimPrefix(r.URL.Path, authPrefix+"/"+what)
	rest = strings.TrimPrefix(rest, "/")
	return rest, !strings.Contains(rest, "/")
}

// authCall runs the checks every users and roles call shares and reports
// whether the handler may go on.
func (m *Member) authCall(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if !allowMethod(w, r, methods...) {
		return false
	}
	if !m.srv.auth.rootAccess(r) {
		writeMessage(w, http.StatusUnauthorized, "Insufficient credentials")
		return false
	}
	w.Header().Set("X-Etcd-Cluster-Id", m.srv.clusterID)
	w.Header().Set("Content-Type", "application/json")
	return true
}

// authEntry does what every /v2/auth/users and /v2/auth/roles request
// starts with: the path, the list call, the allowed methods and the root
// check. It returns the entry's name and whether the caller goes on to
// serve the request.
func (m *Member) authEntry(w http.ResponseWriter, r *http.Request, what string, list func(http.ResponseWriter)) (string, bool) {
	name, ok := authName(r, what)
	if !ok {
		writeMessage(w, http.StatusBadRequest, "Invalid path")
		return "", false
	}
	if name == "" {
		if m.authCall(w, r, "GET") {
			list(w)
		}
		return "", false
	}
	if !m.authCall(w, r, "GET", "PUT", "DELETE") {
		return "", false
	}
	return name, true
}

func (m *Member) serveAuthUsers(w http.ResponseWriter, r *http.Request) {
	name, ok := m.authEntry(w, r, "users", m.listUsers)
	if !ok {
		return
	}
	a := m.srv.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		u, ok := a.userLocked(name)
		if !ok {
			writeAuthError(w, authErrorf(http.StatusNotFound, "User %s does not exist.", name))
			return
		}
		out, err := a.readUserLocked(u)
		if err != nil {
			writeAuthError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodDelete:
		if err := a.deleteUserLocked(name); err != nil {
			writeAuthError(w, err)
		}
	case http.MethodPut:
		var req userRequest
		if json.NewDecoder(r.Body).Decode(&req) != nil {
			writeMessage(w, http.StatusBadRequest, "Invalid JSON in request body.")
			return
		}
		if req.User != name {
			writeMessage(w, http.StatusBadRequest, "User JSON name does not match the name in the URL")
			return
		}
		var (
			u       authUser
			err     *authError
			created bool
		)
		switch {
		case len(req.Grant) > 0 || len(req.Revoke) > 0:
			if len(req.Roles) > 0 {
				writeMessage(w, http.StatusBadRequest, "User JSON contains both roles and grant/revoke")
				return
			}
			u, err = a.updateUserLocked(name, req.Password, req.Grant, req.Revoke)
		case len(req.Roles) > 0:
			// etcd answers 200 here although it creates the user.
			u, err = a.createUserLocked(name, req.Password, req.Roles)
		default:
			if _, exists := a.users[name]; exists {
				u, err = a.updateUserLocked(name, req.Password, nil, nil)
			} else {
				u, err = a.createUserLocked(name, req.Password, nil)
				created = true
			}
		}
		if err != nil {
			writeAuthError(w, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, userWritten{User: u.name, Roles: u.roles})
	}
}

// readUserLocked renders u with its whole roles; a role that no longer
// exists makes the read fail, as in etcd.
func (a *authStore) readUserLocked(u authUser) (userRead, *authError) {
	out := userRead{User: u.name}
	for _, name := range u.roles {
		p, ok := a.roleLocked(name)
		if !ok {
			return userRead{}, authErrorf(http.StatusNotFound, "Role %s does not exist.", name)
		}
		out.Roles = append(out.Roles, toRoleJSON(name, p))
	}
	return out, nil
}

func (m *Member) listUsers(w http.ResponseWriter) {
	a := m.srv.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	names := make([]string, 0, len(a.users))
	for n := range a.users {
		names = append(names, n)
	}
	sort.Strings(names)
	var list []userRead
	for _, n := range names {
		u, _ := a.userLocked(n)
		out, err := a.readUserLocked(u)
		if err != nil {
			// etcd lists such a user by name only.
			out = userRead{User: n}
		}
		list = append(list, out)
	}
	writeJSON(w, http.StatusOK, struct {
		Users []userRead `json:"users"`
	}{list})
}

func (m *Member) serveAuthRoles(w http.ResponseWriter, r *http.Request) {
	name, ok := m.authEntry(w, r, "roles", m.listRoles)
	if !ok {
		return
	}
	a := m.srv.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		p, ok := a.roleLocked(name)
		if !ok {
			writeAuthError(w, authErrorf(http.StatusNotFound, "Role %s does not exist.", name))
			return
		}
		writeJSON(w, http.StatusOK, toRoleJSON(name, p))
	case http.MethodDelete:
		if err := a.deleteRoleLocked(name); err != nil {
			writeAuthError(w, err)
		}
	case http.MethodPut:
		var req roleRequest
		if json.NewDecoder(r.Body).Decode(&req) != nil {
			writeMessage(w, http.StatusBadRequest, "Invalid JSON in request body.")
			return
		}
		if req.Role != name {
			writeMessage(w, http.StatusBadRequest, "Role JSON name does not match the name in the URL")
			return
		}
		if req.Grant.empty() && req.Revoke.empty() {
			p := req.Permissions.perms()
			if err := a.createRoleLocked(name, p); err != nil {
				writeAuthError(w, err)
				return
			}
			writeJSON(w, http.StatusCreated, toRoleJSON(name, p))
			return
		}
		if !req.Permissions.empty() {
			writeMessage(w, http.StatusBadRequest, "Role JSON contains both permissions and grant/revoke")
			return
		}
		p, err := a.updateRoleLocked(name, req.Grant.perms(), req.Revoke.perms())
		if err != nil {
			writeAuthError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, toRoleJSON(name, p))
	}
}

func (m *Member) listRoles(w http.ResponseWriter) {
	a := m.srv.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	names := []string{rootName}
	for n := range a.roles {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]roleJSON, 0, len(names))
	for _, n := range names {
		p, _ := a.roleLocked(n)
		list = append(list, toRoleJSON(n, p))
	}
	writeJSON(w, http.StatusOK, struct {
		Roles []roleJSON `json:"roles"`
	}{list})
}
