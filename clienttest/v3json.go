package clienttest

// This file holds the JSON shapes of etcd's v3 gateway as etcd 3.6 prints
// and reads them: 64-bit integers as strings, bytes as base64, enums by
// name, fields in the proto's order, and every zero field left out (the
// gateway does not emit defaults), plus the refusals it answers with.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jint is an int64 of a request: the gateway takes a JSON string or a
// number.
type jint int64

func (j *jint) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// A number with a fraction or exponent that is still whole.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("proto: invalid value for int64 field: %s", b)
		}
		v = int64(f)
	}
	*j = jint(v)
	return nil
}

// juint is a uint64 of a request (member IDs), read like jint.
type juint uint64

func (j *juint) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("proto: invalid value for uint64 field: %s", b)
	}
	*j = juint(v)
	return nil
}

// jbytes is a bytes field of a request: base64, standard or URL-safe,
// padded or not, as protojson accepts it.
type jbytes []byte

func (j *jbytes) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("proto: invalid value for bytes field: %s", b)
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	v, err := enc.DecodeString(s)
	if err != nil {
		return fmt.Errorf("proto: invalid value for bytes field: %s", b)
	}
	*j = v
	return nil
}

// parseEnum reads an enum given by name or number. An unknown name reads
// as the zero value, as the gateway lets it pass.
func parseEnum(b []byte, names []string) (int32, error) {
	s := string(b)
	if s == "null" {
		return 0, nil
	}
	if len(s) >= 2 && s[0] == '"' {
		var name string
		if err := json.Unmarshal(b, &name); err != nil {
			return 0, err
		}
		for i, n := range names {
			if n == name {
				return int32(i), nil
			}
		}
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("proto: invalid value for enum field: %s", b)
	}
	return int32(v), nil
}

type sortOrder int32
type sortTarget int32
type cmpTarget int32
type cmpResult int32
type filterType int32

var (
	sortOrderNames  = []string{"NONE", "ASCEND", "DESCEND"}
	sortTargetNames = []string{"KEY", "VERSION", "CREATE", "MOD", "VALUE"}
	cmpTargetNames  = []string{"VERSION", "CREATE", "MOD", "VALUE", "LEASE"}
	cmpResultNames  = []string{"EQUAL", "GREATER", "LESS", "NOT_EQUAL"}
	filterNames     = []string{"NOPUT", "NODELETE"}
)

func (e *sortOrder) UnmarshalJSON(b []byte) error {
	v, err := parseEnum(b, sortOrderNames)
	*e = sortOrder(v)
	return err
}

func (e *sortTarget) UnmarshalJSON(b []byte) error {
	v, err := parseEnum(b, sortTargetNames)
	*e = sortTarget(v)
	return err
}

func (e *cmpTarget) UnmarshalJSON(b []byte) error {
	v, err := parseEnum(b, cmpTargetNames)
	*e = cmpTarget(v)
	return err
}

func (e *cmpResult) UnmarshalJSON(b []byte) error {
	v, err := parseEnum(b, cmpResultNames)
	*e = cmpResult(v)
	return err
}

func (e *filterType) UnmarshalJSON(b []byte) error {
	v, err := parseEnum(b, filterNames)
	*e = filterType(v)
	return err
}

const (
	sortNone sortOrder = iota
	sortAscend
	sortDescend
)

const (
	sortByKey sortTarget = iota
	sortByVersion
	sortByCreate
	sortByMod
	sortByValue
)

const (
	cmpVersion cmpTarget = iota
	cmpCreate
	cmpMod
	cmpValue
	cmpLease
)

const (
	cmpEqual cmpResult = iota
	cmpGreater
	cmpLess
	cmpNotEqual
)

const (
	filterNoPut filterType = iota
	filterNoDelete
)

// Requests, as the gateway reads them.

type rangeRequest struct {
	Key               jbytes     `json:"key"`
	RangeEnd          jbytes     `json:"range_end"`
	Limit             jint       `json:"limit"`
	Revision          jint       `json:"revision"`
	SortOrder         sortOrder  `json:"sort_order"`
	SortTarget        sortTarget `json:"sort_target"`
	Serializable      bool       `json:"serializable"`
	KeysOnly          bool       `json:"keys_only"`
	CountOnly         bool       `json:"count_only"`
	MinModRevision    jint       `json:"min_mod_revision"`
	MaxModRevision    jint       `json:"max_mod_revision"`
	MinCreateRevision jint       `json:"min_create_revision"`
	MaxCreateRevision jint       `json:"max_create_revision"`
}

type putRequest struct {
	Key         jbytes `json:"key"`
	Value       jbytes `json:"value"`
	Lease       jint   `json:"lease"`
	PrevKv      bool   `json:"prev_kv"`
	IgnoreValue bool   `json:"ignore_value"`
	IgnoreLease bool   `json:"ignore_lease"`
}

type deleteRangeRequest struct {
	Key      jbytes `json:"key"`
	RangeEnd jbytes `json:"range_end"`
	PrevKv   bool   `json:"prev_kv"`
}

// compare is one condition of a transaction. Its target's value is one
// field of a proto oneof, so at most one of them may be given.
type v3Compare struct {
	Result         cmpResult `json:"result"`
	Target         cmpTarget `json:"target"`
	Key            jbytes    `json:"key"`
	Version        *jint     `json:"version"`
	CreateRevision *jint     `json:"create_revision"`
	ModRevision    *jint     `json:"mod_revision"`
	Value          *jbytes   `json:"value"`
	Lease          *jint     `json:"lease"`
	RangeEnd       jbytes    `json:"range_end"`
}

// oneofSet tells how many members of the target's oneof are given.
func (c *v3Compare) oneofSet() int {
	n := 0
	for _, set := range []bool{c.Version != nil, c.CreateRevision != nil, c.ModRevision != nil, c.Value != nil, c.Lease != nil} {
		if set {
			n++
		}
	}
	return n
}

type requestOp struct {
	Range       *rangeRequest       `json:"request_range"`
	Put         *putRequest         `json:"request_put"`
	DeleteRange *deleteRangeRequest `json:"request_delete_range"`
	Txn         *txnRequest         `json:"request_txn"`
}

type txnRequest struct {
	Compare []v3Compare `json:"compare"`
	Success []requestOp `json:"success"`
	Failure []requestOp `json:"failure"`
}

type watchCreateRequest struct {
	Key            jbytes       `json:"key"`
	RangeEnd       jbytes       `json:"range_end"`
	StartRevision  jint         `json:"start_revision"`
	ProgressNotify bool         `json:"progress_notify"`
	Filters        []filterType `json:"filters"`
	PrevKv         bool         `json:"prev_kv"`
	WatchID        jint         `json:"watch_id"`
	Fragment       bool         `json:"fragment"`
}

type watchRequest struct {
	Create *watchCreateRequest `json:"create_request"`
	Cancel *struct {
		WatchID jint `json:"watch_id"`
	} `json:"cancel_request"`
	Progress *struct{} `json:"progress_request"`
}

// Answers, as the gateway prints them.

type headerJSON struct {
	ClusterID uint64 `json:"cluster_id,omitempty,string"`
	MemberID  uint64 `json:"member_id,omitempty,string"`
	Revision  int64  `json:"revision,omitempty,string"`
	RaftTerm  uint64 `json:"raft_term,omitempty,string"`
}

type kvJSON3 struct {
	Key            []byte `json:"key,omitempty"`
	CreateRevision int64  `json:"create_revision,omitempty,string"`
	ModRevision    int64  `json:"mod_revision,omitempty,string"`
	Version        int64  `json:"version,omitempty,string"`
	Value          []byte `json:"value,omitempty"`
	Lease          int64  `json:"lease,omitempty,string"`
}

type rangeResponse struct {
	Header headerJSON `json:"header"`
	Kvs    []kvJSON3  `json:"kvs,omitempty"`
	More   bool       `json:"more,omitempty"`
	Count  int64      `json:"count,omitempty,string"`
}

type putResponse struct {
	Header headerJSON `json:"header"`
	PrevKv *kvJSON3   `json:"prev_kv,omitempty"`
}

type deleteRangeResponse struct {
	Header  headerJSON `json:"header"`
	Deleted int64      `json:"deleted,omitempty,string"`
	PrevKvs []kvJSON3  `json:"prev_kvs,omitempty"`
}

type responseOp struct {
	Range       *rangeResponse       `json:"response_range,omitempty"`
	Put         *putResponse         `json:"response_put,omitempty"`
	DeleteRange *deleteRangeResponse `json:"response_delete_range,omitempty"`
	Txn         *txnResponse         `json:"response_txn,omitempty"`
}

type txnResponse struct {
	Header    headerJSON   `json:"header"`
	Succeeded bool         `json:"succeeded,omitempty"`
	Responses []responseOp `json:"responses,omitempty"`
}

type eventJSON struct {
	Type   string   `json:"type,omitempty"` // "DELETE", or nothing for a PUT
	Kv     *kvJSON3 `json:"kv,omitempty"`
	PrevKv *kvJSON3 `json:"prev_kv,omitempty"`
}

type watchResponse struct {
	Header          headerJSON  `json:"header"`
	WatchID         int64       `json:"watch_id,omitempty,string"`
	Created         bool        `json:"created,omitempty"`
	Canceled        bool        `json:"canceled,omitempty"`
	CompactRevision int64       `json:"compact_revision,omitempty,string"`
	CancelReason    string      `json:"cancel_reason,omitempty"`
	Events          []eventJSON `json:"events,omitempty"`
}

type member3JSON struct {
	ID         uint64   `json:"ID,omitempty,string"`
	Name       string   `json:"name,omitempty"`
	PeerURLs   []string `json:"peerURLs,omitempty"`
	ClientURLs []string `json:"clientURLs,omitempty"`
}

// gwError is a refusal of the gateway: the HTTP status and the gRPC code
// and message of its {"code":N,"message":...} body.
type gwError struct {
	status int
	code   int
	msg    string
}

func (e *gwError) Error() string { return e.msg }

// gRPC codes the gateway answers with.
const (
	grpcUnknown            = 2
	grpcInvalidArgument    = 3
	grpcNotFound           = 5
	grpcFailedPrecondition = 9
	grpcOutOfRange         = 11
	grpcUnimplemented      = 12
	grpcUnavailable        = 14
)

// The refusals of etcd 3.6, with their texts, codes and statuses.
var (
	errV3KeyNotProvided  = &gwError{400, grpcInvalidArgument, "etcdserver: key is not provided"}
	errV3KeyNotFound     = &gwError{400, grpcInvalidArgument, "etcdserver: key not found"}
	errV3ValueProvided   = &gwError{400, grpcInvalidArgument, "etcdserver: value is provided"}
	errV3LeaseProvided   = &gwError{400, grpcInvalidArgument, "etcdserver: lease is provided"}
	errV3Duplicate       = &gwError{400, grpcInvalidArgument, "etcdserver: duplicate key given in txn request"}
	errV3SortOption      = &gwError{400, grpcInvalidArgument, "etcdserver: invalid sort option"}
	errV3TooLarge        = &gwError{400, grpcInvalidArgument, "etcdserver: request is too large"}
	errV3TooManyOps      = &gwError{400, grpcInvalidArgument, "etcdserver: too many operations in txn request"}
	errV3Compacted       = &gwError{400, grpcOutOfRange, "etcdserver: mvcc: required revision has been compacted"}
	errV3FutureRev       = &gwError{400, grpcOutOfRange, "etcdserver: mvcc: required revision is a future revision"}
	errV3LeaseNotFound   = &gwError{404, grpcNotFound, "etcdserver: requested lease not found"}
	errV3LeaseExists     = &gwError{400, grpcFailedPrecondition, "etcdserver: lease already exists"}
	errV3LeaseTTLTooBig  = &gwError{400, grpcOutOfRange, "etcdserver: too large lease TTL"}
	errV3MemberNotFound  = &gwError{404, grpcNotFound, "etcdserver: member not found"}
	errV3PeerURLExists   = &gwError{400, grpcFailedPrecondition, "etcdserver: Peer URLs already exists"}
	errV3BadMemberURLs   = &gwError{400, grpcInvalidArgument, "etcdserver: given member URLs are invalid"}
	errV3NotFound        = &gwError{404, grpcNotFound, "Not Found"}
	errV3MethodNotAllow  = &gwError{501, grpcUnimplemented, "Method Not Allowed"}
	errV3RequestTimedOut = &gwError{503, grpcUnavailable, "etcdserver: request timed out"}
)

// badRequest is the refusal of a body that is not the request's JSON.
func badRequest(err error) *gwError {
	return &gwError{400, grpcInvalidArgument, err.Error()}
}
