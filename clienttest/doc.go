// Package clienttest runs an in-memory etcd server for tests: it speaks
// the v2 HTTP API of etcd 3.4 (keys, watches, members, /version, /health)
// and etcd 3.6's v3 JSON gateway over real 127.0.0.1 listeners, so code
// under test talks to it through the real client and the real network
// stack.
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
// The same members also answer the v3 JSON gateway (POST /v3/...), as
// etcd 3.6 prints and reads it, so programs built with API: client.APIv3
// are tested the same way:
//
//	c, err := client.New(client.Config{Endpoints: srv.Endpoints(), API: client.APIv3})
//
// The v3 key space is apart from the v2 tree, as in etcd: revisions,
// ranges (prefixes, limits, sorting, reads of past revisions), puts,
// deletes, transactions with every compare target and nested operations,
// leases (granted, revoked, kept alive, expiring on the server's [Clock]
// with their keys), compaction, watch streams (from a past revision,
// prefixes, prev_kv, filters, cancel, and progress notifications every ten
// minutes of the server's time, elided after events as etcd does), members
// and status. The answers follow the gateway: 64-bit numbers as strings, bytes in base64,
// zero fields left out, and refusals as {"code":N,"message":...} with
// etcd's status. Member faults and options apply to v3 calls as to v2
// ones.
//
// etcd 3.6's v3 auth is served on the same gateway (/v3/auth/...), apart
// from the v2 auth as in etcd: users (with a password or none) and roles
// with READ, WRITE and READWRITE permissions on keys and ranges, enabling
// (only once user root holds role root) and disabling, and simple tokens
// from /v3/auth/authenticate. While it is on, every v3 call needs a valid
// token in its Authorization header; reads need READ over the whole range
// they name, by the union of the user's roles, writes need WRITE, a
// transaction needs the rights of what it compares and of both branches,
// and the calls of an administrator need the root role, each refused with
// etcd's code, message and status (a watch by a canceled watch on its
// stream). A token lives until it goes unused for [WithV3TokenTTL] on the
// server's [Clock] (etcd's default of 300s otherwise), its user's password
// changes or auth is disabled, so that clients' re-authentication can be
// tested. [WithBasicAuth] and v2 auth leave v3 calls open, as in etcd.
//
// Request bodies are read as the gateway reads them: the first JSON value
// only, fields by proto or JSON name, unknown fields ignored, and
// protojson's refusals with their line and column.
//
// Differences from etcd 3.6's gateway: the lease list is sorted by ID, /v3/maintenance/status reports [ServerVersion], the
// auth store's authRevision may count differently, tokens are only simple
// ones (no JWT), and "revision of auth store is old" never comes, as every
// call is checked and applied at once.
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
