package client

// This file holds the keys API: the types a caller sees (Response, Node,
// Error and the option structs), the actions that turn a call into an HTTP
// request, and the Watcher. The JSON decoder for Response, Node and Nodes is
// generated into keys.generated.go; the scanner it builds on is in jsonscan.go.

//go:generate go run ./internal/cmd/keysgen -in keys.go -out keys.generated.go

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

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

var (
	// ErrInvalidJSON is returned when a member's answer is not the JSON
	// etcd would send. The usual cause is an endpoint that is not an etcd
	// v2 API at all, for example an etcd 3.4+ member started without
	// --enable-v2, which answers 404 with a plain-text body.
	//lint:ignore ST1005 the original's exact text, period included, which callers compare against
	ErrInvalidJSON = errors.New("client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint.")

	// ErrEmptyBody is returned when a member answers a keys call with
	// success but without a body.
	ErrEmptyBody = errors.New("client: response body is empty")
)

// PrevExistType states whether a Set requires the key to exist already.
type PrevExistType string

// The values of PrevExistType.
const (
	PrevIgnore  = PrevExistType("")
	PrevExist   = PrevExistType("true")
	PrevNoExist = PrevExistType("false")
)

var (
	defaultV2KeysPrefix = "/v2/keys"
)

// NewKeysAPI returns a KeysAPI that works on the key space of etcd's v2
// API (path prefix /v2/keys) through c.
func NewKeysAPI(c Client) KeysAPI {
	return NewKeysAPIWithPrefix(c, defaultV2KeysPrefix)
}

// NewKeysAPIWithPrefix is like NewKeysAPI with another path prefix in
// place of /v2/keys, for example for a proxy that mounts etcd elsewhere.
func NewKeysAPIWithPrefix(c Client, p string) KeysAPI {
	return &httpKeysAPI{client: c, prefix: p}
}

// KeysAPI reads, writes and watches keys. The implementation returned by
// NewKeysAPI is safe for concurrent use.
//
// Every method returns the decoded Response on success; an etcd refusal
// as an Error value; ErrEmptyBody or ErrInvalidJSON for answers that are
// not etcd's; and the errors of the Client otherwise (see the package
// documentation).
type KeysAPI interface {
	// Get retrieves a key or a directory. A missing key is an Error with
	// Code ErrorCodeKeyNotFound (see IsKeyNotFound).
	Get(ctx context.Context, key string, opts *GetOptions) (*Response, error)

	// Set assigns a value to a key, or creates a directory with
	// SetOptions.Dir. The options add conditions (compare-and-swap) and
	// a TTL. opts may be nil.
	Set(ctx context.Context, key, value string, opts *SetOptions) (*Response, error)

	// Delete removes a key, or a directory with DeleteOptions.Dir or
	// Recursive. It is sent to a single member and never retried on
	// another. opts may be nil.
	Delete(ctx context.Context, key string, opts *DeleteOptions) (*Response, error)

	// Create is Set with PrevExist: PrevNoExist: it fails with
	// ErrorCodeNodeExist if the key exists. It is sent to a single member
	// and never retried on another.
	Create(ctx context.Context, key, value string) (*Response, error)

	// CreateInOrder adds a key with a unique, increasing name under dir.
	// opts may be nil.
	CreateInOrder(ctx context.Context, dir, value string, opts *CreateInOrderOptions) (*Response, error)

	// Update is Set with PrevExist: PrevExist: it fails with
	// ErrorCodeKeyNotFound if the key does not exist.
	Update(ctx context.Context, key, value string) (*Response, error)

	// Watcher returns a Watcher for key. It sends nothing until Next is
	// called. opts may be nil.
	Watcher(key string, opts *WatcherOptions) Watcher
}

// WatcherOptions tune a Watcher.
type WatcherOptions struct {
	// AfterIndex is the index after which events are wanted: the first
	// event returned has an index of at least AfterIndex+1. Zero means
	// "from now on".
	AfterIndex uint64

	// Recursive also reports changes of keys below a directory.
	Recursive bool
}

// CreateInOrderOptions tune CreateInOrder.
type CreateInOrderOptions struct {
	// TTL, when positive, makes the new key expire after that time
	// (whole seconds; fractions are cut off).
	TTL time.Duration
}

// SetOptions tune Set. The zero value sets the key unconditionally,
// without a TTL.
type SetOptions struct {
	// PrevValue, when non-empty, makes the Set succeed only if the
	// current value equals it. It is ignored when Dir is set.
	PrevValue string

	// PrevIndex, when non-zero, makes the Set succeed only if the key's
	// ModifiedIndex equals it.
	PrevIndex uint64

	// PrevExist states whether the key must already exist.
	PrevExist PrevExistType

	// TTL, when positive, makes the key expire after that time (whole
	// seconds; fractions are cut off).
	TTL time.Duration

	// Refresh updates only the TTL of an existing key: the value is not
	// changed and watchers are not woken. Pass an empty value with it.
	Refresh bool

	// Dir creates a directory instead of a key; the value is not sent.
	Dir bool

	// NoValueOnSuccess asks etcd to leave the node out of a successful
	// answer, which saves bandwidth on large values.
	NoValueOnSuccess bool
}

// GetOptions tune Get.
type GetOptions struct {
	// Recursive returns the whole subtree of a directory.
	Recursive bool

	// Sort orders the nodes of a directory by key.
	Sort bool

	// Quorum makes the read go through consensus, so it never returns
	// data older than the last write acknowledged by the cluster.
	Quorum bool
}

// DeleteOptions tune Delete.
type DeleteOptions struct {
	// PrevValue, when non-empty, makes the Delete succeed only if the
	// current value equals it.
	PrevValue string

	// PrevIndex, when non-zero, makes the Delete succeed only if the
	// key's ModifiedIndex equals it.
	PrevIndex uint64

	// Recursive deletes a directory with everything under it.
	Recursive bool

	// Dir allows deleting an empty directory.
	Dir bool
}

// Watcher reports changes of a key, one per call of Next.
type Watcher interface {
	// Next blocks until the next change and returns it. It ends with
	// ctx.Err() when ctx is done. A Watcher is meant to be used by one
	// goroutine at a time.
	Next(context.Context) (*Response, error)
}

// Response is the answer to a successful keys call.
type Response struct {
	// Action is the operation etcd performed: get, set, delete, update,
	// create, compareAndSwap, compareAndDelete or expire.
	Action string `json:"action"`

	// Node is the node after the operation (for a delete: the deleted
	// node without its value).
	Node *Node `json:"node"`

	// PrevNode is the node before the operation, when there was one.
	PrevNode *Node `json:"prevNode"`

	// Index is etcd's cluster index when it answered (X-Etcd-Index).
	Index uint64 `json:"-"`

	// ClusterID is the ID of the cluster that answered (X-Etcd-Cluster-Id).
	ClusterID string `json:"-"`
}

// Node is a key or a directory of etcd's v2 key space.
type Node struct {
	// Key is the full path of the node, starting with "/".
	Key string `json:"key"`

	// Dir tells whether the node is a directory.
	Dir bool `json:"dir,omitempty"`

	// Value is the value of a key; empty for a directory.
	Value string `json:"value"`

	// Nodes are the children of a directory, when they were asked for.
	Nodes Nodes `json:"nodes"`

	// CreatedIndex is the index of the write that created the node.
	CreatedIndex uint64 `json:"createdIndex"`

	// ModifiedIndex is the index of the last write to the node.
	ModifiedIndex uint64 `json:"modifiedIndex"`

	// Expiration is when the node expires; nil for a node without TTL.
	Expiration *time.Time `json:"expiration,omitempty"`

	// TTL is the number of whole seconds the node has left to live.
	TTL int64 `json:"ttl,omitempty"`
}

// String describes the node's key, indexes and TTL (not its value).
func (n *Node) String() string {
	return fmt.Sprintf("{Key: %s, CreatedIndex: %d, ModifiedIndex: %d, TTL: %d}", n.Key, n.CreatedIndex, n.ModifiedIndex, n.TTL)
}

// TTLDuration returns the node's TTL as a time.Duration.
func (n *Node) TTLDuration() time.Duration {
	return time.Duration(n.TTL) * time.Second
}

// Nodes is a list of nodes; it sorts by Key.
type Nodes []*Node

func (ns Nodes) Len() int           { return len(ns) }
func (ns Nodes) Less(i, j int) bool { return ns[i].Key < ns[j].Key }
func (ns Nodes) Swap(i, j int)      { ns[i], ns[j] = ns[j], ns[i] }

// unmarshalHTTPResponse turns a keys answer into a Response or an error.
func unmarshalHTTPResponse(code int, header http.Header, body []byte) (*Response, error) {
	switch code {
	case http.StatusOK, http.StatusCreated:
		if len(body) == 0 {
			return nil, ErrEmptyBody
		}
		return unmarshalSuccessfulKeysResponse(header, body)
	default:
		return nil, unmarshalFailedKeysResponse(body)
	}
}

// unmarshalSuccessfulKeysResponse decodes the body of a 200/201 keys
// answer and takes Index and ClusterID from the headers.
func unmarshalSuccessfulKeysResponse(header http.Header, body []byte) (*Response, error) {
	res := new(Response)
	if err := decodeKeysResponseBody(body, res); err != nil {
		return nil, ErrInvalidJSON
	}
	idx, err := etcdIndex(header)
	if err != nil {
		return nil, err
	}
	res.Index = idx
	// Direct map access: the transport stores canonical header keys, and
	// this one is already canonical.
	if v := header["X-Etcd-Cluster-Id"]; len(v) > 0 {
		res.ClusterID = v[0]
	}
	return res, nil
}

// etcdIndex reads the X-Etcd-Index header: 0 when it is absent or empty,
// the parse error when it is not a number.
func etcdIndex(header http.Header) (uint64, error) {
	// Direct map access: the transport stores canonical header keys, and
	// this one is already canonical.
	v := header["X-Etcd-Index"]
	if len(v) == 0 || v[0] == "" {
		return 0, nil
	}
	return strconv.ParseUint(v[0], 10, 64)
}

// unmarshalFailedKeysResponse decodes the body of a refused keys call
// into an Error value.
func unmarshalFailedKeysResponse(body []byte) error {
	var e Error
	if err := json.Unmarshal(body, &e); err != nil {
		return ErrInvalidJSON
	}
	return e
}

type httpKeysAPI struct {
	client Client
	prefix string
}

func (k *httpKeysAPI) do(ctx context.Context, act httpAction) (*Response, error) {
	resp, body, err := k.client.Do(ctx, act)
	if err != nil {
		return nil, err
	}
	return unmarshalHTTPResponse(resp.StatusCode, resp.Header, body)
}

func (k *httpKeysAPI) Get(ctx context.Context, key string, opts *GetOptions) (*Response, error) {
	act := &getAction{prefix: k.prefix, key: key}
	if opts != nil {
		act.opts = *opts
	}
	return k.do(ctx, act)
}

func (k *httpKeysAPI) Set(ctx context.Context, key, val string, opts *SetOptions) (*Response, error) {
	act := &setAction{prefix: k.prefix, key: key, value: val}
	if opts != nil {
		act.opts = *opts
	}
	return k.do(ctx, act)
}

func (k *httpKeysAPI) Create(ctx context.Context, key, val string) (*Response, error) {
	return k.Set(ctx, key, val, &SetOptions{PrevExist: PrevNoExist})
}

func (k *httpKeysAPI) Update(ctx context.Context, key, val string) (*Response, error) {
	return k.Set(ctx, key, val, &SetOptions{PrevExist: PrevExist})
}

func (k *httpKeysAPI) CreateInOrder(ctx context.Context, dir, val string, opts *CreateInOrderOptions) (*Response, error) {
	act := &createInOrderAction{prefix: k.prefix, dir: dir, value: val}
	if opts != nil {
		act.ttl = opts.TTL
	}
	return k.do(ctx, act)
}

func (k *httpKeysAPI) Delete(ctx context.Context, key string, opts *DeleteOptions) (*Response, error) {
	act := &deleteAction{prefix: k.prefix, key: key}
	if opts != nil {
		act.opts = *opts
	}
	return k.do(ctx, act)
}

func (k *httpKeysAPI) Watcher(key string, opts *WatcherOptions) Watcher {
	w := &httpWatcher{
		client: k.client,
		action: waitAction{prefix: k.prefix, key: key},
	}
	if opts != nil {
		w.action.recursive = opts.Recursive
		w.nextWait = opts.AfterIndex + 1
		if opts.AfterIndex == 0 {
			w.nextWait = 0
		}
	}
	return w
}

type httpWatcher struct {
	client   Client
	action   waitAction
	nextWait uint64
}

// Next sends long polls until one returns an event.
//
// When the server ends a poll with an empty 200 (its own timeout, or a
// proxy's), the next poll starts after that answer's X-Etcd-Index: every
// event up to that index would have been returned, and so an idle watcher
// keeps up with the cluster instead of falling out of etcd's 1,000-event
// history. (The original re-used its old index and, watching a quiet key,
// ended with "event index cleared" after enough writes elsewhere.)
func (hw *httpWatcher) Next(ctx context.Context) (*Response, error) {
	for {
		act := hw.action
		act.waitIndex = hw.nextWait
		resp, body, err := hw.client.Do(ctx, &act)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusOK && len(body) == 0 {
			// No (or a bad) header leaves the index alone: 0 would turn
			// "from now on" into "from the start of the history".
			if idx, err := etcdIndex(resp.Header); err == nil && idx > 0 && idx+1 > hw.nextWait {
				hw.nextWait = idx + 1
			}
			continue
		}
		r, err := unmarshalHTTPResponse(resp.StatusCode, resp.Header, body)
		if err != nil {
			return nil, err
		}
		if r.Node != nil {
			hw.nextWait = r.Node.ModifiedIndex + 1
		}
		return r, nil
	}
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

func keyURL(ep url.URL, prefix, key, query string) *url.URL {
	u := ep
	u.Path = keyPath(ep.Path, prefix, key)
	u.RawPath = ""
	u.RawQuery = query
	return &u
}

var (
	formContentType = []string{"application/x-www-form-urlencoded"}

	// getQueries holds the eight possible Get queries, indexed by
	// quorum<<2 | recursive<<1 | sorted, already encoded and sorted.
	getQueries = func() (q [8]string) {
		for i := range q {
			q[i] = "quorum=" + strconv.FormatBool(i&4 != 0) +
				"&recursive=" + strconv.FormatBool(i&2 != 0) +
				"&sorted=" + strconv.FormatBool(i&1 != 0)
		}
		return q
	}()
)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

type getAction struct {
	prefix string
	key    string
	opts   GetOptions
}

func (a *getAction) HTTPRequest(ep url.URL) *http.Request {
	q := getQueries[b2i(a.opts.Quorum)<<2|b2i(a.opts.Recursive)<<1|b2i(a.opts.Sort)]
	return newRequest(http.MethodGet, keyURL(ep, a.prefix, a.key, q), "", nil)
}

type waitAction struct {
	prefix    string
	key       string
	waitIndex uint64
	recursive bool
}

func (a *waitAction) HTTPRequest(ep url.URL) *http.Request {
	q := "recursive=" + strconv.FormatBool(a.recursive) + "&wait=true&waitIndex=" + uitoa(a.waitIndex)
	return newRequest(http.MethodGet, keyURL(ep, a.prefix, a.key, q), "", nil)
}

func (a *waitAction) flags() actionFlags { return flagWatch }

type setAction struct {
	prefix string
	key    string
	value  string
	opts   SetOptions
}

func (a *setAction) HTTPRequest(ep url.URL) *http.Request {
	// Query parameters in the order url.Values.Encode would sort them.
	var q pairs
	if a.opts.Dir {
		q.add("dir", "true")
	}
	if a.opts.NoValueOnSuccess {
		q.add("noValueOnSuccess", "true")
	}
	if a.opts.PrevExist != PrevIgnore {
		q.add("prevExist", url.QueryEscape(string(a.opts.PrevExist)))
	}
	if a.opts.PrevIndex != 0 {
		q.add("prevIndex", uitoa(a.opts.PrevIndex))
	}
	if a.opts.PrevValue != "" && !a.opts.Dir {
		q.add("prevValue", url.QueryEscape(a.opts.PrevValue))
	}

	var form pairs
	if a.opts.Refresh {
		form.add("refresh", "true")
	}
	if secs := int64(a.opts.TTL / time.Second); a.opts.TTL > 0 {
		form.add("ttl", strconv.FormatInt(secs, 10))
	}
	if !a.opts.Dir {
		form.add("value", url.QueryEscape(a.value))
	}

	u := keyURL(ep, a.prefix, a.key, q.String())
	return newRequest(http.MethodPut, u, form.String(), http.Header{"Content-Type": formContentType})
}

func (a *setAction) flags() actionFlags {
	if a.opts.PrevExist == PrevNoExist {
		return flagOneShot
	}
	return 0
}

type createInOrderAction struct {
	prefix string
	dir    string
	value  string
	ttl    time.Duration
}

func (a *createInOrderAction) HTTPRequest(ep url.URL) *http.Request {
	form := ""
	if a.ttl > 0 {
		form = "ttl=" + strconv.FormatInt(int64(a.ttl/time.Second), 10) + "&"
	}
	form += "value=" + url.QueryEscape(a.value)
	u := keyURL(ep, a.prefix, a.dir, "")
	return newRequest(http.MethodPost, u, form, http.Header{"Content-Type": formContentType})
}

type deleteAction struct {
	prefix string
	key    string
	opts   DeleteOptions
}

func (a *deleteAction) HTTPRequest(ep url.URL) *http.Request {
	var q pairs
	if a.opts.Dir {
		q.add("dir", "true")
	}
	if a.opts.PrevIndex != 0 {
		q.add("prevIndex", uitoa(a.opts.PrevIndex))
	}
	if a.opts.PrevValue != "" {
		q.add("prevValue", url.QueryEscape(a.opts.PrevValue))
	}
	if a.opts.Recursive {
		q.add("recursive", "true")
	}
	u := keyURL(ep, a.prefix, a.key, q.String())
	return newRequest(http.MethodDelete, u, "", http.Header{"Content-Type": formContentType})
}

func (a *deleteAction) flags() actionFlags { return flagOneShot }

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
