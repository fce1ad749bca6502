package clienttest

// This file turns /v2/keys requests into store calls: parsing the form
// with etcd's checks, picking the operation, and long-polling watches. The
// answers are written by httpwrite.go.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

const keysPrefix = "/v2/keys"

// keyRequest is a parsed keys call.
type keyRequest struct {
	method           string
	path             string
	value            string
	dir              bool
	prevValue        string
	prevIndex        uint64
	prevExist        *bool
	wait             bool
	waitIndex        uint64
	recursive        bool
	sorted           bool
	quorum           bool
	stream           bool
	refresh          bool
	expire           time.Time
	noValueOnSuccess bool
}

func formBool(form url.Values, key string) (bool, bool) {
	vals, ok := form[key]
	if !ok {
		return false, true
	}
	b, err := strconv.ParseBool(vals[0])
	return b, err == nil
}

func formUint(form url.Values, key string) (uint64, bool) {
	vals, ok := form[key]
	if !ok {
		return 0, true
	}
	i, err := strconv.ParseUint(vals[0], 10, 64)
	return i, err == nil
}

// parseKeyRequest checks the form fields in etcd's order, so the first bad
// one is the one reported, with etcd's wording.
func parseKeyRequest(r *http.Request, now time.Time) (*keyRequest, *storeError) {
	if err := r.ParseForm(); err != nil {
		return nil, newError(codeInvalidForm, err.Error(), 0)
	}
	form := r.Form
	kr := &keyRequest{method: r.Method, path: path.Join("/", strings.TrimPrefix(r.URL.Path, keysPrefix))}
	var ok bool
	if kr.prevIndex, ok = formUint(form, "prevIndex"); !ok {
		return nil, newError(codeIndexNaN, `invalid value for "prevIndex"`, 0)
	}
	if kr.waitIndex, ok = formUint(form, "waitIndex"); !ok {
		return nil, newError(codeIndexNaN, `invalid value for "waitIndex"`, 0)
	}
	bools := []struct {
		name string
		dst  *bool
	}{
		{"recursive", &kr.recursive},
		{"sorted", &kr.sorted},
		{"wait", &kr.wait},
		{"dir", &kr.dir},
		{"quorum", &kr.quorum},
		{"stream", &kr.stream},
	}
	for _, b := range bools {
		if *b.dst, ok = formBool(form, b.name); !ok {
			return nil, newError(codeInvalidField, `invalid value for "`+b.name+`"`, 0)
		}
	}
	if kr.wait && r.Method != http.MethodGet {
		return nil, newError(codeInvalidField, `"wait" can only be used with GET requests`, 0)
	}
	kr.prevValue = form.Get("prevValue")
	if _, has := form["prevValue"]; has && kr.prevValue == "" {
		return nil, newError(codePrevValueRequired, `"prevValue" cannot be empty`, 0)
	}
	if kr.noValueOnSuccess, ok = formBool(form, "noValueOnSuccess"); !ok {
		return nil, newError(codeInvalidField, `invalid value for "noValueOnSuccess"`, 0)
	}
	var ttl *uint64
	if form.Get("ttl") != "" {
		i, ok := formUint(form, "ttl")
		if !ok {
			return nil, newError(codeTTLNaN, `invalid value for "ttl"`, 0)
		}
		ttl = &i
	}
	if _, has := form["prevExist"]; has {
		b, ok := formBool(form, "prevExist")
		if !ok {
			return nil, newError(codeInvalidField, "invalid value for prevExist", 0)
		}
		kr.prevExist = &b
	}
	if _, has := form["refresh"]; has {
		b, ok := formBool(form, "refresh")
		if !ok {
			return nil, newError(codeInvalidField, "invalid value for refresh", 0)
		}
		kr.refresh = b
		if b {
			if _, has := form["value"]; has && form.Get("value") != "" {
				return nil, newError(codeRefreshValue, "A value was provided on a refresh", 0)
			}
			if ttl == nil {
				return nil, newError(codeRefreshTTLMissing, "No TTL value set", 0)
			}
		}
	}
	kr.value = form.Get("value")
	if ttl != nil {
		kr.expire = now.Add(time.Duration(*ttl) * time.Second)
	}
	return kr, nil
}

// serveKeys answers one keys call.
func (m *Member) serveKeys(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, "HEAD", "GET", "PUT", "POST", "DELETE") {
		return
	}
	w.Header().Set("X-Etcd-Cluster-Id", m.srv.clusterID)
	st := m.srv.store
	kr, perr := parseKeyRequest(r, m.srv.now())
	if perr != nil {
		writeStoreError(w, perr)
		return
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	// etcd checks the raw path: "/a/" is covered by "/a/*", "/a" is not.
	if !m.srv.auth.keyAccess(r, strings.TrimPrefix(r.URL.Path, keysPrefix), kr.recursive, write) {
		writeStoreError(w, newError(codeUnauthorized, "Insufficient credentials", 0))
		return
	}
	var (
		e   *event
		err *storeError
	)
	switch r.Method {
	case "GET", "HEAD":
		if kr.wait {
			m.serveWatch(w, r, kr)
			return
		}
		if kr.quorum {
			st.bumpRaft()
		}
		e, err = st.Get(kr.path, kr.recursive, kr.sorted)
	case "PUT":
		e, err = m.put(kr)
	case "POST":
		e, err = st.Create(kr.path, kr.dir, kr.value, true, kr.expire)
	case "DELETE":
		if kr.prevIndex > 0 || kr.prevValue != "" {
			e, err = st.CompareAndDelete(kr.path, kr.prevValue, kr.prevIndex)
		} else {
			e, err = st.Delete(kr.path, kr.dir, kr.recursive)
		}
	}
	if err != nil {
		writeStoreError(w, err)
		return
	}
	_, raft := st.indexes()
	writeEvent(w, e, raft, kr.noValueOnSuccess)
}

// put picks the store call the way etcd's applier does from prevExist,
// prevIndex and prevValue.
func (m *Member) put(kr *keyRequest) (*event, *storeError) {
	st := m.srv.store
	switch {
	case kr.prevExist != nil:
		if *kr.prevExist {
			if kr.prevIndex == 0 && kr.prevValue == "" {
				return st.Update(kr.path, kr.value, kr.expire, kr.refresh)
			}
			return st.CompareAndSwap(kr.path, kr.prevValue, kr.prevIndex, kr.value, kr.expire, kr.refresh)
		}
		return st.Create(kr.path, kr.dir, kr.value, false, kr.expire)
	case kr.prevIndex > 0 || kr.prevValue != "":
		return st.CompareAndSwap(kr.path, kr.prevValue, kr.prevIndex, kr.value, kr.expire, kr.refresh)
	}
	return st.Set(kr.path, kr.dir, kr.value, kr.expire, kr.refresh)
}

// serveWatch long-polls: the headers go out at once, the event when it
// comes.
func (m *Member) serveWatch(w http.ResponseWriter, r *http.Request, kr *keyRequest) {
	st := m.srv.store
	wa, err := st.Watch(kr.path, kr.recursive, kr.stream, kr.waitIndex)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	defer st.Unwatch(wa)
	_, raft := st.indexes()
	writeIndexHeaders(w, wa.startIndex, raft)
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	var timeout <-chan time.Time
	if d := m.srv.cfg.watchTimeout; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-m.srv.done:
			return
		case <-timeout:
			return
		case e, ok := <-wa.ch:
			if !ok {
				return
			}
			if err := json.NewEncoder(w).Encode(e); err != nil {
				return
			}
			if !kr.stream {
				return
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
	}
}
