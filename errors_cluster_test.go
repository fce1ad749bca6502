package client

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestClusterError_format(t *testing.T) {
	tests := []struct {
		name       string
		errs       []error
		wantError  string
		wantDetail string
	}{
		{"none", nil, "client: etcd cluster is unavailable or misconfigured", ""},
		{"one", []error{errors.New("boom")},
			"client: etcd cluster is unavailable or misconfigured; error #0: boom\n",
			"error #0: boom\n"},
		{"three", []error{errors.New("a"), errors.New("b c"), Error{Code: 300, Message: "Raft Internal Error", Cause: "x", Index: 2}},
			"client: etcd cluster is unavailable or misconfigured; error #0: a\n; error #1: b c\n; error #2: 300: Raft Internal Error (x) [2]\n",
			"error #0: a\nerror #1: b c\nerror #2: 300: Raft Internal Error (x) [2]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ce := &ClusterError{Errors: tc.errs}
			if got := ce.Error(); got != tc.wantError {
				t.Errorf("Error() = %q, want %q", got, tc.wantError)
			}
			if got := ce.Detail(); got != tc.wantDetail {
				t.Errorf("Detail() = %q, want %q", got, tc.wantDetail)
			}
		})
	}
}

// TestClusterError_unwrap: callers can look for a cause among the
// per-endpoint errors with errors.Is and errors.As.
func TestClusterError_unwrap(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	keyErr := Error{Code: ErrorCodeKeyNotFound}
	ce := &ClusterError{Errors: []error{errors.New("other"), fmt.Errorf("wrapped: %w", refused), keyErr}}
	var err error = ce

	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(%v, ECONNREFUSED) = false, want true", err)
	}
	if errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("errors.Is(%v, ECONNRESET) = true, want false", err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = true, want false", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op != refused {
		t.Errorf("errors.As(%v, *net.OpError) = %v, want the dial error", err, op)
	}
	var e Error
	if !errors.As(err, &e) || e != keyErr {
		t.Errorf("errors.As(%v, Error) = %v, want %v", err, e, keyErr)
	}
	if got := ce.Unwrap(); len(got) != 3 || got[2] != error(keyErr) {
		t.Errorf("Unwrap() = %v, want the three errors in order", got)
	}
	var ce2 *ClusterError
	if !errors.As(fmt.Errorf("call: %w", err), &ce2) || ce2 != ce {
		t.Errorf("errors.As through a wrapper did not find the *ClusterError")
	}
}
