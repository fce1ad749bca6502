package client

// This file decides, for a request that failed before an answer came,
// whether the failure proves the request never left this process. Only
// such a failure lets a write that a repeat could apply twice
// (kindNonIdempotent) go on to the next member, as net/http's Transport
// does for its own non-idempotent requests.

import (
	"context"
	"errors"
	"net"
	"net/http/httptrace"
	"sync/atomic"
	"syscall"
)

// delivery collects what the transport told, through net/http/httptrace,
// about the connection of one request. The hooks may run on the
// transport's goroutines, hence the atomic.
type delivery struct{ seen atomic.Uint32 }

const (
	seenGetConn uint32 = 1 << iota // the transport started looking for a connection
	seenGotConn                    // ... and got one: bytes may have left from here on
)

// trace returns ctx with hooks that record into d. Hooks the caller put in
// ctx keep running: httptrace composes them.
func (d *delivery) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) { d.seen.Or(seenGetConn) },
		GotConn: func(httptrace.GotConnInfo) { d.seen.Or(seenGotConn) },
	})
}

// neverSent reports whether a request that failed with err (the
// RoundTripper's error) provably never reached a member.
//
// The rule is deliberately narrow; without proof the outcome is unknown:
//
//   - The trace shows the transport asked for a connection and never got
//     one (a dial that failed, was refused or timed out, a proxy that
//     could not be reached): nothing was written anywhere.
//   - No connection showed up in the trace and err is a dial error (a
//     *net.OpError with Op "dial") or a refused connection. This covers
//     RoundTrippers that do not report to httptrace but do return the
//     dialer's error. When the trace does show a connection, a dial error
//     proves nothing: the RoundTripper may have written the request on
//     that connection before it dialled again.
//   - Once a connection was obtained the outcome is unknown, even when
//     the write itself failed. An incomplete request cannot be served,
//     but a write error does not tell how much reached the member (a
//     failure when the body is closed or flushed may come after every
//     byte left), and net/http already repeats a request on its own when
//     it knows nothing was written to a reused connection.
//   - A RoundTripper that neither traces nor returns a dial error gives
//     no evidence at all, so its failures are unknown outcomes.
func (d *delivery) neverSent(err error) bool {
	seen := d.seen.Load()
	if seen&seenGotConn != 0 {
		return false
	}
	if seen&seenGetConn != 0 {
		return true
	}
	return isDialError(err)
}

// isDialError reports whether err says a connection could not be opened.
// ECONNREFUSED is only ever the answer to a connect, never to a write on
// an open connection (that gives ECONNRESET or EPIPE).
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
