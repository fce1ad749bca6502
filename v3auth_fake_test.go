package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// fakeAuthGateway is an in-memory etcd v3 auth behind a JSON gateway,
// for the unit tests of the auth mapping and of token authentication:
// /v3/auth/* with etcd's shapes and refusals (as etcd 3.6 answers them),
// and /v3/kv/range answering an empty range, so that a keys call shows
// whether its token was accepted. Tokens are checked as etcd checks
// them: none while auth is off, a known one on every call once it is on.
type fakeAuthGateway struct {
	mu      sync.Mutex
	enabled bool
	users   map[string]*fakeUser
	roles   map[string][]v3Permission
	tokens  map[string]string // token -> user
	nextTok int
	calls   []string // "<path> <body>" of every request, in order
	auths   int      // successful authenticate calls
	headers []string // Authorization headers of non-authenticate calls
	// answer, when set for a path, replaces the answer: the status and
	// the raw body.
	answer map[string]fakeAnswer
	// gate, when set, holds authenticate until it is closed.
	gate chan struct{}
	// logged, when set, receives the path of every call logged.
	logged chan string
}

type fakeUser struct {
	password string
	roles    []string
}

type fakeAnswer struct {
	status int
	body   string
}

func newFakeAuthGateway(t *testing.T) (*fakeAuthGateway, *httptest.Server) {
	g := &fakeAuthGateway{users: map[string]*fakeUser{}, roles: map[string][]v3Permission{}, tokens: map[string]string{}, answer: map[string]fakeAnswer{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv
}

// revokeTokens drops every token, as etcd does when they expire.
func (g *fakeAuthGateway) revokeTokens() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.tokens)
}

func (g *fakeAuthGateway) authCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.auths
}

func (g *fakeAuthGateway) callLog() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

func refuse(w http.ResponseWriter, status, code int, msg string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"message":%q}`, code, msg)
}

func (g *fakeAuthGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	what := strings.TrimPrefix(r.URL.Path, "/v3/")
	if what == "auth/authenticate" {
		g.mu.Lock()
		gate := g.gate
		g.mu.Unlock()
		if gate != nil {
			<-gate
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, what+" "+string(body))
	if g.logged != nil {
		g.logged <- what
	}
	if a, ok := g.answer[what]; ok {
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
		return
	}
	var req struct {
		Name     string       `json:"name"`
		User     string       `json:"user"`
		Role     string       `json:"role"`
		Password string       `json:"password"`
		Perm     v3Permission `json:"perm"`
		Key      []byte       `json:"key"`
		RangeEnd []byte       `json:"range_end"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		refuse(w, http.StatusBadRequest, 3, "bad JSON")
		return
	}
	if what == "auth/authenticate" {
		u, ok := g.users[req.Name]
		switch {
		case !g.enabled:
			refuse(w, http.StatusBadRequest, 9, "etcdserver: authentication is not enabled")
		case !ok || u.password != req.Password:
			refuse(w, http.StatusBadRequest, 3, "etcdserver: authentication failed, invalid user ID or password")
		default:
			g.nextTok++
			tok := fmt.Sprintf("tok%d.%d", g.nextTok, g.nextTok)
			g.tokens[tok] = req.Name
			g.auths++
			fmt.Fprintf(w, `{"header":{"revision":"1"},"token":%q}`, tok)
		}
		return
	}
	g.headers = append(g.headers, r.Header.Get("Authorization"))
	if what == "watch" {
		// etcd answers a watch whose token it refuses with a 200 and a
		// message cancelling it; an accepted one gets its created
		// message, and the stream ends here.
		if _, ok := g.tokens[r.Header.Get("Authorization")]; g.enabled && !ok {
			io.WriteString(w, `{"result":{"header":{"revision":"1"},"watch_id":"-1","created":true,"canceled":true,"cancel_reason":"rpc error: code = Unauthenticated desc = etcdserver: invalid auth token"}}`+"\n")
			return
		}
		io.WriteString(w, `{"result":{"header":{"revision":"1"},"watch_id":"0","created":true}}`+"\n")
		return
	}
	if g.enabled {
		tok := r.Header.Get("Authorization")
		if tok == "" {
			refuse(w, http.StatusBadRequest, 3, "etcdserver: user name is empty")
			return
		}
		user, ok := g.tokens[tok]
		if !ok {
			refuse(w, http.StatusUnauthorized, 16, "etcdserver: invalid auth token")
			return
		}
		if user != "root" && what != "kv/range" {
			refuse(w, http.StatusForbidden, 7, "etcdserver: permission denied")
			return
		}
	}
	ok := `{"header":{"revision":"1"}}`
	userNotFound := func() { refuse(w, http.StatusBadRequest, 9, "etcdserver: user name not found") }
	roleNotFound := func() { refuse(w, http.StatusBadRequest, 9, "etcdserver: role name not found") }
	switch what {
	case "kv/range":
		io.WriteString(w, ok)
	case "auth/enable":
		u := g.users["root"]
		if u == nil || !slices.Contains(u.roles, "root") {
			refuse(w, http.StatusBadRequest, 9, "etcdserver: root user does not have root role")
			return
		}
		g.enabled = true
		io.WriteString(w, ok)
	case "auth/disable":
		g.enabled = false
		clear(g.tokens)
		io.WriteString(w, ok)
	case "auth/user/add":
		if g.users[req.Name] != nil {
			refuse(w, http.StatusBadRequest, 9, "etcdserver: user name already exists")
			return
		}
		g.users[req.Name] = &fakeUser{password: req.Password}
		io.WriteString(w, ok)
	case "auth/user/delete":
		if g.users[req.Name] == nil {
			userNotFound()
			return
		}
		delete(g.users, req.Name)
		io.WriteString(w, ok)
	case "auth/user/get":
		u := g.users[req.Name]
		if u == nil {
			userNotFound()
			return
		}
		b, _ := json.Marshal(u.roles)
		fmt.Fprintf(w, `{"header":{"revision":"1"},"roles":%s}`, b)
	case "auth/user/changepw":
		u := g.users[req.Name]
		if u == nil {
			userNotFound()
			return
		}
		u.password = req.Password
		for tok, name := range g.tokens {
			if name == req.Name {
				delete(g.tokens, tok)
			}
		}
		io.WriteString(w, ok)
	case "auth/user/grant", "auth/user/revoke":
		name := req.User
		if what == "auth/user/revoke" {
			name = req.Name
		}
		u := g.users[name]
		if u == nil {
			userNotFound()
			return
		}
		if _, found := g.roles[req.Role]; !found {
			roleNotFound()
			return
		}
		if what == "auth/user/grant" {
			if !slices.Contains(u.roles, req.Role) {
				u.roles = append(u.roles, req.Role)
				sort.Strings(u.roles)
			}
		} else {
			i := slices.Index(u.roles, req.Role)
			if i < 0 {
				refuse(w, http.StatusBadRequest, 9, "etcdserver: role is not granted to the user")
				return
			}
			u.roles = slices.Delete(u.roles, i, i+1)
		}
		io.WriteString(w, ok)
	case "auth/user/list", "auth/role/list":
		var names []string
		if what == "auth/user/list" {
			for n := range g.users {
				names = append(names, n)
			}
		} else {
			for n := range g.roles {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		b, _ := json.Marshal(names)
		fmt.Fprintf(w, `{"header":{"revision":"1"},%q:%s}`, strings.TrimSuffix(strings.TrimPrefix(what, "auth/"), "/list")+"s", b)
	case "auth/role/add":
		if _, found := g.roles[req.Name]; found {
			refuse(w, http.StatusBadRequest, 9, "etcdserver: role name already exists")
			return
		}
		g.roles[req.Name] = nil
		io.WriteString(w, ok)
	case "auth/role/delete":
		if _, found := g.roles[req.Role]; !found {
			roleNotFound()
			return
		}
		delete(g.roles, req.Role)
		io.WriteString(w, ok)
	case "auth/role/get":
		perms, found := g.roles[req.Role]
		if !found {
			roleNotFound()
			return
		}
		b, _ := json.Marshal(perms)
		fmt.Fprintf(w, `{"header":{"revision":"1"},"perm":%s}`, b)
	case "auth/role/grant":
		perms, found := g.roles[req.Name]
		if !found {
			roleNotFound()
			return
		}
		p := req.Perm
		if p.PermType == "READ" {
			p.PermType = "" // etcd leaves the zero value out
		}
		i := slices.IndexFunc(perms, func(q v3Permission) bool {
			return string(q.Key) == string(p.Key) && string(q.RangeEnd) == string(p.RangeEnd)
		})
		if i >= 0 {
			perms[i] = p
		} else {
			perms = append(perms, p)
		}
		sort.Slice(perms, func(i, j int) bool { return string(perms[i].Key) < string(perms[j].Key) })
		g.roles[req.Name] = perms
		io.WriteString(w, ok)
	case "auth/role/revoke":
		perms, found := g.roles[req.Role]
		if !found {
			roleNotFound()
			return
		}
		i := slices.IndexFunc(perms, func(q v3Permission) bool {
			return string(q.Key) == string(req.Key) && string(q.RangeEnd) == string(req.RangeEnd)
		})
		if i < 0 {
			refuse(w, http.StatusBadRequest, 9, "etcdserver: permission is not granted to the role")
			return
		}
		g.roles[req.Role] = slices.Delete(perms, i, i+1)
		io.WriteString(w, ok)
	default:
		refuse(w, http.StatusNotFound, 5, "Not Found")
	}
}
