package clienttest

// This file holds etcd's v2 error catalogue: the codes, their messages and
// the HTTP status each is answered with.

import "fmt"

// storeError is etcd's v2 error body.
type storeError struct {
	Code    int    `json:"errorCode"`
	Message string `json:"message"`
	Cause   string `json:"cause,omitempty"`
	Index   uint64 `json:"index"`
}

func (e *storeError) Error() string {
	return fmt.Sprintf("%v: %v (%v) [%v]", e.Code, e.Message, e.Cause, e.Index)
}

// Error codes of the etcd v2 API.
const (
	codeKeyNotFound       = 100
	codeTestFailed        = 101
	codeNotFile           = 102
	codeNotDir            = 104
	codeNodeExist         = 105
	codeRootROnly         = 107
	codeDirNotEmpty       = 108
	codeUnauthorized      = 110
	codePrevValueRequired = 201
	codeTTLNaN            = 202
	codeIndexNaN          = 203
	codeInvalidField      = 209
	codeInvalidForm       = 210
	codeRefreshValue      = 211
	codeRefreshTTLMissing = 212
	codeRaftInternal      = 300
	codeLeaderElect       = 301
	codeEventIndexCleared = 401
)

var errorMessages = map[int]string{
	codeKeyNotFound:       "Key not found",
	codeTestFailed:        "Compare failed",
	codeNotFile:           "Not a file",
	codeNotDir:            "Not a directory",
	codeNodeExist:         "Key already exists",
	codeRootROnly:         "Root is read only",
	codeDirNotEmpty:       "Directory not empty",
	codeUnauthorized:      "The request requires user authentication",
	codePrevValueRequired: "PrevValue is Required in POST form",
	codeTTLNaN:            "The given TTL in POST form is not a number",
	codeIndexNaN:          "The given index in POST form is not a number",
	codeInvalidField:      "Invalid field",
	codeInvalidForm:       "Invalid POST form",
	codeRefreshValue:      "Value provided on refresh",
	codeRefreshTTLMissing: "A TTL must be provided on refresh",
	codeRaftInternal:      "Raft Internal Error",
	codeLeaderElect:       "During Leader Election",
	codeEventIndexCleared: "The event in requested index is outdated and cleared",
}

func newError(code int, cause string, index uint64) *storeError {
	return &storeError{Code: code, Message: errorMessages[code], Cause: cause, Index: index}
}

// status is the HTTP status etcd answers with for the error.
func (e *storeError) status() int {
	switch e.Code {
	case codeKeyNotFound:
		return 404
	case codeNotFile, codeDirNotEmpty:
		return 403
	case codeUnauthorized:
		return 401
	case codeTestFailed, codeNodeExist:
		return 412
	case codeRaftInternal, codeLeaderElect:
		return 500
	}
	return 400
}
