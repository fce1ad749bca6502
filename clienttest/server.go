package clienttest

// This file holds the Server and its options: starting members on loopback
// listeners, routing requests, auth, and shutdown. Fault injection per
// member is in fault.go, the members API in members.go, the keys API in
// keys.go over the store (store.go, tree.go, watch.go), and the writers of
// every answer in httpwrite.go.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version strings the server reports on /version, those of etcd 3.4.23.
const (
	ServerVersion  = "3.4.23"
	ClusterVersion = "3.4.0"
)

// expiryInterval is how often etcd's leader looks for expired keys when the
// server runs on the real clock.
const expiryInterval = 500 * time.Millisecond

// Option configures a Server at start.
type Option func(*config)

type config struct {
	members      int
	clock        *Clock
	keys         map[string]string
	user, pass   string
	authOn       bool
	watchTimeout time.Duration
	v3TokenTTL   time.Duration
	memberCfgs   []MemberConfig
}

// WithMembers makes the server a cluster of n members (n >= 1, default 1):
// n endpoints that share one key space, the first of them the leader.
func WithMembers(n int) Option { return func(c *config) { c.members = n } }

// MemberConfig chooses who a member is, for tests that need fixed
// addresses or names. A zero field keeps its default.
type MemberConfig struct {
	// Name is the member's name; the default is "m0", "m1", ... by
	// position.
	Name string
	// ListenAddr is the host:port the member's client listener binds,
	// e.g. "127.0.0.1:2379"; the default is a free loopback port.
	ListenAddr string
	// AdvertiseClientURL is the client URL the members API lists for the
	// member, e.g. the address a proxy or NAT shows; the default is the
	// URL it listens on.
	AdvertiseClientURL string
	// PeerURLs are the member's peer URLs as the members API lists them.
	// They are never served. The default is one URL on a loopback port the
	// server holds, so no other process can take it.
	PeerURLs []string
}

// WithMemberConfigs configures the first len(cfgs) members, in start
// order, and makes the server at least that many members.
func WithMemberConfigs(cfgs ...MemberConfig) Option {
	return func(c *config) { c.memberCfgs = append([]MemberConfig(nil), cfgs...) }
}

// WithClock makes TTLs follow c instead of the real time: keys expire, with
// an expire event each, when c is advanced past their expiration.
func WithClock(c *Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithKeys pre-loads keys before the server answers anything, in key order.
// A key ending in "/" becomes a directory; its value is ignored.
func WithKeys(kv map[string]string) Option {
	return func(c *config) {
		if c.keys == nil {
			c.keys = make(map[string]string)
		}
		for k, v := range kv {
			c.keys[k] = v
		}
	}
}

// WithBasicAuth starts the server with auth already enabled: user, with
// this password, holds the root role, and the guest role has no rights, so
// every keys request, every auth call and every change to the members need
// these credentials. Without them the answer is 401 (errorCode 110 on the
// keys API). Reading the members list, /version and /health stay open, as
// in etcd. The auth API can change all of it later.
func WithBasicAuth(user, password string) Option {
	return func(c *config) { c.user, c.pass, c.authOn = user, password, true }
}

// WithWatchTimeout makes the server end a waiting watch after d with a 200
// and an empty body, as etcd does when its own watch timeout fires. The
// default is to wait for ever.
func WithWatchTimeout(d time.Duration) Option { return func(c *config) { c.watchTimeout = d } }

// Server is an in-memory etcd v2 server listening on 127.0.0.1. Its methods
// are safe for concurrent use.
type Server struct {
	// Set by Start before the server is shared, never changed after.
	cfg       config
	store     *store
	v3        *v3store // the v3 key space, apart from the v2 one as in etcd
	auth      *authStore
	v3auth    *v3AuthStore // made by v3authStore
	v3once    sync.Once
	clusterID string
	done      chan struct{} // closed by Close
	handlers  sync.WaitGroup

	// The package's mutexes are always taken in this order: Server.mu,
	// then a Member.mu, then authStore.mu, then store.mu or v3store.mu
	// (never both), then Clock.mu or a watchQueue's mu.
	// An auth change takes its indexes from the store. Code holding
	// Server.mu may lock a member (memberList, removeMember) or call into
	// the store (membershipChange); the store reads the clock with store.mu
	// held (a TTL's seconds left). No code reaches back for a lock earlier
	// in the order: Clock.Advance lets go of Clock.mu before it expires
	// keys, and the store hands events to watchers without waiting on them.
	mu      sync.Mutex // guards members, leader, closed and every Member's peerURLs
	members []*Member  // every member, the removed ones included
	leader  *Member
	closed  bool
}

// NewServer starts a Server for a test and stops it when the test ends. It
// fails the test if the server cannot start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("clienttest.Start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a Server outside of a test, for a plain main. The caller
// must Close it. Any error comes from listening or from the options.
func Start(opts ...Option) (*Server, error) {
	cfg := config{members: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.members < 1 {
		return nil, fmt.Errorf("clienttest: need at least one member, got %d", cfg.members)
	}
	cfg.members = max(cfg.members, len(cfg.memberCfgs))
	mcfgs, err := memberConfigs(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, clusterID: randomID(), done: make(chan struct{})}
	// A fresh etcd has written two records per member and the cluster
	// version before it answers.
	s.store = newStore(s.now, uint64(2*cfg.members+1))
	s.v3 = newV3Store(s.now)
	s.auth = newAuthStore(s.store)
	if cfg.authOn {
		s.auth.presetBasicAuth(cfg.user, cfg.pass)
	}
	if err := s.preload(); err != nil {
		return nil, err
	}
	for i := range cfg.members {
		m, err := s.startMember(mcfgs[i])
		if err != nil {
			s.Close()
			return nil, err
		}
		s.members = append(s.members, m)
	}
	s.leader = s.members[0]
	if cfg.clock != nil {
		cfg.clock.subscribe(s)
	} else {
		s.handlers.Add(1)
		go s.expireLoop()
	}
	return s, nil
}

func (s *Server) preload() error {
	keys := make([]string, 0, len(s.cfg.keys))
	for k := range s.cfg.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var err *storeError
		if strings.HasSuffix(k, "/") {
			_, err = s.store.Set(k, true, "", time.Time{}, false)
		} else {
			_, err = s.store.Set(k, false, s.cfg.keys[k], time.Time{}, false)
		}
		if err != nil {
			return fmt.Errorf("clienttest: pre-loading %q: %w", k, err)
		}
	}
	return nil
}

func (s *Server) expireLoop() {
	defer s.handlers.Done()
	t := time.NewTicker(expiryInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			s.store.expire(now)
			s.v3.expire(now)
			s.v3.tickProgress(now)
		}
	}
}

func (s *Server) now() time.Time {
	if s.cfg.clock != nil {
		return s.cfg.clock.Now()
	}
	return time.Now()
}

// randomID gives a 64-bit id in etcd's hex spelling.
func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	b[0] |= 0x10 // no leading zero, as etcd's ids rarely have one
	return hex.EncodeToString(b[:])
}

// Endpoints returns the client URLs of the members that were started (not
// removed), in start order.
func (s *Server) Endpoints() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var eps []string
	for _, m := range s.members {
		if m.started && !m.removed {
			eps = append(eps, m.url)
		}
	}
	return eps
}

// Members returns the members started by the server, in start order.
func (s *Server) Members() []*Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ms []*Member
	for _, m := range s.members {
		if m.started {
			ms = append(ms, m)
		}
	}
	return ms
}

// Member returns the i-th started member; it panics if there is none.
func (s *Server) Member(i int) *Member { return s.Members()[i] }

// SetLeader makes m the member that answers as leader. With nil, there is
// no leader: /v2/members/leader answers 503 and /health false, while the
// keys API goes on answering (use Member.Fail for a member that cannot
// reach consensus).
func (s *Server) SetLeader(m *Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leader = m
}

// Leader returns the member that answers as leader, or nil.
func (s *Server) Leader() *Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

// ClusterID returns the id sent in the X-Etcd-Cluster-Id header.
func (s *Server) ClusterID() string { return s.clusterID }

// Index returns the current etcd index, the one in X-Etcd-Index.
func (s *Server) Index() uint64 {
	i, _ := s.store.indexes()
	return i
}

// Close stops every member, ends waiting watches and hung requests, and
// waits for all of the server's goroutines to exit. Closing twice is safe.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	members := append([]*Member(nil), s.members...)
	s.mu.Unlock()
	close(s.done)
	if s.cfg.clock != nil {
		s.cfg.clock.unsubscribe(s)
	}
	s.store.closeWatchers()
	for _, m := range members {
		m.shutdown()
	}
	s.handlers.Wait()
}

// memberConfigs fills in the defaults of every member's configuration and
// checks what the test chose.
func memberConfigs(cfg config) ([]MemberConfig, error) {
	out := make([]MemberConfig, cfg.members)
	copy(out, cfg.memberCfgs)
	peers := make(map[string]int)
	for i := range out {
		mc := &out[i]
		if mc.Name == "" {
			mc.Name = fmt.Sprintf("m%d", i)
		}
		if mc.ListenAddr == "" {
			mc.ListenAddr = "127.0.0.1:0"
		}
		if _, _, err := net.SplitHostPort(mc.ListenAddr); err != nil {
			return nil, fmt.Errorf("clienttest: member %d: ListenAddr %q is not host:port: %w", i, mc.ListenAddr, err)
		}
		if mc.AdvertiseClientURL != "" {
			if _, err := parseURLs([]string{mc.AdvertiseClientURL}); err != nil {
				return nil, fmt.Errorf("clienttest: member %d: AdvertiseClientURL: %w", i, err)
			}
		}
		if len(mc.PeerURLs) > 0 {
			urls, err := parseURLs(mc.PeerURLs)
			if err != nil {
				return nil, fmt.Errorf("clienttest: member %d: PeerURLs: %w", i, err)
			}
			for _, u := range urls {
				if j, dup := peers[u]; dup {
					return nil, fmt.Errorf("clienttest: members %d and %d both have peer URL %s", j, i, u)
				}
				peers[u] = i
			}
			mc.PeerURLs = urls
		}
	}
	return out, nil
}

// startMember makes a member with its own client listener and a reserved
// peer port unless its peer URLs were chosen, and starts serving.
func (s *Server) startMember(mc MemberConfig) (*Member, error) {
	ln, err := net.Listen("tcp", mc.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("clienttest: member %s: %w", mc.Name, err)
	}
	peerURLs := mc.PeerURLs
	var peer net.Listener
	if len(peerURLs) == 0 {
		// The peer URL is never dialled by clients, but it names a port
		// that is really ours, so no other process can claim it meanwhile.
		peer, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("clienttest: %w", err)
		}
		peerURLs = []string{"http://" + peer.Addr().String()}
	}
	advertised := mc.AdvertiseClientURL
	if advertised == "" {
		advertised = "http://" + ln.Addr().String()
	}
	m := &Member{
		srv:        s,
		id:         randomID(),
		name:       mc.Name,
		url:        "http://" + ln.Addr().String(),
		advertised: advertised,
		addr:       ln.Addr().String(),
		peerURLs:   peerURLs,
		peerLn:     peer,
		started:    true,
	}
	m.faultChanged = make(chan struct{})
	m.mux = m.newMux()
	m.serve(ln)
	return m, nil
}

// Member is one endpoint of a Server. Its fault switches change how it
// answers from then on. Its methods are safe for concurrent use.
type Member struct {
	// Set before the member is shared, never changed after.
	srv        *Server
	id         string
	name       string
	url        string // where it listens
	advertised string // what the members API lists
	addr       string
	peerLn     net.Listener
	started    bool // false for members added through the API
	mux        *http.ServeMux

	peerURLs []string // guarded by srv.mu, not by mu

	mu sync.Mutex // guards the fields below
	// removed is written with both srv.mu and mu held, so holding either
	// one is enough to read it.
	removed      bool
	httpSrv      *http.Server
	ln           *gateListener
	failStatus   int
	hanging      bool
	frozen       bool
	refusing     bool
	dropping     bool
	faultChanged chan struct{} // closed and replaced whenever a fault is lifted
	waiting      int           // requests and connections held in waitWhile
	waitChanged  changeSignal  // fires whenever waiting changes
}

// URL returns the URL the member listens on, e.g.
// "http://127.0.0.1:41234".
func (m *Member) URL() string { return m.url }

// AdvertisedURL returns the client URL the members API lists for the
// member: MemberConfig.AdvertiseClientURL, or else URL.
func (m *Member) AdvertisedURL() string { return m.advertised }

// ID returns the member id in etcd's hex form.
func (m *Member) ID() string { return m.id }

// PeerURLs returns the member's peer URLs. Unless chosen with
// MemberConfig, they name ports the server holds but never serves.
func (m *Member) PeerURLs() []string {
	m.srv.mu.Lock()
	defer m.srv.mu.Unlock()
	return append([]string(nil), m.peerURLs...)
}

// Name returns the member name.
func (m *Member) Name() string { return m.name }

func (m *Member) serve(ln net.Listener) {
	gl := &gateListener{Listener: ln, m: m}
	hs := &http.Server{Handler: http.HandlerFunc(m.route), ReadHeaderTimeout: time.Minute}
	m.mu.Lock()
	m.httpSrv, m.ln = hs, gl
	m.mu.Unlock()
	m.srv.handlers.Add(1)
	go func() {
		defer m.srv.handlers.Done()
		hs.Serve(gl)
	}()
}

// route adds the headers etcd puts on every answer and dispatches.
func (m *Member) route(w http.ResponseWriter, r *http.Request) {
	s := m.srv
	s.handlers.Add(1)
	defer s.handlers.Done()
	if !m.passFaults(w, r) {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "accept, content-type, authorization")
	if r.Method == http.MethodOptions {
		return
	}
	if p := cleanURLPath(r.URL.Path); p != r.URL.Path {
		// etcd's mux (Go 1.19's) redirects permanently; today's
		// ServeMux would say 307.
		u := &url.URL{Path: p, RawQuery: r.URL.RawQuery}
		http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
		return
	}
	m.mux.ServeHTTP(w, r)
}

// cleanURLPath cleans p like path.Clean but keeps a trailing slash.
func cleanURLPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// newMux routes like etcd's, which is a ServeMux too: unclean paths get
// its redirect.
func (m *Member) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	keys := func(w http.ResponseWriter, r *http.Request) { m.withFaults(w, r, m.serveKeys) }
	members := func(w http.ResponseWriter, r *http.Request) { m.withFaults(w, r, m.serveMembers) }
	mux.HandleFunc(keysPrefix, keys)
	mux.HandleFunc(keysPrefix+"/", keys)
	mux.HandleFunc(membersPrefix, members)
	mux.HandleFunc(membersPrefix+"/", members)
	enable := func(w http.ResponseWriter, r *http.Request) { m.withFaults(w, r, m.serveAuthEnable) }
	users := func(w http.ResponseWriter, r *http.Request) { m.withFaults(w, r, m.serveAuthUsers) }
	roles := func(w http.ResponseWriter, r *http.Request) { m.withFaults(w, r, m.serveAuthRoles) }
	mux.HandleFunc(authPrefix+"/enable", enable)
	mux.HandleFunc(authPrefix+"/users", users)
	mux.HandleFunc(authPrefix+"/users/", users)
	mux.HandleFunc(authPrefix+"/roles", roles)
	mux.HandleFunc(authPrefix+"/roles/", roles)
	mux.HandleFunc(v3Prefix, func(w http.ResponseWriter, r *http.Request) { m.withFaults(w, r, m.serveV3) })
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { m.withFaults(w, r, serveVersion) })
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { m.withFaults(w, r, m.serveHealth) })
	return mux
}

func serveVersion(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, "GET") {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"etcdserver":%q,"etcdcluster":%q}`, ServerVersion, ClusterVersion)
}

func (m *Member) serveHealth(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, "GET") {
		return
	}
	if m.srv.Leader() == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"health":"false"}`))
		return
	}
	w.Write([]byte(`{"health":"true"}`))
}

// shutdown stops serving for good.
func (m *Member) shutdown() {
	m.mu.Lock()
	hs := m.httpSrv
	m.httpSrv = nil
	m.refusing = true
	m.liftLocked()
	m.mu.Unlock()
	if hs != nil {
		hs.Close()
	}
	if m.peerLn != nil {
		m.peerLn.Close()
	}
}

var errClosed = errors.New("clienttest: server closed")
