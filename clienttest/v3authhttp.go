package clienttest

// This file serves the gateway's auth calls (/v3/auth/...): enabling and
// disabling, tokens for a password, users and roles, in etcd 3.6's JSON
// shapes and refusals. The store they change is in v3auth.go.

import (
	"bytes"
	"maps"
	"net/http"
	"slices"
	"sort"
)

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

// v3HeaderOnly is an answer that holds nothing but its header.
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
		u, gerr := a.user(req.Name)
		if gerr != nil {
			return nil, gerr
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
		u, gerr := a.user(req.Name)
		if gerr != nil {
			return nil, gerr
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
		u, gerr := a.user(req.User)
		if gerr != nil {
			return nil, gerr
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
		u, gerr := a.user(req.Name)
		if gerr != nil {
			return nil, gerr
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
		perms, gerr := a.role(req.Role)
		if gerr != nil {
			return nil, gerr
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
		perms, gerr := a.role(req.Name)
		if gerr != nil {
			return nil, gerr
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
		perms, gerr := a.role(req.Role)
		if gerr != nil {
			return nil, gerr
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
