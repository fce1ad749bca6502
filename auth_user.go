package client

// This file holds the user API of etcd's v2 auth; auth.go has the switch
// and what users and roles share.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

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
// for concurrent use. On an APIv3 client it maps the calls onto etcd's v3
// auth (see "Auth on APIv3" in the package documentation).
func NewAuthUserAPI(c Client) AuthUserAPI {
	if a := v3AuthOf(c); a != nil {
		return v3AuthUserAPI{a}
	}
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
	client httpClient
}

func (u *httpAuthUserAPI) AddUser(ctx context.Context, username, password string) error {
	act, err := authCall("user", http.MethodPut, username, &User{User: username, Password: password})
	if err != nil {
		return err
	}
	_, err = doAuth(ctx, u.client, act, http.StatusOK, http.StatusCreated)
	return err
}

func (u *httpAuthUserAPI) RemoveUser(ctx context.Context, username string) error {
	act, err := authCall("user", http.MethodDelete, username, nil)
	if err != nil {
		return err
	}
	_, err = doAuth(ctx, u.client, act, http.StatusOK, http.StatusCreated)
	return err
}

func (u *httpAuthUserAPI) GetUser(ctx context.Context, username string) (*User, error) {
	act, err := authCall("user", http.MethodGet, username, nil)
	if err != nil {
		return nil, err
	}
	body, err := getNamed(ctx, u.client, act, "user", username)
	if err != nil {
		return nil, err
	}
	return decodeUser(body)
}

func (u *httpAuthUserAPI) GrantUser(ctx context.Context, username string, roles []string) (*User, error) {
	act, err := authCall("user", http.MethodPut, username, &User{User: username, Grant: roles})
	if err != nil {
		return nil, err
	}
	return u.userCall(ctx, act)
}

func (u *httpAuthUserAPI) RevokeUser(ctx context.Context, username string, roles []string) (*User, error) {
	act, err := authCall("user", http.MethodPut, username, &User{User: username, Revoke: roles})
	if err != nil {
		return nil, err
	}
	return u.userCall(ctx, act)
}

func (u *httpAuthUserAPI) ChangePassword(ctx context.Context, username, password string) (*User, error) {
	act, err := authCall("user", http.MethodPut, username, &User{User: username, Password: password})
	if err != nil {
		return nil, err
	}
	return u.userCall(ctx, act)
}

func (u *httpAuthUserAPI) ListUsers(ctx context.Context) ([]string, error) {
	body, err := doAuth(ctx, u.client, authAction(http.MethodGet, "users", "", ""), http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeNameList(body, "users", "user")
}

func (u *httpAuthUserAPI) userCall(ctx context.Context, act *action) (*User, error) {
	body, err := doAuth(ctx, u.client, act, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeUser(body)
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
