package client

// This file maps MembersAPI onto etcd's v3 cluster and maintenance calls
// (APIv3). GetVersion needs no mapping: etcd 3.6+ still serves /version. Member IDs are shown in hex, as the v2 API
// shows them.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

type v3MembersAPI struct {
	kv v3Backend
}

func toMember(m *v3Member) Member {
	out := Member{ID: strconv.FormatUint(m.ID, 16), Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs}
	if out.PeerURLs == nil {
		out.PeerURLs = []string{}
	}
	if out.ClientURLs == nil {
		out.ClientURLs = []string{}
	}
	return out
}

// membersRefusal turns the gateway's refusal of a members call into the
// *MembersError v2 callers handle, with the HTTP status v2 would give.
func membersRefusal(err error) error {
	var ge *GatewayError
	if !errors.As(err, &ge) {
		return err
	}
	code := ge.Status
	switch ge.Code {
	case 5: // NotFound: no such member
		code = http.StatusNotFound
	case 6, 9: // AlreadyExists, FailedPrecondition: peer URL taken
		code = http.StatusConflict
	}
	return &MembersError{Code: code, Message: ge.Message}
}

func (m *v3MembersAPI) List(ctx context.Context) ([]Member, error) {
	resp, err := m.kv.memberList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(resp.Members))
	for i := range resp.Members {
		out = append(out, toMember(&resp.Members[i]))
	}
	return out, nil
}

func (m *v3MembersAPI) Add(ctx context.Context, peerURL string) (*Member, error) {
	urls, err := normalizePeerURLs([]string{peerURL})
	if err != nil {
		return nil, err
	}
	mem, err := m.kv.memberAdd(ctx, urls)
	if err != nil {
		return nil, membersRefusal(err)
	}
	out := toMember(mem)
	return &out, nil
}

func parseMemberID(id string) (uint64, error) {
	v, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return 0, &MembersError{Code: http.StatusNotFound, Message: "client: member ID " + strconv.Quote(id) + " is not a hex number"}
	}
	return v, nil
}

func (m *v3MembersAPI) Remove(ctx context.Context, memberID string) error {
	ctx = withSubject(ctx, memberID)
	id, err := parseMemberID(memberID)
	if err != nil {
		return err
	}
	if err := m.kv.memberRemove(ctx, id); err != nil {
		var ge *GatewayError
		if errors.As(err, &ge) && ge.Code == 5 {
			// v2 answers 410 Gone for a removed member, which counts as
			// success; v3 cannot tell removed from unknown.
			return nil
		}
		return membersRefusal(err)
	}
	return nil
}

func (m *v3MembersAPI) Update(ctx context.Context, memberID string, peerURLs []string) error {
	ctx = withSubject(ctx, memberID)
	id, err := parseMemberID(memberID)
	if err != nil {
		return err
	}
	urls, err := normalizePeerURLs(peerURLs)
	if err != nil {
		return err
	}
	return membersRefusal(m.kv.memberUpdate(ctx, id, urls))
}

func (m *v3MembersAPI) Leader(ctx context.Context) (*Member, error) {
	return v3Leader(ctx, m.kv)
}

// v3Leader asks a member for the leader's ID and finds it in the list.
func v3Leader(ctx context.Context, kv v3Backend) (*Member, error) {
	st, err := kv.status(ctx)
	if err != nil {
		return nil, err
	}
	list, err := kv.memberList(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list.Members {
		if list.Members[i].ID == st.Leader {
			out := toMember(&list.Members[i])
			return &out, nil
		}
	}
	return nil, ErrNoLeaderEndpoint
}

// v3ListMembers is List for Sync.
func v3ListMembers(ctx context.Context, kv v3Backend) ([]Member, error) {
	return (&v3MembersAPI{kv: kv}).List(ctx)
}
