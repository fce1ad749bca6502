package client

// This file holds the transport of v2 watches over plain HTTP/1.1. A watch
// is a long poll that may wait hours for its event, and over HTTP/1.1
// every waiting poll holds a connection of its own. net/http spends two
// goroutines (its read and write loops) and about 17 KB on each connection,
// so 1,000 idle watchers cost 2,000 goroutines beyond their callers'. Here
// the caller's goroutine writes the request and reads the answer on the
// connection itself: no goroutine of the transport's, and a small reader.
// A finished poll leaves its connection for the next one. Everything else
// (TLS, proxies, a caller's own transport, every other call) goes through
// net/http as before.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// longPollIdleMax is how many finished connections a member keeps for the
// next polls, and longPollIdleTimeout how long one may wait unused.
const (
	longPollIdleMax     = 64
	longPollIdleTimeout = 90 * time.Second
)

// longPollTransport sends long polls over connections it dials itself.
type longPollTransport struct {
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	proxy    func(*http.Request) (*url.URL, error)
	fallback http.RoundTripper // proxied requests, and anything but http

	mu   sync.Mutex // guards idle
	idle map[string][]*pollConn
}

// longPollMaxHeader bounds a response's head, as net/http's
// MaxResponseHeaderBytes does, so a hostile member cannot send headers
// without end; the body has the client's MaxResponseBytes.
const longPollMaxHeader = 1 << 20

// pollConn is one connection and the reader on it.
type pollConn struct {
	conn   net.Conn
	lim    *budgetReader // what br may still read from conn
	br     *bufio.Reader
	idleAt time.Time
}

func newPollConn(conn net.Conn) *pollConn {
	lim := &budgetReader{r: conn}
	return &pollConn{conn: conn, lim: lim, br: bufio.NewReaderSize(lim, 2048)}
}

// budgetReader reads from r until left bytes are spent.
type budgetReader struct {
	r    io.Reader
	left int64
}

var errPollHeaderTooLarge = errors.New("client: a watch answer's header is larger than 1 MB")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errPollHeaderTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// newLongPollTransport returns the long-poll transport of a client whose
// requests otherwise go through t, dialling and proxying as t does.
func newLongPollTransport(t *http.Transport) *longPollTransport {
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return &longPollTransport{dial: dial, proxy: t.Proxy, fallback: t, idle: make(map[string][]*pollConn)}
}

// RoundTrip sends req, a long poll. Its response body must be read to the
// end or closed; a body read to the end leaves the connection for reuse.
func (t *longPollTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" || req.Body != nil && req.Body != http.NoBody {
		return t.fallback.RoundTrip(req)
	}
	if t.proxy != nil {
		if u, err := t.proxy(req); err != nil || u != nil {
			return t.fallback.RoundTrip(req)
		}
	}
	addr := req.URL.Host
	if req.URL.Port() == "" {
		addr = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	ctx := req.Context()
	for {
		pc, reused := t.get(addr)
		if pc == nil {
			conn, err := t.dial(ctx, "tcp", addr)
			if err != nil {
				return nil, &url.Error{Op: req.Method, URL: req.URL.String(), Err: err}
			}
			pc = newPollConn(conn)
		}
		resp, err := t.exchange(ctx, pc, addr, req)
		if err == nil {
			return resp, nil
		}
		pc.conn.Close()
		if reused && ctx.Err() == nil {
			// The member closed the idle connection meanwhile: a poll is
			// a GET, so it is sent again on a new one.
			continue
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, &url.Error{Op: req.Method, URL: req.URL.String(), Err: err}
	}
}

// exchange writes req on pc and reads the response's head; the body is
// read by the caller. Ending ctx cuts the connection, also while the body
// is read.
func (t *longPollTransport) exchange(ctx context.Context, pc *pollConn, addr string, req *http.Request) (*http.Response, error) {
	stop := context.AfterFunc(ctx, func() { pc.conn.SetDeadline(time.Unix(1, 0)) })
	if err := req.Write(pc.conn); err != nil {
		stop()
		return nil, err
	}
	pc.lim.left = longPollMaxHeader
	resp, err := http.ReadResponse(pc.br, req)
	if err != nil {
		stop()
		return nil, err
	}
	pc.lim.left = math.MaxInt64
	resp.Body = &pollBody{ReadCloser: resp.Body, t: t, pc: pc, addr: addr, stop: stop, keep: !resp.Close}
	return resp, nil
}

// pollBody is a long poll's body: read to its end and closed, it hands
// its connection back; closed early, it closes it.
type pollBody struct {
	io.ReadCloser
	t      *longPollTransport
	pc     *pollConn
	addr   string
	stop   func() bool
	keep   bool // the member did not ask to close the connection
	eof    bool
	closed bool
}

func (b *pollBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *pollBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	live := b.stop() // false: ctx ended and cut the connection
	if b.eof && b.keep && live {
		b.ReadCloser.Close()
		b.t.put(b.addr, b.pc)
		return nil
	}
	// Close the connection first: closing an unfinished body would read
	// the rest of a poll that may never end.
	b.pc.conn.Close()
	b.ReadCloser.Close()
	return nil
}

// get takes an idle connection to addr, if one is fresh enough.
func (t *longPollTransport) get(addr string) (*pollConn, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for l := t.idle[addr]; len(l) > 0; l = t.idle[addr] {
		pc := l[len(l)-1]
		t.idle[addr] = l[:len(l)-1]
		if time.Since(pc.idleAt) < longPollIdleTimeout {
			return pc, true
		}
		pc.conn.Close()
	}
	return nil, false
}

// put keeps pc for the next poll to addr, or closes it when enough wait.
func (t *longPollTransport) put(addr string, pc *pollConn) {
	if err := pc.conn.SetDeadline(time.Time{}); err != nil {
		pc.conn.Close()
		return
	}
	pc.idleAt = time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.idle[addr]) >= longPollIdleMax {
		pc.conn.Close()
		return
	}
	t.idle[addr] = append(t.idle[addr], pc)
}

// CloseIdleConnections closes the connections no poll uses.
func (t *longPollTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = make(map[string][]*pollConn)
	t.mu.Unlock()
	for _, l := range idle {
		for _, pc := range l {
			pc.conn.Close()
		}
	}
}
