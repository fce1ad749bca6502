// Package clienttest runs an in-memory etcd v2 server for tests: it speaks
// the v2 HTTP API of etcd 3.4 (keys, watches, members, /version, /health)
// over real 127.0.0.1 listeners, so code under test talks to it through the
// real client and the real network stack.
//
// One line starts it for a test, and the test's cleanup stops it:
//
//	srv := clienttest.NewServer(t)
//	c, err := client.New(client.Config{Endpoints: srv.Endpoints()})
//
// Start does the same without a testing.TB, for a plain main.
//
// What a client can observe follows etcd 3.4 started with --enable-v2:
// status codes, headers (X-Etcd-Index, X-Etcd-Cluster-Id, X-Raft-Index,
// X-Raft-Term), error bodies byte for byte, TTLs and expire events, in-order
// keys, hidden keys, compare-and-swap and compare-and-delete, and watches
// with their 1,000-event history. The package's differential tests run the
// same requests against a real etcd and compare the answers.
//
// The v2 auth API of etcd 3.4 is served too: users, roles, grants and
// revokes, enabling and disabling auth, the root user and the guest role,
// and the permission check of every keys request, with etcd's answers and
// the index moves its auth writes cause.
//
// Options add what tests of failure handling need: several members sharing
// one key space ([WithMembers]), chosen names and addresses
// ([WithMemberConfigs]), a manual [Clock] for TTLs, pre-loaded keys
// ([WithKeys]) and auth already on ([WithBasicAuth]). Tests can read the
// key space directly ([Server.Get], [Server.Tree]) and check it
// ([Server.CheckGet], [Server.CheckTree]). Each [Member] can
// fail with a 5xx, hang, freeze like a SIGSTOPped process, refuse
// connections or drop them in the middle of a body.
//
// Differences from etcd: an unsorted directory listing comes back sorted
// (etcd's order is random, so this is one of its possible answers),
// X-Raft-Index counts differently, X-Raft-Term is always 2, the /v2/stats
// and /v2/machines APIs are not served, passwords are checked against a
// SHA-256 hash rather than bcrypt, and a member added through the members
// API is only a record: no process joins.
//
// The command clienttest/cmd/etcdstandin runs one such server in place of
// the etcd binary, for tests written in other languages or in scripts.
package clienttest
