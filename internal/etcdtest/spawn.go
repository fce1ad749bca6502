package etcdtest

// This file starts member processes from one OS thread that lives as long
// as the test binary. Pdeathsig, which kills a member when the test binary
// dies, is tied by Linux to the thread that forked the member, not to the
// process: when that thread ends, the kernel kills the member at once. The
// Go runtime ends a thread when a goroutine locked to it exits, so a member
// forked from an ordinary goroutine's thread could be killed in the middle
// of a test. Forking from a goroutine locked for good to its own thread
// rules that out.

import (
	"os/exec"
	"runtime"
	"sync"
)

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce sync.Once
	spawns    chan spawnRequest
)

// SpawnerFunction names the goroutine that starts members, which lives as
// long as the test binary: a TestMain that checks for leaked goroutines
// passes goleak.IgnoreAnyFunction(etcdtest.SpawnerFunction).
const SpawnerFunction = "github.com/seed26e043ee/client/internal/etcdtest.spawner"

// spawn runs cmd.Start on the spawning thread.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawns = make(chan spawnRequest)
		go spawner()
	})
	done := make(chan error, 1)
	spawns <- spawnRequest{cmd, done}
	return <-done
}

func spawner() {
	// Never unlocked: the thread must outlive every member.
	runtime.LockOSThread()
	for r := range spawns {
		r.done <- r.cmd.Start()
	}
}
