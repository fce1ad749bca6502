package client

// This file holds what an API hands to the cluster client: an action, a
// plain value describing one call (method, path, query, body, kind), and
// the rules that turn its path into a request path below an endpoint.
// The cluster client (cluster.go) builds the *http.Request from it for
// every endpoint and every redirect hop itself.

import (
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// callKind tells the cluster client how a call may be repeated and timed.
// It travels inside the action, so no wrapper can lose it.
type callKind uint8

const (
	// kindRetryable calls may be sent again to the next member after any
	// failure: reads and writes that cannot apply twice.
	kindRetryable callKind = iota

	// kindNonIdempotent calls are writes a repeat could apply twice, or
	// whose repeat would misreport the first one's success (Create,
	// Delete, CreateInOrder). They go on to the next member, and are
	// repeated by Config.Retry, only after failures that prove the
	// request never left (delivery.neverSent); any other failure ends the
	// call with an error wrapping ErrOutcomeUnknown. The rule is the
	// cluster client's, not the API's, so every backend that marks its
	// writes with this kind gets it.
	kindNonIdempotent

	// kindConditional calls are compare-and-swap writes: a repeat cannot
	// apply twice, so they go on to the next member after any failure,
	// like kindRetryable calls. But a repeat can find the first attempt's
	// own write and refuse, so their delivery is traced as for
	// kindNonIdempotent calls, and the cluster client records in
	// action.unsure a failure after which the write may have applied.
	kindConditional

	// kindWatch calls are long polls: like reads, but exempt from
	// HeaderTimeoutPerRequest, since a quiet key sends no headers.
	kindWatch

	// kindStream calls open a stream that never ends (a v3 watch): like
	// watches they are exempt from the header timeout, and a 200 answer's
	// body is handed back open, unread, for the caller to read message by
	// message and close. Other answers are read whole as usual.
	kindStream
)

// action is one call, as a value: the cluster client derives each
// request from it and never calls back into the API that made it.
type action struct {
	method string

	// The request path is the endpoint's own path, then prefix, then
	// name, cleaned like path.Clean. keepSlash keeps a trailing slash of
	// the joined path (the keys API: "/dir/" addresses a directory) and
	// lets an empty name add nothing at all; without it the parts are
	// joined like path.Join.
	prefix    string
	name      string
	keepSlash bool

	query       string // encoded, without "?"
	body        string
	contentType string // "" sends no Content-Type
	kind        callKind

	// op names the call for logs and Hooks ("keys.get", "members.add",
	// ...); see CallInfo.Op. Empty means the method alone names it.
	op string

	// api is the etcd API the request speaks, for logs and Hooks.
	api API

	// subject is what an APIv3 call addresses, for logs and Hooks
	// (CallInfo.Key): the v2 key of a keys call, the user, role or member
	// of the others (see withSubject). A v2 call's subject is its name.
	subject string

	// auth, when non-nil, is the Authorization header this call sends in
	// place of the client's own credentials (APIv3's token, see
	// v3gateway_auth.go), under the same redirect rule.
	auth []string

	// foreign, when set, is a caller's own httpAction passed to
	// Client.Do; the fields above are then unused.
	foreign httpAction

	// unsure is set by the cluster client, for a kindConditional call, to
	// the failure of an earlier attempt that may have reached a member,
	// when the call went on to another. The API then reports a refusal of
	// the repeat as ErrOutcomeUnknown: it may be the first attempt's own
	// write that the repeat's comparison saw.
	unsure error
}

// HTTPRequest builds a's request for endpoint ep, without credentials. It
// makes an action an httpAction; the cluster client itself builds requests
// through newRequest, which adds the credentials where they may go.
func (a *action) HTTPRequest(ep url.URL) *http.Request {
	return a.request(a.url(&ep), nil)
}

// request builds a's request for u with auth as its Authorization header
// (none when nil).
func (a *action) request(u *url.URL, auth []string) *http.Request {
	header := make(http.Header, 2)
	if a.contentType != "" {
		header["Content-Type"] = contentTypeValue(a.contentType)
	}
	if auth != nil {
		header["Authorization"] = auth
	}
	req := &http.Request{
		Method:     a.method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header,
		Host:       u.Host,
	}
	if body := a.body; body != "" {
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(strings.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(body)), nil
		}
	}
	return req
}

const (
	formContentType = "application/x-www-form-urlencoded"
	jsonContentType = "application/json"
)

var (
	formContentTypeValue = []string{formContentType}
	jsonContentTypeValue = []string{jsonContentType}
)

// contentTypeValue returns a shared header value for the content types
// the APIs send, so a request allocates none.
func contentTypeValue(ct string) []string {
	switch ct {
	case formContentType:
		return formContentTypeValue
	case jsonContentType:
		return jsonContentTypeValue
	default:
		return []string{ct}
	}
}

// url returns the URL of a's request to endpoint ep. The endpoint's own
// query, if any, is replaced by the action's.
func (a *action) url(ep *url.URL) *url.URL {
	u := new(url.URL)
	*u = *ep
	u.Path = a.path(ep.Path)
	u.RawPath = ""
	u.RawQuery = a.query
	return u
}

// path returns the request path of a below an endpoint path.
func (a *action) path(epPath string) string {
	if a.keepSlash {
		return keyPath(epPath, a.prefix, a.name)
	}
	return path.Join(epPath, a.prefix, a.name)
}

// keyPath joins an endpoint path, a prefix and a key into a request path.
// It cleans the result like path.Clean but keeps a trailing slash, which
// etcd reads as "this is a directory".
func keyPath(epPath, prefix, key string) string {
	// One concatenation, and the common already-clean paths (a directory's
	// trailing slash included) are returned without another allocation.
	// The empty key adds nothing: Get(ctx, "") asks for "/v2/keys", as the
	// original did, while "/" asks for "/v2/keys/".
	sep1, sep2 := "", ""
	if prefix != "" && prefix[0] != '/' {
		sep1 = "/"
	}
	if key != "" && key[0] != '/' {
		sep2 = "/"
	}
	p := epPath + sep1 + prefix + sep2 + key
	if p == "" {
		return "/"
	}
	if p == "/" || p[len(p)-1] != '/' {
		return path.Clean(p)
	}
	c := path.Clean(p)
	if c == "/" {
		return c
	}
	if len(c) == len(p)-1 && p[:len(c)] == c {
		return p
	}
	return c + "/"
}

// pairs builds an encoded query or form. Callers add the keys in sorted
// order, so the result equals what url.Values.Encode would produce
// without building a map per request.
type pairs struct{ b strings.Builder }

// add appends k=v; v must already be escaped.
func (p *pairs) add(k, v string) {
	if p.b.Len() > 0 {
		p.b.WriteByte('&')
	}
	p.b.WriteString(k)
	p.b.WriteByte('=')
	p.b.WriteString(v)
}

func (p *pairs) String() string { return p.b.String() }

// uitoa formats an index without fmt.
func uitoa(v uint64) string { return strconv.FormatUint(v, 10) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
