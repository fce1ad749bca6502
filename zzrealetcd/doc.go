// Package zzrealetcd holds nothing but a test that reports, as the last
// lines of `go test ./...`, that the real-etcd suites did not run.
//
// Those suites (integration, clienttest's differential suite,
// internal/etcdtest) skip when no etcd binary can be found or built, and go
// test shows nothing of a passing package but its "ok" line, so their skips
// would go unseen. go test prints packages in import-path order and this
// name sorts after every other package, so its failure, which names the
// fix, is what the run ends with.
package zzrealetcd
