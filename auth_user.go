package client

// This file holds the auth switch (AuthAPI), the user API and the plumbing
// both auth files share: the request action, the name check and the
// decoding of refusals. Roles are in auth_role.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

const authPrefix = "/v2/auth"

// NewAuthAPI returns an AuthAPI that works through c. It is safe for
// concurrent use.
func NewAuthAPI(c Client) AuthAPI {
	return &httpAuthAPI{client: c}
}

// AuthAPI switches etcd's v2 authentication on and off.
//
// A refusal of the server is an *AuthError (for example "auth: already
// enabled" with Code 409, or "Insufficient credentials" with Code 401 for a
// caller that is not root while auth is on). An answer with a keys-style
// body ({"errorCode":...}) is an Error, as from KeysAPI. Any other
// unexpected answer is a *StatusError.
type AuthAPI interface {
	// Enable turns authentication on. etcd requires a root user first.
	Enable(ctx context.Context) error

	// Disable turns authentication off. Once auth is on, only root may.
	Disable(ctx context.Context) error
}

type httpAuthAPI struct {
	client Client
}

func (a *httpAuthAPI) Enable(ctx context.Context) error {
	_, err := doAuth(ctx, a.client, &authAction{method: http.MethodPut, what: "enable"}, http.StatusOK, http.StatusCreated)
	return err
}

func (a *httpAuthAPI) Disable(ctx context.Context) error {
	_, err := doAuth(ctx, a.client, &authAction{method: http.MethodDelete, what: "enable"}, http.StatusOK, http.StatusCreated)
	return err
}

// User is an etcd v2 user. The JSON form is the one etcd reads and
// writes; Grant and Revoke are only used in requests.
type User struct {
	// User is the user's name.
	User string `json:"user"`

	// Password is only ever sent, never returned by the server.
	Password string `json:"password,omitempty"`

	// Roles are the names of the user's roles. Every call of AuthUserAPI
	// returns them as plain names, whichever form the server used.
	Roles []string `json:"roles"`

	// Grant lists roles to add to the user in a request.
	Grant []string `json:"grant,omitempty"`

	// Revoke lists roles to take from the user in a request.
	Revoke []string `json:"revoke,omitempty"`
}

// UserRoles is the form in which etcd returns a user whose roles are
// spelled out as role objects, as newer members do. AuthUserAPI converts
// it into a User; the type is kept for callers that decode answers
// themselves.
type UserRoles struct {
	User  string `json:"user"`
	Roles []Role `json:"roles"`
}

// NewAuthUserAPI returns an AuthUserAPI that works through c. It is safe
// for concurrent use.
func NewAuthUserAPI(c Client) AuthUserAPI {
	return &httpAuthUserAPI{client: c}
}

// AuthUserAPI manages the users of etcd's v2 authentication.
//
// A refusal of the server is an *AuthError whose text is the server's
// message; [IsUserNotFound] tells whether it says the user does not
// exist. While auth is on, a caller without root's credentials gets an
// *AuthError with Code 401 ("Insufficient credentials", as etcd 3.4 and
// 3.5 answer the auth endpoints); should a member answer with the keys
// API's body instead (errorCode 110), that comes back as an Error, as
// from KeysAPI. Other unexpected answers are a *StatusError, and a body
// that is not what etcd sends matches ErrInvalidJSON (or is ErrEmptyBody)
// under errors.Is.
//
// A name that is empty, "." or "..", or that contains a "/", is refused
// before anything is sent: in a URL path it would name another resource.
type AuthUserAPI interface {
	// AddUser creates a user with a password and no roles.
	AddUser(ctx context.Context, username string, password string) error

	// RemoveUser deletes a user.
	RemoveUser(ctx context.Context, username string) error

	// GetUser returns a user with the names of its roles. A missing user
	// is an error for which IsUserNotFound is true.
	GetUser(ctx context.Context, username string) (*User, error)

	// GrantUser gives roles to a user and returns the user as it is now.
	GrantUser(ctx context.Context, username string, roles []string) (*User, error)

	// RevokeUser takes roles from a user and returns the user as it is
	// now.
	RevokeUser(ctx context.Context, username string, roles []string) (*User, error)

	// ChangePassword sets a new password and returns the user.
	ChangePassword(ctx context.Context, username string, password string) (*User, error)

	// ListUsers returns the names of all users; an empty, non-nil slice
	// when there are none.
	ListUsers(ctx context.Context) ([]string, error)
}

type httpAuthUserAPI struct {
	client Client
}

func (u *httpAuthUserAPI) AddUser(ctx context.Context, username, password string) error {
	act, err := userAction(http.MethodPut, username, &User{User: username, Password: password})
	if err != nil {
		return err
	}
	_, err = doAuth(ctx, u.client, act, http.StatusOK, http.StatusCreated)
	return err
}

func (u *httpAuthUserAPI) RemoveUser(ctx context.Context, username string) error {
	act, err := userAction(http.MethodDelete, username, nil)
	if err != nil {
		return err
	}
	_, err = doAuth(ctx, u.client, act, http.StatusOK, http.StatusCreated)
	return err
}

func (u *httpAuthUserAPI) GetUser(ctx context.Context, username string) (*User, error) {
	act, err := userAction(http.MethodGet, username, nil)
	if err != nil {
		return nil, err
	}
	return u.userCall(ctx, act)
}

func (u *httpAuthUserAPI) GrantUser(ctx context.Context, username string, roles []string) (*User, error) {
	act, err := userAction(http.MethodPut, username, &User{User: username, Grant: roles})
	if err != nil {
		return nil, err
	}
	return u.userCall(ctx, act)
}

func (u *httpAuthUserAPI) RevokeUser(ctx context.Context, username string, roles []string) (*User, error) {
	act, err := userAction(http.MethodPut, username, &User{User: username, Revoke: roles})
	if err != nil {
		return nil, err
	}
	return u.userCall(ctx, act)
}

func (u *httpAuthUserAPI) ChangePassword(ctx context.Context, username, password string) (*User, error) {
	act, err := userAction(http.MethodPut, username, &User{User: username, Password: password})
	if err != nil {
		return nil, err
	}
	return u.userCall(ctx, act)
}

func (u *httpAuthUserAPI) ListUsers(ctx context.Context) ([]string, error) {
	body, err := doAuth(ctx, u.client, &authAction{method: http.MethodGet, what: "users"}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeNameList(body, "users", "user")
}

func (u *httpAuthUserAPI) userCall(ctx context.Context, act *authAction) (*User, error) {
	body, err := doAuth(ctx, u.client, act, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeUser(body)
}

func userAction(method, name string, body *User) (*authAction, error) {
	if err := checkAuthName("user", name); err != nil {
		return nil, err
	}
	act := &authAction{method: method, what: "users", name: name}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		act.body = string(b)
	}
	return act, nil
}

// decodeUser reads a user in either of etcd's forms: roles as names, or
// roles as role objects. Null entries and empty names are dropped, so a
// caller never sees "" as a role.
func decodeUser(body []byte) (*User, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrEmptyBody
	}
	var ans struct {
		User     string            `json:"user"`
		Password string            `json:"password"`
		Roles    []json.RawMessage `json:"roles"`
		Grant    []string          `json:"grant"`
		Revoke   []string          `json:"revoke"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, &invalidJSONError{cause: err}
	}
	if ans.User == "" {
		return nil, &invalidJSONError{cause: errors.New("client: user answer without a user name")}
	}
	u := &User{User: ans.User, Password: ans.Password, Grant: ans.Grant, Revoke: ans.Revoke}
	if ans.Roles != nil {
		u.Roles = make([]string, 0, len(ans.Roles))
	}
	for _, raw := range ans.Roles {
		name, err := nameOf(raw, "role")
		if err != nil {
			return nil, &invalidJSONError{cause: err}
		}
		if name != "" {
			u.Roles = append(u.Roles, name)
		}
	}
	return u, nil
}

// decodeNameList reads {"<list>":[...]} whose entries are names or
// objects carrying the name under key; a null list is an empty one.
func decodeNameList(body []byte, list, key string) ([]string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrEmptyBody
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, &invalidJSONError{cause: err}
	}
	raw, ok := top[list]
	if !ok {
		return nil, &invalidJSONError{cause: fmt.Errorf("client: answer without a %q list", list)}
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, &invalidJSONError{cause: err}
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		name, err := nameOf(e, key)
		if err != nil {
			return nil, &invalidJSONError{cause: err}
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return names, nil
}

// nameOf returns the name in one list entry: a JSON string, or an object
// with the name under key. A null entry has no name.
func nameOf(raw json.RawMessage, key string) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", errors.New("client: empty list entry")
	}
	switch raw[0] {
	case 'n':
		var v any
		return "", json.Unmarshal(raw, &v)
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", err
		}
		v, ok := obj[key]
		if !ok {
			return "", nil
		}
		var s *string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		if s == nil {
			return "", nil
		}
		return *s, nil
	default:
		return "", fmt.Errorf("client: list entry is neither a name nor an object: %.40s", raw)
	}
}

// authAction is every auth call: path.Join(ep.Path, "/v2/auth", what,
// name) with an optional JSON body.
type authAction struct {
	method string
	what   string // "enable", "users" or "roles"
	name   string // empty for the list calls and enable
	body   string // JSON; empty for none
}

func (a *authAction) HTTPRequest(ep url.URL) *http.Request {
	u := ep
	u.Path = path.Join(ep.Path, authPrefix, a.what, a.name)
	u.RawPath = ""
	return newRequest(a.method, &u, a.body, http.Header{"Content-Type": {"application/json"}})
}

// checkAuthName refuses names that path.Join would turn into another
// path: "" would address the whole list, ".." a parent, "a/b" a child.
func checkAuthName(kind, name string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("client: invalid %s name %q", kind, name)
	}
	return nil
}

// doAuth sends act and returns the body of an answer with one of the
// wanted statuses; any other answer becomes an error by decodeAuthError.
func doAuth(ctx context.Context, c Client, act *authAction, want ...int) ([]byte, error) {
	resp, body, err := c.Do(ctx, act)
	if err != nil {
		return nil, err
	}
	if assertStatusCode(resp.StatusCode, want...) != nil {
		return nil, decodeAuthError(resp.StatusCode, body)
	}
	return body, nil
}

// AuthError is a refusal of an auth call by the server, such as a missing
// user (404), a user or role that already exists (409) or a bad request
// (400). Its text is the server's message, for example "auth: User foo
// does not exist.". Use [IsUserNotFound] and [IsRoleNotFound] to tell the
// not-found cases apart. (An addition of this package; the original's
// type was unexported, so callers could not get at the status.)
type AuthError struct {
	// Code is the HTTP status of the answer.
	Code int
	// Message is the server's explanation.
	Message string
}

func (e *AuthError) Error() string { return e.Message }

// decodeAuthError turns a refused auth call into an error. etcd answers
// auth refusals, 401s included, with {"message":...}. A body in the keys
// API's shape ({"errorCode":110,...}, which the keys API sends for missing
// credentials) is returned as the keys Error, so that one errors.As on
// Error and ErrorCodeUnauthorized serves callers of both APIs.
func decodeAuthError(code int, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &StatusError{Code: code}
	}
	var e Error
	if err := json.Unmarshal(body, &e); err != nil {
		return &invalidJSONError{status: code, cause: err}
	}
	if e.Code != 0 {
		return e
	}
	if e.Message != "" {
		return &AuthError{Code: code, Message: e.Message}
	}
	return &StatusError{Code: code}
}

// invalidJSONError is an auth answer that is not the JSON etcd sends. It
// matches ErrInvalidJSON under errors.Is, like the other APIs' decoding
// failures, and also carries what the decoder disliked and, for a
// refusal, the status (as a *StatusError).
type invalidJSONError struct {
	status int // 0 for a success answer
	cause  error
}

func (e *invalidJSONError) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("%v (status %d: %v)", ErrInvalidJSON, e.status, e.cause)
	}
	return fmt.Sprintf("%v (%v)", ErrInvalidJSON, e.cause)
}

func (e *invalidJSONError) Unwrap() []error {
	errs := []error{ErrInvalidJSON, e.cause}
	if e.status != 0 {
		errs = append(errs, &StatusError{Code: e.status})
	}
	return errs
}

// isAuthNotFound reports whether err wraps an *AuthError whose message is
// "<prefix><name> does not exist" in any of etcd's spellings: with or
// without the final dot, "does not" or "doesn't". The wording differs
// between GET and DELETE and between etcd versions, so the message is
// matched by its structure rather than as one fixed string.
func isAuthNotFound(err error, prefix string) bool {
	var ae *AuthError
	if !errors.As(err, &ae) || ae == nil {
		return false
	}
	rest, ok := strings.CutPrefix(ae.Message, prefix)
	if !ok {
		return false
	}
	// The leading space lets an empty name ("auth: User  does not
	// exist") and a missing one ("auth: User does not exist") match too.
	rest = " " + strings.TrimSuffix(rest, ".")
	return strings.HasSuffix(rest, " does not exist") || strings.HasSuffix(rest, " doesn't exist")
}
