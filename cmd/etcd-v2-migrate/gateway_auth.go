package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// The calls of etcd's v3 auth service that copy and verify need (rpc.proto:
// /v3/auth/user/* and /v3/auth/role/*). The gateway sends field names as
// rpc.proto spells them and leaves out zero values, so a permission
// without permType is READ.

type gwPerm struct {
	PermType string `json:"permType,omitempty"`
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
}

func toGwPerm(p v3Perm) gwPerm {
	g := gwPerm{PermType: p.typ.String(), Key: []byte(p.key)}
	if p.end != "" {
		g.RangeEnd = []byte(p.end)
	}
	return g
}

func fromGwPerm(g gwPerm) (v3Perm, error) {
	p := v3Perm{key: string(g.Key), end: string(g.RangeEnd)}
	switch g.PermType {
	case "", "READ", "0":
		p.typ = permRead
	case "WRITE", "1":
		p.typ = permWrite
	case "READWRITE", "2":
		p.typ = permReadWrite
	default:
		return p, fmt.Errorf("unknown permission type %q", g.PermType)
	}
	return p, nil
}

// authState is the v3 users and roles: each user's roles and each role's
// permissions, both sorted.
type authState struct {
	users map[string][]string
	roles map[string][]v3Perm
}

// readAuth reads every user and role of the target.
func (g *gateway) readAuth(ctx context.Context) (*authState, error) {
	st := &authState{users: map[string][]string{}, roles: map[string][]v3Perm{}}
	var ul struct {
		Users []string `json:"users"`
	}
	if err := g.call(ctx, "auth/user/list", struct{}{}, &ul); err != nil {
		return nil, err
	}
	for _, u := range ul.Users {
		var ur struct {
			Roles []string `json:"roles"`
		}
		if err := g.call(ctx, "auth/user/get", map[string]string{"name": u}, &ur); err != nil {
			return nil, fmt.Errorf("user %s: %w", u, err)
		}
		sort.Strings(ur.Roles)
		st.users[u] = ur.Roles
	}
	var rl struct {
		Roles []string `json:"roles"`
	}
	if err := g.call(ctx, "auth/role/list", struct{}{}, &rl); err != nil {
		return nil, err
	}
	for _, r := range rl.Roles {
		var rr struct {
			Perm []gwPerm `json:"perm"`
		}
		if err := g.call(ctx, "auth/role/get", map[string]string{"role": r}, &rr); err != nil {
			return nil, fmt.Errorf("role %s: %w", r, err)
		}
		perms := []v3Perm{}
		for _, gp := range rr.Perm {
			p, err := fromGwPerm(gp)
			if err != nil {
				return nil, fmt.Errorf("role %s: %w", r, err)
			}
			perms = append(perms, p)
		}
		sortPerms(perms)
		st.roles[r] = perms
	}
	return st, nil
}

// alreadyExists tells whether err is etcd's refusal to add a user or role
// that exists: another run got there first, which is what we wanted.
func alreadyExists(err error) bool {
	return err != nil && strings.Contains(err.Error(), "already exists")
}

func (g *gateway) addRole(ctx context.Context, name string) error {
	err := g.call(ctx, "auth/role/add", map[string]string{"name": name}, &struct{}{})
	if alreadyExists(err) {
		return nil
	}
	return err
}

func (g *gateway) grantPerm(ctx context.Context, role string, p v3Perm) error {
	return g.call(ctx, "auth/role/grant", map[string]any{"name": role, "perm": toGwPerm(p)}, &struct{}{})
}

// addUser creates a user with the password, or without any (it then can
// only log in with a client certificate until one is set) when password
// is "".
func (g *gateway) addUser(ctx context.Context, name, password string) error {
	req := map[string]any{"name": name}
	if password == "" {
		req["options"] = map[string]bool{"no_password": true}
	} else {
		req["password"] = password
	}
	err := g.call(ctx, "auth/user/add", req, &struct{}{})
	if alreadyExists(err) {
		return nil
	}
	return err
}

func (g *gateway) grantRole(ctx context.Context, user, role string) error {
	return g.call(ctx, "auth/user/grant", map[string]string{"user": user, "role": role}, &struct{}{})
}

func sortPerms(ps []v3Perm) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].key != ps[j].key {
			return ps[i].key < ps[j].key
		}
		return ps[i].end < ps[j].end
	})
}
