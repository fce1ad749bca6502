package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Role is an etcd v2 role: a name and the key prefixes it may read and
// write. Grant and Revoke are only used in requests.
type Role struct {
	// Role is the role's name.
	Role string `json:"role"`

	// Permissions are the role's current permissions.
	Permissions Permissions `json:"permissions"`

	// Grant lists permissions to add in a request.
	Grant *Permissions `json:"grant,omitempty"`

	// Revoke lists permissions to take away in a request.
	Revoke *Permissions `json:"revoke,omitempty"`
}

// Permissions are the key-space permissions of a role.
type Permissions struct {
	// KV holds the key prefixes (like "/foo/*") the role may read and
	// write.
	KV rwPermission `json:"kv"`
}

type rwPermission struct {
	Read  []string `json:"read"`
	Write []string `json:"write"`
}

// PermissionType picks which permission GrantRoleKV and RevokeRoleKV
// change.
type PermissionType int

// The values of PermissionType.
const (
	ReadPermission PermissionType = iota
	WritePermission
	ReadWritePermission
)

// NewAuthRoleAPI returns an AuthRoleAPI that works through c. It is safe
// for concurrent use. On an APIv3 client it maps the calls onto etcd's v3
// auth (see "Auth on APIv3" in the package documentation).
func NewAuthRoleAPI(c Client) AuthRoleAPI {
	if a := v3AuthOf(c); a != nil {
		return v3AuthRoleAPI{a}
	}
	return &httpAuthRoleAPI{client: c}
}

// AuthRoleAPI manages the roles of etcd's v2 authentication.
//
// Errors are as for [AuthUserAPI]: a refusal of the server is an
// *AuthError with the server's message ([IsRoleNotFound] tells whether it
// says the role does not exist), a keys-style refusal is an Error, and
// other unexpected answers are a *StatusError. Role names are checked as
// user names are.
type AuthRoleAPI interface {
	// AddRole creates a role without permissions.
	AddRole(ctx context.Context, role string) error

	// RemoveRole deletes a role.
	RemoveRole(ctx context.Context, role string) error

	// GetRole returns a role. A missing role is an error for which
	// IsRoleNotFound is true.
	GetRole(ctx context.Context, role string) (*Role, error)

	// GrantRoleKV lets the role read, write or both (permType) the keys
	// under prefixes, and returns the role as it is now. An unknown
	// permType is an error and nothing is sent.
	GrantRoleKV(ctx context.Context, role string, prefixes []string, permType PermissionType) (*Role, error)

	// RevokeRoleKV takes such permissions away again.
	RevokeRoleKV(ctx context.Context, role string, prefixes []string, permType PermissionType) (*Role, error)

	// ListRoles returns the names of all roles; an empty, non-nil slice
	// when there are none.
	ListRoles(ctx context.Context) ([]string, error)
}

type httpAuthRoleAPI struct {
	client httpClient
}

func (r *httpAuthRoleAPI) AddRole(ctx context.Context, role string) error {
	act, err := authCall("role", http.MethodPut, role, &Role{Role: role})
	if err != nil {
		return err
	}
	_, err = doAuth(ctx, r.client, act, http.StatusOK, http.StatusCreated)
	return err
}

func (r *httpAuthRoleAPI) RemoveRole(ctx context.Context, role string) error {
	act, err := authCall("role", http.MethodDelete, role, nil)
	if err != nil {
		return err
	}
	_, err = doAuth(ctx, r.client, act, http.StatusOK, http.StatusCreated)
	return err
}

func (r *httpAuthRoleAPI) GetRole(ctx context.Context, role string) (*Role, error) {
	act, err := authCall("role", http.MethodGet, role, nil)
	if err != nil {
		return nil, err
	}
	body, err := getNamed(ctx, r.client, act, "role", role)
	if err != nil {
		return nil, err
	}
	return decodeRole(body)
}

func (r *httpAuthRoleAPI) GrantRoleKV(ctx context.Context, role string, prefixes []string, permType PermissionType) (*Role, error) {
	perms, err := kvPermissions(prefixes, permType)
	if err != nil {
		return nil, err
	}
	act, err := authCall("role", http.MethodPut, role, &Role{Role: role, Grant: perms})
	if err != nil {
		return nil, err
	}
	return r.roleCall(ctx, act)
}

func (r *httpAuthRoleAPI) RevokeRoleKV(ctx context.Context, role string, prefixes []string, permType PermissionType) (*Role, error) {
	perms, err := kvPermissions(prefixes, permType)
	if err != nil {
		return nil, err
	}
	act, err := authCall("role", http.MethodPut, role, &Role{Role: role, Revoke: perms})
	if err != nil {
		return nil, err
	}
	return r.roleCall(ctx, act)
}

func (r *httpAuthRoleAPI) ListRoles(ctx context.Context) ([]string, error) {
	body, err := doAuth(ctx, r.client, authAction(http.MethodGet, "roles", "", ""), http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeNameList(body, "roles", "role")
}

func (r *httpAuthRoleAPI) roleCall(ctx context.Context, act *action) (*Role, error) {
	body, err := doAuth(ctx, r.client, act, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeRole(body)
}

func kvPermissions(prefixes []string, t PermissionType) (*Permissions, error) {
	p := new(Permissions)
	switch t {
	case ReadPermission:
		p.KV.Read = prefixes
	case WritePermission:
		p.KV.Write = prefixes
	case ReadWritePermission:
		p.KV.Read = prefixes
		p.KV.Write = prefixes
	default:
		return nil, fmt.Errorf("client: invalid permission type %d", t)
	}
	return p, nil
}

// decodeRole reads one role as etcd sends it.
func decodeRole(body []byte) (*Role, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrEmptyBody
	}
	var r Role
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, &invalidJSONError{cause: err}
	}
	if r.Role == "" {
		return nil, &invalidJSONError{cause: errors.New("client: role answer without a role name")}
	}
	return &r, nil
}
