package etcdtest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		name, out, want string
		wantErr         bool
	}{
		{name: "debian_3.4", out: "etcd Version: 3.4.23\nGit SHA: Not provided\nGo Version: go1.19.8\n", want: "3.4.23"},
		{name: "upstream_3.5", out: "etcd Version: 3.5.35\nGit SHA: GitNotFound\n", want: "3.5.35"},
		{name: "garbage", out: "hello\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVersion([]byte(tc.out))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseVersion(%q) = %q, %v; want %q, error %v", tc.out, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func get(t *testing.T, u string) (int, string, error) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func put(t *testing.T, u, value string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, strings.NewReader("value="+value))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", u, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestMember_KillRestart proves that a member's data survives SIGKILL and
// Restart and that the ports are reused.
func TestMember_KillRestart(t *testing.T) {
	c := Start(t, 1)
	m := c.Members[0]
	if v := ServerVersion(t); !strings.HasPrefix(v, "3.") {
		t.Errorf("ServerVersion() = %q, want 3.x", v)
	}
	if code := put(t, m.ClientURL+"/v2/keys/harness", "alive"); code != http.StatusCreated {
		t.Fatalf("PUT /v2/keys/harness = %d, want %d", code, http.StatusCreated)
	}
	if got := c.Leader(t); got != m {
		t.Errorf("Leader() = %v, want %v", got.Name, m.Name)
	}
	pid := m.PID()
	m.Kill(t)
	if m.Running() {
		t.Fatalf("Running() after Kill = true, want false")
	}
	if eps := c.Endpoints(); len(eps) != 0 {
		t.Errorf("Endpoints() after Kill = %v, want none", eps)
	}
	if _, _, err := get(t, m.ClientURL+"/v2/keys/harness"); err == nil {
		t.Fatalf("GET after Kill succeeded, want a connection error")
	}
	m.Restart(t)
	if m.PID() == pid {
		t.Errorf("PID() after Restart = %d, the old one", pid)
	}
	code, body, err := get(t, m.ClientURL+"/v2/keys/harness")
	if err != nil || code != http.StatusOK || !strings.Contains(body, `"value":"alive"`) {
		t.Fatalf("GET /v2/keys/harness after Restart = %d %q %v, want 200 with the value", code, body, err)
	}
	if got := c.MemberByClientURL(m.ClientURL + "/"); got != m {
		t.Errorf("MemberByClientURL(%q) = %v, want %v", m.ClientURL+"/", got, m)
	}
}

// TestMember_StopCont checks that a frozen member answers nothing and that
// the cleanup still stops it while it is frozen.
func TestMember_StopCont(t *testing.T) {
	c := Start(t, 1)
	m := c.Members[0]
	m.Stop(t)
	if !m.Frozen() {
		t.Fatalf("Frozen() after Stop = false, want true")
	}
	hc := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := hc.Get(m.ClientURL + "/v2/keys/"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET on a frozen member answered %s, want a timeout", resp.Status)
	}
	m.Cont(t)
	if m.Frozen() {
		t.Errorf("Frozen() after Cont = true, want false")
	}
	if code, _, err := get(t, m.ClientURL+"/v2/keys/"); err != nil || code != http.StatusOK {
		t.Fatalf("GET after Cont = %d, %v; want 200", code, err)
	}
	m.Stop(t)
	pid := m.PID()
	// stop is what the cleanup runs. A frozen process acts on SIGTERM only
	// once thawed; without the SIGCONT first, stop would wait for its
	// SIGKILL fallback.
	m.stop()
	m.mu.Lock()
	ps := m.cmd.ProcessState
	m.mu.Unlock()
	if ws, ok := ps.Sys().(syscall.WaitStatus); !ok || ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		t.Errorf("stop of a frozen member ended it with %v, want a graceful exit on SIGTERM, before the SIGKILL fallback", ps)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("pid %d still exists after stop of a frozen member", pid)
	}
}

// TestStart_portTaken checks the detection behind Start's retry: a member
// whose port is taken exits, and waitReady reports errPortTaken.
func TestStart_portTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	f := RequireV2(t)
	c := &Cluster{bin: f.Path, v2: true}
	m := c.newMember(t, "m0", l.Addr().(*net.TCPAddr).Port, ports[0])
	m.args = c.memberArgs(m, "m0="+m.PeerURL, "new", "port-taken")
	if err := m.start(); err != nil {
		t.Fatal(err)
	}
	if err := m.waitReady(); !errors.Is(err, errPortTaken) {
		t.Errorf("waitReady() with the client port taken = %v, want errPortTaken", err)
	}
}
