package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

var defaultV2MembersPrefix = "/v2/members"

// Member is one member of an etcd cluster.
type Member struct {
	// ID is the member's unique ID, in hex.
	ID string `json:"id"`

	// Name is the member's human-readable name; empty for a member that
	// was added but has not started yet.
	Name string `json:"name"`

	// PeerURLs are the URLs the other members reach this one at.
	PeerURLs []string `json:"peerURLs"`

	// ClientURLs are the URLs clients reach this member at; empty for a
	// member that was added but has not started yet.
	ClientURLs []string `json:"clientURLs"`
}

// NewMembersAPI returns a MembersAPI that works through c. It is safe for
// concurrent use.
func NewMembersAPI(c Client) MembersAPI {
	return &httpMembersAPI{client: c}
}

// MembersAPI lists and changes the members of a cluster.
//
// A refusal of the server with a message (for example a peer URL that is
// already taken) is a *MembersError whose text is that message; any other
// unexpected answer is a *StatusError.
type MembersAPI interface {
	// List returns every member of the cluster (an empty, non-nil slice
	// when the server lists none).
	List(ctx context.Context) ([]Member, error)

	// Add announces a new member by its peer URL. The member must then be
	// started to join; until it does, it has no name and no client URLs.
	Add(ctx context.Context, peerURL string) (*Member, error)

	// Remove removes a member. Removing a member already removed
	// succeeds.
	Remove(ctx context.Context, mID string) error

	// Update replaces the peer URLs of a member.
	Update(ctx context.Context, mID string, peerURLs []string) error

	// Leader returns the member that currently leads the cluster.
	Leader(ctx context.Context) (*Member, error)
}

// MembersError is a members call the server refused with a message, such
// as a 409 for a peer URL that is already in use or a 404 for an unknown
// member. Its text is the server's message. (An addition of this package;
// the original's type was unexported.)
type MembersError struct {
	// Code is the HTTP status of the answer.
	Code int
	// Message is the server's explanation.
	Message string
}

func (e *MembersError) Error() string { return e.Message }

// StatusError is an answer with an HTTP status the call does not expect.
// (An addition of this package.)
type StatusError struct {
	// Code is the HTTP status of the answer.
	Code int
}

func (e *StatusError) Error() string { return fmt.Sprintf("unexpected status code %d", e.Code) }

type httpMembersAPI struct {
	client Client
}

func (m *httpMembersAPI) List(ctx context.Context) ([]Member, error) {
	resp, body, err := m.client.Do(ctx, &membersAction{method: http.MethodGet})
	if err != nil {
		return nil, err
	}
	if err := assertStatusCode(resp.StatusCode, http.StatusOK); err != nil {
		return nil, err
	}
	var list struct {
		Members []Member `json:"members"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, ErrInvalidJSON
	}
	if list.Members == nil {
		list.Members = []Member{}
	}
	return list.Members, nil
}

func (m *httpMembersAPI) Add(ctx context.Context, peerURL string) (*Member, error) {
	urls, err := normalizePeerURLs([]string{peerURL})
	if err != nil {
		return nil, err
	}
	resp, body, err := m.client.Do(ctx, &membersAction{method: http.MethodPost, peerURLs: urls})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusConflict {
		return nil, decodeMembersError(resp.StatusCode, body)
	}
	if err := assertStatusCode(resp.StatusCode, http.StatusCreated); err != nil {
		return nil, err
	}
	var mem Member
	if err := json.Unmarshal(body, &mem); err != nil {
		return nil, ErrInvalidJSON
	}
	return &mem, nil
}

func (m *httpMembersAPI) Update(ctx context.Context, memberID string, peerURLs []string) error {
	urls, err := normalizePeerURLs(peerURLs)
	if err != nil {
		return err
	}
	resp, body, err := m.client.Do(ctx, &membersAction{method: http.MethodPut, id: memberID, peerURLs: urls})
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusConflict:
		return decodeMembersError(resp.StatusCode, body)
	}
	return assertStatusCode(resp.StatusCode, http.StatusNoContent)
}

func (m *httpMembersAPI) Remove(ctx context.Context, memberID string) error {
	resp, _, err := m.client.Do(ctx, &membersAction{method: http.MethodDelete, id: memberID})
	if err != nil {
		return err
	}
	return assertStatusCode(resp.StatusCode, http.StatusNoContent, http.StatusGone)
}

func (m *httpMembersAPI) Leader(ctx context.Context) (*Member, error) {
	resp, body, err := m.client.Do(ctx, &membersAction{method: http.MethodGet, id: "leader"})
	if err != nil {
		return nil, err
	}
	if err := assertStatusCode(resp.StatusCode, http.StatusOK); err != nil {
		return nil, err
	}
	var mem Member
	if err := json.Unmarshal(body, &mem); err != nil {
		return nil, ErrInvalidJSON
	}
	return &mem, nil
}

// membersAction is every members call: the id (or "leader") picks the
// path, peerURLs the JSON body.
type membersAction struct {
	method   string
	id       string
	peerURLs []string
}

func (a *membersAction) HTTPRequest(ep url.URL) *http.Request {
	u := ep
	u.Path = path.Join(ep.Path, defaultV2MembersPrefix)
	if a.id != "" {
		u.Path = path.Join(u.Path, a.id)
	}
	u.RawPath = ""
	if a.peerURLs == nil {
		return newRequest(a.method, &u, "", nil)
	}
	body, _ := json.Marshal(struct {
		PeerURLs []string `json:"peerURLs"`
	}{a.peerURLs})
	return newRequest(a.method, &u, string(body), http.Header{"Content-Type": {"application/json"}})
}

// normalizePeerURLs checks peer URLs before anything is sent and returns
// them trimmed and sorted, the way the server stores them.
func normalizePeerURLs(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, errors.New("client: no peer URLs given")
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		switch u.Scheme {
		case "http", "https", "unix", "unixs":
		default:
			return nil, fmt.Errorf("URL scheme must be http, https, unix, or unixs: %s", s)
		}
		if _, _, err := net.SplitHostPort(u.Host); err != nil {
			return nil, fmt.Errorf(`URL address does not have the form "host:port": %s`, s)
		}
		if u.Path != "" {
			return nil, fmt.Errorf("URL must not contain a path: %s", s)
		}
		out = append(out, u.String())
	}
	slices.Sort(out)
	return out, nil
}

func assertStatusCode(got int, want ...int) error {
	if slices.Contains(want, got) {
		return nil
	}
	return &StatusError{Code: got}
}

func decodeMembersError(code int, body []byte) error {
	var e struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &e); err != nil {
		return ErrInvalidJSON
	}
	return &MembersError{Code: code, Message: e.Message}
}
