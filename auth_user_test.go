package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authReply is a scripted answer.
type authReply struct {
	status int
	body   string
}

// authFixture reads a captured etcd 3.4.23 answer (NAME.headers and
// NAME.json) from testdata.
func authFixture(t testing.TB, name string) authReply {
	t.Helper()
	dir := filepath.Join("testdata", "etcd-3.4.23")
	hdr, err := os.ReadFile(filepath.Join(dir, name+".headers"))
	if err != nil {
		t.Fatalf("reading fixture %s: %v", name, err)
	}
	body, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		t.Fatalf("reading fixture %s: %v", name, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(body))), nil)
	if err != nil {
		t.Fatalf("parsing fixture %s: %v", name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body of fixture %s: %v", name, err)
	}
	return authReply{status: resp.StatusCode, body: string(b)}
}

// authServer starts a server that answers every request with reply, and
// a Client for it with credentials, so the tests see the basic-auth header
// pass through.
func authServer(t *testing.T, reply authReply) (*testServer, Client) {
	t.Helper()
	s, c := setup(t, withConfig(Config{Username: "root", Password: "rootpw"}))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Cluster-Id", "48276a8f75b6a87")
		w.WriteHeader(reply.status)
		io.WriteString(w, reply.body)
	})
	return s, c
}

// authWireCase is one row of wire.md's Auth API table.
type authWireCase struct {
	name     string
	call     func(ctx context.Context, c Client) error
	reply    authReply
	method   string
	path     string // unescaped, below the endpoint path
	wantBody string
}

var authTestBasic = basicAuth("root", "rootpw")

func runAuthWireCases(t *testing.T, cases []authWireCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := authServer(t, tc.reply)
			require.NoError(t, tc.call(context.Background(), c), tc.name)
			reqs := s.requests()
			require.Len(t, reqs, 1, "requests %s sent", tc.name)
			want := testRequest{
				Method:      tc.method,
				Path:        tc.path,
				ContentType: "application/json",
				Auth:        authTestBasic,
				Body:        tc.wantBody,
			}
			got := reqs[0]
			got.RequestURI = "" // the table pins the unescaped path; RequestURI repeats it escaped
			assert.Equal(t, want, got, "request %s sent", tc.name)
		})
	}
}

func TestAuthUserAPI_wire(t *testing.T) {
	users := func(c Client) AuthUserAPI { return NewAuthUserAPI(c) }
	userReply := authReply{http.StatusOK, `{"user":"alice","roles":["r1"]}`}
	runAuthWireCases(t, []authWireCase{
		{
			name:  "Enable",
			call:  func(ctx context.Context, c Client) error { return NewAuthAPI(c).Enable(ctx) },
			reply: authFixture(t, "auth_enable"), method: http.MethodPut, path: "/v2/auth/enable",
		},
		{
			name:  "Enable_201",
			call:  func(ctx context.Context, c Client) error { return NewAuthAPI(c).Enable(ctx) },
			reply: authReply{http.StatusCreated, ""}, method: http.MethodPut, path: "/v2/auth/enable",
		},
		{
			name:  "Disable",
			call:  func(ctx context.Context, c Client) error { return NewAuthAPI(c).Disable(ctx) },
			reply: authFixture(t, "auth_disable"), method: http.MethodDelete, path: "/v2/auth/enable",
		},
		{
			name: "ListUsers",
			call: func(ctx context.Context, c Client) error {
				got, err := users(c).ListUsers(ctx)
				if err == nil && !slices.Equal(got, []string{"root"}) {
					err = fmt.Errorf("ListUsers() = %q, want [root]", got)
				}
				return err
			},
			reply: authFixture(t, "users"), method: http.MethodGet, path: "/v2/auth/users",
		},
		{
			name:  "AddUser",
			call:  func(ctx context.Context, c Client) error { return users(c).AddUser(ctx, "root", "s3cr\"et") },
			reply: authFixture(t, "user_add"), method: http.MethodPut, path: "/v2/auth/users/root",
			wantBody: `{"user":"root","password":"s3cr\"et","roles":null}`,
		},
		{
			name:  "AddUser_200",
			call:  func(ctx context.Context, c Client) error { return users(c).AddUser(ctx, "bob", "pw") },
			reply: authReply{http.StatusOK, `{"user":"bob","roles":null}`}, method: http.MethodPut, path: "/v2/auth/users/bob",
			wantBody: `{"user":"bob","password":"pw","roles":null}`,
		},
		{
			name:  "RemoveUser",
			call:  func(ctx context.Context, c Client) error { return users(c).RemoveUser(ctx, "bob") },
			reply: authReply{http.StatusOK, ""}, method: http.MethodDelete, path: "/v2/auth/users/bob",
		},
		{
			name:  "RemoveUser_201",
			call:  func(ctx context.Context, c Client) error { return users(c).RemoveUser(ctx, "bob") },
			reply: authReply{http.StatusCreated, ""}, method: http.MethodDelete, path: "/v2/auth/users/bob",
		},
		{
			name: "GetUser",
			call: func(ctx context.Context, c Client) error {
				_, err := users(c).GetUser(ctx, "root")
				return err
			},
			reply: authFixture(t, "user_get"), method: http.MethodGet, path: "/v2/auth/users/root",
		},
		{
			name: "GrantUser",
			call: func(ctx context.Context, c Client) error {
				_, err := users(c).GrantUser(ctx, "alice", []string{"r1", "r2"})
				return err
			},
			reply: userReply, method: http.MethodPut, path: "/v2/auth/users/alice",
			wantBody: `{"user":"alice","roles":null,"grant":["r1","r2"]}`,
		},
		{
			name: "RevokeUser",
			call: func(ctx context.Context, c Client) error {
				_, err := users(c).RevokeUser(ctx, "alice", []string{"r2"})
				return err
			},
			reply: userReply, method: http.MethodPut, path: "/v2/auth/users/alice",
			wantBody: `{"user":"alice","roles":null,"revoke":["r2"]}`,
		},
		{
			name: "ChangePassword",
			call: func(ctx context.Context, c Client) error {
				_, err := users(c).ChangePassword(ctx, "alice", "n3w&pw")
				return err
			},
			reply: userReply, method: http.MethodPut, path: "/v2/auth/users/alice",
			wantBody: `{"user":"alice","password":"n3w\u0026pw","roles":null}`,
		},
		{
			// Names are path segments: characters a path cannot hold
			// travel escaped and arrive as they were.
			name: "GetUser_escapedName",
			call: func(ctx context.Context, c Client) error {
				_, err := users(c).GetUser(ctx, "a b?c#d%")
				return err
			},
			reply: authReply{http.StatusOK, `{"user":"a b?c#d%","roles":[]}`}, method: http.MethodGet, path: "/v2/auth/users/a b?c#d%",
		},
	})
}

// authUserCalls are the calls that return a *User, all answered with the
// same body.
var authUserCalls = []struct {
	name string
	call func(ctx context.Context, u AuthUserAPI) (*User, error)
}{
	{"GetUser", func(ctx context.Context, u AuthUserAPI) (*User, error) { return u.GetUser(ctx, "root") }},
	{"GrantUser", func(ctx context.Context, u AuthUserAPI) (*User, error) {
		return u.GrantUser(ctx, "root", []string{"root"})
	}},
	{"RevokeUser", func(ctx context.Context, u AuthUserAPI) (*User, error) {
		return u.RevokeUser(ctx, "root", []string{"x"})
	}},
	{"ChangePassword", func(ctx context.Context, u AuthUserAPI) (*User, error) { return u.ChangePassword(ctx, "root", "pw") }},
}

func TestAuthUserAPI_userShapes(t *testing.T) {
	cases := []struct {
		name  string
		reply authReply
		want  *User
	}{
		{"names_fixture", authReply{http.StatusOK, authFixture(t, "user_add").body}, &User{User: "root", Roles: []string{"root"}}},
		{"objects_fixture", authFixture(t, "user_get"), &User{User: "root", Roles: []string{"root"}}},
		{
			// The original turned this answer into ["", "root"].
			name:  "objects_with_empty_and_null",
			reply: authReply{http.StatusOK, `{"user":"u","roles":[{"role":"","permissions":{"kv":{"read":null,"write":null}}},null,{"role":"root"},{"permissions":{}},{"role":"r2","permissions":{"kv":{"read":["/a"],"write":null}}}]}`},
			want:  &User{User: "u", Roles: []string{"root", "r2"}},
		},
		{"names_with_empty", authReply{http.StatusOK, `{"user":"u","roles":["","a",null,"b"]}`}, &User{User: "u", Roles: []string{"a", "b"}}},
		{"mixed", authReply{http.StatusOK, `{"user":"u","roles":["a",{"role":"b"}]}`}, &User{User: "u", Roles: []string{"a", "b"}}},
		{"null_roles", authReply{http.StatusOK, `{"user":"u","roles":null}`}, &User{User: "u"}},
		{"no_roles_field", authReply{http.StatusOK, `{"user":"u"}`}, &User{User: "u"}},
		{"empty_roles", authReply{http.StatusOK, `{"user":"u","roles":[]}`}, &User{User: "u", Roles: []string{}}},
		{"unknown_fields", authReply{http.StatusOK, `{"user":"u","roles":["a"],"extra":{"x":1}}`}, &User{User: "u", Roles: []string{"a"}}},
		{"whitespace", authReply{http.StatusOK, " {\"user\" : \"u\", \"roles\" : [ \"a\" , { \"role\" : \"b\" } ] }\n"}, &User{User: "u", Roles: []string{"a", "b"}}},
	}
	for _, tc := range cases {
		for _, uc := range authUserCalls {
			t.Run(tc.name+"/"+uc.name, func(t *testing.T) {
				_, c := authServer(t, tc.reply)
				got, err := uc.call(context.Background(), NewAuthUserAPI(c))
				if err != nil {
					t.Fatalf("%s() error = %v, want nil", uc.name, err)
				}
				if !equalUser(got, tc.want) {
					t.Errorf("%s() = %+v, want %+v", uc.name, got, tc.want)
				}
				if (got.Roles == nil) != (tc.want.Roles == nil) {
					t.Errorf("%s() Roles = %#v, want %#v", uc.name, got.Roles, tc.want.Roles)
				}
			})
		}
	}
}

func equalUser(a, b *User) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.User == b.User && a.Password == b.Password &&
		slices.Equal(a.Roles, b.Roles) && slices.Equal(a.Grant, b.Grant) && slices.Equal(a.Revoke, b.Revoke)
}

func TestAuthUserAPI_ListUsers(t *testing.T) {
	cases := []struct {
		name  string
		reply authReply
		want  []string
	}{
		{"fixture", authFixture(t, "users"), []string{"root"}},
		{"null_fixture", authFixture(t, "users_empty"), []string{}},
		{"empty", authReply{http.StatusOK, `{"users":[]}`}, []string{}},
		{"names", authReply{http.StatusOK, `{"users":["alice","bob"]}`}, []string{"alice", "bob"}},
		{"objects", authReply{http.StatusOK, `{"users":[{"user":"alice","roles":["a"]},{"user":"bob","roles":null},null,{"user":""}]}`}, []string{"alice", "bob"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := authServer(t, tc.reply)
			got, err := NewAuthUserAPI(c).ListUsers(context.Background())
			require.NoError(t, err, "ListUsers()")
			assert.Equal(t, tc.want, got, "ListUsers() (never nil)")
		})
	}
}

// TestAuthUserAPI_notFound runs the real etcd answers for missing users
// through the calls that get them.
func TestAuthUserAPI_notFound(t *testing.T) {
	cases := []struct {
		name    string
		fixture string
		call    func(ctx context.Context, u AuthUserAPI) error
		wantMsg string
	}{
		{"GetUser", "user_get_missing", func(ctx context.Context, u AuthUserAPI) error {
			_, err := u.GetUser(ctx, "nobody")
			return err
		}, "auth: User nobody does not exist."},
		{"RemoveUser", "user_delete_missing", func(ctx context.Context, u AuthUserAPI) error {
			return u.RemoveUser(ctx, "nobody")
		}, "auth: User nobody does not exist"},
		{"GrantUser", "user_get_missing", func(ctx context.Context, u AuthUserAPI) error {
			_, err := u.GrantUser(ctx, "nobody", []string{"r"})
			return err
		}, "auth: User nobody does not exist."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := authServer(t, authFixture(t, tc.fixture))
			err := tc.call(context.Background(), NewAuthUserAPI(c))
			if err == nil || err.Error() != tc.wantMsg {
				t.Fatalf("%s() error = %v, want %q", tc.name, err, tc.wantMsg)
			}
			if !IsUserNotFound(err) {
				t.Errorf("IsUserNotFound(%q) = false, want true", err)
			}
			if IsRoleNotFound(err) {
				t.Errorf("IsRoleNotFound(%q) = true, want false", err)
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code != http.StatusNotFound {
				t.Errorf("errors.As(%v, *AuthError) = %+v, want Code 404", err, ae)
			}
		})
	}
}

func TestIsUserNotFound(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"get_dot", &AuthError{404, "auth: User x does not exist."}, true},
		{"delete_no_dot", &AuthError{404, "auth: User x does not exist"}, true},
		{"doesnt", &AuthError{404, "auth: User x doesn't exist."}, true},
		{"doesnt_no_dot", &AuthError{404, "auth: User x doesn't exist"}, true},
		{"name_with_spaces", &AuthError{404, "auth: User a b does not exist."}, true},
		{"wrapped", fmt.Errorf("removing: %w", &AuthError{404, "auth: User x does not exist"}), true},
		{"joined", errors.Join(errors.New("other"), &AuthError{404, "auth: User x doesn't exist."}), true},
		{"role_message", &AuthError{404, "auth: Role x does not exist."}, false},
		{"exists", &AuthError{409, "auth: User x already exists."}, false},
		{"other_auth", &AuthError{409, "auth: already enabled"}, false},
		{"suffix_only", &AuthError{404, "User x does not exist."}, false},
		{"more_after", &AuthError{404, "auth: User x does not exist. Really."}, false},
		{"plain_error_same_text", errors.New("auth: User x does not exist."), false},
		{"keys_error", Error{Code: ErrorCodeKeyNotFound, Message: "Key not found"}, false},
		{"nil_autherror", (*AuthError)(nil), false},
		{"nil", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsUserNotFound(tc.err); got != tc.want {
				t.Errorf("IsUserNotFound(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestAuthAPI_errors covers refusals other than not-found: a 401 of a
// member with auth on, in both body styles, conflicts, and bodies that are
// not etcd's.
func TestAuthAPI_errors(t *testing.T) {
	type check func(t *testing.T, err error)
	isAuthError := func(code int, msg string) check {
		return func(t *testing.T, err error) {
			t.Helper()
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code != code || ae.Message != msg || err.Error() != msg {
				t.Errorf("error = %#v, want *AuthError{%d, %q}", err, code, msg)
			}
			if IsUserNotFound(err) || IsRoleNotFound(err) {
				t.Errorf("Is{User,Role}NotFound(%v) = true, want false", err)
			}
		}
	}
	isStatus := func(code int, invalidJSON bool) check {
		return func(t *testing.T, err error) {
			t.Helper()
			var se *StatusError
			if !errors.As(err, &se) || se.Code != code {
				t.Errorf("error = %v, want a *StatusError with code %d", err, code)
			}
			if got := errors.Is(err, ErrInvalidJSON); got != invalidJSON {
				t.Errorf("errors.Is(%v, ErrInvalidJSON) = %v, want %v", err, got, invalidJSON)
			}
		}
	}
	is := func(target error) check {
		return func(t *testing.T, err error) {
			t.Helper()
			if !errors.Is(err, target) {
				t.Errorf("error = %v, want %v", err, target)
			}
		}
	}
	unauthorized := Error{
		Code:    ErrorCodeUnauthorized,
		Message: "The request requires user authentication",
		Cause:   "Insufficient credentials",
	}
	cases := []struct {
		name  string
		reply authReply
		check check
	}{
		{
			name:  "401_keys_style",
			reply: authReply{http.StatusUnauthorized, `{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}`},
			check: func(t *testing.T, err error) {
				var e Error
				if !errors.As(err, &e) || e != unauthorized {
					t.Errorf("error = %#v, want %#v", err, unauthorized)
				}
				if err.Error() != "110: The request requires user authentication (Insufficient credentials) [0]" {
					t.Errorf("error text = %q", err.Error())
				}
			},
		},
		{"401_message", authReply{http.StatusUnauthorized, `{"message":"Insufficient credentials"}`}, isAuthError(401, "Insufficient credentials")},
		{"409_already_enabled_fixture", authFixture(t, "auth_enable_again"), isAuthError(409, "auth: already enabled")},
		{"409_user_exists", authReply{http.StatusConflict, `{"message":"auth: User root already exists."}`}, isAuthError(409, "auth: User root already exists.")},
		{"400_bad_request", authReply{http.StatusBadRequest, `{"message":"auth: Malformed json"}`}, isAuthError(400, "auth: Malformed json")},
		{"404_plain_text", authReply{http.StatusNotFound, "404 page not found\n"}, isStatus(404, true)},
		{"403_empty", authReply{http.StatusForbidden, ""}, isStatus(403, false)},
		{"400_no_message", authReply{http.StatusBadRequest, `{}`}, isStatus(400, false)},
		{"204_unexpected_success", authReply{http.StatusNoContent, ""}, isStatus(204, false)},
		{"500", authReply{http.StatusInternalServerError, `{"message":"boom"}`}, func(t *testing.T, err error) {
			var ce *ClusterError
			if !errors.As(err, &ce) {
				t.Errorf("error = %v, want a *ClusterError", err)
			}
		}},
		{"200_invalid_json", authReply{http.StatusOK, `{"user":`}, is(ErrInvalidJSON)},
		{"200_roles_not_list", authReply{http.StatusOK, `{"user":"u","roles":"admin"}`}, is(ErrInvalidJSON)},
		{"200_empty", authReply{http.StatusOK, ""}, is(ErrEmptyBody)},
		{"200_no_user_name", authReply{http.StatusOK, `{"roles":["a"]}`}, is(ErrInvalidJSON)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := authServer(t, tc.reply)
			_, err := NewAuthUserAPI(c).GetUser(context.Background(), "root")
			if err == nil {
				t.Fatalf("GetUser(%q) error = nil, want one", "root")
			}
			tc.check(t, err)
		})
	}
}

func TestAuthAPI_Enable_conflict(t *testing.T) {
	_, c := authServer(t, authFixture(t, "auth_enable_again"))
	err := NewAuthAPI(c).Enable(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || *ae != (AuthError{Code: http.StatusConflict, Message: "auth: already enabled"}) {
		t.Fatalf("Enable() = %#v, want *AuthError{409, auth: already enabled}", err)
	}
}

func TestAuthAPI_Disable_unauthorized(t *testing.T) {
	_, c := authServer(t, authReply{http.StatusUnauthorized, `{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}`})
	err := NewAuthAPI(c).Disable(context.Background())
	var e Error
	if !errors.As(err, &e) || e.Code != ErrorCodeUnauthorized {
		t.Fatalf("Disable() = %#v, want Error with code %d", err, ErrorCodeUnauthorized)
	}
}

// TestAuthUserAPI_invalidName: a name path.Join would rewrite must not be
// sent, since "../../keys/x" would address a key. (The empty name goes
// to the contract's path: TestAuth_emptyNameSpecPath.)
func TestAuthUserAPI_invalidName(t *testing.T) {
	calls := []struct {
		name string
		call func(ctx context.Context, u AuthUserAPI, name string) error
	}{
		{"AddUser", func(ctx context.Context, u AuthUserAPI, n string) error { return u.AddUser(ctx, n, "pw") }},
		{"RemoveUser", func(ctx context.Context, u AuthUserAPI, n string) error { return u.RemoveUser(ctx, n) }},
		{"GetUser", func(ctx context.Context, u AuthUserAPI, n string) error { _, err := u.GetUser(ctx, n); return err }},
		{"GrantUser", func(ctx context.Context, u AuthUserAPI, n string) error {
			_, err := u.GrantUser(ctx, n, []string{"r"})
			return err
		}},
		{"RevokeUser", func(ctx context.Context, u AuthUserAPI, n string) error {
			_, err := u.RevokeUser(ctx, n, []string{"r"})
			return err
		}},
		{"ChangePassword", func(ctx context.Context, u AuthUserAPI, n string) error {
			_, err := u.ChangePassword(ctx, n, "pw")
			return err
		}},
	}
	for _, name := range []string{".", "..", "a/b", "../../keys/x"} {
		for _, op := range calls {
			t.Run(op.name+"/"+name, func(t *testing.T) {
				s, c := authServer(t, authReply{http.StatusOK, `{"user":"x","roles":[]}`})
				err := op.call(context.Background(), NewAuthUserAPI(c), name)
				if err == nil || !strings.Contains(err.Error(), "invalid user name") {
					t.Errorf("%s(%q) error = %v, want invalid user name", op.name, name, err)
				}
				if n := len(s.requests()); n != 0 {
					t.Errorf("%s(%q) sent %d requests, want 0", op.name, name, n)
				}
			})
		}
	}
}

// checkDecodeErr is what the fuzz targets demand of a decoding failure:
// one of the two documented errors, never a bare decoder error.
func checkDecodeErr(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalidJSON) && !errors.Is(err, ErrEmptyBody) {
		t.Fatalf("%s error = %v, want ErrInvalidJSON or ErrEmptyBody", what, err)
	}
	if !strings.HasPrefix(err.Error(), "client: ") {
		t.Fatalf("%s error text = %q, want a client: prefix", what, err)
	}
}

func FuzzDecodeUser(f *testing.F) {
	for _, name := range []string{"user_add", "user_get", "users", "users_empty", "user_get_missing"} {
		f.Add([]byte(authFixture(f, name).body))
	}
	f.Add([]byte(`{"user":"u","roles":["a",{"role":"b"},null,""],"grant":["g"],"revoke":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := decodeUser(data)
		if err != nil {
			checkDecodeErr(t, "decodeUser", err)
		} else {
			if u.User == "" || slices.Contains(u.Roles, "") {
				t.Fatalf("decodeUser(%q) = %+v: empty user or role name", data, u)
			}
			// What we decoded must survive our own encoding unchanged.
			b, err := json.Marshal(u)
			if err != nil {
				t.Fatalf("Marshal(%+v): %v", u, err)
			}
			again, err := decodeUser(b)
			if err != nil || !equalUser(again, u) {
				t.Fatalf("decodeUser(Marshal(%+v)) = %+v, %v", u, again, err)
			}
		}
		names, err := decodeNameList(data, "users", "user")
		if err != nil {
			checkDecodeErr(t, "decodeNameList", err)
		} else if names == nil || slices.Contains(names, "") {
			t.Fatalf("decodeNameList(%q) = %#v: nil or empty name", data, names)
		}
	})
}

// TestAuth_emptyNameSpecPath: an empty user or role name goes where the
// contract's path.Join puts it, the list's path (/v2/auth/users,
// /v2/auth/roles), as the original sent it; with etcd 3.4's answers there
// (405 to PUT and DELETE, the list to GET), every call fails, and GetUser
// and GetRole say that no name was given rather than returning the list.
func TestAuth_emptyNameSpecPath(t *testing.T) {
	calls := []struct {
		name, method, path string
		call               func(ctx context.Context, c Client) error
	}{
		{"AddUser", http.MethodPut, "/v2/auth/users", func(ctx context.Context, c Client) error { return NewAuthUserAPI(c).AddUser(ctx, "", "pw") }},
		{"RemoveUser", http.MethodDelete, "/v2/auth/users", func(ctx context.Context, c Client) error { return NewAuthUserAPI(c).RemoveUser(ctx, "") }},
		{"GetUser", http.MethodGet, "/v2/auth/users", func(ctx context.Context, c Client) error { _, err := NewAuthUserAPI(c).GetUser(ctx, ""); return err }},
		{"GrantUser", http.MethodPut, "/v2/auth/users", func(ctx context.Context, c Client) error {
			_, err := NewAuthUserAPI(c).GrantUser(ctx, "", []string{"r"})
			return err
		}},
		{"ChangePassword", http.MethodPut, "/v2/auth/users", func(ctx context.Context, c Client) error {
			_, err := NewAuthUserAPI(c).ChangePassword(ctx, "", "pw")
			return err
		}},
		{"AddRole", http.MethodPut, "/v2/auth/roles", func(ctx context.Context, c Client) error { return NewAuthRoleAPI(c).AddRole(ctx, "") }},
		{"RemoveRole", http.MethodDelete, "/v2/auth/roles", func(ctx context.Context, c Client) error { return NewAuthRoleAPI(c).RemoveRole(ctx, "") }},
		{"GetRole", http.MethodGet, "/v2/auth/roles", func(ctx context.Context, c Client) error { _, err := NewAuthRoleAPI(c).GetRole(ctx, ""); return err }},
		{"GrantRoleKV", http.MethodPut, "/v2/auth/roles", func(ctx context.Context, c Client) error {
			_, err := NewAuthRoleAPI(c).GrantRoleKV(ctx, "", []string{"/a"}, ReadPermission)
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			s, c := setup(t)
			s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet {
					http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"users":null}`)
			})
			err := tc.call(context.Background(), c)
			if err == nil {
				t.Errorf("%s(\"\") = nil, want an error", tc.name)
			}
			kind := strings.TrimSuffix(path.Base(tc.path), "s") // user, role
			if tc.method == http.MethodGet && (err == nil || !strings.Contains(err.Error(), "no "+kind+" name given")) {
				t.Errorf("%s(\"\") = %v, want it to say that no name was given", tc.name, err)
			}
			reqs := s.requests()
			if len(reqs) != 1 || reqs[0].Method != tc.method || reqs[0].Path != tc.path {
				t.Errorf("%s(\"\") sent %+v, want one %s %s", tc.name, reqs, tc.method, tc.path)
			}
		})
	}
}
