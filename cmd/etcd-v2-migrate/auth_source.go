package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/seed26e043ee/client"
)

// v2Auth is what the source's v2 auth holds: each user's roles and each
// role's read and write patterns.
type v2Auth struct {
	users map[string][]string
	roles map[string]client.Permissions
}

// readV2Auth reads the source's users and roles through the library's v2
// auth API (GET requests only, which the read-only source allows). With
// auth enabled on the source it needs the root user (--from-user).
func readV2Auth(ctx context.Context, src client.Client) (*v2Auth, error) {
	a := &v2Auth{users: map[string][]string{}, roles: map[string]client.Permissions{}}
	ua, ra := client.NewAuthUserAPI(src), client.NewAuthRoleAPI(src)
	names, err := ua.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing v2 users: %w", err)
	}
	for _, n := range names {
		u, err := ua.GetUser(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("reading v2 user %s: %w", n, err)
		}
		a.users[n] = u.Roles
	}
	names, err = ra.ListRoles(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing v2 roles: %w", err)
	}
	for _, n := range names {
		r, err := ra.GetRole(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("reading v2 role %s: %w", n, err)
		}
		a.roles[n] = r.Permissions
	}
	return a, nil
}

// v2's built-in roles: root may do everything (v3's root role too),
// guest is what requests without credentials get, which v3 does not have.
const (
	rootName  = "root"
	guestRole = "guest"
)

// wantAuth is the v3 users and roles that stand for the v2 ones under
// prefix p, and notes on what could not be carried over. The v3 root user
// with the root role is always wanted: v3 auth cannot be enabled without
// it.
func wantAuth(a *v2Auth, p string) (*authState, []string, error) {
	w := &authState{users: map[string][]string{}, roles: map[string][]v3Perm{}}
	var notes []string
	for name, perms := range a.roles {
		switch name {
		case guestRole:
			notes = append(notes, fmt.Sprintf("v2 role %s not copied: v3 has no access without a user (its permissions: read %q, write %q; grant them to a role of each user that needs them)",
				name, perms.KV.Read, perms.KV.Write))
			continue
		case rootName:
			// v3's root role may do everything without permissions.
			w.roles[name] = []v3Perm{}
			continue
		}
		ps, err := mapPermissions(p, perms.KV.Read, perms.KV.Write)
		if err != nil {
			return nil, nil, fmt.Errorf("v2 role %s: %w", name, err)
		}
		w.roles[name] = ps
	}
	w.roles[rootName] = []v3Perm{}
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

// readPasswords reads --passwords: one "user:password" a line; blank
// lines and lines starting with # are skipped. The password is the rest of
// the line after the first colon, kept verbatim (spaces included). Errors
// name the line, never its content.
func readPasswords(name string) (map[string]string, error) {
	if name == "" {
		return map[string]string{}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--passwords: %w", err)
	}
	defer f.Close()
	return parsePasswords(name, f)
}

func parsePasswords(name string, r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		user, pass, ok := strings.Cut(line, ":")
		switch {
		case !ok || strings.TrimSpace(user) == "":
			return nil, fmt.Errorf("--passwords %s line %d: not USER:PASSWORD", name, n)
		case pass == "":
			return nil, fmt.Errorf("--passwords %s line %d: empty password for %s", name, n, strings.TrimSpace(user))
		}
		user = strings.TrimSpace(user)
		if _, dup := out[user]; dup {
			return nil, fmt.Errorf("--passwords %s line %d: %s appears twice", name, n, user)
		}
		out[user] = pass
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--passwords %s: %w", name, err)
	}
	return out, nil
}

// explainAuth says what to do when the source's users or roles cannot be
// read: most often the credentials are not root's.
func explainAuth(endpoints []string, err error) error {
	return fmt.Errorf("source %v: %w (reading users and roles needs the v2 root user when v2 auth is on: --from-user root:PASSWORD; --no-auth leaves users and roles out)", endpoints, err)
}
