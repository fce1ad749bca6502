package client

// This file holds the auth switch (AuthAPI) and what the user and role
// APIs (auth_user.go, auth_role.go) share: the actions, the name check,
// the call with its status check, and the decoding of name lists. Their
// refusals are decoded in errors.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

const authPrefix = "/v2/auth"

// NewAuthAPI returns an AuthAPI that works through c. It is safe for
// concurrent use. On an APIv3 client it maps the calls onto etcd's v3
// auth (see "Auth on APIv3" in the package documentation).
func NewAuthAPI(c Client) AuthAPI {
	if a := v3AuthOf(c); a != nil {
		return v3AuthAPI{a}
	}
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
	client httpClient
}

func (a *httpAuthAPI) Enable(ctx context.Context) error {
	_, err := doAuth(ctx, a.client, authAction(http.MethodPut, "enable", "", ""), http.StatusOK, http.StatusCreated)
	return err
}

func (a *httpAuthAPI) Disable(ctx context.Context) error {
	_, err := doAuth(ctx, a.client, authAction(http.MethodDelete, "enable", "", ""), http.StatusOK, http.StatusCreated)
	return err
}

// authAction is every auth call: path.Join(ep.Path, "/v2/auth", what,
// name) with what = "enable", "users" or "roles", no name for the list
// calls and enable, and an optional JSON body. etcd's auth endpoints are
// always sent a JSON content type.
func authAction(method, what, name, body string) *action {
	return &action{
		method:      method,
		prefix:      authPrefix + "/" + what,
		name:        name,
		body:        body,
		contentType: jsonContentType,
		op:          "auth." + what,
	}
}

// authCall checks a user or role name and builds the action for it, with
// body marshalled as JSON unless it is nil. An empty name goes to the path
// the contract gives (wire.md: path.Join(ep.Path, "/v2/auth", what, name)),
// the list's, as the original sent it; etcd then refuses a PUT or DELETE
// there (405), and a GET answers the list, which getNamed turns into an
// error.
func authCall(kind, method, name string, body any) (*action, error) {
	if name != "" {
		if err := checkAuthName(kind, name); err != nil {
			return nil, err
		}
	}
	var js string
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		js = string(b)
	}
	return authAction(method, kind+"s", name, js), nil
}

// checkAuthName refuses names that path.Join would turn into another
// path: "" would address the whole list, ".." a parent, "a/b" a child.
// (The v2 calls send "" as the contract's path has it; see authCall.)
func checkAuthName(kind, name string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("client: invalid %s name %q", kind, name)
	}
	return nil
}

// getNamed sends act, the GET of the user or role name, and returns the
// body of its 200 answer. For the empty name, whose path is the list's,
// etcd answers with the list: that is an error saying no name was given.
func getNamed(ctx context.Context, c httpClient, act *action, kind, name string) ([]byte, error) {
	body, err := doAuth(ctx, c, act, http.StatusOK)
	if err == nil && name == "" {
		return nil, fmt.Errorf("client: no %s name given: the path of an empty name is the %s list's (/v2/auth/%ss), which etcd answered with the list, not a %s", kind, kind, kind, kind)
	}
	return body, err
}

// doAuth sends act and returns the body of an answer with one of the
// wanted statuses; any other answer becomes an error by decodeAuthRefusal.
func doAuth(ctx context.Context, c httpClient, act *action, want ...int) ([]byte, error) {
	resp, body, err := c.Do(ctx, act)
	if err != nil {
		return nil, err
	}
	if checkStatus(resp.StatusCode, body, want...) != nil {
		return nil, decodeAuthRefusal(resp.StatusCode, body)
	}
	return body, nil
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
