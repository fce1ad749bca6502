package main

import (
	"context"
	"fmt"
	"io"
	"sort"
)

// authDiffKind says how the target's users and roles differ from the ones
// wanted.
type authDiffKind int

const (
	missingRole authDiffKind = iota
	missingPerm              // perm absent from the role
	wrongPerm                // same key or range, other type (have)
	extraPerm
	extraRole
	missingUser
	missingGrant // user lacks role
	extraGrant
	extraUser
)

// authDiff is one difference; copy repairs those up to extraRole and
// missingUser..missingGrant, and leaves the extras alone.
type authDiff struct {
	kind       authDiffKind
	role, user string
	perm       v3Perm
	have       permType
}

func (d authDiff) String() string {
	switch d.kind {
	case missingRole:
		return fmt.Sprintf("missing on the target: role %s", d.role)
	case missingPerm:
		return fmt.Sprintf("role %s: missing permission %s", d.role, d.perm)
	case wrongPerm:
		return fmt.Sprintf("role %s: permission %s is %s on the target", d.role, d.perm, d.have)
	case extraPerm:
		return fmt.Sprintf("role %s: only on the target: permission %s", d.role, d.perm)
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

// compareAuth lists how have differs from want, roles first (in name
// order), then users.
func compareAuth(want, have *authState) []authDiff {
	var out []authDiff
	for _, r := range sortedKeys(want.roles) {
		hp, ok := have.roles[r]
		if !ok {
			out = append(out, authDiff{kind: missingRole, role: r})
			for _, p := range want.roles[r] {
				out = append(out, authDiff{kind: missingPerm, role: r, perm: p})
			}
			continue
		}
		if r == rootName {
			// v3's root role may do everything whatever its permissions
			// (etcd 3.6 also gives it the whole key space explicitly).
			continue
		}
		hm := map[[2]string]permType{}
		for _, p := range hp {
			hm[[2]string{p.key, p.end}] = p.typ
		}
		wm := map[[2]string]bool{}
		for _, p := range want.roles[r] {
			k := [2]string{p.key, p.end}
			wm[k] = true
			switch t, ok := hm[k]; {
			case !ok:
				out = append(out, authDiff{kind: missingPerm, role: r, perm: p})
			case t != p.typ:
				out = append(out, authDiff{kind: wrongPerm, role: r, perm: p, have: t})
			}
		}
		for _, p := range hp {
			if !wm[[2]string{p.key, p.end}] {
				out = append(out, authDiff{kind: extraPerm, role: r, perm: p})
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
		hs := map[string]bool{}
		for _, r := range hr {
			hs[r] = true
		}
		ws := map[string]bool{}
		for _, r := range want.users[u] {
			ws[r] = true
			if !hs[r] {
				out = append(out, authDiff{kind: missingGrant, user: u, role: r})
			}
		}
		for _, r := range hr {
			if !ws[r] {
				out = append(out, authDiff{kind: extraGrant, user: u, role: r})
			}
		}
	}
	for _, u := range sortedKeys(have.users) {
		if _, ok := want.users[u]; !ok {
			out = append(out, authDiff{kind: extraUser, user: u})
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

// authStats sums up what syncAuth did.
type authStats struct {
	roles, perms, users, grants int
	noPassword                  []string
}

// syncAuth makes the target's users and roles those wanted: it creates
// missing roles, grants missing or different permissions, creates missing
// users (with their password from passwords, or with none) and gives them
// their roles. What the target has beyond that stays, and is named in the
// output. It never enables auth. With dryRun it only prints what it would
// do.
func syncAuth(ctx context.Context, g *gateway, want, have *authState, passwords map[string]string, dryRun bool, out io.Writer) (*authStats, error) {
	st := &authStats{}
	verb := ""
	if dryRun {
		verb = "dry run, would "
	}
	for _, d := range compareAuth(want, have) {
		var err error
		switch d.kind {
		case missingRole:
			fmt.Fprintf(out, "auth: %screate role %s\n", verb, d.role)
			st.roles++
			if !dryRun {
				err = g.addRole(ctx, d.role)
			}
		case missingPerm, wrongPerm:
			fmt.Fprintf(out, "auth: %sgrant role %s %s\n", verb, d.role, d.perm)
			st.perms++
			if !dryRun {
				err = g.grantPerm(ctx, d.role, d.perm)
			}
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
				err = g.addUser(ctx, d.user, pw)
			}
		case missingGrant:
			fmt.Fprintf(out, "auth: %sgive user %s role %s\n", verb, d.user, d.role)
			st.grants++
			if !dryRun {
				err = g.grantRole(ctx, d.user, d.role)
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

// readAuthBoth reads the source's users and roles and the target's, and
// maps the former. Notes say what the mapping left out.
func readAuthBoth(ctx context.Context, o *options, g *gateway) (want, have *authState, notes []string, err error) {
	src, err := newSource(o)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("source: %w", err)
	}
	a, err := readV2Auth(ctx, src)
	if err != nil {
		return nil, nil, nil, explainAuth(o.from, err)
	}
	want, notes, err = wantAuth(a, o.prefix)
	if err != nil {
		return nil, nil, nil, err
	}
	have, err = g.readAuth(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("target %v: reading users and roles: %w", o.to, err)
	}
	return want, have, notes, nil
}

// copyAuth copies the users and roles after the keys.
func copyAuth(ctx context.Context, o *options, g *gateway, stdout io.Writer) error {
	passwords := o.passwordOf
	want, have, notes, err := readAuthBoth(ctx, o, g)
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
	st, err := syncAuth(ctx, g, want, have, passwords, o.dryRun, stdout)
	if err != nil {
		return fmt.Errorf("target %v: %w", o.to, err)
	}
	verb := "created"
	if o.dryRun {
		verb = "dry run, would create"
	}
	fmt.Fprintf(stdout, "auth: %d users and %d roles in the source's mapping; %s %d roles, %d permissions, %d users (%d without a password), %d role grants; "+
		"auth is NOT enabled on the target: enable it once the applications log in on v3 (etcdctl auth enable)\n",
		len(want.users), len(want.roles), verb, st.roles, st.perms, st.users, len(st.noPassword), st.grants)
	return nil
}

// verifyAuth prints how the target's users and roles differ from the
// source's mapped ones and returns how many differences there are.
func verifyAuth(ctx context.Context, o *options, g *gateway, stdout io.Writer) (int, error) {
	want, have, _, err := readAuthBoth(ctx, o, g)
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
