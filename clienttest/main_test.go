package clienttest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a server leaves a goroutine behind after Close:
// members, watches, hung requests and the expiry loop must all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
