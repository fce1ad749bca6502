package clienttest

// This file holds the writers of every answer the server gives, with the
// headers, status codes and body bytes etcd uses: keys events and their
// index headers, the keys API's error bodies, the members API's messages,
// and 405 for a method a path does not take.

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// raftTerm is what a freshly elected single-member etcd reports.
const raftTerm = "2"

// writeIndexHeaders sets the headers etcd puts on every successful keys
// answer, a watch's included.
func writeIndexHeaders(w http.ResponseWriter, etcdIndex, raftIndex uint64) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Etcd-Index", strconv.FormatUint(etcdIndex, 10))
	h.Set("X-Raft-Index", strconv.FormatUint(raftIndex, 10))
	h.Set("X-Raft-Term", raftTerm)
}

// writeEvent answers a keys call that succeeded: 201 for a key that did
// not exist before, 200 otherwise. With noValue, writes leave out the
// nodes, as etcd does for noValueOnSuccess; reads and deletes keep them.
func writeEvent(w http.ResponseWriter, e *event, raftIndex uint64, noValue bool) {
	writeIndexHeaders(w, e.etcdIndex, raftIndex)
	if e.created() {
		w.WriteHeader(http.StatusCreated)
	}
	out := *e
	if noValue {
		switch e.Action {
		case actionSet, actionCompareAndSwap, actionCreate, actionUpdate:
			out.Node, out.PrevNode = nil, nil
		}
	}
	json.NewEncoder(w).Encode(&out)
}

// writeStoreError answers with e and the status etcd gives its code.
func writeStoreError(w http.ResponseWriter, e *storeError) {
	writeStoreErrorStatus(w, e, e.status())
}

// writeStoreErrorStatus answers with e under a status of the caller's
// choosing, for a failing member whose status is set by the test.
func writeStoreErrorStatus(w http.ResponseWriter, e *storeError, status int) {
	h := w.Header()
	h.Add("X-Etcd-Index", strconv.FormatUint(e.Index, 10))
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(e)
	w.Write(append(b, '\n'))
}

// writeMessage writes etcd's {"message":...} error body (no newline).
func writeMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
	w.Write(b)
}

// writeJSON answers with v as JSON, newline-terminated as encoding/json's
// Encoder writes it, like etcd's members API.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// allowMethod answers 405 like etcd for methods outside the list.
func allowMethod(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ","))
	http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
	return false
}
