package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
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
//
// On an APIv3 client it uses etcd's v3 cluster calls: member IDs are the
// same hex strings, a refusal is a *MembersError, and Remove of a member
// that is not there succeeds, as the v2 API's 410 Gone did.
func NewMembersAPI(c Client) MembersAPI {
	if kv, _ := v3Of(c); kv != nil {
		return &v3MembersAPI{kv: kv}
	}
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

type httpMembersAPI struct {
	client httpClient
}

func (m *httpMembersAPI) List(ctx context.Context) ([]Member, error) {
	return listMembers(ctx, m.client)
}

// listMembers is List for any httpClient; Sync uses it too.
func listMembers(ctx context.Context, c httpClient) ([]Member, error) {
	resp, body, err := c.Do(ctx, membersAction(http.MethodGet, "", nil))
	if err != nil {
		return nil, err
	}
	if err := v2NotServed(resp.StatusCode, body); err != nil {
		return nil, err
	}
	if err := checkStatus(resp.StatusCode, body, http.StatusOK); err != nil {
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
	resp, body, err := m.client.Do(ctx, membersAction(http.MethodPost, "", urls))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusConflict {
		return nil, decodeMembersRefusal(resp.StatusCode, body)
	}
	if err := checkStatus(resp.StatusCode, body, http.StatusCreated); err != nil {
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
	resp, body, err := m.client.Do(ctx, membersAction(http.MethodPut, memberID, urls))
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusConflict:
		return decodeMembersRefusal(resp.StatusCode, body)
	}
	return checkStatus(resp.StatusCode, body, http.StatusNoContent)
}

func (m *httpMembersAPI) Remove(ctx context.Context, memberID string) error {
	resp, body, err := m.client.Do(ctx, membersAction(http.MethodDelete, memberID, nil))
	if err != nil {
		return err
	}
	return checkStatus(resp.StatusCode, body, http.StatusNoContent, http.StatusGone)
}

func (m *httpMembersAPI) Leader(ctx context.Context) (*Member, error) {
	return leaderMember(ctx, m.client)
}

// leaderMember is Leader for any httpClient; Sync uses it too.
func leaderMember(ctx context.Context, c httpClient) (*Member, error) {
	resp, body, err := c.Do(ctx, membersAction(http.MethodGet, "leader", nil))
	if err != nil {
		return nil, err
	}
	if err := checkStatus(resp.StatusCode, body, http.StatusOK); err != nil {
		return nil, err
	}
	var mem Member
	if err := json.Unmarshal(body, &mem); err != nil {
		return nil, ErrInvalidJSON
	}
	return &mem, nil
}

// membersAction is every members call: path.Join(ep.Path, "/v2/members",
// id), where the id may be "leader" or empty, and peerURLs as the JSON
// body when there are any.
func membersAction(method, id string, peerURLs []string) *action {
	act := &action{method: method, prefix: defaultV2MembersPrefix, name: id, op: "members"}
	if peerURLs != nil {
		body, _ := json.Marshal(struct {
			PeerURLs []string `json:"peerURLs"`
		}{peerURLs})
		act.body = string(body)
		act.contentType = jsonContentType
	}
	return act
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
