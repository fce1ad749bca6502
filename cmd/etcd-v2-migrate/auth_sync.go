package main

// This file copies users and roles onto the target and reads them back,
// all through the library's auth APIs on an APIv3 client: AddRole and
// GrantRoleKV map each v2 permission path onto v3 key ranges (with the
// extra reads KeysAPI needs), AddUser and GrantUser the users, and
// GetRole and GetUser report them back in v2's shape.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/seed26e043ee/client"
)

// authTarget is the target's v3 auth, through the library.
type authTarget struct {
	users client.AuthUserAPI
	roles client.AuthRoleAPI
	// addNoPassword creates a user without a password
	// (client.AddUserWithoutPassword on the real target).
	addNoPassword func(ctx context.Context, name string) error
}

func newAuthTarget(o *options) (*authTarget, error) {
	c, err := newTarget(o)
	if err != nil {
		return nil, err
	}
	t := &authTarget{users: client.NewAuthUserAPI(c), roles: client.NewAuthRoleAPI(c)}
	t.addNoPassword = func(ctx context.Context, name string) error {
		return client.AddUserWithoutPassword(ctx, t.users, name)
	}
	return t, nil
}

// read returns every user and role of the target as the library reports
// them.
func (t *authTarget) read(ctx context.Context) (*authState, error) {
	st := &authState{users: map[string][]string{}, roles: map[string]rolePerms{}}
	names, err := t.users.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	for _, n := range names {
		u, err := t.users.GetUser(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", n, err)
		}
		roles := append([]string{}, u.Roles...)
		st.users[n] = sortedCopy(roles)
	}
	names, err = t.roles.ListRoles(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing roles: %w", err)
	}
	for _, n := range names {
		r, err := t.roles.GetRole(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", n, err)
		}
		st.roles[n] = rolePerms{read: sortedCopy(r.Permissions.KV.Read), write: sortedCopy(r.Permissions.KV.Write)}
	}
	return st, nil
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// alreadyExists tells whether err is the library's refusal to add a user
// or role that exists (409): another run got there first, which is what
// was wanted.
func alreadyExists(err error) bool {
	var ae *client.AuthError
	return errors.As(err, &ae) && ae.Code == http.StatusConflict
}

// authStats sums up what syncAuth did.
type authStats struct {
	roles, perms, users, grants int
	noPassword                  []string
}

// syncAuth makes the target's users and roles those wanted: it creates
// missing roles, grants the missing permission paths, creates missing
// users (with their password from passwords, or with none) and gives them
// their roles. What the target has beyond that stays, and is named in the
// output. It never enables auth. With dryRun it only prints what it would
// do.
func syncAuth(ctx context.Context, t *authTarget, want, have *authState, passwords map[string]string, dryRun bool, out io.Writer) (*authStats, error) {
	st := &authStats{}
	verb := ""
	if dryRun {
		verb = "dry run, would "
	}
	// A user the target has already keeps its password there: etcd's v3
	// auth cannot say whether it is the one in --passwords, and changing
	// it could lock out programs that already log in on v3.
	for _, u := range sortedKeys(passwords) {
		_, inSource := want.users[u]
		if _, onTarget := have.users[u]; inSource && onTarget {
			fmt.Fprintf(out, "auth: user %s exists on the target already: its password there stays as it is; --passwords does not change it (etcdctl user passwd %s does)\n", u, u)
		}
	}
	diffs := compareAuth(want, have)
	// The missing paths of one role are granted together, one call per
	// permission type, once the role exists; likewise a user's roles.
	read, write, grants := map[string][]string{}, map[string][]string{}, map[string][]string{}
	for _, d := range diffs {
		switch d.kind {
		case missingPerm:
			if d.typ == "read" {
				read[d.role] = append(read[d.role], d.path)
			} else {
				write[d.role] = append(write[d.role], d.path)
			}
		case missingGrant:
			grants[d.user] = append(grants[d.user], d.role)
		}
	}
	createdRoot, done := false, map[string]bool{}
	for _, d := range diffs {
		var err error
		switch d.kind {
		case missingRole:
			fmt.Fprintf(out, "auth: %screate role %s\n", verb, d.role)
			st.roles++
			if !dryRun {
				if err = t.roles.AddRole(ctx, d.role); alreadyExists(err) {
					err = nil
				}
			}
		case missingPerm:
			if done["role "+d.role] {
				continue // the role's first missing path granted them all
			}
			done["role "+d.role] = true
			err = grantPaths(ctx, t, d.role, read[d.role], write[d.role], dryRun, verb, out)
			st.perms += len(read[d.role]) + len(write[d.role])
		case missingUser:
			pw := passwords[d.user]
			if pw == "" {
				st.noPassword = append(st.noPassword, d.user)
				fmt.Fprintf(out, "auth: %screate user %s WITHOUT a password (none in --passwords): it cannot log in with a password until one is set (etcdctl user passwd %s)\n", verb, d.user, d.user)
			} else {
				fmt.Fprintf(out, "auth: %screate user %s with its password from --passwords\n", verb, d.user)
			}
			st.users++
			if !dryRun {
				if pw == "" {
					err = t.addNoPassword(ctx, d.user)
				} else {
					err = t.users.AddUser(ctx, d.user, pw)
				}
				if alreadyExists(err) {
					// Another run made it meanwhile, with its own password.
					fmt.Fprintf(out, "auth: user %s was created on the target meanwhile, by another run: its password there stays as that run set it\n", d.user)
					err = nil
				}
			}
			// The library's AddUser gives root the role root itself.
			createdRoot = createdRoot || d.user == rootName
		case missingGrant:
			if done["user "+d.user] {
				continue
			}
			done["user "+d.user] = true
			roles := grants[d.user]
			fmt.Fprintf(out, "auth: %sgive user %s role %s\n", verb, d.user, strings.Join(roles, ", "))
			st.grants += len(roles)
			if d.user == rootName && createdRoot {
				roles = minus(roles, []string{rootName})
			}
			if !dryRun && len(roles) > 0 {
				_, err = t.users.GrantUser(ctx, d.user, roles)
			}
		default:
			fmt.Fprintf(out, "auth: left as it is: %s\n", d)
		}
		if err != nil {
			return st, fmt.Errorf("%s: %w", d, err)
		}
	}
	return st, nil
}

// grantPaths grants role the paths missing: those missing both read and
// write in one ReadWritePermission call, the others by type.
func grantPaths(ctx context.Context, t *authTarget, role string, read, write []string, dryRun bool, verb string, out io.Writer) error {
	both := minus(read, minus(read, write))
	for _, g := range []struct {
		name  string
		paths []string
		pt    client.PermissionType
	}{
		{"read and write", both, client.ReadWritePermission},
		{"read", minus(read, both), client.ReadPermission},
		{"write", minus(write, both), client.WritePermission},
	} {
		if len(g.paths) == 0 {
			continue
		}
		fmt.Fprintf(out, "auth: %sgrant role %s %s on %s\n", verb, role, g.name, strings.Join(g.paths, ", "))
		if dryRun {
			continue
		}
		if _, err := t.roles.GrantRoleKV(ctx, role, g.paths, g.pt); err != nil {
			return fmt.Errorf("role %s: granting %s on %s: %w", role, g.name, strings.Join(g.paths, ", "), err)
		}
	}
	return nil
}

// readAuthBoth reads the source's users and roles, and the target's
// through the library's APIv3 auth.
func readAuthBoth(ctx context.Context, o *options) (want, have *authState, notes []string, t *authTarget, err error) {
	src, err := newSource(o)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("source: %w", err)
	}
	a, err := readV2Auth(ctx, src)
	if err != nil {
		return nil, nil, nil, nil, explainAuth(o.from, err)
	}
	want, notes, err = wantAuth(a)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("source %v: %w", o.from, err)
	}
	if t, err = newAuthTarget(o); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("target: %w", err)
	}
	if have, err = t.read(ctx); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("target %v: reading users and roles: %w", o.to, err)
	}
	return want, have, notes, t, nil
}

// copyAuth copies the users and roles after the keys.
func copyAuth(ctx context.Context, o *options, stdout io.Writer) error {
	passwords := o.passwordOf
	want, have, notes, t, err := readAuthBoth(ctx, o)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(stdout, "auth: %s\n", n)
	}
	for _, u := range sortedKeys(passwords) {
		if _, ok := want.users[u]; !ok {
			fmt.Fprintf(stdout, "auth: --passwords names user %s, which the source does not have; ignored\n", u)
		}
	}
	st, err := syncAuth(ctx, t, want, have, passwords, o.dryRun, stdout)
	if err != nil {
		return fmt.Errorf("target %v: %w", o.to, err)
	}
	verb := "created"
	if o.dryRun {
		verb = "dry run, would create"
	}
	fmt.Fprintf(stdout, "auth: %d users and %d roles in the source; %s %d roles, %d permissions, %d users (%d without a password), %d role grants; "+
		"auth is NOT enabled on the target: enable it once the applications log in on v3 (etcdctl auth enable)\n",
		len(want.users), len(want.roles), verb, st.roles, st.perms, st.users, len(st.noPassword), st.grants)
	return nil
}

// verifyAuth prints how the target's users and roles, as the library's
// APIv3 reports them, differ from the source's, and returns how many
// differences there are.
func verifyAuth(ctx context.Context, o *options, stdout io.Writer) (int, error) {
	want, have, _, _, err := readAuthBoth(ctx, o)
	if err != nil {
		return 0, err
	}
	diffs := compareAuth(want, have)
	for _, d := range diffs {
		fmt.Fprintf(stdout, "auth: %s\n", d)
	}
	if len(diffs) == 0 {
		fmt.Fprintf(stdout, "verify: the %d users and %d roles are identical on the target (passwords cannot be compared)\n", len(want.users), len(want.roles))
	}
	return len(diffs), nil
}
