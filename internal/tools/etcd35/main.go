// Command etcd35 is a genuine etcd 3.5 server, built from the upstream module so
// that the integration suite can run against the last release line that still
// serves the v2 API. It takes the same flags as etcd.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
