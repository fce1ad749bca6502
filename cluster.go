package client

// This file is the cluster layer: the endpoint list and its pin, one
// round over the members with failover, Config.Retry's rounds, redirects,
// and the building of every request from an action, with the one header
// policy (content type, credentials) applied in one place. Below it is
// transport.go (one request to one URL); above it are the APIs, which
// only describe actions and decode answers.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errAbandonMember is the cause a caller gives a context it cancels to
// say "the member serving this call is stuck; stop and look elsewhere".
// When a call ends with that cause, the pin moves to the next endpoint,
// so the caller's next call starts there. The resilient watcher uses it
// for a long poll that outlived its MaxPollTime.
var errAbandonMember = errors.New("client: call abandoned on a stuck member")

// maxRedirectHops bounds redirects even when CheckRedirect allows more.
const maxRedirectHops = 100

// httpClusterClient is the Client behind New.
//
// Calls read the endpoint list lock-free: state points to an immutable
// snapshot (only its pin changes, atomically), and writers replace the
// whole snapshot under mu. So thousands of concurrent calls never contend
// on a lock.
type httpClusterClient struct {
	transport     transport
	checkRedirect CheckRedirectFunc
	selectionMode EndpointSelectionMode
	retry         *RetryPolicy
	pause         func(ctx context.Context, d time.Duration) error // between Retry rounds; tests replace it
	authHeader    []string                                         // "Basic ..." value, computed once; nil without credentials
	obs           *observer                                        // observe.go: Config.Logger and Config.Hooks; nil: neither

	state atomic.Pointer[endpointState]

	mu   sync.Mutex // guards rand and serialises replacements of state
	rand *rand.Rand

	v3       *v3Gateway // nil on APIv2
	v3Prefix string     // Config.V3KeyPrefix

	syncPoint // sync.go: the observer of Sync's decisions, its probe bound
}

// endpointState is one endpoint list. Only pinned changes after creation.
type endpointState struct {
	urls   []url.URL
	strs   []string
	hosts  []*url.URL // the endpoints: where credentials may go (credentialsMayFollow)
	pinned atomic.Int64
}

func newState(eps []url.URL, pinned int) *endpointState {
	st := &endpointState{
		urls:  eps,
		strs:  make([]string, len(eps)),
		hosts: make([]*url.URL, len(eps)),
	}
	for i := range eps {
		st.strs[i] = eps[i].String()
		st.hosts[i] = &eps[i]
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
	c.state.Store(newState(urls, 0))
	return nil
}

// CloseIdleConnections closes the idle connections of the client's
// transport, if it has such a method (an *http.Transport does). A Client
// made by New has it; call it through an interface assertion, as for
// http.Client's.
func (c *httpClusterClient) CloseIdleConnections() {
	if t, ok := c.transport.rt.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	if c.transport.longPoll != nil {
		c.transport.longPoll.CloseIdleConnections()
	}
}

// shuffle spreads clients over the members; c.mu must be held.
func (c *httpClusterClient) shuffle(urls []url.URL) {
	c.rand.Shuffle(len(urls), func(i, j int) { urls[i], urls[j] = urls[j], urls[i] })
}

// Do sends act to the cluster: a round over the endpoints, and more
// rounds under Config.Retry while a round fails on every member. A round
// of a kindNonIdempotent call fails on every member only when no request
// of it left (see round), so repeating it is safe too.
func (c *httpClusterClient) Do(ctx context.Context, ha httpAction) (*http.Response, []byte, error) {
	act, ok := ha.(*action)
	switch {
	case ha == nil || (ok && act == nil):
		return nil, nil, ErrNoRequest
	case !ok:
		act = &action{foreign: ha}
	case act.method == "":
		return nil, nil, ErrNoRequest
	}
	if c.obs != nil {
		return c.obs.do(ctx, act, c.do)
	}
	return c.do(ctx, act)
}

// do is Do for a valid action.
func (c *httpClusterClient) do(ctx context.Context, act *action) (*http.Response, []byte, error) {
	if c.retry == nil {
		return c.round(ctx, act)
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
		resp, body, err := c.round(ctx, act)
		var ce *ClusterError
		if err == nil || !errors.As(err, &ce) || (c.retry.MaxAttempts > 0 && attempt >= c.retry.MaxAttempts) {
			return resp, body, err
		}
		c.obs.retrying(ctx, backoff, err)
		if err := c.pause(ctx, backoff); err != nil {
			return nil, nil, err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// pause waits d, or returns ctx.Err() when ctx ends first.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// round walks the endpoints once, starting at the pinned one. Any call
// goes on to the next member after a failure that proves its request never
// left; only calls that are not kindNonIdempotent go on after any other
// failure too. A write stops at the first member that may have received
// it, with an error wrapping ErrOutcomeUnknown (or the redirect policy's
// error as it is, when a member only redirected it).
func (c *httpClusterClient) round(ctx context.Context, act *action) (*http.Response, []byte, error) {
	st := c.state.Load()
	n := len(st.urls)
	if n == 0 {
		return nil, nil, ErrNoEndpoints
	}
	pinned := int(st.pinned.Load()) % n
	var cerr *ClusterError
	for k := range n {
		i := (pinned + k) % n
		resp, body, err := c.sendTo(ctx, act, st, i)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				// A member that let the deadline pass before its headers,
				// or one the caller abandoned as stuck, is likely frozen:
				// later calls start elsewhere.
				if errors.Is(err, errDeadlineAwaitingHeaders) || errors.Is(context.Cause(ctx), errAbandonMember) {
					c.movePin(ctx, st, pinned, (i+1)%n, "member did not answer in time")
				}
				return nil, nil, ctxErr
			}
		} else if resp.StatusCode/100 == 5 {
			err = serverFailure(act, st.strs[i], resp.StatusCode, body)
		}
		if err != nil {
			if ns, ok := err.(*notSentError); ok {
				err = ns.cause
			} else if act.kind == kindNonIdempotent {
				c.movePin(ctx, st, pinned, (i+1)%n, "member failed a write")
				return nil, nil, err
			} else if act.kind == kindConditional && act.unsure == nil {
				act.unsure = err
			}
			if cerr == nil {
				cerr = &ClusterError{Errors: make([]error, 0, n)}
			}
			cerr.Errors = append(cerr.Errors, err)
			continue
		}
		if k != 0 {
			c.movePin(ctx, st, pinned, i, "pinned member failed")
		}
		if act.kind == kindStream && resp.StatusCode == http.StatusOK && body == nil && resp.Body != nil {
			resp.Body = &streamBody{ReadCloser: resp.Body, closed: func() {
				// A caller that gives up on a stream the member holds
				// open but silent (a frozen member) ends it with
				// errAbandonMember: later calls start elsewhere, as
				// for a call abandoned before its answer.
				if errors.Is(context.Cause(ctx), errAbandonMember) {
					c.movePin(ctx, st, i, (i+1)%n, "member stopped sending on a stream")
				}
			}}
		}
		return resp, body, nil
	}
	return nil, nil, cerr
}

// streamBody is the body of an open stream (kindStream), which calls
// closed once when it is closed.
type streamBody struct {
	io.ReadCloser
	once   sync.Once
	closed func()
}

func (b *streamBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.closed)
	return err
}

// movePin moves the pin of st from endpoint from to endpoint to, unless
// another call moved it meanwhile, and reports the move.
func (c *httpClusterClient) movePin(ctx context.Context, st *endpointState, from, to int, why string) {
	if st.pinned.CompareAndSwap(int64(from), int64(to)) {
		c.obs.pinMoved(ctx, st.strs[from], st.strs[to], why)
	}
}

// serverFailure is member ep's 5xx answer to act as the member's failure,
// or nil when it is the API's refusal of the request, which every member
// would give alike (serverErrorOf) and which goes back as the answer.
func serverFailure(act *action, ep string, status int, body []byte) error {
	refusal, detail := serverErrorOf(act.api, status, body)
	if refusal {
		return nil
	}
	err := memberServerError(ep, status, detail)
	if act.kind == kindNonIdempotent {
		// etcd answers 500 for a proposal that did not commit in time,
		// and it may still commit.
		err = &outcomeUnknownError{err}
	}
	return err
}

// memberServerError is a member's 5xx answer as a failure of that member,
// in the words of the contract (cluster.md), then the server's own
// explanation when the API found one.
func memberServerError(ep string, code int, detail string) error {
	var err error
	switch code {
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		err = fmt.Errorf("client: etcd member %s has no leader", ep)
	default:
		err = fmt.Errorf("client: etcd member %s returns server error [%s]", ep, http.StatusText(code))
	}
	if detail != "" {
		err = fmt.Errorf("%w (HTTP %d: %s)", err, code, detail)
	}
	return err
}

// sendTo sends act to endpoint i of st and follows its redirects.
func (c *httpClusterClient) sendTo(ctx context.Context, act *action, st *endpointState, i int) (*http.Response, []byte, error) {
	var target *url.URL // nil: the endpoint itself; else a redirect's location
	creds := true
	for hop := 0; hop < maxRedirectHops; hop++ {
		if hop > 0 {
			if err := c.checkRedirect(hop); err != nil {
				return nil, nil, err
			}
		}
		req := c.newRequest(act, &st.urls[i], target, creds)
		if req == nil {
			return nil, nil, ErrNoRequest
		}
		actx, at := c.obs.startAttempt(ctx, st.strs[i], req, hop)
		resp, body, err := c.transport.send(actx, req, st.strs[i], act.kind)
		at.end(ctx, resp, err)
		if err != nil {
			// A write whose request may have reached this hop has an
			// unknown outcome. One that provably never reached it was
			// served by no one, even on a later hop: the hops before
			// only answered with a redirect.
			if _, ok := err.(*notSentError); !ok && act.kind == kindNonIdempotent {
				err = &outcomeUnknownError{err}
			}
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
		target = req.URL.ResolveReference(loc)
		// As in net/http, credentials once dropped in a chain of
		// redirects stay dropped, even if a later hop comes back.
		creds = creds && credentialsMayFollow(st.hosts, target)
	}
	return nil, nil, fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, maxRedirectHops)
}

// newRequest builds the request of act for endpoint ep, or for target
// when a redirect named one. It is the one place that decides what a
// request carries besides its body: the action's content type, and the
// credentials when creds says they may go where the request goes. It
// returns nil when a foreign action builds no request.
func (c *httpClusterClient) newRequest(act *action, ep, target *url.URL, creds bool) *http.Request {
	var auth []string
	if creds {
		auth = c.authHeader
		if act.auth != nil {
			auth = act.auth
		}
	}
	if act.foreign == nil {
		if target == nil {
			target = act.url(ep)
		}
		return act.request(target, auth)
	}
	// A caller's own httpAction builds its request for the endpoint, as
	// the original asked of every action; a redirect only moves it.
	req := act.foreign.HTTPRequest(*ep)
	if req == nil {
		return nil
	}
	if target != nil {
		req.URL = target
		req.Host = target.Host
	}
	if req.Header == nil {
		req.Header = make(http.Header, 1)
	}
	if auth != nil {
		req.Header["Authorization"] = auth
	} else {
		delete(req.Header, "Authorization")
	}
	return req
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
