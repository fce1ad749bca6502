package client

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: watchers,
// AutoSync and cancelled calls must all clean up after themselves.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
