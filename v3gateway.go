package client

// This file is the v3 transport: etcd's v3 API as JSON over HTTP (the
// gRPC gateway at /v3/...), sent through the cluster client like every
// other call, so failover, redirects, retry, cURL debug and the body cap
// apply unchanged. The v2 semantics built on it (keys_v3*.go,
// watch_v3.go, members_v3.go) see only the v3Backend interface, so
// another transport (gRPC, in a separate module) could replace this one
// without touching the mapping.
//
// The gateway encodes bytes as base64 (Go's []byte JSON encoding) and
// 64-bit integers as JSON strings (the ",string" tags), and leaves zero
// fields out.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// v3Backend is what the v2 mapping needs of etcd's v3 API.
type v3Backend interface {
	// txn runs one transaction; kind tells the cluster client whether a
	// repeat on another member is safe.
	txn(ctx context.Context, req *v3TxnRequest, kind callKind) (*v3TxnResponse, error)
	// txnUnsure is txn, also returning why an earlier attempt failed after
	// it may have applied the transaction (see action.unsure).
	txnUnsure(ctx context.Context, req *v3TxnRequest, kind callKind) (tr *v3TxnResponse, unsure, err error)
	// rangeKeys runs one range (a read).
	rangeKeys(ctx context.Context, req *v3RangeRequest) (*v3RangeResponse, error)
	leaseGrant(ctx context.Context, ttl int64) (int64, error)
	leaseRevoke(ctx context.Context, id int64) error
	// leaseTimeToLive returns the seconds lease id has left and the TTL it
	// was granted; ttl is -1 for a lease that is gone.
	leaseTimeToLive(ctx context.Context, id int64) (ttl, granted int64, err error)
	// watch opens one watch stream carrying the given watches.
	watch(ctx context.Context, reqs []v3WatchCreate) (v3WatchStream, error)
	memberList(ctx context.Context) (*v3MemberListResponse, error)
	memberAdd(ctx context.Context, peerURLs []string) (*v3Member, error)
	memberRemove(ctx context.Context, id uint64) error
	memberUpdate(ctx context.Context, id uint64, peerURLs []string) error
	status(ctx context.Context) (*v3StatusResponse, error)
	// auth makes one call of etcd's v3 auth (/v3/auth/<what>: user/add,
	// role/get, enable, ...), decoding the answer into resp.
	auth(ctx context.Context, what string, kind callKind, req, resp any) error
}

// v3WatchStream is an open watch stream: Recv returns the next message
// and Close ends the stream.
type v3WatchStream interface {
	Recv() (*v3WatchResponse, error)
	Close() error
}

type v3Header struct {
	ClusterID uint64 `json:"cluster_id,string"`
	MemberID  uint64 `json:"member_id,string"`
	Revision  int64  `json:"revision,string"`
	RaftTerm  uint64 `json:"raft_term,string"`
}

type v3KeyValue struct {
	Key            []byte `json:"key"`
	CreateRevision int64  `json:"create_revision,string"`
	ModRevision    int64  `json:"mod_revision,string"`
	Version        int64  `json:"version,string"`
	Value          []byte `json:"value"`
	Lease          int64  `json:"lease,string"`
}

type v3RangeRequest struct {
	Key          []byte `json:"key"`
	RangeEnd     []byte `json:"range_end,omitempty"`
	Limit        int64  `json:"limit,string,omitempty"`
	Revision     int64  `json:"revision,string,omitempty"`
	Serializable bool   `json:"serializable,omitempty"`
	KeysOnly     bool   `json:"keys_only,omitempty"`
	CountOnly    bool   `json:"count_only,omitempty"`
}

type v3RangeResponse struct {
	Header v3Header     `json:"header"`
	Kvs    []v3KeyValue `json:"kvs"`
	More   bool         `json:"more"`
	Count  int64        `json:"count,string"`
}

type v3PutRequest struct {
	Key         []byte `json:"key"`
	Value       []byte `json:"value"`
	Lease       int64  `json:"lease,string,omitempty"`
	PrevKv      bool   `json:"prev_kv,omitempty"`
	IgnoreLease bool   `json:"ignore_lease,omitempty"`
}

type v3DeleteRangeRequest struct {
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
	PrevKv   bool   `json:"prev_kv,omitempty"`
}

// v3Compare is one condition of a transaction. Only the field of Target
// is sent: the gateway refuses more than one member of the proto's oneof.
type v3Compare struct {
	Key      []byte
	RangeEnd []byte
	Target   string // "MOD", "CREATE", "VERSION", "VALUE"
	Result   string // "EQUAL", "LESS", "GREATER", "NOT_EQUAL"
	Rev      int64  // for MOD, CREATE and VERSION
	Value    []byte // for VALUE
}

func (c v3Compare) MarshalJSON() ([]byte, error) {
	// Fields in the order of their JSON names, as the gateway's own
	// encoder (and a map) would write them; nil pointers are left out,
	// so exactly one member of the target's oneof is sent.
	var out struct {
		CreateRevision *string `json:"create_revision,omitempty"`
		Key            []byte  `json:"key"`
		ModRevision    *string `json:"mod_revision,omitempty"`
		RangeEnd       *[]byte `json:"range_end,omitempty"`
		Result         string  `json:"result"`
		Target         string  `json:"target"`
		Value          *[]byte `json:"value,omitempty"`
		Version        *string `json:"version,omitempty"`
	}
	out.Key, out.Result, out.Target = c.Key, c.Result, c.Target
	if c.RangeEnd != nil {
		out.RangeEnd = &c.RangeEnd
	}
	rev := strconv.FormatInt(c.Rev, 10)
	switch c.Target {
	case "MOD":
		out.ModRevision = &rev
	case "CREATE":
		out.CreateRevision = &rev
	case "VERSION":
		out.Version = &rev
	case "VALUE":
		out.Value = &c.Value
	}
	return json.Marshal(out)
}

type v3RequestOp struct {
	Range       *v3RangeRequest       `json:"request_range,omitempty"`
	Put         *v3PutRequest         `json:"request_put,omitempty"`
	DeleteRange *v3DeleteRangeRequest `json:"request_delete_range,omitempty"`
}

type v3TxnRequest struct {
	Compare []v3Compare   `json:"compare,omitempty"`
	Success []v3RequestOp `json:"success,omitempty"`
	Failure []v3RequestOp `json:"failure,omitempty"`
}

type v3ResponseOp struct {
	Range       *v3RangeResponse `json:"response_range"`
	Put         *struct{}        `json:"response_put"`
	DeleteRange *struct {
		Deleted int64        `json:"deleted,string"`
		PrevKvs []v3KeyValue `json:"prev_kvs"`
	} `json:"response_delete_range"`
}

type v3TxnResponse struct {
	Header    v3Header       `json:"header"`
	Succeeded bool           `json:"succeeded"`
	Responses []v3ResponseOp `json:"responses"`
}

type v3WatchCreate struct {
	Key           []byte `json:"key"`
	RangeEnd      []byte `json:"range_end,omitempty"`
	StartRevision int64  `json:"start_revision,string,omitempty"`
	PrevKv        bool   `json:"prev_kv,omitempty"`
	WatchID       int64  `json:"watch_id,string,omitempty"`
}

type v3Event struct {
	Type   string      `json:"type"` // "" (PUT, the zero value) or "DELETE"
	Kv     v3KeyValue  `json:"kv"`
	PrevKv *v3KeyValue `json:"prev_kv"`
}

type v3WatchResponse struct {
	Header          v3Header  `json:"header"`
	WatchID         int64     `json:"watch_id,string"`
	Created         bool      `json:"created"`
	Canceled        bool      `json:"canceled"`
	CompactRevision int64     `json:"compact_revision,string"`
	CancelReason    string    `json:"cancel_reason"`
	Events          []v3Event `json:"events"`
}

type v3Member struct {
	ID         uint64   `json:"ID,string"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
	IsLearner  bool     `json:"isLearner"`
}

type v3MemberListResponse struct {
	Header  v3Header   `json:"header"`
	Members []v3Member `json:"members"`
}

type v3StatusResponse struct {
	Header  v3Header `json:"header"`
	Version string   `json:"version"`
	Leader  uint64   `json:"leader,string"`
}

// v3Gateway is the v3Backend of a Client: JSON requests to /v3/...
// through the cluster client.
type v3Gateway struct {
	client httpClient
	// maxMsg caps each message of a watch stream.
	maxMsg int64
	// creds, when Config.Username is set, authenticate every call with
	// a token (v3gateway_auth.go); nil sends calls without one.
	creds *v3Creds
}

// v3Action is one gateway call: a POST of body to /v3/<what>.
func v3Action(what string, body []byte, kind callKind) *action {
	return &action{
		method: http.MethodPost, prefix: "/v3", name: what,
		body: string(body), contentType: jsonContentType, kind: kind,
		op: "v3." + strings.ReplaceAll(what, "/", "."), api: APIv3,
	}
}

// call posts req to /v3/<what> and decodes the answer into resp.
func (g *v3Gateway) call(ctx context.Context, what string, kind callKind, req, resp any) error {
	_, err := g.callAction(ctx, what, kind, req, resp)
	return err
}

// callAction is call, also returning the action the call was sent as.
func (g *v3Gateway) callAction(ctx context.Context, what string, kind callKind, req, resp any) (*action, error) {
	act, err := v3JSONAction(what, kind, req)
	if err != nil {
		return nil, err
	}
	return act, g.send(ctx, act, resp)
}

// subjectKey is the context key of what an APIv3 call addresses: the v2
// key of a keys call, the user or role of an auth call, the member of a
// members call. The gateway requests the call makes report it as their
// CallInfo.Key, where their own path ("kv/txn") would say nothing.
type subjectKey struct{}

func withSubject(ctx context.Context, subject string) context.Context {
	return context.WithValue(ctx, subjectKey{}, subject)
}

func subjectOf(ctx context.Context) string {
	s, _ := ctx.Value(subjectKey{}).(string)
	return s
}

// v3JSONAction is the action posting req, as JSON, to /v3/<what>.
func v3JSONAction(what string, kind callKind, req any) (*action, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return v3Action(what, body, kind), nil
}

func (g *v3Gateway) auth(ctx context.Context, what string, kind callKind, req, resp any) error {
	return g.call(ctx, "auth/"+what, kind, req, resp)
}

// sendOnce sends act as it is and decodes its answer into resp; send
// (v3gateway_auth.go) adds the token.
func (g *v3Gateway) sendOnce(ctx context.Context, act *action, resp any) error {
	act.subject = subjectOf(ctx)
	hr, rb, err := g.client.Do(ctx, act)
	if err != nil {
		return err
	}
	if hr.StatusCode != http.StatusOK {
		return decodeGatewayRefusal(hr.StatusCode, rb)
	}
	if err := json.Unmarshal(rb, resp); err != nil {
		return &invalidJSONError{cause: err}
	}
	return nil
}

func (g *v3Gateway) txn(ctx context.Context, req *v3TxnRequest, kind callKind) (*v3TxnResponse, error) {
	tr, _, err := g.txnUnsure(ctx, req, kind)
	return tr, err
}

// txnUnsure is txn, also returning the failure of an earlier attempt that
// may have applied the transaction when a later one answered (see
// action.unsure): a transaction whose comparisons then failed may have
// failed on its own first attempt's writes.
func (g *v3Gateway) txnUnsure(ctx context.Context, req *v3TxnRequest, kind callKind) (tr *v3TxnResponse, unsure, err error) {
	var resp v3TxnResponse
	act, err := g.callAction(ctx, "kv/txn", kind, req, &resp)
	if err != nil {
		return nil, nil, err
	}
	return &resp, act.unsure, nil
}

func (g *v3Gateway) rangeKeys(ctx context.Context, req *v3RangeRequest) (*v3RangeResponse, error) {
	var resp v3RangeResponse
	if err := g.call(ctx, "kv/range", kindRetryable, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (g *v3Gateway) leaseGrant(ctx context.Context, ttl int64) (int64, error) {
	var resp struct {
		ID    int64  `json:"ID,string"`
		Error string `json:"error"`
	}
	// A grant repeated elsewhere only leaves an unused lease behind,
	// which expires on its own.
	if err := g.call(ctx, "lease/grant", kindRetryable, struct {
		TTL int64 `json:"TTL,string"`
	}{ttl}, &resp); err != nil {
		return 0, err
	}
	if resp.Error != "" || resp.ID == 0 {
		return 0, fmt.Errorf("client: etcd granted no lease: %q", resp.Error)
	}
	return resp.ID, nil
}

func (g *v3Gateway) leaseRevoke(ctx context.Context, id int64) error {
	var resp struct{}
	return g.call(ctx, "lease/revoke", kindRetryable, struct {
		ID int64 `json:"ID,string"`
	}{id}, &resp)
}

func (g *v3Gateway) leaseTimeToLive(ctx context.Context, id int64) (int64, int64, error) {
	var resp struct {
		TTL        int64 `json:"TTL,string"`
		GrantedTTL int64 `json:"grantedTTL,string"`
	}
	if err := g.call(ctx, "lease/timetolive", kindRetryable, struct {
		ID int64 `json:"ID,string"`
	}{id}, &resp); err != nil {
		return 0, 0, err
	}
	return resp.TTL, resp.GrantedTTL, nil
}

func (g *v3Gateway) memberList(ctx context.Context) (*v3MemberListResponse, error) {
	var resp v3MemberListResponse
	if err := g.call(ctx, "cluster/member/list", kindRetryable, struct{}{}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (g *v3Gateway) memberAdd(ctx context.Context, peerURLs []string) (*v3Member, error) {
	var resp struct {
		Member *v3Member `json:"member"`
	}
	if err := g.call(ctx, "cluster/member/add", kindNonIdempotent, struct {
		PeerURLs []string `json:"peerURLs"`
	}{peerURLs}, &resp); err != nil {
		return nil, err
	}
	if resp.Member == nil {
		return nil, ErrInvalidJSON
	}
	return resp.Member, nil
}

func (g *v3Gateway) memberRemove(ctx context.Context, id uint64) error {
	var resp struct{}
	return g.call(ctx, "cluster/member/remove", kindNonIdempotent, struct {
		ID uint64 `json:"ID,string"`
	}{id}, &resp)
}

func (g *v3Gateway) memberUpdate(ctx context.Context, id uint64, peerURLs []string) error {
	var resp struct{}
	return g.call(ctx, "cluster/member/update", kindRetryable, struct {
		ID       uint64   `json:"ID,string"`
		PeerURLs []string `json:"peerURLs"`
	}{id, peerURLs}, &resp)
}

func (g *v3Gateway) status(ctx context.Context) (*v3StatusResponse, error) {
	var resp v3StatusResponse
	if err := g.call(ctx, "maintenance/status", kindRetryable, struct{}{}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
