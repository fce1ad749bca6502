package clienttest

// This file holds the JSON shapes of etcd's v3 gateway as etcd 3.6 prints
// and reads them: 64-bit integers as strings, bytes as base64, enums by
// name, fields in the proto's order, and every zero field left out (the
// gateway does not emit defaults), plus the refusals it answers with.

// jint is an int64 of a request: the gateway takes a JSON string or a
// number (v3protojson.go reads it).
type jint int64

// juint is a uint64 of a request (member IDs), read like jint.
type juint uint64

// jbytes is a bytes field of a request: base64, standard or URL-safe,
// padded or not, as protojson accepts it.
type jbytes []byte

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

func (sortOrder) enumNames() []string  { return sortOrderNames }
func (sortTarget) enumNames() []string { return sortTargetNames }
func (cmpTarget) enumNames() []string  { return cmpTargetNames }
func (cmpResult) enumNames() []string  { return cmpResultNames }
func (filterType) enumNames() []string { return filterNames }

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
	Key               jbytes     `pb:"key"`
	RangeEnd          jbytes     `pb:"range_end"`
	Limit             jint       `pb:"limit"`
	Revision          jint       `pb:"revision"`
	SortOrder         sortOrder  `pb:"sort_order"`
	SortTarget        sortTarget `pb:"sort_target"`
	Serializable      bool       `pb:"serializable"`
	KeysOnly          bool       `pb:"keys_only"`
	CountOnly         bool       `pb:"count_only"`
	MinModRevision    jint       `pb:"min_mod_revision"`
	MaxModRevision    jint       `pb:"max_mod_revision"`
	MinCreateRevision jint       `pb:"min_create_revision"`
	MaxCreateRevision jint       `pb:"max_create_revision"`
}

type putRequest struct {
	Key         jbytes `pb:"key"`
	Value       jbytes `pb:"value"`
	Lease       jint   `pb:"lease"`
	PrevKv      bool   `pb:"prev_kv"`
	IgnoreValue bool   `pb:"ignore_value"`
	IgnoreLease bool   `pb:"ignore_lease"`
}

type deleteRangeRequest struct {
	Key      jbytes `pb:"key"`
	RangeEnd jbytes `pb:"range_end"`
	PrevKv   bool   `pb:"prev_kv"`
}

// compare is one condition of a transaction. Its target's value is one
// field of a proto oneof: the decoder refuses a second one.
type v3Compare struct {
	Result         cmpResult `pb:"result"`
	Target         cmpTarget `pb:"target"`
	Key            jbytes    `pb:"key"`
	Version        *jint     `pb:"version,oneof=etcdserverpb.Compare.target_union"`
	CreateRevision *jint     `pb:"create_revision,oneof=etcdserverpb.Compare.target_union"`
	ModRevision    *jint     `pb:"mod_revision,oneof=etcdserverpb.Compare.target_union"`
	Value          *jbytes   `pb:"value,oneof=etcdserverpb.Compare.target_union"`
	Lease          *jint     `pb:"lease,oneof=etcdserverpb.Compare.target_union"`
	RangeEnd       jbytes    `pb:"range_end"`
}

type requestOp struct {
	Range       *rangeRequest       `pb:"request_range,oneof=etcdserverpb.RequestOp.request"`
	Put         *putRequest         `pb:"request_put,oneof=etcdserverpb.RequestOp.request"`
	DeleteRange *deleteRangeRequest `pb:"request_delete_range,oneof=etcdserverpb.RequestOp.request"`
	Txn         *txnRequest         `pb:"request_txn,oneof=etcdserverpb.RequestOp.request"`
}

type txnRequest struct {
	Compare []v3Compare `pb:"compare"`
	Success []requestOp `pb:"success"`
	Failure []requestOp `pb:"failure"`
}

type watchCreateRequest struct {
	Key            jbytes       `pb:"key"`
	RangeEnd       jbytes       `pb:"range_end"`
	StartRevision  jint         `pb:"start_revision"`
	ProgressNotify bool         `pb:"progress_notify"`
	Filters        []filterType `pb:"filters"`
	PrevKv         bool         `pb:"prev_kv"`
	WatchID        jint         `pb:"watch_id"`
	Fragment       bool         `pb:"fragment"`
}

type watchRequest struct {
	Create *watchCreateRequest `pb:"create_request,oneof=etcdserverpb.WatchRequest.request_union"`
	Cancel *struct {
		WatchID jint `pb:"watch_id"`
	} `pb:"cancel_request,oneof=etcdserverpb.WatchRequest.request_union"`
	Progress *struct{} `pb:"progress_request,oneof=etcdserverpb.WatchRequest.request_union"`
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
