package clienttest

// This file holds the fault switches of a Member: failing with a status,
// hanging, freezing like a SIGSTOPped process, refusing connections, and
// dropping the connection in the middle of a body.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Fail makes the member answer every request with the given status (a 5xx,
// typically 500 or 503) and an etcd-style error body. Fail(0) stops it.
func (m *Member) Fail(status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failStatus = status
}

// Hang makes the member read requests but not answer them until Release,
// like a member stuck waiting for consensus.
func (m *Member) Hang() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hanging = true
}

// Release lets the requests held by Hang go on.
func (m *Member) Release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hanging = false
	m.liftLocked()
}

// Freeze makes the member behave like a SIGSTOPped process: connections
// are still accepted by the kernel, but nothing is read or answered until
// Thaw, which lets everything waiting go on in order.
func (m *Member) Freeze() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.frozen = true
}

// Thaw ends Freeze, like SIGCONT.
func (m *Member) Thaw() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.frozen = false
	m.liftLocked()
}

// DropMidBody makes the member (when on) send the status line, the headers
// and half of each body, then close the connection, so the client sees an
// unexpected EOF while reading.
func (m *Member) DropMidBody(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropping = on
}

// Refuse closes the member's listener and its open connections, so that
// connecting to it is refused, as with a killed process. Heal brings it
// back on the same address.
func (m *Member) Refuse() {
	m.mu.Lock()
	hs, ln := m.httpSrv, m.ln
	m.httpSrv = nil
	m.refusing = true
	m.liftLocked()
	m.mu.Unlock()
	// The listener is closed here and now: http.Server.Close only closes
	// listeners its Serve goroutine has registered, and right after
	// startup that goroutine may not have run yet, which would leave the
	// port accepting connections for a moment after Refuse returned.
	if ln != nil {
		ln.Close()
	}
	if hs != nil {
		hs.Close()
	}
}

// Heal lifts every fault of the member. A refusing member listens again on
// its old address; the error says why that failed, if it did.
func (m *Member) Heal() error {
	m.mu.Lock()
	m.failStatus = 0
	m.hanging = false
	m.frozen = false
	m.dropping = false
	restart := m.refusing && !m.removed
	m.refusing = false
	m.liftLocked()
	m.mu.Unlock()
	select {
	case <-m.srv.done:
		return errClosed
	default:
	}
	if !restart {
		return nil
	}
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		return fmt.Errorf("clienttest: listen again on %s: %w", m.addr, err)
	}
	m.serve(ln)
	return nil
}

// liftLocked wakes everything waiting for a fault to end; m.mu is held.
func (m *Member) liftLocked() {
	close(m.faultChanged)
	m.faultChanged = make(chan struct{})
}

// waitWhile blocks while held reports true, or until ctx or the server
// ends; it tells whether the wait ended because held turned false.
func (m *Member) waitWhile(ctx context.Context, held func() bool) bool {
	counted := false
	defer func() {
		if counted {
			m.mu.Lock()
			m.waiting--
			m.waitChanged.changed()
			m.mu.Unlock()
		}
	}()
	for {
		m.mu.Lock()
		if !held() {
			m.mu.Unlock()
			return true
		}
		if !counted {
			counted = true
			m.waiting++
			m.waitChanged.changed()
		}
		ch := m.faultChanged
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-m.srv.done:
			return false
		}
	}
}

// waitHeld blocks until exactly n requests or connections are held by
// Hang or Freeze, or ctx ends. The package's tests use it to act once a
// request has reached the member, instead of sleeping.
func (m *Member) waitHeld(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		have := m.waiting
		ch := m.waitChanged.wait()
		m.mu.Unlock()
		if have == n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%d requests held by %s, want %d: %w", have, m.name, n, ctx.Err())
		}
	}
}

// passFaults applies freezing, hanging and failing before a request is
// served; false means it has been answered (or abandoned) already.
func (m *Member) passFaults(w http.ResponseWriter, r *http.Request) bool {
	if !m.waitWhile(r.Context(), func() bool { return m.frozen || m.hanging }) {
		return false
	}
	m.mu.Lock()
	status := m.failStatus
	m.mu.Unlock()
	if status == 0 {
		return true
	}
	if strings.HasPrefix(r.URL.Path, keysPrefix) {
		w.Header().Set("X-Etcd-Cluster-Id", m.srv.clusterID)
		writeStoreErrorStatus(w, newError(codeRaftInternal, "etcdserver: request timed out", 0), status)
		return false
	}
	if strings.HasPrefix(r.URL.Path, v3Prefix) {
		// The gateway's answer when etcd cannot reach consensus, under the
		// test's status.
		writeGatewayError(w, &gwError{status, grpcUnavailable, errV3RequestTimedOut.msg})
		return false
	}
	writeMessage(w, status, http.StatusText(status))
	return false
}

// withFaults runs h, cutting its answer short when the member drops
// connections mid-body.
func (m *Member) withFaults(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	m.mu.Lock()
	dropping := m.dropping
	m.mu.Unlock()
	hj, ok := w.(http.Hijacker)
	if !dropping || !ok {
		h(w, r)
		return
	}
	rec := &recorder{header: w.Header().Clone(), status: http.StatusOK}
	h(rec, r)
	conn, bw, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	body := rec.body
	claimed := len(body)
	if claimed == 0 {
		claimed = 1
	}
	rec.header.Set("Content-Length", strconv.Itoa(claimed))
	rec.header.Del("Transfer-Encoding")
	writeRawResponse(bw, rec.status, rec.header, body[:len(body)/2])
}

func writeRawResponse(bw *bufio.ReadWriter, status int, h http.Header, body []byte) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	h.Write(bw)
	bw.WriteString("\r\n")
	bw.Write(body)
	bw.Flush()
}

// recorder keeps a whole answer in memory.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        []byte
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	r.body = append(r.body, b...)
	return len(b), nil
}

func (r *recorder) Flush() {}

// gateListener holds accepted connections back while the member is
// frozen, the way a stopped process leaves them in the accept queue.
type gateListener struct {
	net.Listener
	m *Member
}

func (l *gateListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.m.waitWhile(context.Background(), func() bool { return l.m.frozen && !l.m.refusing }) {
			l.m.mu.Lock()
			refused := l.m.refusing
			l.m.mu.Unlock()
			if !refused {
				return c, nil
			}
		}
		c.Close()
		select {
		case <-l.m.srv.done:
			return nil, errClosed
		default:
		}
	}
}
