package client

import "errors"

// IsKeyNotFound reports whether err is an etcd Error with code
// ErrorCodeKeyNotFound, also when err wraps one.
func IsKeyNotFound(err error) bool {
	var e Error
	if errors.As(err, &e) {
		return e.Code == ErrorCodeKeyNotFound
	}
	var pe *Error
	if errors.As(err, &pe) && pe != nil {
		return pe.Code == ErrorCodeKeyNotFound
	}
	return false
}
