package client

// This file is the one home of the package's errors: the sentinels, every
// error type, the decoding of a member's refusal for each API, the status
// check the APIs share, and the helpers that find an etcd refusal in an
// error chain.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

var (
	// ErrNoEndpoints is returned by New and SetEndpoints for an empty
	// endpoint list, and by calls on a client that has none.
	ErrNoEndpoints = errors.New("client: no endpoints available")

	// ErrTooManyRedirects is returned by DefaultCheckRedirect after ten
	// redirects.
	ErrTooManyRedirects = errors.New("client: too many redirects")

	// ErrClusterUnavailable is the summary a ClusterError starts with.
	ErrClusterUnavailable = errors.New("client: etcd cluster is unavailable or misconfigured")

	// ErrNoLeaderEndpoint is returned by Sync in
	// EndpointSelectionPrioritizeLeader mode when the leader cannot be
	// found.
	ErrNoLeaderEndpoint = errors.New("client: no leader endpoint available")

	// ErrNoRequest is returned when an action describes no request.
	ErrNoRequest = errors.New("no HTTPRequest was available")

	// ErrInvalidJSON is returned when a member's answer is not the JSON
	// etcd would send. The usual cause is an endpoint that is not an etcd
	// v2 API at all, for example an etcd 3.4+ member started without
	// --enable-v2, which answers 404 with a plain-text body.
	//lint:ignore ST1005 the original's exact text, period included, which callers compare against
	ErrInvalidJSON = errors.New("client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint.")

	// ErrEmptyBody is returned when a member answers a keys call with
	// success but without a body.
	ErrEmptyBody = errors.New("client: response body is empty")

	// ErrResponseTooLarge is returned when a response body is larger than
	// Config.MaxResponseBytes. (An addition of this package.)
	ErrResponseTooLarge = errors.New("client: response body exceeds the configured maximum size")

	// ErrOutcomeUnknown is wrapped by the error of a Create, Delete or
	// CreateInOrder that failed after its request may have reached a
	// member: a reset connection, a header timeout, a 5xx answer. The
	// write may or may not have been applied, so the client did not send
	// it again; read back (for CreateInOrder, look for the value in the
	// directory) before retrying. errors.Is also finds the cause, such as
	// syscall.ECONNRESET. A compare-and-swap (PrevValue, PrevIndex) is
	// sent again instead, since it cannot apply twice; but when the
	// repeat is refused (its comparison failed, or the key is gone), the
	// refusal may be the first attempt's own success, so that call too
	// fails with ErrOutcomeUnknown, never with ErrorCodeTestFailed. (An
	// addition of this package.)
	ErrOutcomeUnknown = errors.New("client: outcome unknown, the write may have been applied")

	// ErrV2NotServed is matched (errors.Is) by the error of an APIv2 call
	// answered by a member that does not serve etcd's v2 API: etcd 3.6 and
	// later, or 3.4 and 3.5 started without --enable-v2. Such a member
	// answers 404 "404 page not found". Set API: client.APIv3 in the
	// Config to use the v3 API instead. The error also matches
	// ErrInvalidJSON, which callers of the original client check for. (An
	// addition of this package.)
	ErrV2NotServed = errors.New("client: the member does not serve etcd's v2 API (etcd 3.6+ serves only v3; 3.4/3.5 serve v2 only with --enable-v2); set API: client.APIv3 in the client.Config to use the v3 API")

	// ErrNoV3Gateway is returned on APIv3 when a member answers 404
	// without the gateway's JSON: it serves no v3 JSON gateway at /v3/
	// (etcd before 3.4, a proxy, or a wrong port). (An addition of this
	// package.)
	ErrNoV3Gateway = errors.New("client: the member does not serve etcd's v3 JSON gateway at /v3/ (APIv3 needs etcd 3.4 or later)")

	// ErrNotOnAPIv3 is wrapped by the errors of the calls an APIv3
	// client cannot map onto etcd's v3 auth: granting permissions to
	// v2's guest role, which v3 does not have (see "Auth on APIv3" in
	// the package documentation). Earlier versions returned it from
	// every auth call on APIv3. (An addition of this package.)
	ErrNotOnAPIv3 = errors.New("client: not expressible in etcd's v3 auth (API: client.APIv3)")
)

// v2NotServedError is ErrV2NotServed; it also matches ErrInvalidJSON,
// the error the original gave for the same answer.
type v2NotServedError struct{}

func (v2NotServedError) Error() string   { return ErrV2NotServed.Error() }
func (v2NotServedError) Unwrap() []error { return []error{ErrV2NotServed, ErrInvalidJSON} }

// v2NotServed returns the error for a v2 call answered by a member that
// serves no v2 API (its router's plain-text 404), or nil for any other
// answer.
func v2NotServed(code int, body []byte) error {
	if code == 404 && bytes.Equal(bytes.TrimSpace(body), []byte("404 page not found")) {
		return v2NotServedError{}
	}
	return nil
}

// outcomeUnknownError is a write's failure after its request may have
// reached a member; it matches ErrOutcomeUnknown and its cause.
type outcomeUnknownError struct{ cause error }

func (e *outcomeUnknownError) Error() string {
	return ErrOutcomeUnknown.Error() + ": " + e.cause.Error()
}

func (e *outcomeUnknownError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.cause} }

// repeatRefused is the error of a compare-and-swap whose repeat was
// refused with refusal after an earlier attempt that may have applied it
// failed with first. The refusal is named but not wrapped: a caller that
// matched it (ErrorCodeTestFailed) would take a success for a failure.
func repeatRefused(first, refusal error) error {
	return &outcomeUnknownError{fmt.Errorf("%w; sent again, it was refused (%v), perhaps because the first attempt applied it", first, refusal)}
}

// casRefusal reports whether err is etcd's refusal of a compare-and-swap
// whose earlier attempt may have been the cause: the comparison failed, or
// the key is gone.
func casRefusal(err error) bool {
	e, ok := err.(Error)
	return ok && (e.Code == ErrorCodeTestFailed || e.Code == ErrorCodeKeyNotFound)
}

// notSentError marks a transport failure that proves the request never
// reached a member (see delivery.neverSent), so even a write may go on to
// the next member. Its text is the cause's.
type notSentError struct{ cause error }

func (e *notSentError) Error() string { return e.cause.Error() }

func (e *notSentError) Unwrap() error { return e.cause }

// Error codes etcd puts in the errorCode field of a failed keys call.
const (
	ErrorCodeKeyNotFound  = 100
	ErrorCodeTestFailed   = 101
	ErrorCodeNotFile      = 102
	ErrorCodeNotDir       = 104
	ErrorCodeNodeExist    = 105
	ErrorCodeRootROnly    = 107
	ErrorCodeDirNotEmpty  = 108
	ErrorCodeUnauthorized = 110

	ErrorCodePrevValueRequired = 201
	ErrorCodeTTLNaN            = 202
	ErrorCodeIndexNaN          = 203
	ErrorCodeInvalidField      = 209
	ErrorCodeInvalidForm       = 210

	ErrorCodeRaftInternal = 300
	ErrorCodeLeaderElect  = 301

	ErrorCodeWatcherCleared    = 400
	ErrorCodeEventIndexCleared = 401
)

// Error is the answer of an etcd member that understood a keys request and
// refused it: a missing key, a failed comparison, a bad form. It is returned
// as a value (not a pointer), exactly like the original client did, so
// callers can type-assert with err.(client.Error) or use errors.As.
type Error struct {
	Code    int    `json:"errorCode"`
	Message string `json:"message"`
	Cause   string `json:"cause"`
	Index   uint64 `json:"index"`
}

// Error formats the error as "code: message (cause) [index]".
func (e Error) Error() string {
	return fmt.Sprintf("%v: %v (%v) [%v]", e.Code, e.Message, e.Cause, e.Index)
}

// ClusterError is returned when every endpoint of the client failed a
// call. Errors holds one entry per attempt, in the order the endpoints
// were tried: a transport error (connection refused, header timeout, ...)
// or a member's 5xx answer.
type ClusterError struct {
	Errors []error
}

// Error names the failure of every endpoint, so a log line is enough to
// see why each member could not serve the call.
func (ce *ClusterError) Error() string {
	var b strings.Builder
	b.WriteString(ErrClusterUnavailable.Error())
	for i, e := range ce.Errors {
		fmt.Fprintf(&b, "; error #%d: %s\n", i, e)
	}
	return b.String()
}

// Detail lists the failures one per line, without the leading summary.
func (ce *ClusterError) Detail() string {
	var b strings.Builder
	for i, e := range ce.Errors {
		fmt.Fprintf(&b, "error #%d: %s\n", i, e)
	}
	return b.String()
}

// Unwrap exposes the per-endpoint errors to errors.Is and errors.As, so
// errors.Is(err, syscall.ECONNREFUSED) tells whether some member refused
// the connection.
func (ce *ClusterError) Unwrap() []error {
	return ce.Errors
}

// Is reports whether target is ErrClusterUnavailable, the summary every
// ClusterError starts with, so errors.Is(err, ErrClusterUnavailable)
// recognises a failed round without a type assertion.
func (ce *ClusterError) Is(target error) bool {
	return target == ErrClusterUnavailable
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

// AuthError is a refusal of an auth call by the server, such as a missing
// user (404), a user or role that already exists (409) or a bad request
// (400). Its text is the server's message, for example "auth: User foo
// does not exist.". Use [IsUserNotFound] and [IsRoleNotFound] to tell the
// not-found cases apart. (An addition of this package; the original's
// type was unexported, so callers could not get at the status.)
type AuthError struct {
	// Code is the HTTP status of the answer.
	Code int
	// Message is the server's explanation.
	Message string
}

func (e *AuthError) Error() string { return e.Message }

// StatusError is an answer with an HTTP status the call does not expect.
// (An addition of this package.)
type StatusError struct {
	// Code is the HTTP status of the answer.
	Code int

	// Body is the answer's body as it came, for a log line or a closer
	// look; nil when there was none. It is not part of the error's text.
	Body []byte
}

func (e *StatusError) Error() string { return fmt.Sprintf("unexpected status code %d", e.Code) }

// checkStatus is the one status check of the APIs: nil when code is one
// of want, else a *StatusError that keeps the body.
func checkStatus(code int, body []byte, want ...int) error {
	if slices.Contains(want, code) {
		return nil
	}
	return &StatusError{Code: code, Body: body}
}

// invalidJSONError is an answer that is not the JSON etcd sends. It
// matches ErrInvalidJSON under errors.Is, like every decoding failure of
// the package, and also carries what the decoder disliked and, for a
// refusal, the status (as a *StatusError).
type invalidJSONError struct {
	status int // 0 for a success answer
	cause  error
}

func (e *invalidJSONError) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("%v (status %d: %v)", ErrInvalidJSON, e.status, e.cause)
	}
	return fmt.Sprintf("%v (%v)", ErrInvalidJSON, e.cause)
}

func (e *invalidJSONError) Unwrap() []error {
	errs := []error{ErrInvalidJSON, e.cause}
	if e.status != 0 {
		errs = append(errs, &StatusError{Code: e.status})
	}
	return errs
}

// decodeKeysRefusal turns the body of a refused keys call (or of any
// answer in the keys API's error shape) into an Error value.
func decodeKeysRefusal(body []byte) error {
	var e Error
	if err := json.Unmarshal(body, &e); err != nil {
		return ErrInvalidJSON
	}
	return e
}

// decodeMembersRefusal turns a refused members call ({"message":...})
// into a *MembersError.
func decodeMembersRefusal(code int, body []byte) error {
	var e struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &e); err != nil {
		return ErrInvalidJSON
	}
	return &MembersError{Code: code, Message: e.Message}
}

// decodeAuthRefusal turns a refused auth call into an error. etcd answers
// auth refusals, 401s included, with {"message":...}. A body in the keys
// API's shape ({"errorCode":110,...}, which the keys API sends for missing
// credentials) is returned as the keys Error, so that one errors.As on
// Error and ErrorCodeUnauthorized serves callers of both APIs.
func decodeAuthRefusal(code int, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &StatusError{Code: code, Body: body}
	}
	var e Error
	if err := json.Unmarshal(body, &e); err != nil {
		return &invalidJSONError{status: code, cause: err}
	}
	if e.Code != 0 {
		return e
	}
	if e.Message != "" {
		return &AuthError{Code: code, Message: e.Message}
	}
	return &StatusError{Code: code, Body: body}
}

// asEtcdError finds the etcd refusal in err's chain, whether it was
// wrapped as the Error value this package returns or as a *Error some
// caller made of it.
func asEtcdError(err error) (Error, bool) {
	var e Error
	if errors.As(err, &e) {
		return e, true
	}
	var pe *Error
	if errors.As(err, &pe) && pe != nil {
		return *pe, true
	}
	return Error{}, false
}

// IsKeyNotFound reports whether err is an etcd Error with code
// ErrorCodeKeyNotFound, also when err wraps one.
func IsKeyNotFound(err error) bool {
	e, ok := asEtcdError(err)
	return ok && e.Code == ErrorCodeKeyNotFound
}

// IsEventIndexCleared reports whether err is etcd's refusal of a watch
// whose index is older than the events etcd still keeps (Error with Code
// ErrorCodeEventIndexCleared), also when err wraps one. A plain Watcher
// that returns it will return it forever; start a new one from a fresh
// Get, or use NewResilientWatcher, which does that itself. (An addition of
// this package.)
func IsEventIndexCleared(err error) bool {
	e, ok := asEtcdError(err)
	return ok && e.Code == ErrorCodeEventIndexCleared
}

// IsUserNotFound reports whether err, or an error it wraps, is an
// *AuthError saying that a user does not exist. It recognises every
// wording etcd uses for it ("auth: User x does not exist." from a GET,
// the same without the dot from a DELETE, and "doesn't exist").
func IsUserNotFound(err error) bool { return isAuthNotFound(err, "auth: User ") }

// IsRoleNotFound reports whether err, or an error it wraps, is an
// *AuthError saying that a role does not exist, in any of etcd's
// wordings ("auth: Role x does not exist." from a GET, "auth: Role x
// doesn't exist." from a DELETE, with or without the dot).
func IsRoleNotFound(err error) bool { return isAuthNotFound(err, "auth: Role ") }

// isAuthNotFound reports whether err wraps an *AuthError whose message is
// "<prefix><name> does not exist" in any of etcd's spellings: with or
// without the final dot, "does not" or "doesn't". The wording differs
// between GET and DELETE and between etcd versions, so the message is
// matched by its structure rather than as one fixed string.
func isAuthNotFound(err error, prefix string) bool {
	var ae *AuthError
	if !errors.As(err, &ae) || ae == nil {
		return false
	}
	rest, ok := strings.CutPrefix(ae.Message, prefix)
	if !ok {
		return false
	}
	// The leading space lets an empty name ("auth: User  does not
	// exist") and a missing one ("auth: User does not exist") match too.
	rest = " " + strings.TrimSuffix(rest, ".")
	return strings.HasSuffix(rest, " does not exist") || strings.HasSuffix(rest, " doesn't exist")
}

// GatewayError is a refusal of etcd's v3 JSON gateway: the gRPC status
// code and message it answered with, such as code 11 "etcdserver: mvcc:
// required revision has been compacted". The v2 mapping turns the
// refusals a v2 caller could get into the v2 Error values; others come
// back as a *GatewayError. (An addition of this package.)
type GatewayError struct {
	// Status is the HTTP status of the answer.
	Status int
	// Code is the gRPC status code etcd gave.
	Code int
	// Message is etcd's explanation.
	Message string
}

func (e *GatewayError) Error() string {
	return fmt.Sprintf("client: etcd v3 gateway refused the call (HTTP %d, gRPC code %d): %s", e.Status, e.Code, e.Message)
}

// Unwrap makes a refusal for missing permissions (gRPC code 7,
// "etcdserver: permission denied") also match, under errors.As, the
// Error a v2 member gives a caller without the rights: Code
// ErrorCodeUnauthorized (110), with etcd's message as Cause. So code
// written for v2 auth keeps recognising it. Other refusals wrap nothing.
func (e *GatewayError) Unwrap() error {
	if e.Code != grpcPermissionDenied {
		return nil
	}
	return Error{Code: ErrorCodeUnauthorized, Message: "The request requires user authentication", Cause: e.Message}
}

// decodeGatewayRefusal turns a non-200 answer of the gateway into a
// *GatewayError, or says plainly that the member serves no v3 gateway.
func decodeGatewayRefusal(status int, body []byte) error {
	code, msg, ok := gatewayStatus(body)
	if !ok {
		if status == http.StatusNotFound {
			return ErrNoV3Gateway
		}
		return &StatusError{Code: status, Body: body}
	}
	return &GatewayError{Status: status, Code: code, Message: msg}
}

// gatewayStatus reads the gateway's JSON status body, {"code":N,
// "message":...} (older gateways also say "error"); ok is false for any
// other body.
func gatewayStatus(body []byte) (code int, msg string, ok bool) {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(bytes.TrimSpace(body), &e) != nil {
		return 0, "", false
	}
	if e.Message == "" {
		e.Message = e.Error
	}
	return e.Code, e.Message, e.Message != ""
}

// serverErrorOf reads a 5xx answer for the cluster client: refusal says
// it is the API's refusal of the request, which every member would give
// alike, so the answer is handed back instead of trying the next member;
// detail is the server's explanation, for the member's failure. Only
// the v3 gateway says either.
func serverErrorOf(api API, status int, body []byte) (refusal bool, detail string) {
	if api != APIv3 {
		return false, ""
	}
	return gatewayServerError(status, body)
}

// gatewayServerError reads a 5xx answer of the v3 gateway. It is a refusal when etcd's auth store refused the
// request: gRPC code Unknown (HTTP 500) with a message of the auth store
// ("auth: authentication failed, password was given for no password
// user"). etcd has no gRPC code of its own for these, but they are
// answers about the request, which every member gives alike, not a
// member in trouble; without this the client asked every member and
// reported "has no leader". Any other 5xx fails the member, with etcd's
// message (and gRPC code) kept for the error.
func gatewayServerError(status int, body []byte) (refusal bool, detail string) {
	code, m, ok := gatewayStatus(body)
	if !ok {
		return false, ""
	}
	if status == http.StatusInternalServerError && code == grpcUnknown && strings.HasPrefix(m, "auth: ") {
		return true, ""
	}
	const maxDetail = 200 // a hostile member's text stays short
	if len(m) > maxDetail {
		n := maxDetail
		for n > 0 && !utf8.RuneStart(m[n]) {
			n--
		}
		m = m[:n] + "..."
	}
	return false, fmt.Sprintf("gRPC code %d: %q", code, m)
}
