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

// IsUserNotFound reports whether err, or an error it wraps, is an
// *AuthError saying that a user does not exist. It recognises every
// wording etcd uses for it ("auth: User x does not exist." from a GET,
// the same without the dot from a DELETE, and "doesn't exist").
func IsUserNotFound(err error) bool { return isAuthNotFound(err, "auth: User ") }

// IsRoleNotFound reports whether err, or an error it wraps, is an
// *AuthError saying that a role does not exist, in any of etcd's
// wordings ("auth: Role x does not exist." from a GET, "auth: Role x
// doesn't exist." from a DELETE, with or without the dot).
func IsRoleNotFound(err error) bool { return isAuthNotFound(err, "auth: Role ") }
