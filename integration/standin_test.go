package integration

// The suite also runs against the etcd stand-in of clienttest/cmd/etcdstandin
// (ETCD_BIN=<built stand-in>), the APIv3 tests included: it serves the v2
// API and the v3 gateway. The stand-in is one member in memory: it cannot
// form a cluster with other processes, so the tests that need several
// members (a leader to kill, a member to freeze while others answer, a
// member joining) cannot run against it, nor can the TLS tests (it serves
// plain HTTP). Those, and only those, skip when the binary under test
// reports the stand-in's version; against a real etcd they always run.

import (
	"strings"
	"testing"

	"github.com/seed26e043ee/client/internal/etcdtest"
)

// standinSuffix ends the version the stand-in reports ("3.4.23-clienttest").
const standinSuffix = "-clienttest"

// skipOnStandin skips t with why when the binary under test is the
// stand-in.
func skipOnStandin(t *testing.T, why string) {
	t.Helper()
	if strings.HasSuffix(etcdtest.ServerVersion(t), standinSuffix) {
		t.Skipf("the etcd stand-in serves one member per process: %s", why)
	}
}
