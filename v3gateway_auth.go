package client

// This file is the token authentication of the v3 gateway: on APIv3,
// Config.Username and Password are traded for a token of etcd's v3 auth
// (POST /v3/auth/authenticate), which every gateway call then carries in
// its Authorization header (the raw token, as etcd's gateway reads it).
// One token serves the whole client. It is fetched on the first call,
// and fetched again, once per call, when etcd refuses it: a simple token
// expires after --auth-token-ttl seconds without use, a JWT after its
// ttl, and every token of a user goes when the user's password changes,
// the user is deleted or auth is switched off. Concurrent calls that
// find the token refused share one authenticate request.
//
// Neither the password nor the token ever goes into an error, a log
// record or a Hooks value: errors name the user only, the cURL debug
// line prints no headers and masks the password of the authenticate
// body (curl.go), and the observer records no headers or bodies.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// The gRPC status codes the auth mapping tells apart.
const (
	grpcUnknown            = 2
	grpcInvalidArgument    = 3
	grpcPermissionDenied   = 7
	grpcFailedPrecondition = 9
	grpcUnauthenticated    = 16
)

// v3Creds is a client's user, password and current token.
type v3Creds struct {
	name, password string

	mu     sync.Mutex
	have   bool   // a token was asked for; token "" means auth was off then
	token  string // the token calls send; "" sends none
	flight *tokenFlight
}

// tokenFlight is one authenticate request that concurrent calls wait
// for instead of sending their own.
type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

// authHeader is the Authorization header of token; nil for none.
func authHeader(token string) []string {
	if token == "" {
		return nil
	}
	return []string{token}
}

// current returns the token to send. With renew, refused is a token etcd
// refused: unless another call already replaced it, a new one is asked
// for. Calls arriving while a token is being asked for wait for that
// answer (single flight); should the asking call's context end first,
// the next waiter whose context is still live asks again.
func (c *v3Creds) current(ctx context.Context, g *v3Gateway, refused string, renew bool) (string, error) {
	for {
		c.mu.Lock()
		if c.have && !(renew && c.token == refused) {
			t := c.token
			c.mu.Unlock()
			return t, nil
		}
		f := c.flight
		if f == nil {
			f = &tokenFlight{done: make(chan struct{})}
			c.flight = f
			pw := c.password // ChangePassword may replace it
			c.mu.Unlock()
			f.token, f.err = g.authenticate(ctx, c.name, pw)
			c.mu.Lock()
			c.flight = nil
			if f.err == nil {
				c.token, c.have = f.token, true
			}
			c.mu.Unlock()
			close(f.done)
			return f.token, f.err
		}
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if f.err == nil {
			return f.token, nil
		}
		if (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
			continue // the asking call gave up; this one has time left
		}
		return "", f.err
	}
}

// authenticate asks etcd for a token for name. While auth is off etcd
// refuses with "authentication is not enabled": calls then go without a
// token until one is refused for lack of it.
func (g *v3Gateway) authenticate(ctx context.Context, name, password string) (string, error) {
	var resp struct {
		Token string `json:"token"`
	}
	// A second token, should a repeat on another member make one, is
	// harmless: it expires unused.
	act, err := v3JSONAction("auth/authenticate", kindRetryable, struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}{name, password})
	if err != nil {
		return "", err
	}
	if err := g.sendOnce(withSubject(ctx, name), act, &resp); err != nil {
		var ge *GatewayError
		if errors.As(err, &ge) {
			switch {
			case ge.Code == grpcFailedPrecondition && strings.Contains(ge.Message, "authentication is not enabled"):
				return "", nil
			case (ge.Code == grpcInvalidArgument || ge.Code == grpcUnknown) && strings.Contains(ge.Message, "authentication failed"):
				return "", &AuthError{Code: http.StatusUnauthorized, Message: fmt.Sprintf("client: etcd refused the password of user %q (%s)", name, ge.Message)}
			}
		}
		return "", fmt.Errorf("client: authenticating user %q with etcd: %w", name, err)
	}
	if resp.Token == "" {
		return "", &invalidJSONError{cause: errors.New("client: etcd's authenticate answer holds no token")}
	}
	return resp.Token, nil
}

// tokenRefused reports whether err is etcd's refusal of the call's
// token itself, rather than of what the call asked: the token is
// unknown or expired ("invalid auth token"), the call carried none while
// auth is on ("user name is empty"), or the auth store changed between
// the check of the token and the apply ("revision of auth store is
// old").
func tokenRefused(err error) bool {
	var ge *GatewayError
	if !errors.As(err, &ge) {
		return false
	}
	switch ge.Code {
	case grpcUnauthenticated:
		return strings.Contains(ge.Message, "invalid auth token")
	case grpcInvalidArgument:
		return strings.Contains(ge.Message, "user name is empty") || strings.Contains(ge.Message, "revision of auth store is old")
	}
	return false
}

// send sends act with the client's token, if it has credentials, and
// decodes its answer into resp. When etcd refuses the token, send asks
// for a new one and sends act once more.
//
// The repeat is safe for every kind of call, kindNonIdempotent writes
// included: etcd checks the token before it proposes a request to raft,
// and a request proposed with an auth revision that is no longer current
// is refused when applied, instead of applied. Either way the refused
// request changed nothing. The action keeps what the cluster client
// recorded of the first send (action.unsure), so a compare-and-swap still
// knows an earlier attempt that may have applied.
func (g *v3Gateway) send(ctx context.Context, act *action, resp any) error {
	if g.creds == nil {
		return g.sendOnce(ctx, act, resp)
	}
	tok, err := g.creds.current(ctx, g, "", false)
	if err != nil {
		return err
	}
	act.auth = authHeader(tok)
	err = g.sendOnce(ctx, act, resp)
	if !tokenRefused(err) {
		return err
	}
	if tok, err = g.creds.current(ctx, g, tok, true); err != nil {
		return err
	}
	act.auth = authHeader(tok)
	return g.sendOnce(ctx, act, resp)
}

// openWatch opens a watch stream with the client's token. etcd answers
// a watch whose token it refuses with a 200 and a first message that
// cancels the watch; openWatch reads that message ahead, and on such a
// refusal asks for a new token and opens the stream once more. A watch
// etcd refuses for lack of permission becomes the *GatewayError of any
// other call so refused.
func (g *v3Gateway) openWatch(ctx context.Context, act *action) (*gatewayStream, error) {
	var tok string
	if g.creds != nil {
		var err error
		if tok, err = g.creds.current(ctx, g, "", false); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		act.auth = authHeader(tok)
		st, err := g.openWatchOnce(ctx, act)
		if err == nil && g.creds != nil {
			err = st.peekRefusal()
			if err != nil {
				st.Close()
			}
		}
		if err == nil {
			return st, nil
		}
		if g.creds == nil || attempt > 0 || !tokenRefused(err) {
			return nil, err
		}
		if tok, err = g.creds.current(ctx, g, tok, true); err != nil {
			return nil, err
		}
	}
}

// peekRefusal reads the stream's first message and keeps it for Recv;
// when it is a watch etcd cancelled at once for the caller's
// credentials, it returns that refusal as a *GatewayError instead.
func (s *gatewayStream) peekRefusal() error {
	m, err := s.Recv()
	if err != nil {
		return err
	}
	if m.Canceled && m.WatchID == -1 {
		// "rpc error: code = Unauthenticated desc = etcdserver: ..."
		for _, r := range []struct {
			code int
			name string
		}{{grpcUnauthenticated, "Unauthenticated"}, {grpcInvalidArgument, "InvalidArgument"}, {grpcPermissionDenied, "PermissionDenied"}} {
			if _, desc, ok := strings.Cut(m.CancelReason, "code = "+r.name+" desc = "); ok {
				ge := &GatewayError{Status: http.StatusOK, Code: r.code, Message: desc}
				if r.code != grpcInvalidArgument || tokenRefused(ge) {
					return ge
				}
			}
		}
	}
	s.peeked = m
	return nil
}

// passwordChanged is told of a successful password change: when the
// user is the client's own, the client authenticates with the new
// password from then on (etcd has dropped the old token already).
func (g *v3Gateway) passwordChanged(user, password string) {
	c := g.creds
	if c == nil || c.name != user {
		return
	}
	c.mu.Lock()
	c.password = password
	c.mu.Unlock()
}
