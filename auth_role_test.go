package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthRoleAPI_wire(t *testing.T) {
	roles := func(c Client) AuthRoleAPI { return NewAuthRoleAPI(c) }
	roleReply := authReply{http.StatusOK, `{"role":"r","permissions":{"kv":{"read":["/a/*"],"write":null}}}`}
	grant := func(pt PermissionType) func(ctx context.Context, c Client) error {
		return func(ctx context.Context, c Client) error {
			_, err := roles(c).GrantRoleKV(ctx, "r", []string{"/a/*", "/b"}, pt)
			return err
		}
	}
	revoke := func(pt PermissionType) func(ctx context.Context, c Client) error {
		return func(ctx context.Context, c Client) error {
			_, err := roles(c).RevokeRoleKV(ctx, "r", []string{"/a/*"}, pt)
			return err
		}
	}
	const empty = `"permissions":{"kv":{"read":null,"write":null}}`
	runAuthWireCases(t, []authWireCase{
		{
			name: "ListRoles",
			call: func(ctx context.Context, c Client) error {
				got, err := roles(c).ListRoles(ctx)
				if err == nil && !slices.Equal(got, []string{"root"}) {
					err = fmt.Errorf("ListRoles() = %q, want [root]", got)
				}
				return err
			},
			reply: authFixture(t, "roles"), method: http.MethodGet, path: "/v2/auth/roles",
		},
		{
			name:  "AddRole",
			call:  func(ctx context.Context, c Client) error { return roles(c).AddRole(ctx, "r") },
			reply: authReply{http.StatusCreated, `{"role":"r",` + empty + `}`}, method: http.MethodPut, path: "/v2/auth/roles/r",
			wantBody: `{"role":"r",` + empty + `}`,
		},
		{
			name:  "AddRole_200",
			call:  func(ctx context.Context, c Client) error { return roles(c).AddRole(ctx, "r") },
			reply: authReply{http.StatusOK, ""}, method: http.MethodPut, path: "/v2/auth/roles/r",
			wantBody: `{"role":"r",` + empty + `}`,
		},
		{
			name:  "RemoveRole",
			call:  func(ctx context.Context, c Client) error { return roles(c).RemoveRole(ctx, "r") },
			reply: authReply{http.StatusOK, ""}, method: http.MethodDelete, path: "/v2/auth/roles/r",
		},
		{
			name:  "RemoveRole_201",
			call:  func(ctx context.Context, c Client) error { return roles(c).RemoveRole(ctx, "r") },
			reply: authReply{http.StatusCreated, ""}, method: http.MethodDelete, path: "/v2/auth/roles/r",
		},
		{
			name: "GetRole",
			call: func(ctx context.Context, c Client) error {
				_, err := roles(c).GetRole(ctx, "r")
				return err
			},
			reply: roleReply, method: http.MethodGet, path: "/v2/auth/roles/r",
		},
		{
			name: "GrantRoleKV_read", call: grant(ReadPermission),
			reply: roleReply, method: http.MethodPut, path: "/v2/auth/roles/r",
			wantBody: `{"role":"r",` + empty + `,"grant":{"kv":{"read":["/a/*","/b"],"write":null}}}`,
		},
		{
			name: "GrantRoleKV_write", call: grant(WritePermission),
			reply: roleReply, method: http.MethodPut, path: "/v2/auth/roles/r",
			wantBody: `{"role":"r",` + empty + `,"grant":{"kv":{"read":null,"write":["/a/*","/b"]}}}`,
		},
		{
			name: "GrantRoleKV_readwrite", call: grant(ReadWritePermission),
			reply: roleReply, method: http.MethodPut, path: "/v2/auth/roles/r",
			wantBody: `{"role":"r",` + empty + `,"grant":{"kv":{"read":["/a/*","/b"],"write":["/a/*","/b"]}}}`,
		},
		{
			name: "RevokeRoleKV_read", call: revoke(ReadPermission),
			reply: roleReply, method: http.MethodPut, path: "/v2/auth/roles/r",
			wantBody: `{"role":"r",` + empty + `,"revoke":{"kv":{"read":["/a/*"],"write":null}}}`,
		},
		{
			name: "RevokeRoleKV_write", call: revoke(WritePermission),
			reply: roleReply, method: http.MethodPut, path: "/v2/auth/roles/r",
			wantBody: `{"role":"r",` + empty + `,"revoke":{"kv":{"read":null,"write":["/a/*"]}}}`,
		},
		{
			name: "RevokeRoleKV_readwrite", call: revoke(ReadWritePermission),
			reply: roleReply, method: http.MethodPut, path: "/v2/auth/roles/r",
			wantBody: `{"role":"r",` + empty + `,"revoke":{"kv":{"read":["/a/*"],"write":["/a/*"]}}}`,
		},
	})
}

func TestAuthRoleAPI_roleAnswers(t *testing.T) {
	full := &Role{Role: "r", Permissions: Permissions{KV: rwPermission{Read: []string{"/a/*"}, Write: []string{"/b"}}}}
	cases := []struct {
		name  string
		reply string
		want  *Role
	}{
		{"root_from_fixture_list", `{"role":"root","permissions":{"kv":{"read":["/*"],"write":["/*"]}}}`,
			&Role{Role: "root", Permissions: Permissions{KV: rwPermission{Read: []string{"/*"}, Write: []string{"/*"}}}}},
		{"read_and_write", `{"role":"r","permissions":{"kv":{"read":["/a/*"],"write":["/b"]}}}`, full},
		{"null_permissions", `{"role":"r","permissions":{"kv":{"read":null,"write":null}}}`, &Role{Role: "r"}},
		{"unknown_fields", `{"role":"r","permissions":{"kv":{"read":["/a/*"],"write":["/b"]},"other":1},"x":true}`, full},
	}
	calls := []struct {
		name string
		call func(ctx context.Context, r AuthRoleAPI) (*Role, error)
	}{
		{"GetRole", func(ctx context.Context, r AuthRoleAPI) (*Role, error) { return r.GetRole(ctx, "r") }},
		{"GrantRoleKV", func(ctx context.Context, r AuthRoleAPI) (*Role, error) {
			return r.GrantRoleKV(ctx, "r", []string{"/a/*"}, ReadPermission)
		}},
		{"RevokeRoleKV", func(ctx context.Context, r AuthRoleAPI) (*Role, error) {
			return r.RevokeRoleKV(ctx, "r", []string{"/c"}, WritePermission)
		}},
	}
	for _, tc := range cases {
		for _, op := range calls {
			t.Run(tc.name+"/"+op.name, func(t *testing.T) {
				_, c := authServer(t, authReply{http.StatusOK, tc.reply})
				got, err := op.call(context.Background(), NewAuthRoleAPI(c))
				require.NoError(t, err, "%s()", op.name)
				assert.Equal(t, tc.want, got, "%s()", op.name)
			})
		}
	}
}

func TestAuthRoleAPI_ListRoles(t *testing.T) {
	cases := []struct {
		name  string
		reply authReply
		want  []string
	}{
		{"fixture", authFixture(t, "roles"), []string{"root"}},
		{"null", authReply{http.StatusOK, `{"roles":null}`}, []string{}},
		{"empty", authReply{http.StatusOK, `{"roles":[]}`}, []string{}},
		{"names", authReply{http.StatusOK, `{"roles":["guest","root"]}`}, []string{"guest", "root"}},
		{"objects_and_nulls", authReply{http.StatusOK, `{"roles":[{"role":"a","permissions":{}},null,{"role":"b"}]}`}, []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := authServer(t, tc.reply)
			got, err := NewAuthRoleAPI(c).ListRoles(context.Background())
			require.NoError(t, err, "ListRoles()")
			assert.Equal(t, tc.want, got, "ListRoles() (never nil)")
		})
	}
}

func TestAuthRoleAPI_ListRoles_invalid(t *testing.T) {
	for _, body := range []string{`{}`, `null`, `[]`, `{"roles":{}}`, `{"roles":[1]}`, `{"roles":[{"role":7}]}`, `{"users":[]}`} {
		t.Run(body, func(t *testing.T) {
			_, c := authServer(t, authReply{http.StatusOK, body})
			got, err := NewAuthRoleAPI(c).ListRoles(context.Background())
			if !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("ListRoles() on %s = %q, %v, want ErrInvalidJSON", body, got, err)
			}
		})
	}
}

func TestAuthRoleAPI_notFound(t *testing.T) {
	cases := []struct {
		name    string
		fixture string
		call    func(ctx context.Context, r AuthRoleAPI) error
		wantMsg string
	}{
		{"GetRole", "role_get_missing", func(ctx context.Context, r AuthRoleAPI) error {
			_, err := r.GetRole(ctx, "nope")
			return err
		}, "auth: Role nope does not exist."},
		{"RemoveRole", "role_delete_missing", func(ctx context.Context, r AuthRoleAPI) error {
			return r.RemoveRole(ctx, "nope")
		}, "auth: Role nope doesn't exist."},
		{"GrantRoleKV", "role_get_missing", func(ctx context.Context, r AuthRoleAPI) error {
			_, err := r.GrantRoleKV(ctx, "nope", []string{"/x"}, ReadWritePermission)
			return err
		}, "auth: Role nope does not exist."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := authServer(t, authFixture(t, tc.fixture))
			err := tc.call(context.Background(), NewAuthRoleAPI(c))
			if err == nil || err.Error() != tc.wantMsg {
				t.Fatalf("%s() error = %v, want %q", tc.name, err, tc.wantMsg)
			}
			if !IsRoleNotFound(err) {
				t.Errorf("IsRoleNotFound(%q) = false, want true", err)
			}
			if IsUserNotFound(err) {
				t.Errorf("IsUserNotFound(%q) = true, want false", err)
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code != http.StatusNotFound {
				t.Errorf("errors.As(%v, *AuthError) = %+v, want Code 404", err, ae)
			}
		})
	}
}

func TestIsRoleNotFound(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"get_dot", &AuthError{404, "auth: Role x does not exist."}, true},
		{"get_no_dot", &AuthError{404, "auth: Role x does not exist"}, true},
		{"delete_doesnt", &AuthError{404, "auth: Role x doesn't exist."}, true},
		{"doesnt_no_dot", &AuthError{404, "auth: Role x doesn't exist"}, true},
		{"wrapped_twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", &AuthError{404, "auth: Role x doesn't exist."})), true},
		{"user_message", &AuthError{404, "auth: User x does not exist."}, false},
		{"exists", &AuthError{409, "auth: Role x already exists."}, false},
		{"grant_root", &AuthError{403, "auth: Cannot modify role root: cannot modify root role"}, false},
		{"plain_error_same_text", errors.New("auth: Role x doesn't exist."), false},
		{"nil", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsRoleNotFound(tc.err); got != tc.want {
				t.Errorf("IsRoleNotFound(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestAuthRoleAPI_invalidInput(t *testing.T) {
	cases := []struct {
		name    string
		call    func(ctx context.Context, r AuthRoleAPI) error
		wantErr string
	}{
		{"GrantRoleKV_bad_type", func(ctx context.Context, r AuthRoleAPI) error {
			_, err := r.GrantRoleKV(ctx, "r", []string{"/a"}, PermissionType(3))
			return err
		}, "client: invalid permission type 3"},
		{"RevokeRoleKV_negative_type", func(ctx context.Context, r AuthRoleAPI) error {
			_, err := r.RevokeRoleKV(ctx, "r", []string{"/a"}, PermissionType(-1))
			return err
		}, "client: invalid permission type -1"},
		{"RemoveRole_dotdot", func(ctx context.Context, r AuthRoleAPI) error { return r.RemoveRole(ctx, "..") }, `client: invalid role name ".."`},
		{"GetRole_slash", func(ctx context.Context, r AuthRoleAPI) error {
			_, err := r.GetRole(ctx, "../../keys/x")
			return err
		}, `client: invalid role name "../../keys/x"`},
		{"GrantRoleKV_dot", func(ctx context.Context, r AuthRoleAPI) error {
			_, err := r.GrantRoleKV(ctx, ".", []string{"/a"}, ReadPermission)
			return err
		}, `client: invalid role name "."`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := authServer(t, authReply{http.StatusOK, `{"role":"r","permissions":{"kv":{"read":null,"write":null}}}`})
			err := tc.call(context.Background(), NewAuthRoleAPI(c))
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s error = %v, want %q", tc.name, err, tc.wantErr)
			}
			if n := len(s.requests()); n != 0 {
				t.Errorf("%s sent %d requests, want 0", tc.name, n)
			}
		})
	}
}

func FuzzDecodeRole(f *testing.F) {
	for _, name := range []string{"roles", "role_get_missing", "user_get"} {
		f.Add([]byte(authFixture(f, name).body))
	}
	f.Add([]byte(`{"role":"r","permissions":{"kv":{"read":["/a/*"],"write":null}},"grant":{"kv":{"read":[],"write":["/b"]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRole(data)
		if err != nil {
			checkDecodeErr(t, "decodeRole", err)
		} else {
			if r.Role == "" {
				t.Fatalf("decodeRole(%q) = %+v: empty role name", data, r)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("Marshal(%+v): %v", r, err)
			}
			again, err := decodeRole(b)
			if err != nil || !reflect.DeepEqual(again, r) {
				t.Fatalf("decodeRole(Marshal(%+v)) = %+v, %v", r, again, err)
			}
		}
		names, err := decodeNameList(data, "roles", "role")
		if err != nil {
			checkDecodeErr(t, "decodeNameList", err)
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("decodeNameList error spans lines: %q", err)
			}
		} else if names == nil || slices.Contains(names, "") {
			t.Fatalf("decodeNameList(%q) = %#v: nil or empty name", data, names)
		}
	})
}
