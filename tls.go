package client

// This file holds the TLS side of a client: NewTLSConfig, which builds a
// configuration from the three files every etcd deployment hands out, and
// the explanation added to a failed handshake, whose bare text ("remote
// error: tls: certificate required") rarely tells which setting is wrong.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http/httptrace"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
)

// NewTLSConfig returns a TLS configuration for Config.TLS from PEM files,
// as etcdctl's --cert, --key and --cacert take them: certFile and keyFile
// hold the client certificate and its key, for members started with
// --client-cert-auth (both or neither may be empty); caFile holds the
// certificates of the CAs that signed the members' certificates (empty
// means the system's roots). Every error names the file it is about. (An
// addition of this package.)
func NewTLSConfig(certFile, keyFile, caFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case certFile != "" && keyFile != "":
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client: load client certificate %s with key %s: %w", certFile, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case certFile != "":
		return nil, fmt.Errorf("client: client certificate %s given without its key file", certFile)
	case keyFile != "":
		return nil, fmt.Errorf("client: key file %s given without its client certificate", keyFile)
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("client: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client: CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// tlsError is a failed TLS handshake with a member, with the likely cause
// in the client's settings spelled out. It wraps the original error.
type tlsError struct {
	hint string
	err  error
}

func (e *tlsError) Error() string { return e.err.Error() + " (" + e.hint + ")" }
func (e *tlsError) Unwrap() error { return e.err }

// handshakeWatch notes, through net/http/httptrace, whether a request's
// transport completed a TLS handshake for it and whether any answer came.
// A member that refuses the client's certificate does so after the
// client's side of a TLS 1.3 handshake has completed: the client then
// sees its alert, or, when it was writing the request as the member hung
// up, only a broken pipe or reset. The trace tells those apart from other
// broken connections.
type handshakeWatch struct {
	handshake atomic.Bool
	answered  atomic.Bool
}

func (h *handshakeWatch) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err == nil {
				h.handshake.Store(true)
			}
		},
		GotFirstResponseByte: func() { h.answered.Store(true) },
	})
}

// hungUpAfterHandshake reports whether err is a connection the member
// closed right after a TLS handshake made for this request, before any
// answer.
func (h *handshakeWatch) hungUpAfterHandshake(err error) bool {
	if h == nil || !h.handshake.Load() || h.answered.Load() {
		return false
	}
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		// HTTP/2's transport reports a connection whose peer hung up
		// before its settings arrived with this text alone.
		strings.Contains(err.Error(), "http2: client conn could not be established")
}

// explainTLS adds the likely cause to a TLS failure of a request sent with
// the TLS configuration tc; known is false when the transport is not an
// *http.Transport, whose settings the client cannot see. hw, if not nil,
// watched the request. Other errors are returned as they are.
func explainTLS(err error, tc *tls.Config, known bool, hw *handshakeWatch) error {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		header    tls.RecordHeaderError
	)
	var hint string
	switch {
	case errors.As(err, &unknownCA):
		hint = "the member's certificate is not signed by a CA this client trusts: check the CA file (NewTLSConfig's caFile, Config.TLS.RootCAs)"
	case errors.As(err, &hostname):
		hint = "the member's certificate does not name the host of the endpoint: use the host or IP address its certificate was issued for"
	case errors.As(err, &invalid):
		hint = "the member's certificate is not valid: expired, not yet valid, or not meant for a server"
	case errors.As(err, &verify):
		hint = "the member's certificate did not pass verification"
	case errors.As(err, &header):
		hint = "the member does not speak TLS: use an http:// endpoint, or start it with --cert-file and --key-file"
	case isRemoteCertAlert(err) || hw.hungUpAfterHandshake(err):
		switch {
		case !known:
			hint = "the member refused this client's certificate, or wants one and got none (--client-cert-auth)"
		case tc == nil || (len(tc.Certificates) == 0 && tc.GetClientCertificate == nil):
			hint = "the member requires a client certificate (--client-cert-auth) and this client sent none: set one in Config.TLS (NewTLSConfig's certFile and keyFile)"
		default:
			hint = "the member refused this client's certificate: it is not signed by a CA in the member's --trusted-ca-file, or not valid for client authentication"
		}
	default:
		return err
	}
	return &tlsError{hint: hint, err: err}
}

// isRemoteCertAlert reports whether err is a TLS alert from the member
// about the client's certificate. crypto/tls does not export those alerts
// for TCP connections; their texts are fixed by RFC 8446's names.
func isRemoteCertAlert(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch e.Error() {
		case "tls: certificate required", "tls: bad certificate", "tls: unknown certificate authority",
			"tls: certificate unknown", "tls: unsupported certificate":
			return true
		}
	}
	return false
}
