package clienttest_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestMain fails the run if a server leaves a goroutine behind after Close:
// members, watches, hung requests and the expiry loop must all end.
//
// etcdtest.Prepare finds or builds the etcd of the differential suite
// before the tests start, so a first run's build does not eat into their
// -timeout.
func TestMain(m *testing.M) {
	etcdtest.Prepare()
	goleak.VerifyTestMain(m)
}
