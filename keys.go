package client

// This file holds the keys API: the types a caller sees (Response, Node and
// the option structs), the actions that describe each call, and the
// Watcher. Its errors (Error and the codes) are in errors.go. The JSON decoder for Response, Node and Nodes is
// generated into keys.generated.go; the scanner it builds on is in jsonscan*.go.

//go:generate go run ./internal/cmd/keysgen -in keys.go -out keys.generated.go

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
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
// API (path prefix /v2/keys) through c. When c was made with API:
// APIv3, it returns the same API mapped onto etcd's v3 key space (see
// Config.API and docs/v3-layout.md).
func NewKeysAPI(c Client) KeysAPI {
	return NewKeysAPIWithPrefix(c, defaultV2KeysPrefix)
}

// NewKeysAPIWithPrefix is like NewKeysAPI with another path prefix in
// place of /v2/keys, for example for a proxy that mounts etcd elsewhere.
// On an APIv3 client there is no such path, and p is ignored: the v3
// keys are placed by Config.V3KeyPrefix, and a proxy's path goes into the
// endpoint URLs, which keep it in front of /v3/.
func NewKeysAPIWithPrefix(c Client, p string) KeysAPI {
	if kv, prefix := v3Of(c); kv != nil {
		return newV3KeysAPI(kv, prefix)
	}
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
	//
	// On APIv3 (docs/v3-layout.md, "Where v3 differs"): a directory's
	// children always come sorted; a non-recursive listing reads the whole
	// subtree; without Quorum the read is the member's serializable one.
	Get(ctx context.Context, key string, opts *GetOptions) (*Response, error)

	// Set assigns a value to a key, or creates a directory with
	// SetOptions.Dir. The options add conditions (compare-and-swap) and
	// a TTL. opts may be nil.
	//
	// On APIv3: a plain Set over an existing key keeps its createdIndex
	// (v2 gives it the Set's index); a TTL is a lease of the key's own, so
	// a key with its own TTL inside a directory with one outlives the
	// directory, and giving an existing directory a TTL does not put the
	// keys already in it on that lease.
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
	//
	// On APIv3 it keeps one watch stream open between calls of Next
	// (close it through an interface{ Close() error } assertion, or end a
	// waiting Next's context); an event's Response.Index is the revision
	// etcd sent it at, its Node.TTL what the lease has left when read, the
	// history is everything since the last compaction (not 1,000 events),
	// and writes by other tools are "set", "delete" or "expire".
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
		if err := v2NotServed(code, body); err != nil {
			return nil, err
		}
		return nil, decodeKeysRefusal(body)
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

type httpKeysAPI struct {
	client httpClient
	prefix string
}

func (k *httpKeysAPI) do(ctx context.Context, act *action) (*Response, error) {
	resp, body, err := k.client.Do(ctx, act)
	if err != nil {
		return nil, err
	}
	return unmarshalHTTPResponse(resp.StatusCode, resp.Header, body)
}

func (k *httpKeysAPI) Get(ctx context.Context, key string, opts *GetOptions) (*Response, error) {
	var o GetOptions
	if opts != nil {
		o = *opts
	}
	return k.do(ctx, getAction(k.prefix, key, o))
}

func (k *httpKeysAPI) Set(ctx context.Context, key, val string, opts *SetOptions) (*Response, error) {
	var o SetOptions
	if opts != nil {
		o = *opts
	}
	act := setAction(k.prefix, key, val, o)
	resp, err := k.do(ctx, act)
	if act.unsure != nil && casRefusal(err) {
		return nil, repeatRefused(act.unsure, err)
	}
	return resp, err
}

func (k *httpKeysAPI) Create(ctx context.Context, key, val string) (*Response, error) {
	return k.Set(ctx, key, val, &SetOptions{PrevExist: PrevNoExist})
}

func (k *httpKeysAPI) Update(ctx context.Context, key, val string) (*Response, error) {
	return k.Set(ctx, key, val, &SetOptions{PrevExist: PrevExist})
}

func (k *httpKeysAPI) CreateInOrder(ctx context.Context, dir, val string, opts *CreateInOrderOptions) (*Response, error) {
	var ttl time.Duration
	if opts != nil {
		ttl = opts.TTL
	}
	return k.do(ctx, createInOrderAction(k.prefix, dir, val, ttl))
}

func (k *httpKeysAPI) Delete(ctx context.Context, key string, opts *DeleteOptions) (*Response, error) {
	var o DeleteOptions
	if opts != nil {
		o = *opts
	}
	return k.do(ctx, deleteAction(k.prefix, key, o))
}

func (k *httpKeysAPI) Watcher(key string, opts *WatcherOptions) Watcher {
	w := &httpWatcher{client: k.client, prefix: k.prefix, key: key}
	if opts != nil {
		w.recursive = opts.Recursive
		w.nextWait = opts.AfterIndex + 1
		if opts.AfterIndex == 0 {
			w.nextWait = 0
		}
	}
	return w
}

type httpWatcher struct {
	client    httpClient
	prefix    string
	key       string
	recursive bool
	nextWait  uint64
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
		resp, body, err := hw.client.Do(ctx, waitAction(hw.prefix, hw.key, hw.nextWait, hw.recursive))
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

// The actions of the keys API. Paths keep a trailing slash (keepSlash):
// etcd reads "/dir/" as a directory.

// getQueries holds the eight possible Get queries, indexed by
// quorum<<2 | recursive<<1 | sorted, already encoded and sorted.
var getQueries = func() (q [8]string) {
	for i := range q {
		q[i] = "quorum=" + strconv.FormatBool(i&4 != 0) +
			"&recursive=" + strconv.FormatBool(i&2 != 0) +
			"&sorted=" + strconv.FormatBool(i&1 != 0)
	}
	return q
}()

func getAction(prefix, key string, opts GetOptions) *action {
	return &action{
		method: http.MethodGet, prefix: prefix, name: key, keepSlash: true, op: "keys.get",
		query: getQueries[b2i(opts.Quorum)<<2|b2i(opts.Recursive)<<1|b2i(opts.Sort)],
	}
}

func waitAction(prefix, key string, waitIndex uint64, recursive bool) *action {
	return &action{
		method: http.MethodGet, prefix: prefix, name: key, keepSlash: true,
		query: "recursive=" + strconv.FormatBool(recursive) + "&wait=true&waitIndex=" + uitoa(waitIndex),
		kind:  kindWatch, op: "keys.watch",
	}
}

func setAction(prefix, key, value string, opts SetOptions) *action {
	// Query parameters in the order url.Values.Encode would sort them.
	var q pairs
	if opts.Dir {
		q.add("dir", "true")
	}
	if opts.NoValueOnSuccess {
		q.add("noValueOnSuccess", "true")
	}
	if opts.PrevExist != PrevIgnore {
		q.add("prevExist", url.QueryEscape(string(opts.PrevExist)))
	}
	if opts.PrevIndex != 0 {
		q.add("prevIndex", uitoa(opts.PrevIndex))
	}
	if opts.PrevValue != "" && !opts.Dir {
		q.add("prevValue", url.QueryEscape(opts.PrevValue))
	}

	var form pairs
	if opts.Refresh {
		form.add("refresh", "true")
	}
	if secs := int64(opts.TTL / time.Second); opts.TTL > 0 {
		form.add("ttl", strconv.FormatInt(secs, 10))
	}
	if !opts.Dir {
		form.add("value", url.QueryEscape(value))
	}

	// A plain Set stays retryable, as in the original, and so does a
	// compare-and-swap (PrevIndex, PrevValue): a repeat cannot apply
	// twice, though its refusal needs care (kindConditional). A create
	// can, as far as its caller can tell: the repeat fails with "node
	// exists".
	kind, op := kindRetryable, "keys.set"
	switch opts.PrevExist {
	case PrevNoExist:
		kind, op = kindNonIdempotent, "keys.create"
	case PrevExist:
		op = "keys.update"
	}
	if kind == kindRetryable && (opts.PrevValue != "" || opts.PrevIndex != 0) {
		kind = kindConditional
	}
	return &action{
		method: http.MethodPut, prefix: prefix, name: key, keepSlash: true, op: op,
		query: q.String(), body: form.String(), contentType: formContentType, kind: kind,
	}
}

func createInOrderAction(prefix, dir, value string, ttl time.Duration) *action {
	form := ""
	if ttl > 0 {
		form = "ttl=" + strconv.FormatInt(int64(ttl/time.Second), 10) + "&"
	}
	form += "value=" + url.QueryEscape(value)
	return &action{
		method: http.MethodPost, prefix: prefix, name: dir, keepSlash: true, op: "keys.createInOrder",
		body: form, contentType: formContentType,
		// Each repeat would enqueue another key.
		kind: kindNonIdempotent,
	}
}

func deleteAction(prefix, key string, opts DeleteOptions) *action {
	var q pairs
	if opts.Dir {
		q.add("dir", "true")
	}
	if opts.PrevIndex != 0 {
		q.add("prevIndex", uitoa(opts.PrevIndex))
	}
	if opts.PrevValue != "" {
		q.add("prevValue", url.QueryEscape(opts.PrevValue))
	}
	if opts.Recursive {
		q.add("recursive", "true")
	}
	return &action{
		method: http.MethodDelete, prefix: prefix, name: key, keepSlash: true, op: "keys.delete",
		// Even a conditional Delete: a repeat of one that was applied
		// fails with "key not found" and so reports a success as a
		// failure; a plain one could remove a key created in between.
		query: q.String(), contentType: formContentType, kind: kindNonIdempotent,
	}
}
