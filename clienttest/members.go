package clienttest

// This file answers /v2/members: list, leader, add, update and remove, with
// etcd's status codes and messages (written by httpwrite.go).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

const membersPrefix = "/v2/members"

// memberJSON is a member as etcd lists it.
type memberJSON struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
}

// json renders m as etcd lists it; srv.mu is held (peerURLs).
func (m *Member) json() memberJSON {
	clientURLs := []string{}
	if m.started {
		clientURLs = []string{m.advertised}
	}
	return memberJSON{ID: m.id, Name: m.name, PeerURLs: append([]string(nil), m.peerURLs...), ClientURLs: clientURLs}
}

// parseURLs checks peer URLs like etcd: scheme, host:port, no path; the
// result is sorted.
func parseURLs(strs []string) ([]string, error) {
	if len(strs) == 0 {
		return nil, errors.New("no valid URLs given")
	}
	out := make([]string, 0, len(strs))
	for _, in := range strs {
		in = strings.TrimSpace(in)
		u, err := url.Parse(in)
		if err != nil {
			return nil, err
		}
		switch u.Scheme {
		case "http", "https", "unix", "unixs":
		default:
			return nil, fmt.Errorf("URL scheme must be http, https, unix, or unixs: %s", in)
		}
		if _, _, err := net.SplitHostPort(u.Host); err != nil {
			return nil, fmt.Errorf(`URL address does not have the form "host:port": %s`, in)
		}
		if u.Path != "" {
			return nil, fmt.Errorf("URL must not contain a path: %s", in)
		}
		out = append(out, u.String())
	}
	sort.Strings(out)
	return out, nil
}

// readPeerURLs reads a {"peerURLs":[...]} body, answering the errors
// itself.
func readPeerURLs(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	ctype := r.Header.Get("Content-Type")
	if i := strings.Index(ctype, ";"); i != -1 {
		ctype = strings.TrimSpace(strings.ToLower(ctype[:i]))
	}
	if ctype != "application/json" {
		writeMessage(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Bad Content-Type %s, accept application/json", ctype))
		return nil, false
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	var req struct {
		PeerURLs []string `json:"peerURLs"`
	}
	if err := json.Unmarshal(b, &req); err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	urls, err := parseURLs(req.PeerURLs)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return urls, true
}

// memberID parses the id after the prefix; etcd answers 404 for one that
// is not hex.
func memberID(w http.ResponseWriter, idStr string) (string, bool) {
	id, err := strconv.ParseUint(idStr, 16, 64)
	if err != nil {
		writeMessage(w, http.StatusNotFound, "No such member: "+idStr)
		return "", false
	}
	return strconv.FormatUint(id, 16), true
}

func (m *Member) serveMembers(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, "GET", "POST", "DELETE", "PUT") {
		return
	}
	s := m.srv
	if !s.auth.writeRootAccess(r) {
		writeMessage(w, http.StatusUnauthorized, "Insufficient credentials")
		return
	}
	w.Header().Set("X-Etcd-Cluster-Id", s.clusterID)
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, membersPrefix), "/")
	switch r.Method {
	case http.MethodGet:
		switch rest {
		case "":
			writeJSON(w, http.StatusOK, struct {
				Members []memberJSON `json:"members"`
			}{s.memberList()})
		case "leader":
			l, ok := s.leaderJSON()
			if !ok {
				writeMessage(w, http.StatusServiceUnavailable, "During election")
				return
			}
			writeJSON(w, http.StatusOK, l)
		default:
			writeMessage(w, http.StatusNotFound, "Not found")
		}
	case http.MethodPost:
		urls, ok := readPeerURLs(w, r)
		if !ok {
			return
		}
		nm, err := s.addMember(urls)
		if err != nil {
			writeMessage(w, http.StatusConflict, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, nm)
	case http.MethodDelete:
		id, ok := memberID(w, rest)
		if !ok {
			return
		}
		switch err := s.removeMember(id); {
		case errors.Is(err, errIDRemoved):
			writeMessage(w, http.StatusGone, "Member permanently removed: "+id)
		case errors.Is(err, errIDNotFound):
			writeMessage(w, http.StatusNotFound, "No such member: "+id)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	case http.MethodPut:
		id, ok := memberID(w, rest)
		if !ok {
			return
		}
		urls, ok := readPeerURLs(w, r)
		if !ok {
			return
		}
		switch err := s.updateMember(id, urls); {
		case errors.Is(err, errIDNotFound):
			writeMessage(w, http.StatusNotFound, "No such member: "+id)
		case err != nil:
			writeMessage(w, http.StatusConflict, err.Error())
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}
}

// The texts are etcd's.
var (
	errPeerURLExists = errors.New("membership: peerURL exists")
	errIDRemoved     = errors.New("membership: ID removed")
	errIDNotFound    = errors.New("membership: ID not found")
)

// memberList gives the current members sorted by id, as etcd lists them.
func (s *Server) memberList() []memberJSON {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []memberJSON{}
	for _, m := range s.members {
		m.mu.Lock()
		removed := m.removed
		m.mu.Unlock()
		if !removed {
			out = append(out, m.json())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.ParseUint(out[i].ID, 16, 64)
		b, _ := strconv.ParseUint(out[j].ID, 16, 64)
		return a < b
	})
	return out
}

func (s *Server) leaderJSON() (memberJSON, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leader == nil {
		return memberJSON{}, false
	}
	return s.leader.json(), true
}

// peerURLTakenLocked tells whether a member other than except uses one of
// urls; s.mu is held.
func (s *Server) peerURLTakenLocked(urls []string, except *Member) bool {
	for _, m := range s.members {
		if m == except || m.isRemoved() {
			continue
		}
		for _, a := range m.peerURLs {
			for _, b := range urls {
				if a == b {
					return true
				}
			}
		}
	}
	return false
}

func (m *Member) isRemoved() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.removed
}

// addMember records a member that has not started: it has no name and no
// client URLs, as in etcd until the new process joins. It returns the
// member as listed, rendered under s.mu because a concurrent update may
// change its peer URLs as soon as the lock is let go.
func (s *Server) addMember(urls []string) (memberJSON, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peerURLTakenLocked(urls, nil) {
		return memberJSON{}, errPeerURLExists
	}
	nm := &Member{srv: s, id: randomID(), peerURLs: urls, faultChanged: make(chan struct{})}
	s.members = append(s.members, nm)
	s.store.membershipChange(1)
	return nm.json(), nil
}

func (s *Server) findLocked(id string) *Member {
	for _, m := range s.members {
		if m.id == id {
			return m
		}
	}
	return nil
}

// removeMember drops a member; a started one stops listening, and if it was
// the leader the next started member takes over.
func (s *Server) removeMember(id string) error {
	s.mu.Lock()
	m := s.findLocked(id)
	if m == nil {
		s.mu.Unlock()
		return errIDNotFound
	}
	m.mu.Lock()
	if m.removed {
		m.mu.Unlock()
		s.mu.Unlock()
		return errIDRemoved
	}
	m.removed = true
	m.mu.Unlock()
	if s.leader == m {
		s.leader = nil
		for _, o := range s.members {
			if o.started && !o.isRemoved() {
				s.leader = o
				break
			}
		}
	}
	s.mu.Unlock()
	s.store.membershipChange(2)
	if m.started {
		m.Refuse()
	}
	return nil
}

func (s *Server) updateMember(id string, urls []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findLocked(id)
	if m == nil || m.isRemoved() {
		return errIDNotFound
	}
	if s.peerURLTakenLocked(urls, m) {
		return errPeerURLExists
	}
	m.peerURLs = urls
	s.store.membershipChange(1)
	return nil
}
