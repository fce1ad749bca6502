package client

// This file maps the v2 auth APIs (AuthAPI, AuthUserAPI, AuthRoleAPI)
// onto etcd's v3 auth (/v3/auth/..., APIv3). Permission paths become key
// ranges in auth_v3_perms.go; the token of Config.Username is the
// gateway's (v3gateway_auth.go). What v3 cannot express, and what the
// library does instead, is in the package documentation ("Auth on
// APIv3") and docs/v3-layout.md.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// The role names v2 gives a meaning of their own.
const (
	rootName  = "root"
	guestRole = "guest"
)

// v3Auth is what the three auth APIs share on APIv3.
type v3Auth struct {
	kv     v3Backend
	layout permLayout
}

// v3AuthOf returns the v3 auth mapping of c, or nil when c speaks v2.
func v3AuthOf(c Client) *v3Auth {
	kv, prefix := v3Of(c)
	if kv == nil {
		return nil
	}
	return &v3Auth{kv: kv, layout: permLayout{prefix: prefix}}
}

type v3Empty struct{}

// authRefusal turns etcd's refusal of an auth call into the error a v2
// member gives for the same thing, so that IsUserNotFound,
// IsRoleNotFound and checks of AuthError keep working: not found (404)
// and already exists (409) get v2's wording, naming user or role; other
// refusals of the request or of the caller's rights become an AuthError
// with etcd's message (401 for missing rights, as v2 answers). Anything
// else is returned as it is (a *GatewayError, a *ClusterError, ...).
func authRefusal(err error, user, role string) error {
	var ge *GatewayError
	if err == nil || !errors.As(err, &ge) {
		return err
	}
	m := ge.Message
	switch {
	case strings.Contains(m, "user name not found"):
		return &AuthError{Code: http.StatusNotFound, Message: fmt.Sprintf("auth: User %s does not exist.", user)}
	case strings.Contains(m, "role name not found"):
		return &AuthError{Code: http.StatusNotFound, Message: fmt.Sprintf("auth: Role %s does not exist.", role)}
	case strings.Contains(m, "user name already exists"):
		return &AuthError{Code: http.StatusConflict, Message: fmt.Sprintf("auth: User %s already exists.", user)}
	case strings.Contains(m, "role name already exists"):
		return &AuthError{Code: http.StatusConflict, Message: fmt.Sprintf("auth: Role %s already exists.", role)}
	}
	switch ge.Code {
	case grpcPermissionDenied, grpcUnauthenticated:
		return &AuthError{Code: http.StatusUnauthorized, Message: m}
	case grpcInvalidArgument, grpcFailedPrecondition:
		if tokenRefused(ge) {
			return &AuthError{Code: http.StatusUnauthorized, Message: m}
		}
		return &AuthError{Code: ge.Status, Message: m}
	}
	return err
}

// AuthAPI on APIv3.
type v3AuthAPI struct{ a *v3Auth }

// Enable switches v3 auth on. etcd answers success when it already is
// (v2 refuses with 409); it requires the user root with the role root,
// which AddUser("root", ...) creates together.
func (x v3AuthAPI) Enable(ctx context.Context) error {
	return authRefusal(x.a.kv.auth(ctx, "enable", kindRetryable, v3Empty{}, &v3Empty{}), rootName, rootName)
}

func (x v3AuthAPI) Disable(ctx context.Context) error {
	return authRefusal(x.a.kv.auth(ctx, "disable", kindRetryable, v3Empty{}, &v3Empty{}), rootName, rootName)
}

// AuthUserAPI on APIv3.
type v3AuthUserAPI struct{ a *v3Auth }

type v3UserReq struct {
	Name     string         `json:"name"`
	Password string         `json:"password,omitempty"`
	Options  *v3UserOptions `json:"options,omitempty"`
}

// v3UserOptions is etcd's UserAddOptions.
type v3UserOptions struct {
	NoPassword bool `json:"no_password"`
}

type v3UserRoleReq struct {
	User string `json:"user,omitempty"` // user/grant names the user "user"
	Name string `json:"name,omitempty"` // user/revoke names it "name"
	Role string `json:"role"`
}

// AddUser creates the user. For "root" it also creates the role root
// (unless it exists) and grants it, since v2's root always has it and
// v3 requires it before Enable.
func (x v3AuthUserAPI) AddUser(ctx context.Context, username, password string) error {
	return x.addUser(ctx, v3UserReq{Name: username, Password: password})
}

// addUser sends req (AddUser, AddUserWithoutPassword).
func (x v3AuthUserAPI) addUser(ctx context.Context, req v3UserReq) error {
	username := req.Name
	ctx = withSubject(ctx, username)
	if err := checkAuthName("user", username); err != nil {
		return err
	}
	// Repeating an add on another member could report "already exists"
	// for the first attempt's own success.
	err := x.a.kv.auth(ctx, "user/add", kindNonIdempotent, req, &v3Empty{})
	if err != nil {
		return authRefusal(err, username, "")
	}
	if username != rootName {
		return nil
	}
	err = x.a.kv.auth(ctx, "role/add", kindNonIdempotent, struct {
		Name string `json:"name"`
	}{rootName}, &v3Empty{})
	if err = authRefusal(err, username, rootName); err != nil {
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Code != http.StatusConflict {
			return err
		}
	}
	return authRefusal(x.a.kv.auth(ctx, "user/grant", kindRetryable, v3UserRoleReq{User: rootName, Role: rootName}, &v3Empty{}), rootName, rootName)
}

func (x v3AuthUserAPI) RemoveUser(ctx context.Context, username string) error {
	ctx = withSubject(ctx, username)
	if err := checkAuthName("user", username); err != nil {
		return err
	}
	return authRefusal(x.a.kv.auth(ctx, "user/delete", kindNonIdempotent, v3UserReq{Name: username}, &v3Empty{}), username, "")
}

func (x v3AuthUserAPI) GetUser(ctx context.Context, username string) (*User, error) {
	ctx = withSubject(ctx, username)
	if err := checkAuthName("user", username); err != nil {
		return nil, err
	}
	var resp struct {
		Roles []string `json:"roles"`
	}
	if err := x.a.kv.auth(ctx, "user/get", kindRetryable, v3UserReq{Name: username}, &resp); err != nil {
		return nil, authRefusal(err, username, "")
	}
	u := &User{User: username, Roles: make([]string, 0, len(resp.Roles))}
	for _, r := range resp.Roles {
		if r != "" {
			u.Roles = append(u.Roles, r)
		}
	}
	return u, nil
}

// GrantUser grants the roles one by one (v3 has one role per call); a
// refusal stops it, leaving the roles before it granted.
func (x v3AuthUserAPI) GrantUser(ctx context.Context, username string, roles []string) (*User, error) {
	ctx = withSubject(ctx, username)
	return x.userRoles(ctx, username, roles, "user/grant")
}

// RevokeUser revokes the roles one by one, like GrantUser.
func (x v3AuthUserAPI) RevokeUser(ctx context.Context, username string, roles []string) (*User, error) {
	ctx = withSubject(ctx, username)
	return x.userRoles(ctx, username, roles, "user/revoke")
}

func (x v3AuthUserAPI) userRoles(ctx context.Context, username string, roles []string, what string) (*User, error) {
	if err := checkAuthName("user", username); err != nil {
		return nil, err
	}
	for _, r := range roles {
		if err := checkAuthName("role", r); err != nil {
			return nil, err
		}
	}
	for _, r := range roles {
		req, kind := v3UserRoleReq{User: username, Role: r}, kindRetryable
		if what == "user/revoke" {
			// A repeat would find the role gone and refuse.
			req, kind = v3UserRoleReq{Name: username, Role: r}, kindNonIdempotent
		}
		if err := x.a.kv.auth(ctx, what, kind, req, &v3Empty{}); err != nil {
			return nil, authRefusal(err, username, r)
		}
	}
	return x.GetUser(ctx, username)
}

// ChangePassword sets the password. etcd then drops the user's tokens;
// when the user is the client's own (Config.Username), the client
// authenticates with the new password from then on.
func (x v3AuthUserAPI) ChangePassword(ctx context.Context, username, password string) (*User, error) {
	ctx = withSubject(ctx, username)
	if err := checkAuthName("user", username); err != nil {
		return nil, err
	}
	if err := x.a.kv.auth(ctx, "user/changepw", kindRetryable, v3UserReq{Name: username, Password: password}, &v3Empty{}); err != nil {
		return nil, authRefusal(err, username, "")
	}
	if pc, ok := x.a.kv.(interface{ passwordChanged(user, password string) }); ok {
		pc.passwordChanged(username, password)
	}
	return x.GetUser(ctx, username)
}

func (x v3AuthUserAPI) ListUsers(ctx context.Context) ([]string, error) {
	var resp struct {
		Users []string `json:"users"`
	}
	if err := x.a.kv.auth(ctx, "user/list", kindRetryable, v3Empty{}, &resp); err != nil {
		return nil, authRefusal(err, "", "")
	}
	return nonEmpty(resp.Users), nil
}

// nonEmpty returns names without empty entries, never nil.
func nonEmpty(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// AuthRoleAPI on APIv3.
type v3AuthRoleAPI struct{ a *v3Auth }

type v3RoleReq struct {
	Role string `json:"role"`
}

type v3Permission struct {
	PermType string `json:"permType,omitempty"`
	Key      []byte `json:"key,omitempty"`
	RangeEnd []byte `json:"range_end,omitempty"`
}

func (x v3AuthRoleAPI) AddRole(ctx context.Context, role string) error {
	ctx = withSubject(ctx, role)
	if err := checkAuthName("role", role); err != nil {
		return err
	}
	return authRefusal(x.a.kv.auth(ctx, "role/add", kindNonIdempotent, struct {
		Name string `json:"name"`
	}{role}, &v3Empty{}), "", role)
}

func (x v3AuthRoleAPI) RemoveRole(ctx context.Context, role string) error {
	ctx = withSubject(ctx, role)
	if err := checkAuthName("role", role); err != nil {
		return err
	}
	return authRefusal(x.a.kv.auth(ctx, "role/delete", kindNonIdempotent, v3RoleReq{role}, &v3Empty{}), "", role)
}

// rolePerms reads a role's v3 permissions.
func (x v3AuthRoleAPI) rolePerms(ctx context.Context, role string) (map[v3Range]permBits, error) {
	var resp struct {
		Perm []v3Permission `json:"perm"`
	}
	if err := x.a.kv.auth(ctx, "role/get", kindRetryable, v3RoleReq{role}, &resp); err != nil {
		return nil, authRefusal(err, "", role)
	}
	perms := make(map[v3Range]permBits, len(resp.Perm))
	for _, p := range resp.Perm {
		b, ok := parsePermBits(p.PermType)
		if !ok {
			return nil, &invalidJSONError{cause: fmt.Errorf("client: unknown permType %q in role %q", p.PermType, role)}
		}
		perms[v3Range{string(p.Key), string(p.RangeEnd)}] = b
	}
	return perms, nil
}

// GetRole returns the role's v2 permissions (see permLayout.perm). The
// role root, which v3 lets do everything, shows read and write on "/*".
// A missing role guest is shown without permissions: v3 refuses
// unauthenticated requests while auth is on, which is what a v2 guest
// without permissions allows.
func (x v3AuthRoleAPI) GetRole(ctx context.Context, role string) (*Role, error) {
	ctx = withSubject(ctx, role)
	if err := checkAuthName("role", role); err != nil {
		return nil, err
	}
	perms, err := x.rolePerms(ctx, role)
	switch {
	case err != nil && role == guestRole && IsRoleNotFound(err):
		return &Role{Role: guestRole}, nil
	case err != nil:
		return nil, err
	case role == rootName:
		all := []string{"/*"}
		return &Role{Role: rootName, Permissions: Permissions{KV: rwPermission{Read: all, Write: all}}}, nil
	}
	return &Role{Role: role, Permissions: x.a.layout.v2Permissions(perms)}, nil
}

func (x v3AuthRoleAPI) GrantRoleKV(ctx context.Context, role string, prefixes []string, permType PermissionType) (*Role, error) {
	ctx = withSubject(ctx, role)
	return x.change(ctx, role, prefixes, permType, true)
}

func (x v3AuthRoleAPI) RevokeRoleKV(ctx context.Context, role string, prefixes []string, permType PermissionType) (*Role, error) {
	ctx = withSubject(ctx, role)
	return x.change(ctx, role, prefixes, permType, false)
}

// change grants or revokes permType on the v2 paths prefixes: it reads
// the role, works out the v3 permission of every range concerned (v3
// keeps one type per range, and a grant replaces it, so WRITE on a range
// with READ becomes READWRITE; revoking WRITE of READWRITE leaves READ),
// sends a grant or revoke per range that changes, then grants the extra
// ranges the role's permissions now need (reads, and write on the parent
// directory's marker of a node with write) and revokes those no longer
// needed. The steps are separate calls: a failure stops them midway,
// and a concurrent change of the same role can interleave.
func (x v3AuthRoleAPI) change(ctx context.Context, role string, prefixes []string, permType PermissionType, grant bool) (*Role, error) {
	if err := checkAuthName("role", role); err != nil {
		return nil, err
	}
	bits, err := permBitsOf(permType)
	if err != nil {
		return nil, err
	}
	var mains []v3Range
	for _, s := range prefixes {
		p, err := parseV2Perm(s)
		if err != nil {
			return nil, err
		}
		m, _ := x.a.layout.ranges(p)
		mains = append(mains, m...)
	}
	if role == rootName {
		return nil, &AuthError{Code: http.StatusForbidden, Message: "auth: role root has every permission on etcd's v3 auth; it cannot be changed"}
	}
	cur, err := x.rolePerms(ctx, role)
	if err != nil {
		if role == guestRole && IsRoleNotFound(err) {
			if !grant {
				// Nothing to revoke: without a role guest, v3 grants
				// unauthenticated requests nothing.
				return &Role{Role: guestRole}, nil
			}
			return nil, fmt.Errorf("%w: v3 auth has no guest role; unauthenticated requests get nothing while auth is on, so give the permissions to a role of a user instead", ErrNotOnAPIv3)
		}
		return nil, err
	}
	want := make(map[v3Range]permBits, len(cur)+len(mains))
	for r, b := range cur {
		if !r.isAux() {
			want[r] = b
		}
	}
	for _, r := range mains {
		if grant {
			want[r] |= bits
		} else {
			want[r] &^= bits
		}
	}
	need := x.a.layout.neededAux(want)
	var grants, revokes []v3Range
	for r, b := range need {
		if c, ok := cur[r]; !ok || c != b {
			grants = append(grants, r)
		}
		want[r] = b
	}
	for r, b := range want {
		if c, ok := cur[r]; b != 0 && (!ok || c != b) && !r.isAux() {
			grants = append(grants, r)
		}
	}
	for r := range cur {
		if (r.isAux() && need[r] == 0) || (!r.isAux() && want[r] == 0) {
			revokes = append(revokes, r)
		}
	}
	sortRanges(grants)
	sortRanges(revokes)
	// Extra reads first, so a user never holds a permission without the
	// reads KeysAPI needs for it.
	for _, r := range grants {
		b := want[r]
		req := struct {
			Name string       `json:"name"`
			Perm v3Permission `json:"perm"`
		}{role, v3Permission{PermType: b.v3PermType(), Key: []byte(r.key), RangeEnd: []byte(r.end)}}
		// A grant sets the range's type: repeating it changes nothing.
		if err := x.a.kv.auth(ctx, "role/grant", kindRetryable, req, &v3Empty{}); err != nil {
			return nil, authRefusal(err, "", role)
		}
	}
	for _, r := range revokes {
		req := struct {
			Role     string `json:"role"`
			Key      []byte `json:"key,omitempty"`
			RangeEnd []byte `json:"range_end,omitempty"`
		}{role, []byte(r.key), []byte(r.end)}
		// A repeat finds the permission gone, which is the goal.
		err := x.a.kv.auth(ctx, "role/revoke", kindRetryable, req, &v3Empty{})
		if err != nil && !strings.Contains(err.Error(), "permission is not granted") {
			return nil, authRefusal(err, "", role)
		}
	}
	return x.GetRole(ctx, role)
}

func (x v3AuthRoleAPI) ListRoles(ctx context.Context) ([]string, error) {
	var resp struct {
		Roles []string `json:"roles"`
	}
	if err := x.a.kv.auth(ctx, "role/list", kindRetryable, v3Empty{}, &resp); err != nil {
		return nil, authRefusal(err, "", "")
	}
	return nonEmpty(resp.Roles), nil
}
