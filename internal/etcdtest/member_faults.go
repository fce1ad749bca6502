package etcdtest

// This file holds what a test does to one member's process: look at it,
// SIGKILL, SIGSTOP and SIGCONT it, and restart it.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// PID returns the process id of the member's current process, or 0 if it
// was never started.
func (m *Member) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return 0
	}
	return m.cmd.Process.Pid
}

// Running reports whether the member's process has not exited. A frozen
// (SIGSTOPped) member is running.
func (m *Member) Running() bool {
	m.mu.Lock()
	done := m.done
	m.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Exited returns a channel closed when the member's current process exits.
func (m *Member) Exited() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.done
}

// Kill sends SIGKILL and waits until the process is gone.
func (m *Member) Kill(t testing.TB) {
	t.Helper()
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.mu.Unlock()
	if cmd == nil {
		t.Fatalf("etcdtest: Kill(%s): never started", m.Name)
	}
	cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("etcdtest: Kill(%s): pid %d still there 10s after SIGKILL", m.Name, cmd.Process.Pid)
	}
}

// Stop freezes the member with SIGSTOP: its sockets stay open but it answers
// nothing until Cont.
func (m *Member) Stop(t testing.TB) {
	t.Helper()
	m.signal(t, syscall.SIGSTOP)
	// The kernel stops the process's threads asynchronously; wait until
	// it reports the process stopped, so the test's next request surely
	// meets a frozen member.
	deadline := time.Now().Add(5 * time.Second)
	for !m.Frozen() {
		if time.Now().After(deadline) {
			t.Fatalf("etcdtest: Stop(%s): pid %d not stopped 5s after SIGSTOP", m.Name, m.PID())
		}
		time.Sleep(time.Millisecond)
	}
}

// Frozen reports whether the member's process is stopped by a signal, as
// the kernel tells in /proc/<pid>/stat.
func (m *Member) Frozen() bool {
	pid := m.PID()
	if pid == 0 || !m.Running() {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and
	// may itself contain spaces or parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'T'
}

// Cont thaws a member frozen by Stop.
func (m *Member) Cont(t testing.TB) {
	t.Helper()
	m.signal(t, syscall.SIGCONT)
}

func (m *Member) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		t.Fatalf("etcdtest: %v to %s: never started", sig, m.Name)
	}
	if err := m.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("etcdtest: %v to %s (pid %d): %v", sig, m.Name, m.cmd.Process.Pid, err)
	}
}

// Restart starts the member again on the same ports and data directory,
// killing it first if it still runs, and waits until it answers.
func (m *Member) Restart(t testing.TB) {
	t.Helper()
	if m.Running() {
		m.Kill(t)
	}
	m.restart(t)
}

// RestartWithPeerURL kills the member and starts it again listening on
// peerURL instead of its old peer URL, for tests that move a member with
// the members API's Update: the member can only take part in the cluster
// again once it listens where the others now look for it.
func (m *Member) RestartWithPeerURL(t testing.TB, peerURL string) {
	t.Helper()
	if m.Running() {
		m.Kill(t)
	}
	for i := 0; i+1 < len(m.args); i++ {
		switch m.args[i] {
		case "--listen-peer-urls", "--initial-advertise-peer-urls":
			m.args[i+1] = peerURL
		}
	}
	m.PeerURL = peerURL
	m.restart(t)
}

func (m *Member) restart(t testing.TB) {
	t.Helper()
	// The port was ours a moment ago; a kernel that has not released it
	// yet makes etcd exit, so a few attempts are allowed.
	var err error
	for range startAttempts {
		if err = m.start(); err != nil {
			break
		}
		if err = m.waitReady(); err == nil {
			return
		}
		m.stop()
		if !errors.Is(err, errPortTaken) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("etcdtest: Restart(%s): %v", m.Name, err)
}
