package client

import (
	"fmt"
	"strings"
)

// ClusterError is returned when every endpoint of the client failed a
// call. Errors holds one entry per attempt, in the order the endpoints
// were tried: a transport error (connection refused, header timeout, ...)
// or a member's 5xx answer.
type ClusterError struct {
	Errors []error
}

// Error names the failure of every endpoint, so a log line is enough to
// see why each member could not serve the call.
func (ce *ClusterError) Error() string {
	var b strings.Builder
	b.WriteString(ErrClusterUnavailable.Error())
	for i, e := range ce.Errors {
		fmt.Fprintf(&b, "; error #%d: %s\n", i, e)
	}
	return b.String()
}

// Detail lists the failures one per line, without the leading summary.
func (ce *ClusterError) Detail() string {
	var b strings.Builder
	for i, e := range ce.Errors {
		fmt.Fprintf(&b, "error #%d: %s\n", i, e)
	}
	return b.String()
}

// Unwrap exposes the per-endpoint errors to errors.Is and errors.As, so
// errors.Is(err, syscall.ECONNREFUSED) tells whether some member refused
// the connection.
func (ce *ClusterError) Unwrap() []error {
	return ce.Errors
}

// Is reports whether target is ErrClusterUnavailable, the summary every
// ClusterError starts with, so errors.Is(err, ErrClusterUnavailable)
// recognises a failed round without a type assertion.
func (ce *ClusterError) Is(target error) bool {
	return target == ErrClusterUnavailable
}
