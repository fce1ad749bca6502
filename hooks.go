package client

// This file holds what a caller attaches to see a client at work: the
// Hooks and the values they receive. observe.go calls them (and writes
// Config.Logger's records) from the points the cluster layer, Sync and the
// resilient watcher report to.

import (
	"context"
	"time"
)

// Hooks let a caller observe every call of a client, every request of a
// call, every watch resync and every Sync, enough to build metrics, logs
// and traces on (examples/otel in the repository traces with
// OpenTelemetry). Set them in Config.Hooks; every field may be nil.
//
// Hooks run on the goroutine of the call they describe, in its order: Call,
// then for each request Attempt and its done function, then the Call's
// done function. They must be safe for concurrent use, since calls run
// concurrently, and should return quickly: the call waits for them. A hook
// that panics crashes the call's goroutine like any other code of the
// caller. (An addition of this package.)
type Hooks struct {
	// Call is called when a call starts, before its first request. The
	// context it returns is the one the call runs under, so a tracer can
	// start a span here; return ctx itself to change nothing (a nil
	// context counts as ctx). done, unless nil, is called once when the
	// call returns, with how it ended.
	//
	// A call is one Client.Do: each method of the APIs, each long poll of
	// a Watcher (Next may send several when the server ends one empty),
	// and the member list requests of Sync. The probes Sync sends to
	// advertised URLs are not calls.
	Call func(ctx context.Context, call CallInfo) (_ context.Context, done func(CallResult))

	// Attempt is called before each request a call sends: one per member
	// tried, per redirect hop and per Config.Retry round. The context it
	// returns becomes the request's context, so an instrumented
	// RoundTripper (Config.RoundTripper) sees the span a tracer started
	// here and can propagate it; return ctx itself to change nothing.
	// done, unless nil, is called once the request has ended: after its
	// body has been read, or when it failed.
	Attempt func(ctx context.Context, attempt AttemptInfo) (_ context.Context, done func(AttemptResult))

	// WatchResync is called when a resilient watcher (NewResilientWatcher)
	// lost track of the events and returns the key's state instead, with
	// the context of that Next.
	WatchResync func(ctx context.Context, resync WatchResyncInfo)

	// Sync is called when a Sync (AutoSync's rounds included) has decided
	// what to do with the endpoint list, after the list took its new
	// shape, with the context of that Sync.
	Sync func(ctx context.Context, sync SyncInfo)
}

// CallInfo describes a call. (An addition of this package.)
type CallInfo struct {
	// API is the etcd API the call speaks: APIv2, or APIv3 for the
	// gateway requests of a client with Config.API set to APIv3.
	API API

	// Op names the operation: "keys.get", "keys.set", "keys.create",
	// "keys.update", "keys.createInOrder", "keys.delete", "keys.watch",
	// "members" (every members call; Method tells them apart),
	// "auth.enable", "auth.users", "auth.roles", "version", or "do" for
	// a caller's own action passed to Client.Do.
	//
	// On APIv3 a call is one request to etcd's gateway, and Op is "v3."
	// and its path with dots: "v3.kv.range", "v3.kv.txn" (a Get is one
	// txn; a write is a reading txn, then the committing one, and
	// "v3.lease.grant" for a TTL), "v3.watch", "v3.lease.revoke",
	// "v3.auth.authenticate", "v3.auth.user.add", ...,
	// "v3.cluster.member.list", "v3.maintenance.status".
	Op string

	// Method is the HTTP method of the call's requests.
	Method string

	// Key is what the call addresses below its API: the key or directory
	// of a keys call, the member id of a members call, the user or role
	// name of an auth call; "" when there is none. On APIv3 it is the
	// same for every gateway request the KeysAPI, MembersAPI or auth
	// call makes (the v2 key, not the gateway's path), and the user's
	// name for the token's "v3.auth.authenticate".
	Key string
}

// CallResult is how a call ended. (An addition of this package.)
type CallResult struct {
	// Endpoint is the endpoint of the member that answered, with any
	// password in it masked; "" when none answered.
	Endpoint string

	// Status is the HTTP status of the answer the call returned; 0 when
	// it returned none.
	Status int

	// Err is the error the call returned to the API, before the API
	// decoded the answer: an etcd refusal (a 4xx answer) is no error
	// here, only its Status.
	Err error

	// Attempts is the number of requests the call sent.
	Attempts int

	// PinMoved reports that the call moved the client's pin, so later
	// calls start at another endpoint.
	PinMoved bool

	// Duration is the time from the call's start to its end.
	Duration time.Duration
}

// AttemptInfo describes one request of a call. (An addition of this
// package.)
type AttemptInfo struct {
	// Call is the call the request belongs to.
	Call CallInfo

	// Attempt numbers the call's requests from 1.
	Attempt int

	// Round numbers the rounds over the members from 1; it exceeds 1
	// only under Config.Retry.
	Round int

	// Endpoint is the endpoint of the member tried, with any password in
	// it masked.
	Endpoint string

	// Host is the host (and port) the request goes to: Endpoint's, or a
	// redirect's.
	Host string

	// Redirect is 0 for the request to the member itself and n for the
	// n-th redirect hop after it.
	Redirect int
}

// AttemptResult is how one request ended. (An addition of this package.)
type AttemptResult struct {
	// Status is the HTTP status of the answer; 0 when none came.
	Status int

	// Proto is the protocol of the answer, "HTTP/1.1" or "HTTP/2.0";
	// "" when none came.
	Proto string

	// Err is why the request failed, when it did: no answer, or an
	// answer whose body could not be read.
	Err error

	// Duration is the time from sending the request to the end of its
	// body.
	Duration time.Duration
}

// WatchResyncInfo describes a resync of a resilient watcher. (An addition
// of this package.)
type WatchResyncInfo struct {
	// Key is the watched key and Recursive whether the watch covers the
	// keys below it.
	Key       string
	Recursive bool

	// Index is the index of the state returned; the watch goes on with
	// the events after it.
	Index uint64

	// Cause is the error that made the watcher resync, the etcd Error
	// "event index cleared" (see IsEventIndexCleared).
	Cause error
}

// SyncInfo describes what one Sync decided. Its slices must not be
// modified. (An addition of this package.)
type SyncInfo struct {
	// Outcome is what Sync did with the advertised client URLs:
	// "adopted" (they replaced the endpoint list), "unchanged" (they are
	// the list already), "kept-unreachable" (none answered this client,
	// so the list stayed), "interrupted" (the context ended while they
	// were probed), "superseded" (SetEndpoints or another Sync replaced
	// the list meanwhile) or "failed" (Err says why).
	Outcome string

	// Advertised are the client URLs the members advertise, Reachable
	// those of them that answered this client's probe (nil when no probe
	// ran), and Endpoints the endpoint list when Sync returned.
	Advertised []string
	Reachable  []string
	Endpoints  []string

	// Leader is the leader's client URL in
	// EndpointSelectionPrioritizeLeader mode, once known. LeaderPinned
	// reports that calls now start there; LeaderUnreachable that it did
	// not answer this client and so was not pinned.
	Leader            string
	LeaderPinned      bool
	LeaderUnreachable bool

	// Err is what Sync returned.
	Err error

	// Duration is the time the Sync took.
	Duration time.Duration
}
