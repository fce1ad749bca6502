package client

// This file holds what a caller configures and gets: Config, New and the
// Client interface. The Client's machinery is below it: cluster.go (the
// endpoints, failover, redirects), transport.go (one request) and sync.go
// (Sync and AutoSync); ARCHITECTURE.md draws the layers.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"time"

	"github.com/seed26e043ee/client/version"
)

// DefaultRequestTimeout is a sensible deadline for a single call, for
// callers to put in their contexts. The client never applies it itself.
var DefaultRequestTimeout = 5 * time.Second

// DefaultTransport is the model of the transport a Config without one
// gets. New gives such a client a copy of it of its own (Clone), so that
// tuning or closing one client's connections leaves the others alone; a
// program that assigns another transport to DefaultTransport has that one
// used as it is, shared, as in the original. Unlike the original's, it
// keeps up to 64 idle connections per member, so many goroutines sharing a
// client reuse connections instead of dialling a new one for most
// requests, and it speaks HTTP/2 with members that offer it over TLS.
var DefaultTransport CancelableTransport = defaultTransport

// defaultTransport is DefaultTransport's own value, told apart from one a
// program assigned.
var defaultTransport = &http.Transport{
	Proxy: http.ProxyFromEnvironment,
	DialContext: (&net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
	}).DialContext,
	TLSHandshakeTimeout: 10 * time.Second,
	MaxIdleConns:        256,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     90 * time.Second,
	// A custom dialer turns net/http's automatic HTTP/2 off; over TLS
	// it is what lets a thousand watchers share a few connections.
	ForceAttemptHTTP2: true,
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

// API selects which of etcd's APIs a Client speaks. (An addition of this
// package.)
type API int

const (
	// APIv2, the zero value, speaks etcd's v2 HTTP API (/v2/keys, ...),
	// as the original client did. etcd 3.4 and 3.5 serve it only when
	// started with --enable-v2; 3.6 and later do not serve it at all.
	APIv2 API = iota

	// APIv3 keeps the same KeysAPI, MembersAPI, Sync and GetVersion but
	// maps them onto etcd's v3 API through its JSON gateway (/v3/...),
	// which etcd 3.4 to 3.7 serve by default. The v2 key tree is stored
	// as plain v3 keys; docs/v3-layout.md in the repository describes
	// the layout and every difference from the v2 API.
	APIv3
)

func (a API) String() string {
	switch a {
	case APIv2:
		return "APIv2"
	case APIv3:
		return "APIv3"
	}
	return "API(" + strconv.Itoa(int(a)) + ")"
}

// Config is the configuration of New. Its zero fields mean the documented
// defaults, but Endpoints must not be empty.
type Config struct {
	// Endpoints are the client URLs of the members, like
	// "http://127.0.0.1:2379". An endpoint may carry a path, which is kept
	// in front of every request path (for proxies).
	Endpoints []string

	// Transport sends the requests. If nil, RoundTripper does; if both
	// are nil, the client gets its own copy of DefaultTransport.
	// Cancellation goes through each request's context; CancelRequest is
	// never called and exists only so old transports still fit.
	Transport CancelableTransport

	// RoundTripper sends the requests when Transport is nil: any
	// http.RoundTripper, such as an instrumented or recording one, with
	// no CancelRequest method needed. Setting both is an error. (An
	// addition of this package.)
	RoundTripper http.RoundTripper

	// TLS, when non-nil, is the TLS configuration of the client's own
	// transport, for https endpoints: the CA to trust and the client
	// certificate, as NewTLSConfig builds them from files. HTTP/2 stays
	// on. It cannot be combined with Transport or RoundTripper, which
	// carry their own TLS settings. (An addition of this package.)
	TLS *tls.Config

	// Logger, when non-nil, receives records of what the client does:
	// pin moves, member failures and their causes, Retry rounds,
	// redirects, Sync decisions and watch resyncs, with the endpoint,
	// API, operation, key, attempt and duration as attributes; every
	// request at Debug level. Records never hold a password, a token or
	// a request body. Nil means no records, as in the original. (An
	// addition of this package.)
	Logger *slog.Logger

	// Hooks, when non-nil, are called for every call, every request of a
	// call, every watch resync and every Sync. See Hooks. (An addition
	// of this package.)
	Hooks *Hooks

	// CheckRedirect is asked before each redirect is followed. If nil,
	// DefaultCheckRedirect is used.
	CheckRedirect CheckRedirectFunc

	// Username and Password, when Username is non-empty, are sent as HTTP
	// basic auth with every request. A redirect keeps them only on its way
	// to an endpoint's host name or a subdomain of it, whatever the port,
	// which is net/http's rule for its own redirects. On APIv3 they are
	// traded for a token of etcd's v3 auth instead, fetched on the first
	// call and fetched again whenever etcd refuses it (see "Auth on
	// APIv3" in the package documentation); the token follows the same
	// redirect rule.
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
	// the caller's context ends. Create, Delete and CreateInOrder get
	// another round only when no request of the failed one can have
	// reached a member (every member refused the connection); see "How a
	// call picks a member" in the package documentation. Nil means no
	// retry, as in the original. (An addition of this package.)
	Retry *RetryPolicy

	// API selects the etcd API the client speaks: APIv2 (the zero value)
	// or APIv3, for etcd 3.6 and later, which no longer serve v2. (An
	// addition of this package.)
	API API

	// V3KeyPrefix is put in front of every v2 key stored on APIv3: the
	// key "/a" is the v3 key V3KeyPrefix+"/a". Empty by default; use it
	// to keep several applications apart in one cluster. Ignored on
	// APIv2. (An addition of this package.)
	V3KeyPrefix string
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
	// members report, provided at least one of them answers this client;
	// when none does (NAT, tunnels, load balancers), it keeps the list and
	// returns nil. The package docs ("How a call picks a member") give the
	// rule.
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
// already read (the response body itself is closed). The APIs need no
// more of a Client than this.
type httpClient interface {
	Do(context.Context, httpAction) (*http.Response, []byte, error)
}

// httpAction is what Client.Do accepts, kept as the original declared it,
// so the Client interface is unchanged. The package's own calls are
// *action values, which the cluster client reads directly; any other
// httpAction is asked for its request once per endpoint, as the original
// did, and is treated as a call that may be repeated on another member.
type httpAction interface {
	HTTPRequest(url.URL) *http.Request
}

// New returns a Client for the endpoints of cfg. It fails with
// ErrNoEndpoints when there are none, with the *url.Error of the first
// endpoint that does not parse, and with an error naming the fields when
// cfg sets more than one of Transport, RoundTripper and TLS. New sends
// nothing.
func New(cfg Config) (Client, error) {
	rt, err := roundTripperOf(cfg)
	if err != nil {
		return nil, err
	}
	c := &httpClusterClient{
		transport: transport{
			rt:            rt,
			headerTimeout: cfg.HeaderTimeoutPerRequest,
			maxBody:       cfg.MaxResponseBytes,
			afterFunc:     realAfterFunc,
		},
		checkRedirect: cfg.CheckRedirect,
		selectionMode: cfg.SelectionMode,
		retry:         cfg.Retry,
		obs:           newObserver(cfg.Logger, cfg.Hooks, cfg.API),
		pause:         pause,
		rand:          rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	if t, ok := rt.(*http.Transport); ok {
		c.transport.tls, c.transport.tlsKnown = t.TLSClientConfig, true
	}
	if c.checkRedirect == nil {
		c.checkRedirect = DefaultCheckRedirect
	}
	if c.transport.maxBody <= 0 {
		c.transport.maxBody = DefaultMaxResponseBytes
	}
	switch cfg.API {
	case APIv2:
	case APIv3:
		c.v3 = &v3Gateway{client: c, maxMsg: c.transport.maxBody}
		c.v3Prefix = cfg.V3KeyPrefix
		if cfg.Username != "" {
			// etcd's v3 API takes no basic auth: the gateway trades the
			// credentials for a token (v3gateway_auth.go).
			c.v3.creds = &v3Creds{name: cfg.Username, password: cfg.Password}
		}
	default:
		return nil, fmt.Errorf("client: unknown Config.API %d", int(cfg.API))
	}
	if cfg.Username != "" && c.v3 == nil {
		c.authHeader = []string{basicAuth(cfg.Username, cfg.Password)}
	}
	if err := c.SetEndpoints(cfg.Endpoints); err != nil {
		return nil, err
	}
	if own, ok := rt.(*http.Transport); ok && own != DefaultTransport && cfg.Transport == nil && cfg.RoundTripper == nil {
		// The client's own transport: its watches over plain HTTP take
		// no goroutines of net/http's (longpoll.go).
		lp := newLongPollTransport(own)
		c.transport.longPoll = lp
		// The Client interface has no Close: the client's own idle
		// connections are closed once it is unreachable, instead of
		// lingering until their idle timeout.
		runtime.AddCleanup(c, func(own *http.Transport) {
			own.CloseIdleConnections()
			lp.CloseIdleConnections()
		}, own)
	}
	return c, nil
}

// v3Config is how the APIs built on a Client learn that it speaks APIv3:
// they look for this method, so a caller's own Client implementation
// keeps working and gets the v2 APIs.
type v3Config interface {
	v3Backend() (v3Backend, string)
}

// v3Backend returns the v3 transport and key prefix, or nil on APIv2.
func (c *httpClusterClient) v3Backend() (v3Backend, string) {
	if c.v3 == nil {
		return nil, ""
	}
	return c.v3, c.v3Prefix
}

// v3Of returns c's v3 transport and key prefix, or nil when c speaks v2.
func v3Of(c Client) (v3Backend, string) {
	if vc, ok := c.(v3Config); ok {
		return vc.v3Backend()
	}
	return nil, ""
}

// roundTripperOf returns the RoundTripper a client for cfg sends through.
func roundTripperOf(cfg Config) (http.RoundTripper, error) {
	switch {
	case cfg.Transport != nil && cfg.RoundTripper != nil:
		return nil, errors.New("client: Config.Transport and Config.RoundTripper are both set; set one")
	case cfg.TLS != nil && (cfg.Transport != nil || cfg.RoundTripper != nil):
		return nil, errors.New("client: Config.TLS is set together with Config.Transport or Config.RoundTripper; put the TLS settings in that transport instead")
	case cfg.Transport != nil:
		return cfg.Transport, nil
	case cfg.RoundTripper != nil:
		return cfg.RoundTripper, nil
	}
	if DefaultTransport != CancelableTransport(defaultTransport) {
		// A program replaced DefaultTransport; the original used it,
		// shared, for every client.
		if cfg.TLS == nil {
			return DefaultTransport, nil
		}
		t, ok := DefaultTransport.(*http.Transport)
		if !ok {
			return nil, errors.New("client: Config.TLS needs DefaultTransport to be an *http.Transport; set Config.Transport instead")
		}
		return withTLS(t.Clone(), cfg.TLS), nil
	}
	return withTLS(defaultTransport.Clone(), cfg.TLS), nil
}

// withTLS gives t the TLS configuration tc (a copy), if any, keeping
// HTTP/2 on.
func withTLS(t *http.Transport, tc *tls.Config) *http.Transport {
	if tc != nil {
		t.TLSClientConfig = tc.Clone()
		t.ForceAttemptHTTP2 = true
	}
	return t
}

func (c *httpClusterClient) GetVersion(ctx context.Context) (*version.Versions, error) {
	resp, body, err := c.Do(ctx, &action{method: http.MethodGet, prefix: "/version", op: "version"})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		// etcd refuses in the keys API's error shape here too.
		return nil, decodeKeysRefusal(body)
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

func basicAuth(user, pass string) string {
	// Built once per client: the same encoding http.Request.SetBasicAuth
	// performs on every call.
	r := &http.Request{Header: make(http.Header)}
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}
