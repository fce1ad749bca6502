package clienttest

// This file routes /v3/... as etcd 3.6's JSON gateway does and writes its
// answers: kv (range, put, deleterange, txn, compaction), lease (grant,
// revoke, keepalive, timetolive, leases), cluster members, maintenance
// status, and the watch stream (v3watch.go). Every answer carries the
// header etcd gives it; refusals are {"code":N,"message":...} bodies.

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

const v3Prefix = "/v3/"

// v3Header is the header of an answer of m at rev (none for 0).
func (m *Member) v3Header(rev int64) headerJSON {
	cid, _ := strconv.ParseUint(m.srv.clusterID, 16, 64)
	mid, _ := strconv.ParseUint(m.id, 16, 64)
	return headerJSON{ClusterID: cid, MemberID: mid, Revision: rev, RaftTerm: 2}
}

// writeGatewayError answers with the gateway's refusal body.
func writeGatewayError(w http.ResponseWriter, e *gwError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	b, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{e.code, e.msg})
	w.Write(b)
}

// writeGateway answers 200 with v, as the gateway prints it: no newline.
func writeGateway(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Grpc-Metadata-Content-Type", "application/grpc")
	b, _ := json.Marshal(v)
	w.Write(b)
}

// readV3 reads a request body into v as the gateway does
// (v3protojson.go): an empty body is an empty request, and a body that
// is not the request's JSON is refused with the words of encoding/json or
// protojson.
func readV3(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 4*maxRequestBytes))
	if err != nil {
		writeGatewayError(w, badRequest(err))
		return false
	}
	if _, err := decodeGatewayBody(b, v); err != nil {
		writeGatewayError(w, badRequest(err))
		return false
	}
	return true
}

// serveV3 answers one call of the gateway.
func (m *Member) serveV3(w http.ResponseWriter, r *http.Request) {
	h, ok := m.v3Routes()[r.URL.Path]
	if !ok {
		writeGatewayError(w, errV3NotFound)
		return
	}
	if r.Method != http.MethodPost {
		writeGatewayError(w, errV3MethodNotAllow)
		return
	}
	r, ok = m.v3Admit(w, r)
	if !ok {
		return
	}
	h(w, r)
}

func (m *Member) v3Routes() map[string]http.HandlerFunc {
	routes := m.v3AuthRoutes()
	for path, h := range map[string]http.HandlerFunc{
		"/v3/kv/range":              m.v3Range,
		"/v3/kv/put":                m.v3Put,
		"/v3/kv/deleterange":        m.v3DeleteRange,
		"/v3/kv/txn":                m.v3Txn,
		"/v3/kv/compaction":         m.v3Compact,
		"/v3/lease/grant":           m.v3LeaseGrant,
		"/v3/lease/revoke":          m.v3LeaseRevoke,
		"/v3/kv/lease/revoke":       m.v3LeaseRevoke,
		"/v3/lease/keepalive":       m.v3LeaseKeepAlive,
		"/v3/lease/timetolive":      m.v3LeaseTimeToLive,
		"/v3/kv/lease/timetolive":   m.v3LeaseTimeToLive,
		"/v3/lease/leases":          m.v3Leases,
		"/v3/kv/lease/leases":       m.v3Leases,
		"/v3/watch":                 m.serveV3Watch,
		"/v3/cluster/member/list":   m.v3MemberList,
		"/v3/cluster/member/add":    m.v3MemberAdd,
		"/v3/cluster/member/remove": m.v3MemberRemove,
		"/v3/cluster/member/update": m.v3MemberUpdate,
		"/v3/maintenance/status":    m.v3Status,
	} {
		routes[path] = h
	}
	return routes
}

func (m *Member) v3Range(w http.ResponseWriter, r *http.Request) {
	// A range's header is of the revision now, not the one it read.
	serveKV(m, w, r, rangeNeeds, m.srv.v3.Range, true)
}

func (m *Member) v3Put(w http.ResponseWriter, r *http.Request) {
	serveKV(m, w, r, putNeeds, m.srv.v3.Put, false)
}

func (m *Member) v3DeleteRange(w http.ResponseWriter, r *http.Request) {
	serveKV(m, w, r, deleteNeeds, m.srv.v3.DeleteRange, false)
}

func (m *Member) v3Txn(w http.ResponseWriter, r *http.Request) {
	serveKV(m, w, r, txnNeeds, m.srv.v3.Txn, false)
}

// kvResponse is the answer of a kv call, whose header serveKV completes.
type kvResponse interface{ header() *headerJSON }

func (r *rangeResponse) header() *headerJSON       { return &r.Header }
func (r *putResponse) header() *headerJSON         { return &r.Header }
func (r *deleteRangeResponse) header() *headerJSON { return &r.Header }
func (r *txnResponse) header() *headerJSON         { return &r.Header }

// serveKV answers one kv call: it reads the request, checks that the
// caller may do what it needs, applies it to the key space and answers
// with the member's header, at the revision the key space gave or, with
// now, at the current one.
func serveKV[Q any, R kvResponse](m *Member, w http.ResponseWriter, r *http.Request, needs func(*Q) []v3Need, apply func(*Q) (R, *gwError), now bool) {
	var req Q
	if !readV3(w, r, &req) || !m.v3Permit(w, r, needs(&req)) {
		return
	}
	resp, err := apply(&req)
	if err != nil {
		writeGatewayError(w, err)
		return
	}
	h := resp.header()
	rev := h.Revision
	if now {
		rev = m.srv.v3.revisionNow()
	}
	*h = m.v3Header(rev)
	writeGateway(w, resp)
}

func (m *Member) v3Compact(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Revision jint `pb:"revision"`
		Physical bool `pb:"physical"`
	}
	if !readV3(w, r, &req) {
		return
	}
	rev, err := m.srv.v3.Compact(int64(req.Revision))
	if err != nil {
		writeGatewayError(w, err)
		return
	}
	writeGateway(w, v3HeaderOnly{m.v3Header(rev)})
}

// leaseIDRequest is etcd's LeaseRevokeRequest and LeaseKeepAliveRequest.
// Each request struct holds its own message's fields only: a field of
// another message is unknown to the gateway, which passes over it.
type leaseIDRequest struct {
	ID jint `pb:"ID"`
}

// leaseTTLRequest is LeaseTimeToLiveRequest.
type leaseTTLRequest struct {
	ID   jint `pb:"ID"`
	Keys bool `pb:"keys"`
}

func (m *Member) v3LeaseGrant(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TTL jint `pb:"TTL"`
		ID  jint `pb:"ID"`
	}
	if !readV3(w, r, &req) {
		return
	}
	id, ttl, rev, err := m.srv.v3.Grant(int64(req.ID), int64(req.TTL))
	if err != nil {
		writeGatewayError(w, err)
		return
	}
	writeGateway(w, leaseResponse{m.v3Header(rev), id, ttl})
}

func (m *Member) v3LeaseRevoke(w http.ResponseWriter, r *http.Request) {
	var req leaseIDRequest
	if !readV3(w, r, &req) || !m.v3Permit(w, r, m.srv.leaseNeeds(int64(req.ID))) {
		return
	}
	rev, err := m.srv.v3.Revoke(int64(req.ID))
	if err != nil {
		writeGatewayError(w, err)
		return
	}
	writeGateway(w, v3HeaderOnly{m.v3Header(rev)})
}

// leaseResponse is the answer of a lease grant and of each keep-alive.
type leaseResponse struct {
	Header headerJSON `json:"header"`
	ID     int64      `json:"ID,omitempty,string"`
	TTL    int64      `json:"TTL,omitempty,string"`
}

// v3LeaseKeepAlive serves the keep-alive stream: one {"result":...} line
// per request message, until the request body ends.
func (m *Member) v3LeaseKeepAlive(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	rc.EnableFullDuplex()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Grpc-Metadata-Content-Type", "application/grpc")
	dec := json.NewDecoder(r.Body)
	for {
		var raw json.RawMessage
		var req leaseIDRequest
		if dec.Decode(&raw) != nil || unmarshalProtoJSON(raw, &req) != nil {
			return
		}
		ttl, rev := m.srv.v3.KeepAlive(int64(req.ID))
		b, _ := json.Marshal(struct {
			Result leaseResponse `json:"result"`
		}{leaseResponse{m.v3Header(rev), int64(req.ID), ttl}})
		w.Write(append(b, '\n'))
		rc.Flush()
	}
}

func (m *Member) v3LeaseTimeToLive(w http.ResponseWriter, r *http.Request) {
	var req leaseTTLRequest
	if !readV3(w, r, &req) {
		return
	}
	info, rev := m.srv.v3.TimeToLive(int64(req.ID), req.Keys)
	var keys [][]byte
	for _, k := range info.keys {
		keys = append(keys, []byte(k))
	}
	writeGateway(w, struct {
		Header     headerJSON `json:"header"`
		ID         int64      `json:"ID,omitempty,string"`
		TTL        int64      `json:"TTL,omitempty,string"`
		GrantedTTL int64      `json:"grantedTTL,omitempty,string"`
		Keys       [][]byte   `json:"keys,omitempty"`
	}{m.v3Header(rev), int64(req.ID), info.ttl, info.granted, keys})
}

func (m *Member) v3Leases(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	if !readV3(w, r, &req) {
		return
	}
	ids, rev := m.srv.v3.Leases()
	type leaseStatus struct {
		ID int64 `json:"ID,omitempty,string"`
	}
	var ls []leaseStatus
	for _, id := range ids {
		ls = append(ls, leaseStatus{id})
	}
	writeGateway(w, struct {
		Header headerJSON    `json:"header"`
		Leases []leaseStatus `json:"leases,omitempty"`
	}{m.v3Header(rev), ls})
}

// members3 lists the members as the v3 API does: decimal IDs, sorted as
// the v2 list is.
func (s *Server) members3() []member3JSON {
	var out []member3JSON
	for _, mj := range s.memberList() {
		id, _ := strconv.ParseUint(mj.ID, 16, 64)
		out = append(out, member3JSON{ID: id, Name: mj.Name, PeerURLs: mj.PeerURLs, ClientURLs: mj.ClientURLs})
	}
	return out
}

type membersResponse struct {
	Header  headerJSON    `json:"header"`
	Member  *member3JSON  `json:"member,omitempty"`
	Members []member3JSON `json:"members,omitempty"`
}

func (m *Member) v3MemberList(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Linearizable bool `pb:"linearizable"`
	}
	if !readV3(w, r, &req) {
		return
	}
	// Membership answers carry no revision: it is not the key space's.
	writeGateway(w, membersResponse{Header: m.v3Header(0), Members: m.srv.members3()})
}

// The member requests, each with its message's fields.
type (
	memberAddRequest struct {
		PeerURLs  []string `pb:"peerURLs"`
		IsLearner bool     `pb:"isLearner"`
	}
	memberRemoveRequest struct {
		ID juint `pb:"ID"`
	}
	memberUpdateRequest struct {
		ID       juint    `pb:"ID"`
		PeerURLs []string `pb:"peerURLs"`
	}
)

func (m *Member) v3MemberAdd(w http.ResponseWriter, r *http.Request) {
	var req memberAddRequest
	if !readV3(w, r, &req) {
		return
	}
	urls, err := parseURLs(req.PeerURLs)
	if err != nil {
		writeGatewayError(w, errV3BadMemberURLs)
		return
	}
	nm, err := m.srv.addMember(urls)
	if err != nil {
		writeGatewayError(w, errV3PeerURLExists)
		return
	}
	id, _ := strconv.ParseUint(nm.ID, 16, 64)
	writeGateway(w, membersResponse{
		Header:  m.v3Header(0),
		Member:  &member3JSON{ID: id, PeerURLs: nm.PeerURLs},
		Members: m.srv.members3(),
	})
}

func (m *Member) v3MemberRemove(w http.ResponseWriter, r *http.Request) {
	var req memberRemoveRequest
	if !readV3(w, r, &req) {
		return
	}
	if err := m.srv.removeMember(strconv.FormatUint(uint64(req.ID), 16)); err != nil {
		writeGatewayError(w, errV3MemberNotFound)
		return
	}
	writeGateway(w, membersResponse{Header: m.v3Header(0), Members: m.srv.members3()})
}

func (m *Member) v3MemberUpdate(w http.ResponseWriter, r *http.Request) {
	var req memberUpdateRequest
	if !readV3(w, r, &req) {
		return
	}
	urls, err := parseURLs(req.PeerURLs)
	if err != nil {
		writeGatewayError(w, errV3BadMemberURLs)
		return
	}
	switch err := m.srv.updateMember(strconv.FormatUint(uint64(req.ID), 16), urls); {
	case errors.Is(err, errIDNotFound):
		writeGatewayError(w, errV3MemberNotFound)
		return
	case err != nil:
		writeGatewayError(w, errV3PeerURLExists)
		return
	}
	writeGateway(w, membersResponse{Header: m.v3Header(0), Members: m.srv.members3()})
}

func (m *Member) v3Status(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	if !readV3(w, r, &req) {
		return
	}
	var leader uint64
	if l := m.srv.Leader(); l != nil {
		leader, _ = strconv.ParseUint(l.id, 16, 64)
	}
	_, raftIndex := m.srv.store.indexes()
	writeGateway(w, struct {
		Header           headerJSON `json:"header"`
		Version          string     `json:"version"`
		DBSize           int64      `json:"dbSize,omitempty,string"`
		Leader           uint64     `json:"leader,omitempty,string"`
		RaftIndex        uint64     `json:"raftIndex,omitempty,string"`
		RaftTerm         uint64     `json:"raftTerm,omitempty,string"`
		RaftAppliedIndex uint64     `json:"raftAppliedIndex,omitempty,string"`
		DBSizeInUse      int64      `json:"dbSizeInUse,omitempty,string"`
		StorageVersion   string     `json:"storageVersion,omitempty"`
		DBSizeQuota      int64      `json:"dbSizeQuota,omitempty,string"`
		DowngradeInfo    struct{}   `json:"downgradeInfo"`
	}{
		Header: m.v3Header(m.srv.v3.revisionNow()), Version: ServerVersion,
		DBSize: 20480, Leader: leader, RaftIndex: raftIndex, RaftTerm: 2,
		RaftAppliedIndex: raftIndex, DBSizeInUse: 16384, StorageVersion: "3.6.0",
		DBSizeQuota: 2147483648,
	})
}
