package zzrealetcd

import (
	"testing"

	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestMain finds or builds etcd before the test's -timeout clock starts,
// as the real-etcd packages do; whichever of them gets the lock first
// builds it, and the others find it built.
func TestMain(m *testing.M) {
	etcdtest.Prepare()
	m.Run()
}

// TestRealEtcdRan fails when the real-etcd suites had no etcd to run
// against, with the reason and the fix.
func TestRealEtcdRan(t *testing.T) {
	f, err := etcdtest.Locate()
	if err != nil {
		t.Fatalf("\n*** The real-etcd tests (integration, clienttest's differential suite, internal/etcdtest) were SKIPPED. ***\n%v", err)
	}
	if !f.ServesV2() {
		t.Logf("etcd %s (%s) serves no v2 API: the v2 suites skipped, as %s or ETCD_BIN asked; internal/etcdtest's TestV3Gateway ran against it", f.Version, f.Path, etcdtest.EnvVersion)
		return
	}
	t.Logf("the real-etcd tests ran against etcd %s (%s)", f.Version, f.Path)
}
