package client

// This file holds what a tool moving v2 users and roles onto v3 auth
// needs besides the AuthUserAPI and AuthRoleAPI interfaces, which keep
// the original client's methods: a user with no password at all, and the
// form in which GetRole reports a permission path, to compare a v2 role
// with its copy.

import (
	"context"
	"errors"
)

// AddUserWithoutPassword creates the user username with no password on
// etcd's v3 auth (etcd's no_password option): nobody can log in as it
// with a password until one is set (ChangePassword, etcdctl user passwd),
// which is what a copy of a v2 user whose password is unknown needs.
// AddUser with an empty password is not that: etcd then stores the empty
// password, and anyone may log in with it. As with AddUser, "root" also
// gets the role root. api must come from NewAuthUserAPI on an APIv3
// client; v2 auth has no such users, so on APIv2 it returns an error and
// sends nothing.
func AddUserWithoutPassword(ctx context.Context, api AuthUserAPI, username string) error {
	x, ok := api.(v3AuthUserAPI)
	if !ok {
		return errors.New("client: a user without a password exists only on etcd's v3 auth (a client with API: APIv3)")
	}
	return x.addUser(ctx, v3UserReq{Name: username, Options: &v3UserOptions{NoPassword: true}})
}

// V3PermissionPath returns the v2 permission path p as GetRole reports it
// on APIv3 once granted ("*" as "/*", "foo" as "/foo", "/a//b" as
// "/a/b"), or the error GrantRoleKV returns for p when etcd's v3 auth
// cannot express it (a "*" before the end, a prefix that is not a clean
// path). It sends nothing.
func V3PermissionPath(p string) (string, error) {
	v, err := parseV2Perm(p)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}
