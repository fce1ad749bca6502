package etcdtest

import (
	"testing"

	"go.uber.org/goleak"
)

// The harness starts a goroutine per process to reap it; every one must
// be gone once the tests have stopped their members.
func TestMain(m *testing.M) {
	Prepare()
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction(SpawnerFunction))
}
