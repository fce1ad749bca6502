// Command etcd36 is a genuine etcd 3.6 server, built from the upstream module
// so that tests can run against a release line that no longer serves the v2
// API: it speaks v3 only (gRPC and the JSON gateway under /v3/). It takes the
// same flags as etcd, except that it rejects --enable-v2.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
