package clienttest_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestMain fails the run if a server leaves a goroutine behind after Close:
// members, watches, hung requests and the expiry loop must all end.
//
// etcdtest.Prepare finds or builds the etcd of the v2 differential suite,
// and LocateVersion the etcd 3.6 of the v3 gateway's, before the tests
// start, so a first run's build does not eat into their -timeout. An error
// is left for the tests that need the binary to report.
func TestMain(m *testing.M) {
	etcdtest.Prepare()
	_, _ = etcdtest.LocateVersion(v3Version)
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction(etcdtest.SpawnerFunction))
}
