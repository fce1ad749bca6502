package main

// This file says which users and roles the target should hold for the
// source's, in the v2 shape the library's APIv3 auth reports them
// (GetUser, GetRole), and how the target's differ. The mapping of
// permission paths onto v3 key ranges is the library's alone ("Auth on
// APIv3" in the package docs): copy grants the v2 paths through
// AuthRoleAPI and reads them back the same way.

import (
	"fmt"
	"sort"

	"github.com/seed26e043ee/client"
)

// v2's built-in roles: root may do everything (v3's root role too),
// guest is what requests without credentials get, which v3 does not have.
const (
	rootName  = "root"
	guestRole = "guest"
)

// rolePerms is a role's permission paths, each list sorted, each path
// once, in the form GetRole reports on APIv3.
type rolePerms struct{ read, write []string }

// authState is users and roles: each user's roles, sorted, and each
// role's permissions.
type authState struct {
	users map[string][]string
	roles map[string]rolePerms
}

// normalPaths returns paths as the library's APIv3 GetRole reports them
// once granted, sorted and without repeats, or the error a grant of the
// first one v3 cannot express would give.
func normalPaths(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		n, err := client.V3PermissionPath(p)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// wantAuth is the v3 users and roles that stand for the v2 ones, and
// notes on what could not be carried over. The v3 root user with the
// root role is always wanted: v3 auth cannot be enabled without it.
// Every permission path is checked here, so that one v3 cannot express
// stops the command before it writes anything.
func wantAuth(a *v2Auth) (*authState, []string, error) {
	w := &authState{users: map[string][]string{}, roles: map[string]rolePerms{}}
	var notes []string
	for name, perms := range a.roles {
		switch name {
		case guestRole:
			notes = append(notes, fmt.Sprintf("v2 role %s not copied: v3 has no access without a user (its permissions: read %q, write %q; grant them to a role of each user that needs them)",
				name, perms.KV.Read, perms.KV.Write))
			continue
		case rootName:
			// v3's root role may do everything without permissions.
			w.roles[name] = rolePerms{}
			continue
		}
		read, err := normalPaths(perms.KV.Read)
		if err != nil {
			return nil, nil, fmt.Errorf("v2 role %s: %w", name, err)
		}
		write, err := normalPaths(perms.KV.Write)
		if err != nil {
			return nil, nil, fmt.Errorf("v2 role %s: %w", name, err)
		}
		w.roles[name] = rolePerms{read: read, write: write}
	}
	w.roles[rootName] = rolePerms{}
	for name, roles := range a.users {
		var keep []string
		for _, r := range roles {
			if r != guestRole {
				keep = append(keep, r)
			}
		}
		w.users[name] = keep
	}
	if _, ok := w.users[rootName]; !ok {
		notes = append(notes, "the source has no root user; creating root, which v3 needs to enable auth")
	}
	w.users[rootName] = appendMissing(w.users[rootName], rootName)
	for name, roles := range w.users {
		for _, r := range roles {
			if _, ok := w.roles[r]; !ok {
				return nil, nil, fmt.Errorf("v2 user %s has role %s, which the source does not list", name, r)
			}
		}
		roles = append([]string{}, roles...)
		sort.Strings(roles)
		w.users[name] = roles
	}
	sort.Strings(notes)
	return w, notes, nil
}

func appendMissing(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// authDiffKind says how the target's users and roles differ from the ones
// wanted.
type authDiffKind int

const (
	missingRole authDiffKind = iota
	missingPerm              // path with typ absent from the role
	extraPerm
	extraRole
	missingUser
	missingGrant // user lacks role
	extraGrant
	extraUser
)

// authDiff is one difference; copy repairs the missing ones and leaves
// the extras alone.
type authDiff struct {
	kind       authDiffKind
	role, user string
	path, typ  string // for the permissions: the path and "read" or "write"
}

func (d authDiff) String() string {
	switch d.kind {
	case missingRole:
		return fmt.Sprintf("missing on the target: role %s", d.role)
	case missingPerm:
		return fmt.Sprintf("role %s: missing %s permission on %s", d.role, d.typ, d.path)
	case extraPerm:
		return fmt.Sprintf("role %s: only on the target: %s permission on %s", d.role, d.typ, d.path)
	case extraRole:
		return fmt.Sprintf("only on the target: role %s", d.role)
	case missingUser:
		return fmt.Sprintf("missing on the target: user %s", d.user)
	case missingGrant:
		return fmt.Sprintf("user %s: missing role %s", d.user, d.role)
	case extraGrant:
		return fmt.Sprintf("user %s: only on the target: role %s", d.user, d.role)
	}
	return fmt.Sprintf("only on the target: user %s", d.user)
}

// compareAuth lists how have differs from want: roles first (in name
// order, each with its permissions, reads before writes), then users.
func compareAuth(want, have *authState) []authDiff {
	var out []authDiff
	for _, r := range sortedKeys(want.roles) {
		w := want.roles[r]
		h, ok := have.roles[r]
		if !ok {
			out = append(out, authDiff{kind: missingRole, role: r})
		}
		if r == rootName {
			// v3's root role may do everything whatever its permissions;
			// the library shows it with read and write on "/*".
			continue
		}
		for _, typ := range []string{"read", "write"} {
			wl, hl := w.read, h.read
			if typ == "write" {
				wl, hl = w.write, h.write
			}
			for _, p := range minus(wl, hl) {
				out = append(out, authDiff{kind: missingPerm, role: r, path: p, typ: typ})
			}
			for _, p := range minus(hl, wl) {
				out = append(out, authDiff{kind: extraPerm, role: r, path: p, typ: typ})
			}
		}
	}
	for _, r := range sortedKeys(have.roles) {
		if _, ok := want.roles[r]; !ok {
			out = append(out, authDiff{kind: extraRole, role: r})
		}
	}
	for _, u := range sortedKeys(want.users) {
		hr, ok := have.users[u]
		if !ok {
			out = append(out, authDiff{kind: missingUser, user: u})
		}
		for _, r := range minus(want.users[u], hr) {
			out = append(out, authDiff{kind: missingGrant, user: u, role: r})
		}
		for _, r := range minus(hr, want.users[u]) {
			out = append(out, authDiff{kind: extraGrant, user: u, role: r})
		}
	}
	for _, u := range sortedKeys(have.users) {
		if _, ok := want.users[u]; !ok {
			out = append(out, authDiff{kind: extraUser, user: u})
		}
	}
	return out
}

// minus returns the entries of a that b lacks, in a's order.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
