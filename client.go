package client

// This file holds the configuration and the cluster client: the endpoint
// list with its pin, failover between members, redirects and timeouts.
// The three layers are, from the bottom: simpleHTTPClient (one request to
// one endpoint), redirectFollowingHTTPClient (follows 3xx answers) and
// httpClusterClient (walks the endpoints). The APIs built on a Client
// (keys.go, members.go, auth_*.go) only describe requests as httpActions.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed26e043ee/client/version"
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

	// ErrNoRequest is returned when an action builds no request.
	ErrNoRequest = errors.New("no HTTPRequest was available")
)

// DefaultRequestTimeout is a sensible deadline for a single call, for
// callers to put in their contexts. The client never applies it itself.
var DefaultRequestTimeout = 5 * time.Second

// DefaultTransport is the transport a Config without one uses. Unlike the
// original's, it keeps up to 64 idle connections per member, so many
// goroutines sharing a client reuse connections instead of dialling a new
// one for most requests.
var DefaultTransport CancelableTransport = &http.Transport{
	Proxy: http.ProxyFromEnvironment,
	DialContext: (&net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
	}).DialContext,
	TLSHandshakeTimeout: 10 * time.Second,
	MaxIdleConns:        256,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     90 * time.Second,
}

// DefaultMaxResponseBytes is the largest response body a client reads when
// Config.MaxResponseBytes is zero. It is far above any real answer of etcd
// (a recursive listing of a million small keys is about 150 MB) and only
// protects the caller from an endpoint that sends without end.
const DefaultMaxResponseBytes int64 = 1 << 30

// EndpointSelectionMode decides which member a client prefers.
type EndpointSelectionMode int

const (
	// EndpointSelectionRandom, the default, shuffles the endpoints and
	// sticks to the first one that works.
	EndpointSelectionRandom EndpointSelectionMode = iota

	// EndpointSelectionPrioritizeLeader makes Sync pin the leader's
	// client URL, so writes need no forwarding between members.
	EndpointSelectionPrioritizeLeader
)

// Config is the configuration of New. Its zero fields mean the documented
// defaults, but Endpoints must not be empty.
type Config struct {
	// Endpoints are the client URLs of the members, like
	// "http://127.0.0.1:2379". An endpoint may carry a path, which is kept
	// in front of every request path (for proxies).
	Endpoints []string

	// Transport sends the requests. If nil, DefaultTransport is used.
	// Cancellation goes through each request's context; CancelRequest is
	// never called and exists only so old transports still fit.
	Transport CancelableTransport

	// CheckRedirect is asked before each redirect is followed. If nil,
	// DefaultCheckRedirect is used.
	CheckRedirect CheckRedirectFunc

	// Username and Password, when Username is non-empty, are sent as HTTP
	// basic auth with every request. A redirect keeps them only on its way
	// to an endpoint's host name or a subdomain of it, whatever the port,
	// which is net/http's rule for its own redirects.
	Username string
	Password string

	// HeaderTimeoutPerRequest, when positive, bounds each request until
	// its response headers arrive; past it the next endpoint is tried.
	// Watch requests ignore it. Zero means no bound beyond the context.
	HeaderTimeoutPerRequest time.Duration

	// SelectionMode decides which endpoint the client prefers. The zero
	// value is EndpointSelectionRandom.
	SelectionMode EndpointSelectionMode

	// MaxResponseBytes caps the size of a response body; a larger body
	// ends the call with an error instead of exhausting memory. Zero
	// means DefaultMaxResponseBytes. (An addition of this package.)
	MaxResponseBytes int64

	// Retry, when non-nil, retries a whole round over the endpoints when
	// every member failed (as they do for a second or two while the
	// cluster elects a leader), with capped exponential backoff, until
	// the caller's context ends. Create, Delete and other one-shot calls
	// are never retried. Nil means no retry, as in the original. (An
	// addition of this package.)
	Retry *RetryPolicy
}

// RetryPolicy tunes Config.Retry. Zero fields mean the documented
// defaults.
type RetryPolicy struct {
	// MaxAttempts is the number of rounds, the first one included.
	// Zero means unlimited: rounds go on until the context ends.
	MaxAttempts int

	// InitialBackoff is the pause after the first failed round. Zero
	// means 50ms. Each later pause doubles, up to MaxBackoff.
	InitialBackoff time.Duration

	// MaxBackoff caps the pause between rounds. Zero means 1s.
	MaxBackoff time.Duration
}

// CancelableTransport is an http.RoundTripper that can also cancel a
// request in flight the old way. *http.Transport satisfies it.
type CancelableTransport interface {
	http.RoundTripper
	CancelRequest(req *http.Request)
}

// CheckRedirectFunc decides whether a redirect is followed: via is the
// number of requests made so far for the call. A non-nil error ends the
// call with that error.
type CheckRedirectFunc func(via int) error

// DefaultCheckRedirect follows up to ten redirects.
var DefaultCheckRedirect CheckRedirectFunc = func(via int) error {
	if via > 10 {
		return ErrTooManyRedirects
	}
	return nil
}

// Client talks to an etcd cluster. The Client returned by New is safe for
// concurrent use by many goroutines, and so is every API built on it.
type Client interface {
	// Sync replaces the endpoint list with the client URLs the cluster's
	// members report.
	Sync(context.Context) error

	// AutoSync calls Sync now and then every interval, until Sync fails
	// (its error is returned) or ctx ends (ctx.Err() is returned).
	AutoSync(context.Context, time.Duration) error

	// Endpoints returns a copy of the endpoint list in the client's
	// current order.
	Endpoints() []string

	// SetEndpoints replaces the endpoint list. It validates like New; on
	// error the old list stays.
	SetEndpoints(eps []string) error

	// GetVersion asks a member for its server and cluster versions.
	GetVersion(ctx context.Context) (*version.Versions, error)

	httpClient
}

// httpClient sends one action and returns the answer with its whole body
// already read (the response body itself is closed).
type httpClient interface {
	Do(context.Context, httpAction) (*http.Response, []byte, error)
}

// httpAction builds the request of one call for a given endpoint. It is
// called again for every endpoint tried, so it must build a fresh request.
type httpAction interface {
	HTTPRequest(url.URL) *http.Request
}

// actionFlags describe what kind of call an action is; the cluster client
// treats one-shot calls and watches differently.
type actionFlags uint8

const (
	flagOneShot actionFlags = 1 << iota // never retried on another member
	flagWatch                           // long poll: exempt from the header timeout
)

// flaggedAction is implemented by actions that are not plain requests.
type flaggedAction interface {
	flags() actionFlags
}

func flagsOf(a httpAction) actionFlags {
	if f, ok := a.(flaggedAction); ok {
		return f.flags()
	}
	return 0
}

// New returns a Client for the endpoints of cfg. It fails with
// ErrNoEndpoints when there are none and with the *url.Error of the first
// endpoint that does not parse. New sends nothing.
func New(cfg Config) (Client, error) {
	c := &httpClusterClient{
		transport:     cfg.Transport,
		checkRedirect: cfg.CheckRedirect,
		headerTimeout: cfg.HeaderTimeoutPerRequest,
		selectionMode: cfg.SelectionMode,
		maxBody:       cfg.MaxResponseBytes,
		retry:         cfg.Retry,
		rand:          rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	if c.transport == nil {
		c.transport = DefaultTransport
	}
	if c.checkRedirect == nil {
		c.checkRedirect = DefaultCheckRedirect
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if cfg.Username != "" {
		c.authHeader = []string{basicAuth(cfg.Username, cfg.Password)}
	}
	if err := c.SetEndpoints(cfg.Endpoints); err != nil {
		return nil, err
	}
	return c, nil
}

// httpClusterClient is the Client behind New.
//
// Calls read the endpoint list lock-free: state points to an immutable
// snapshot (only its pin changes, atomically), and writers replace the
// whole snapshot under mu. So thousands of concurrent calls never contend
// on a lock.
type httpClusterClient struct {
	transport     CancelableTransport
	checkRedirect CheckRedirectFunc
	headerTimeout time.Duration
	selectionMode EndpointSelectionMode
	maxBody       int64
	retry         *RetryPolicy
	authHeader    []string // "Basic ..." value, computed once; nil without credentials

	state atomic.Pointer[endpointState]

	mu   sync.Mutex // guards rand and serialises replacements of state
	rand *rand.Rand
}

// endpointState is one endpoint list with a client per endpoint. Only
// pinned changes after creation.
type endpointState struct {
	urls    []url.URL
	strs    []string
	clients []*redirectFollowingHTTPClient
	hosts   []*url.URL // the endpoints: where credentials may go (see credentialsMayFollow)
	pinned  atomic.Int64
}

func (c *httpClusterClient) newState(eps []url.URL, pinned int) *endpointState {
	st := &endpointState{
		urls:    eps,
		strs:    make([]string, len(eps)),
		clients: make([]*redirectFollowingHTTPClient, len(eps)),
		hosts:   make([]*url.URL, len(eps)),
	}
	for i := range eps {
		st.strs[i] = eps[i].String()
		st.hosts[i] = &eps[i]
	}
	for i := range eps {
		st.clients[i] = &redirectFollowingHTTPClient{
			checkRedirect: c.checkRedirect,
			trustedHosts:  st.hosts,
			client: simpleHTTPClient{
				transport:     c.transport,
				endpoint:      eps[i],
				headerTimeout: c.headerTimeout,
				maxBody:       c.maxBody,
			},
		}
	}
	st.pinned.Store(int64(pinned))
	return st
}

func parseEndpoints(eps []string) ([]url.URL, error) {
	if len(eps) == 0 {
		return nil, ErrNoEndpoints
	}
	urls := make([]url.URL, 0, len(eps))
	for _, ep := range eps {
		u, err := url.Parse(ep)
		if err != nil {
			return nil, err
		}
		urls = append(urls, *u)
	}
	return urls, nil
}

func (c *httpClusterClient) Endpoints() []string {
	st := c.state.Load()
	if st == nil {
		return []string{}
	}
	return slices.Clone(st.strs)
}

func (c *httpClusterClient) SetEndpoints(eps []string) error {
	urls, err := parseEndpoints(eps)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shuffle(urls)
	c.state.Store(c.newState(urls, 0))
	return nil
}

// shuffle spreads clients over the members; c.mu must be held.
func (c *httpClusterClient) shuffle(urls []url.URL) {
	c.rand.Shuffle(len(urls), func(i, j int) { urls[i], urls[j] = urls[j], urls[i] })
}

func (c *httpClusterClient) Sync(ctx context.Context) error {
	mAPI := NewMembersAPI(c)
	ms, err := mAPI.List(ctx)
	if err != nil {
		return err
	}
	var eps []string
	for _, m := range ms {
		eps = append(eps, m.ClientURLs...)
	}
	urls, err := parseEndpoints(eps)
	if err != nil {
		return err
	}

	switch c.selectionMode {
	case EndpointSelectionRandom:
		c.mu.Lock()
		defer c.mu.Unlock()
		if cur := c.state.Load(); cur != nil && sameURLSet(cur.strs, eps) {
			return nil
		}
		c.shuffle(urls)
		c.state.Store(c.newState(urls, 0))
		return nil
	case EndpointSelectionPrioritizeLeader:
		// The leader is asked over the new list, so a client whose old
		// endpoints are all gone can still find it.
		c.mu.Lock()
		c.shuffle(urls)
		st := c.newState(urls, 0)
		c.state.Store(st)
		c.mu.Unlock()

		lm, err := mAPI.Leader(ctx)
		if err != nil || lm == nil || len(lm.ClientURLs) == 0 {
			return ErrNoLeaderEndpoint
		}
		leader := lm.ClientURLs[0]
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.state.Load() != st {
			return nil // replaced meanwhile by a newer SetEndpoints or Sync
		}
		if i := slices.Index(st.strs, leader); i >= 0 {
			st.pinned.Store(int64(i))
			return nil
		}
		lu, err := url.Parse(leader)
		if err != nil {
			return ErrNoLeaderEndpoint
		}
		c.state.Store(c.newState(append([]url.URL{*lu}, urls...), 0))
		return nil
	default:
		return fmt.Errorf("client: invalid endpoint selection mode: %d", c.selectionMode)
	}
}

func sameURLSet(a, b []string) bool {
	sa := slices.Sorted(slices.Values(a))
	sb := slices.Sorted(slices.Values(b))
	return slices.Equal(slices.Compact(sa), slices.Compact(sb))
}

func (c *httpClusterClient) AutoSync(ctx context.Context, interval time.Duration) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := c.Sync(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

func (c *httpClusterClient) GetVersion(ctx context.Context) (*version.Versions, error) {
	resp, body, err := c.Do(ctx, versionAction{})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, unmarshalFailedKeysResponse(body)
	}
	if len(body) == 0 {
		return nil, ErrEmptyBody
	}
	var v version.Versions
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, ErrInvalidJSON
	}
	return &v, nil
}

type versionAction struct{}

func (versionAction) HTTPRequest(ep url.URL) *http.Request {
	u := ep
	u.Path = path.Join(ep.Path, "/version")
	return newRequest(http.MethodGet, &u, "", nil)
}

// errDeadlineAwaitingHeaders marks a request that ended because the
// caller's deadline passed before the member sent its response headers.
// The cluster client turns it into context.DeadlineExceeded and moves the
// pin away from the unresponsive member.
var errDeadlineAwaitingHeaders = errors.New("client: deadline exceeded awaiting response headers")

func (c *httpClusterClient) Do(ctx context.Context, act httpAction) (*http.Response, []byte, error) {
	flags := flagsOf(act)
	if c.authHeader != nil {
		act = &authedAction{httpAction: act, header: c.authHeader}
	}
	if c.retry == nil || flags&flagOneShot != 0 {
		return c.round(ctx, act, flags)
	}

	backoff := c.retry.InitialBackoff
	if backoff <= 0 {
		backoff = 50 * time.Millisecond
	}
	maxBackoff := c.retry.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = time.Second
	}
	for attempt := 1; ; attempt++ {
		resp, body, err := c.round(ctx, act, flags)
		var ce *ClusterError
		if err == nil || !errors.As(err, &ce) || (c.retry.MaxAttempts > 0 && attempt >= c.retry.MaxAttempts) {
			return resp, body, err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// round walks the endpoints once, starting at the pinned one.
func (c *httpClusterClient) round(ctx context.Context, act httpAction, flags actionFlags) (*http.Response, []byte, error) {
	st := c.state.Load()
	n := len(st.urls)
	if n == 0 {
		return nil, nil, ErrNoEndpoints
	}
	pinned := int(st.pinned.Load()) % n
	var cerr *ClusterError
	for k := range n {
		i := (pinned + k) % n
		resp, body, err := st.clients[i].Do(ctx, act)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				// A member that let the deadline pass before its headers,
				// or that stalled a long poll the resilient watcher gave
				// up on, is likely frozen: later calls start elsewhere.
				if errors.Is(err, errDeadlineAwaitingHeaders) || errors.Is(context.Cause(ctx), errPollStalled) {
					st.pinned.CompareAndSwap(int64(pinned), int64((i+1)%n))
				}
				return nil, nil, ctxErr
			}
		} else if resp.StatusCode/100 == 5 {
			err = memberServerError(st.strs[i], resp.StatusCode)
		}
		if err != nil {
			if flags&flagOneShot != 0 {
				st.pinned.CompareAndSwap(int64(pinned), int64((i+1)%n))
				return nil, nil, err
			}
			if cerr == nil {
				cerr = &ClusterError{Errors: make([]error, 0, n)}
			}
			cerr.Errors = append(cerr.Errors, err)
			continue
		}
		if k != 0 {
			st.pinned.CompareAndSwap(int64(pinned), int64(i))
		}
		return resp, body, nil
	}
	return nil, nil, cerr
}

func memberServerError(ep string, code int) error {
	switch code {
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		return fmt.Errorf("client: etcd member %s has no leader", ep)
	default:
		return fmt.Errorf("client: etcd member %s returns server error [%s]", ep, http.StatusText(code))
	}
}

// authedAction adds the client's basic-auth header to every request.
type authedAction struct {
	httpAction
	header []string
}

func (a *authedAction) HTTPRequest(ep url.URL) *http.Request {
	r := a.httpAction.HTTPRequest(ep)
	if r != nil {
		r.Header["Authorization"] = a.header
	}
	return r
}

func (a *authedAction) flags() actionFlags { return flagsOf(a.httpAction) }

// redirectFollowingHTTPClient follows 3xx answers of one endpoint.
type redirectFollowingHTTPClient struct {
	client        simpleHTTPClient
	checkRedirect CheckRedirectFunc
	trustedHosts  []*url.URL // credentials go only where credentialsMayFollow allows
}

// maxRedirectHops bounds redirects even when CheckRedirect allows more.
const maxRedirectHops = 100

func (r *redirectFollowingHTTPClient) Do(ctx context.Context, act httpAction) (*http.Response, []byte, error) {
	next := act
	for i := 0; i < maxRedirectHops; i++ {
		if i > 0 {
			if err := r.checkRedirect(i); err != nil {
				return nil, nil, err
			}
		}
		resp, body, err := r.client.Do(ctx, next)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode/100 != 3 {
			return resp, body, nil
		}
		hdr := resp.Header.Get("Location")
		if hdr == "" {
			//lint:ignore ST1005 the contract (cluster.md) spells this text exactly; callers match it
			return nil, nil, errors.New("Location header not set")
		}
		loc, err := url.Parse(hdr)
		if err != nil {
			//lint:ignore ST1005 the contract (cluster.md) spells this text exactly; callers match it
			return nil, nil, fmt.Errorf("Location header not valid URL: %s", hdr)
		}
		// A relative Location is resolved against the URL that answered
		// it, as browsers and net/http do.
		base := &r.client.endpoint
		if resp.Request != nil && resp.Request.URL != nil {
			base = resp.Request.URL
		}
		loc = base.ResolveReference(loc)
		// As in net/http, credentials once dropped in a chain of
		// redirects stay dropped, even if a later hop comes back.
		keep := credentialsMayFollow(r.trustedHosts, loc)
		if prev, ok := next.(*redirectedHTTPAction); ok {
			keep = keep && prev.keepCreds
		}
		next = &redirectedHTTPAction{
			action:    act,
			location:  *loc,
			keepCreds: keep,
		}
	}
	return nil, nil, fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, maxRedirectHops)
}

// credentialsMayFollow is net/http's rule for sensitive headers on a
// redirect (shouldCopyHeaderOnRedirect), with the client's endpoints in
// the place of the initial request: the Authorization header goes along
// when dest has exactly an endpoint's host and port, or when dest's host
// name equals an endpoint's host name or is a subdomain of it, whatever
// the port. Like net/http, names are compared as written (ASCII case
// matters) and an IPv6 address matches only itself.
func credentialsMayFollow(endpoints []*url.URL, dest *url.URL) bool {
	dhost := dest.Hostname()
	for _, ep := range endpoints {
		if ep.Host == dest.Host || isDomainOrSubdomain(dhost, ep.Hostname()) {
			return true
		}
	}
	return false
}

// isDomainOrSubdomain reports whether sub is parent or a subdomain of it.
func isDomainOrSubdomain(sub, parent string) bool {
	if sub == parent {
		return true
	}
	// A ':' or '%' means an IPv6 address (or its zone), never a name:
	// a suffix match there would compare address digits.
	if strings.ContainsAny(sub, ":%") {
		return false
	}
	return len(sub) > len(parent) && strings.HasSuffix(sub, parent) && sub[len(sub)-len(parent)-1] == '.'
}

// redirectedHTTPAction rebuilds the original request and sends it to the
// redirect's location instead.
type redirectedHTTPAction struct {
	action    httpAction
	location  url.URL
	keepCreds bool
}

func (r *redirectedHTTPAction) HTTPRequest(ep url.URL) *http.Request {
	req := r.action.HTTPRequest(ep)
	if req == nil {
		return nil
	}
	loc := r.location
	req.URL = &loc
	req.Host = loc.Host
	if !r.keepCreds {
		// Credentials meant for the cluster never leak to a host the
		// caller did not name (credentialsMayFollow).
		delete(req.Header, "Authorization")
	}
	return req
}

func (r *redirectedHTTPAction) flags() actionFlags { return flagsOf(r.action) }

// simpleHTTPClient sends one request to one endpoint and reads the body.
type simpleHTTPClient struct {
	transport     CancelableTransport
	endpoint      url.URL
	headerTimeout time.Duration
	maxBody       int64
}

func (c *simpleHTTPClient) Do(ctx context.Context, act httpAction) (*http.Response, []byte, error) {
	req := act.HTTPRequest(c.endpoint)
	if req == nil {
		return nil, nil, ErrNoRequest
	}
	if err := printcURL(req); err != nil {
		return nil, nil, err
	}

	reqCtx := ctx
	var timer *time.Timer
	if c.headerTimeout > 0 && flagsOf(act)&flagWatch == 0 {
		var cancel context.CancelFunc
		reqCtx, cancel = context.WithCancel(ctx)
		defer cancel()
		timer = time.AfterFunc(c.headerTimeout, cancel)
	}
	// The action built req for this call alone, so the context is set in
	// place: WithContext is inlined, its copy stays on the stack, and no
	// second Request is allocated per call.
	*req = *req.WithContext(reqCtx)

	resp, err := c.transport.RoundTrip(req)
	if timer != nil && !timer.Stop() {
		// The timer fired: whatever RoundTrip returned, the request was
		// (or is being) cancelled, so its body is unusable.
		if resp != nil {
			resp.Body.Close()
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr
		}
		return nil, nil, fmt.Errorf("client: endpoint %s exceeded header timeout", c.endpoint.String())
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, errDeadlineAwaitingHeaders
		}
		return nil, nil, err
	}

	// A body cut short by the caller's context surfaces as the transport's
	// error here; the cluster client turns it into ctx.Err().
	body, err := readBody(resp, c.maxBody)
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	return resp, body, nil
}

// ErrResponseTooLarge is returned when a response body is larger than
// Config.MaxResponseBytes. (An addition of this package.)
var ErrResponseTooLarge = errors.New("client: response body exceeds the configured maximum size")

// readBody reads the whole body into one buffer of exactly its size. With
// a Content-Length that is one read; without one (etcd chunks every answer
// above 2 KB) the body is first read into pooled scratch chunks and then
// copied once, rather than grown by doubling, which would allocate two to
// three times the body and leave the result with slack. It stops at max
// bytes.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w (%d bytes announced, limit %d)", ErrResponseTooLarge, resp.ContentLength, max)
	}
	if resp.ContentLength == 0 {
		return nil, nil
	}
	if resp.ContentLength > 0 {
		buf := make([]byte, resp.ContentLength)
		n, err := io.ReadFull(resp.Body, buf)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("client: response body truncated after %d of %d bytes: %w", n, resp.ContentLength, err)
			}
			return nil, err
		}
		return buf, nil
	}

	var (
		local  [16]*[]byte
		chunks = local[:0]
		last   int   // bytes in the last chunk
		total  int64 // bytes in all chunks
	)
	defer func() {
		for _, c := range chunks {
			chunkPool.Put(c)
		}
	}()
	for {
		if len(chunks) == 0 || last == chunkSize {
			chunks = append(chunks, chunkPool.Get().(*[]byte))
			last = 0
		}
		n, err := resp.Body.Read((*chunks[len(chunks)-1])[last:])
		last += n
		total += int64(n)
		if total > max {
			return nil, fmt.Errorf("%w (limit %d)", ErrResponseTooLarge, max)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if total == 0 {
		// Like io.ReadAll, an empty body of unknown length is an empty,
		// non-nil slice.
		return []byte{}, nil
	}
	buf := make([]byte, 0, total)
	for _, c := range chunks[:len(chunks)-1] {
		buf = append(buf, *c...)
	}
	return append(buf, (*chunks[len(chunks)-1])[:last]...), nil
}

// chunkSize is the size of the scratch chunks bodies of unknown length are
// read into: large enough that a 1 MB body takes 32 reads, small enough
// that the pool costs little memory.
const chunkSize = 32 << 10

var chunkPool = sync.Pool{New: func() any {
	b := make([]byte, chunkSize)
	return &b
}}

// newRequest builds a request without parsing a URL string, as the
// actions already hold a url.URL. header may be nil.
func newRequest(method string, u *url.URL, body string, header http.Header) *http.Request {
	if header == nil {
		header = make(http.Header, 1)
	}
	req := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header,
		Host:       u.Host,
	}
	if body != "" {
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(strings.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(body)), nil
		}
	}
	return req
}

func basicAuth(user, pass string) string {
	// Built once per client: the same encoding http.Request.SetBasicAuth
	// performs on every call.
	r := &http.Request{Header: make(http.Header)}
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// uitoa formats an index without fmt.
func uitoa(v uint64) string { return strconv.FormatUint(v, 10) }
