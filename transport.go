package client

// This file is the bottom layer: one request to one URL, bounded by the
// header timeout, with its whole body read under the size cap. It knows
// nothing of endpoints, redirects or APIs.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// errDeadlineAwaitingHeaders marks a request that ended because the
// caller's deadline passed before the member sent its response headers.
// The cluster client turns it into context.DeadlineExceeded and moves the
// pin away from the unresponsive member.
var errDeadlineAwaitingHeaders = errors.New("client: deadline exceeded awaiting response headers")

// transport sends single requests. It is shared by every endpoint of a
// client and never changes after New.
type transport struct {
	rt http.RoundTripper
	// longPoll, when set, carries the v2 watches (kindWatch) instead of
	// rt: a client's own transport over plain HTTP (longpoll.go).
	longPoll      *longPollTransport
	tls           *tls.Config   // rt's TLS settings, to explain a failed handshake
	tlsKnown      bool          // false: rt's TLS settings cannot be seen
	headerTimeout time.Duration // 0: none
	maxBody       int64

	// afterFunc starts the header timer; tests replace it to fire the
	// timeout at a moment of their choosing instead of after a duration.
	afterFunc func(time.Duration, func()) stopper
}

// stopper is the part of *time.Timer the header timeout uses: Stop
// reports false once the timer has fired.
type stopper interface{ Stop() bool }

func realAfterFunc(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }

// send sends req and reads the answer. endpoint names the member in a
// header-timeout error. Watches (kindWatch) are exempt from the header
// timeout; everything else gets it when one is set. For a
// kindNonIdempotent or kindConditional call, a failure that proves the
// request never left (delivery.neverSent) comes back as a *notSentError.
func (t *transport) send(ctx context.Context, req *http.Request, endpoint string, kind callKind) (*http.Response, []byte, error) {
	if err := printcURL(req); err != nil {
		return nil, nil, &notSentError{err}
	}

	reqCtx := ctx
	var dl *delivery
	if kind == kindNonIdempotent || kind == kindConditional {
		// Only writes pay for the trace: other calls go to the next
		// member after any failure anyway.
		dl = new(delivery)
		reqCtx = dl.trace(reqCtx)
	}
	var hw *handshakeWatch
	if req.URL.Scheme == "https" {
		// Only TLS requests pay for this trace: it names the cause
		// when a member hangs up on this client's certificate.
		hw = new(handshakeWatch)
		reqCtx = hw.trace(reqCtx)
	}
	var timer stopper
	if t.headerTimeout > 0 && kind != kindWatch && kind != kindStream {
		var cancel context.CancelFunc
		reqCtx, cancel = context.WithCancel(reqCtx)
		defer cancel()
		timer = t.afterFunc(t.headerTimeout, cancel)
	}
	// The cluster client built req for this attempt alone, so the context
	// is set in place: WithContext is inlined, its copy stays on the
	// stack, and no second Request is allocated per call.
	*req = *req.WithContext(reqCtx)

	rt := t.rt
	if kind == kindWatch && t.longPoll != nil {
		rt = t.longPoll
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		err = explainTLS(err, t.tls, t.tlsKnown, hw)
	}
	if timer != nil && !timer.Stop() {
		// The timer fired: whatever RoundTrip returned, the request was
		// (or is being) cancelled, so its body is unusable.
		if resp != nil {
			resp.Body.Close()
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr
		}
		timeout := fmt.Errorf("client: endpoint %s exceeded header timeout", endpoint)
		if err != nil && dl != nil && dl.neverSent(err) {
			// Timed out while still connecting: nothing went out.
			return nil, nil, &notSentError{timeout}
		}
		return nil, nil, timeout
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, errDeadlineAwaitingHeaders
		}
		if dl != nil && dl.neverSent(err) {
			return nil, nil, &notSentError{err}
		}
		return nil, nil, err
	}

	if kind == kindStream && resp.StatusCode == http.StatusOK {
		// The caller reads and closes the stream; the cap applies to
		// each of its messages there.
		return resp, nil, nil
	}

	// A body cut short by the caller's context surfaces as the transport's
	// error here; the cluster client turns it into ctx.Err().
	body, err := readBody(resp, t.maxBody)
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	return resp, body, nil
}

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

	// The first bytes go into a small buffer: a long poll waits in this
	// first Read for minutes, and a thousand idle watchers would each
	// hold a 32 KB chunk there (bench/RESULTS.md, "Many watchers"). Most
	// watch events fit in it whole.
	sp := smallPool.Get().(*[]byte)
	defer smallPool.Put(sp)
	small := *sp
	head := 0
	for head < len(small) {
		n, err := resp.Body.Read(small[head:])
		head += n
		if int64(head) > max {
			return nil, fmt.Errorf("%w (limit %d)", ErrResponseTooLarge, max)
		}
		if err == io.EOF {
			// Like io.ReadAll, an empty body of unknown length is an
			// empty, non-nil slice.
			buf := make([]byte, head)
			copy(buf, small)
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}

	var (
		local  [16]*[]byte
		chunks = local[:0]
		last   int           // bytes in the last chunk
		total  = int64(head) // bytes in small and all chunks
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
	buf := make([]byte, 0, total)
	buf = append(buf, small...)
	for _, c := range chunks[:len(chunks)-1] {
		buf = append(buf, *c...)
	}
	return append(buf, (*chunks[len(chunks)-1])[:last]...), nil
}

// chunkSize is the size of the scratch chunks bodies of unknown length are
// read into: large enough that a 1 MB body takes 32 reads, small enough
// that the pool costs little memory.
const chunkSize = 32 << 10

// smallSize is the size of the buffer the first bytes of a body of
// unknown length are read into: an event of a watch, etcd's longest wait,
// usually fits.
const smallSize = 512

var smallPool = sync.Pool{New: func() any {
	b := make([]byte, smallSize)
	return &b
}}

var chunkPool = sync.Pool{New: func() any {
	b := make([]byte, chunkSize)
	return &b
}}
