package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// replayEnv, when set in the environment of the test binary, turns it into
// the replay server (see ServeReplay).
const replayEnv = "BENCH_REPLAY_SERVER"

// ReplayHandler answers GET /v2/keys/NAME for every body with that body
// and the headers etcd 3.4 sends. Like etcd it sets no Content-Length
// itself, so net/http chunks every body above a couple of kilobytes, as
// it does for etcd's answers.
func ReplayHandler(bodies []Body) http.Handler {
	byPath := make(map[string][]byte, len(bodies))
	for _, b := range bodies {
		byPath["/v2/keys"+b.Key] = b.JSON
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := byPath[strings.TrimSuffix(r.URL.Path, "/")]
		if !ok || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["X-Etcd-Cluster-Id"] = []string{"48276a8f75b6a87"}
		h["X-Etcd-Index"] = []string{"6021"}
		h["X-Raft-Index"] = []string{"6022"}
		h["X-Raft-Term"] = []string{"2"}
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

// ServeReplay is the main of the replay server process: it serves the
// bodies on a loopback port, prints the URL on stdout and exits when its
// stdin closes (that is, when the parent goes away).
func ServeReplay() {
	srv := httptest.NewServer(ReplayHandler(Bodies()))
	fmt.Println(srv.URL)
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// IsReplayServer reports whether this process was started by
// StartReplayServer.
func IsReplayServer() bool { return os.Getenv(replayEnv) != "" }

// ReplayServer is a replay server in a child process, so that its CPU time
// and allocations do not count as the client's.
type ReplayServer struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.Closer
}

// StartReplayServer starts this binary again as a replay server. The
// child dies with the parent (Pdeathsig) even if Stop is never called.
func StartReplayServer() (*ReplayServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), replayEnv+"=1")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &ReplayServer{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		s.Stop()
		return nil, errors.Join(fmt.Errorf("bench: replay server printed %q", line), err)
	}
	s.URL = strings.TrimSpace(line)
	return s, nil
}

// Stop ends the server process by its PID and waits for it.
func (s *ReplayServer) Stop() {
	s.stdin.Close()
	s.cmd.Process.Kill()
	s.cmd.Wait()
}
