package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
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
