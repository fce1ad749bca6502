// Package etcdtest starts real etcd servers for tests: single members or
// clusters on 127.0.0.1, with free ports and fresh data directories, and lets a
// test kill, freeze, thaw and restart members or start one that joins.
//
// Every process a test starts is stopped by PID in t.Cleanup, also when the
// test fails, and dies with the test binary (Pdeathsig). The binary comes from
// $ETCD_BIN, $PATH or the usual install locations, or is built once from the
// Go module proxy into the user's cache directory (see Locate); only when
// none can be had do the tests skip, except under CI=true, where they fail.
// No ETCD_* variable of the test's environment reaches an etcd process.
package etcdtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds how long a member may take to answer after start.
	// A loaded 2-core machine running -race tests in parallel needs far more
	// than the second an idle one takes.
	readyTimeout = 60 * time.Second

	// stopTimeout is how long a member may take to exit after SIGTERM before
	// it gets SIGKILL.
	stopTimeout = 5 * time.Second

	// startAttempts is how often Start retries with new ports when a port
	// picked as free was taken by someone else before etcd bound it.
	startAttempts = 4

	logTailLines = 40

	startMarker = "=== etcdtest: starting "
)

// Options tune Start.
type Options struct {
	// ExtraArgs are appended to every member's command line, for example
	// "--strict-reconfig-check=false".
	ExtraArgs []string

	// V3Only starts the members without --enable-v2 (etcd 3.6+ refuses
	// it) and waits for /health instead of the v2 API.
	V3Only bool

	// AdvertiseClientURL, when set, returns the client URL a member
	// advertises (--advertise-client-urls), given the one it listens on,
	// which stays its ClientURL: what a client behind NAT, a tunnel or a
	// load balancer sees. Leader finds members by the URL they advertise,
	// so it does not work with this option.
	AdvertiseClientURL func(listenURL string) string

	// Version, such as "3.6.16", starts that etcd version (installed or
	// built, see LocateVersion) instead of the binary Locate picks. A
	// version without the v2 API is started without it and awaited
	// through /health; without Version, Start needs a binary that serves
	// v2 and skips the test otherwise (see RequireV2).
	Version string

	// ClientTLS, when set, makes the members serve clients over https:
	// client URLs start with https://, and the harness's own requests
	// (readiness, Leader, StartJoining) use this configuration, which
	// must trust the members' CA and hold a client certificate when they
	// require one. The certificate flags themselves (--cert-file,
	// --key-file, --trusted-ca-file, --client-cert-auth) go in
	// ExtraArgs. Peer URLs stay http.
	ClientTLS *tls.Config
}

// Cluster is a set of etcd members started by Start. Its methods are safe for
// concurrent use.
type Cluster struct {
	// Members are the members in start order, those added by StartJoining
	// included. A member stays here after it is killed or removed.
	Members []*Member

	bin       string
	v2        bool // the members serve the v2 API
	extra     []string
	v3Only    bool
	advertise func(string) string // Options.AdvertiseClientURL; nil: ClientURL
	scheme    string              // of client URLs: "https" with Options.ClientTLS; "" means "http"
	probe     *http.Client        // the harness's own requests; nil means probeClient

	mu sync.Mutex // guards Members appends after Start
}

// Member is one etcd process of a Cluster.
type Member struct {
	Name      string
	ClientURL string
	PeerURL   string
	DataDir   string

	// LogFile receives the member's output, across restarts.
	LogFile string

	args  []string
	v2    bool         // started with the v2 API
	probe *http.Client // the harness's requests to it

	mu   sync.Mutex // guards cmd, done
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

var tokenSeq atomic.Uint64

// Start starts an n-member cluster on 127.0.0.1 with --enable-v2=true and
// waits until every member answers the v2 keys API and a leader is elected.
// Every member is stopped when the test ends.
func Start(t testing.TB, n int, opts ...Options) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("etcdtest.Start(%d): need at least one member", n)
	}
	c := &Cluster{}
	version := ""
	for _, o := range opts {
		c.extra = append(c.extra, o.ExtraArgs...)
		c.v3Only = c.v3Only || o.V3Only
		if o.AdvertiseClientURL != nil {
			c.advertise = o.AdvertiseClientURL
		}
		if o.Version != "" {
			version = o.Version
		}
		if o.ClientTLS != nil {
			c.scheme = "https"
			c.probe = &http.Client{
				Timeout:   probeClient.Timeout,
				Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: o.ClientTLS.Clone()},
			}
		}
	}
	switch {
	case version == "" && c.v3Only:
		// Any etcd serves the v3 API; ETCD_BIN or ETCDTEST_VERSION pick
		// which one.
		f, err := Locate()
		if err != nil {
			missing(t, err)
		}
		c.bin = f.Path
	case version == "":
		f := RequireV2(t)
		c.bin, c.v2 = f.Path, true
	default:
		f, err := LocateVersion(version)
		if err != nil {
			missing(t, err)
		}
		c.bin, c.v2 = f.Path, f.ServesV2() && !c.v3Only
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		members, err := c.tryStart(t, n)
		if err == nil {
			c.Members = members
			return c
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
		t.Logf("etcdtest: retrying with other ports: %v", err)
	}
	t.Fatalf("etcdtest.Start(%d): %v", n, lastErr)
	return nil
}

var errPortTaken = errors.New("port already in use")

// tryStart starts n fresh members; on any failure it stops them and returns
// the error, wrapping errPortTaken when a port was stolen.
func (c *Cluster) tryStart(t testing.TB, n int) ([]*Member, error) {
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	token := fmt.Sprintf("etcdtest-%d-%d", os.Getpid(), tokenSeq.Add(1))
	members := make([]*Member, n)
	var initial []string
	for i := range members {
		m := c.newMember(t, fmt.Sprintf("m%d", i), ports[2*i], ports[2*i+1])
		members[i] = m
		initial = append(initial, m.Name+"="+m.PeerURL)
	}
	for _, m := range members {
		m.args = c.memberArgs(m, strings.Join(initial, ","), "new", token)
		if err := m.start(); err != nil {
			stopAll(members)
			return nil, err
		}
	}
	for _, m := range members {
		// Every member is watched while one is awaited: a member that
		// lost its port exits, and the others then never get a quorum.
		if err := m.waitReady(members...); err != nil {
			stopAll(members)
			return nil, err
		}
	}
	return members, nil
}

func stopAll(ms []*Member) {
	for _, m := range ms {
		m.stop()
	}
}

// newMember prepares a member's directories and registers its cleanup. The
// directories are made before the cleanup is registered, so the cleanup (run
// last-in first-out) stops the process before the directories are removed.
func (c *Cluster) newMember(t testing.TB, name string, clientPort, peerPort int) *Member {
	dir := t.TempDir()
	m := &Member{
		Name:      name,
		ClientURL: c.clientScheme() + "://127.0.0.1:" + strconv.Itoa(clientPort),
		PeerURL:   "http://127.0.0.1:" + strconv.Itoa(peerPort),
		DataDir:   filepath.Join(dir, "data"),
		LogFile:   filepath.Join(dir, "etcd.log"),
		v2:        c.v2,
		probe:     c.prober(),
	}
	t.Cleanup(func() {
		m.stop()
		if t.Failed() {
			t.Logf("etcdtest: last lines of %s (%s):\n%s", m.Name, m.ClientURL, tail(m.LogFile, logTailLines))
		}
	})
	return m
}

func (c *Cluster) memberArgs(m *Member, initialCluster, state, token string) []string {
	advertised := m.ClientURL
	if c.advertise != nil {
		advertised = c.advertise(m.ClientURL)
	}
	args := []string{
		c.bin,
		"--name", m.Name,
		"--data-dir", m.DataDir,
		"--listen-client-urls", m.ClientURL,
		"--advertise-client-urls", advertised,
		"--listen-peer-urls", m.PeerURL,
		"--initial-advertise-peer-urls", m.PeerURL,
		"--initial-cluster", initialCluster,
		"--initial-cluster-state", state,
		"--initial-cluster-token", token,
		// Fast elections, yet slow enough that a busy 2-core machine
		// running -race tests does not trigger spurious ones.
		"--heartbeat-interval", "100",
		"--election-timeout", "1000",
		"--snapshot-count", "10000",
		"--logger", "zap",
		"--log-outputs", "stderr",
	}
	if c.v2 {
		// etcd 3.6 and later refuse to start with this flag at all.
		args = append(args, "--enable-v2=true")
	}
	return append(args, c.extra...)
}

func (c *Cluster) clientScheme() string {
	if c.scheme == "" {
		return "http"
	}
	return c.scheme
}

func (c *Cluster) prober() *http.Client {
	if c.probe == nil {
		return probeClient
	}
	return c.probe
}

// freePorts asks the kernel for n distinct free ports. They are released
// before etcd binds them, so another process may take one meanwhile; Start
// retries when that happens.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// start launches the member's process with its current args.
func (m *Member) start() error {
	logf, err := os.OpenFile(m.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "%s%s at %s\n", startMarker, m.Name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(bin(m), m.args[1:]...)
	cmd.Env = childEnv()
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Pdeathsig makes the kernel kill etcd when the test binary dies, so no
	// server outlives a crashed or killed test run.
	//
	// Setpgid keeps members out of the test's process group, so signals
	// meant for that group (Ctrl-C at a terminal) reach the test binary
	// only; the harness alone decides when a member stops, and Pdeathsig
	// ends the members if the test binary dies of that signal.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := spawn(cmd); err != nil {
		return fmt.Errorf("start %s: %w", m.Name, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	m.mu.Lock()
	m.cmd, m.done = cmd, done
	m.mu.Unlock()
	return nil
}

// bin returns the binary a member runs, kept as the first element of args so
// that Restart needs nothing but the member.
func bin(m *Member) string { return m.args[0] }

// waitReady waits until the member answers GET /v2/keys/ and knows a leader
// (a member without v2: until /health says it is healthy, which needs a
// leader too). It fails early when its process, or that of any member in also, exits.
func (m *Member) waitReady(also ...*Member) error {
	watch := append([]*Member{m}, also...)
	hc := m.probe
	deadline := time.Now().Add(readyTimeout)
	for {
		for _, w := range watch {
			if w.Running() {
				continue
			}
			err := fmt.Errorf("member %s exited before %s was ready; last lines of its log:\n%s", w.Name, m.Name, tail(w.LogFile, logTailLines))
			if strings.Contains(lastRun(w.LogFile), "address already in use") {
				return fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		}
		if m.v2 && ok200(hc, m.ClientURL+"/v2/keys/") && ok200(hc, m.ClientURL+"/v2/members/leader") {
			return nil
		}
		if !m.v2 && healthy(hc, m.ClientURL) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("member %s not ready after %v; last lines of its log:\n%s", m.Name, readyTimeout, tail(m.LogFile, logTailLines))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// probeClient asks members about their state. It keeps no idle
// connections, so tests that check for leaked goroutines see none of its.
var probeClient = &http.Client{
	Timeout:   2 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
}

func ok200(hc *http.Client, u string) bool {
	resp, err := hc.Get(u)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop ends the member's process if it runs: SIGCONT (a frozen process
// cannot act on SIGTERM), SIGTERM, and SIGKILL after stopTimeout.
func (m *Member) stop() {
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	cmd.Process.Signal(syscall.SIGCONT)
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return
	case <-time.After(stopTimeout):
	}
	cmd.Process.Kill()
	<-done
}

// lastRun returns the log of a member's latest start: the log file keeps
// every run, each opened by a startMarker line.
func lastRun(path string) string {
	b, _ := os.ReadFile(path)
	if i := bytes.LastIndex(b, []byte(startMarker)); i >= 0 {
		b = b[i:]
	}
	return string(b)
}

// tail returns the last n lines of a file, or a note saying why it cannot.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 2*n {
			lines = lines[len(lines)-n:]
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Endpoints returns the client URLs of the members whose process runs
// (frozen ones included), in member order.
func (c *Cluster) Endpoints() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var eps []string
	for _, m := range c.Members {
		if m.Running() {
			eps = append(eps, m.ClientURL)
		}
	}
	return eps
}

// MemberByClientURL returns the member with client URL u, or nil.
func (c *Cluster) MemberByClientURL(u string) *Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	u = strings.TrimSuffix(u, "/")
	for _, m := range c.Members {
		if m.ClientURL == u {
			return m
		}
	}
	return nil
}

// NewMemberURLs picks a name and free ports for a member to be added to the
// cluster. Add peerURL through the members API, then call StartJoining.
func (c *Cluster) NewMemberURLs(t testing.TB) (name, peerURL, clientURL string) {
	t.Helper()
	ports, err := freePorts(2)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	c.mu.Lock()
	name = fmt.Sprintf("m%d", len(c.Members))
	c.mu.Unlock()
	return name, "http://127.0.0.1:" + strconv.Itoa(ports[1]), c.clientScheme() + "://127.0.0.1:" + strconv.Itoa(ports[0])
}

// StartJoining starts a member that joins the running cluster
// (--initial-cluster-state existing) and waits until it answers. Its peer URL
// must already have been added through the members API.
func (c *Cluster) StartJoining(t testing.TB, name, peerURL, clientURL string) *Member {
	t.Helper()
	// etcd refuses to join unless --initial-cluster lists exactly the
	// current membership, so it is read from the cluster itself.
	hc := c.prober()
	var list struct {
		Members []memberJSON `json:"members"`
	}
	var err error
	for _, ep := range c.Endpoints() {
		if c.v2 {
			err = getJSON(hc, ep+"/v2/members", &list)
		} else {
			err = postJSON(hc, ep+"/v3/cluster/member/list", struct{}{}, &list)
		}
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("etcdtest: list members: %v", err)
	}
	var initial []string
	found := false
	for _, lm := range list.Members {
		n := lm.Name
		for _, p := range lm.PeerURLs {
			if p == peerURL {
				n, found = name, true
			}
		}
		if n == "" {
			n = "unstarted-" + lm.ID
		}
		for _, p := range lm.PeerURLs {
			initial = append(initial, n+"="+p)
		}
	}
	if !found {
		t.Fatalf("etcdtest: peer URL %s is not a member yet; add it through the members API first", peerURL)
	}
	clientPort, err := portOf(clientURL)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	peerPort, err := portOf(peerURL)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	m := c.newMember(t, name, clientPort, peerPort)
	m.args = c.memberArgs(m, strings.Join(initial, ","), "existing", "unused-when-joining")
	if err := m.start(); err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	if err := m.waitReady(); err != nil {
		m.stop()
		t.Fatalf("etcdtest: %v", err)
	}
	c.mu.Lock()
	c.Members = append(c.Members, m)
	c.mu.Unlock()
	return m
}

func portOf(u string) (int, error) {
	_, p, err := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://"))
	if err != nil {
		return 0, fmt.Errorf("port of %q: %w", u, err)
	}
	return strconv.Atoi(p)
}
