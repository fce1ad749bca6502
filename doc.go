/*
Package client talks to etcd's v2 HTTP API. It is a drop-in replacement for
the frozen upstream v2 client (github.com/coreos/etcd/client, later
go.etcd.io/etcd/client/v2): the same names, types and wire behaviour, so a
program switches by changing one import path. It depends on the standard
library only.

# Quick start

Create a Client from the members' client URLs, then build the APIs on it:

	c, err := client.New(client.Config{
		Endpoints: []string{"http://127.0.0.1:2379"},
	})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)

	ctx, cancel := context.WithTimeout(context.Background(), client.DefaultRequestTimeout)
	defer cancel()
	if _, err := kapi.Set(ctx, "/greeting", "hello", nil); err != nil {
		log.Fatal(err)
	}
	resp, err := kapi.Get(ctx, "/greeting", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Node.Value)

For tests, the package github.com/seed26e043ee/client/clienttest starts an
in-process server that speaks the same API, so no etcd binary is needed.

# TLS

For members started with --cert-file and --key-file (and
--client-cert-auth), give the client the CA and, if asked for, a client
certificate; NewTLSConfig reads the three files etcdctl's --cacert, --cert
and --key name:

	tc, err := client.NewTLSConfig("client.pem", "client-key.pem", "ca.pem")
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New(client.Config{
		Endpoints: []string{"https://10.0.0.1:2379"},
		TLS:       tc,
	})

The client's own transport then speaks HTTP/2 with the members, so many
watchers share a few connections instead of holding one each. Over plain
HTTP/1.1 each waiting watch needs a connection of its own; a client's own
transport reads it in the caller's goroutine, without goroutines of
net/http's (about 7 KB per waiting watcher; bench/RESULTS.md). A failed
handshake names the likely cause: an unknown CA, a missing or refused client
certificate, a plain-HTTP member.

# Seeing what the client does

Config.Logger takes a *slog.Logger: Debug records every request and call;
Info a pin that moved and why, a failed call, an adopted endpoint list;
Warn a member that failed (with the cause), a Retry round after every
member failed, advertised URLs or a leader this client cannot reach, and a
watch resync. Attributes name the endpoint (passwords masked), API ("v2" or "v3"),
operation, HTTP method, key, attempt, round, status and duration; records
never hold credentials, bodies or queries.

Config.Hooks are functions called for every call (with the context it
runs under, so a tracer can start a span), every request of a call
(whose context becomes the request's, so an instrumented RoundTripper
propagates it), every watch resync and every Sync: enough for metrics and
traces. examples/otel in the repository traces with OpenTelemetry.

A client built without a transport gets its own copy of DefaultTransport.
Config.RoundTripper takes any http.RoundTripper (otelhttp's, a recording
one) without the CancelRequest method Config.Transport demands. A Client
made by New also has a CloseIdleConnections method, reached by an
interface assertion.

# Running on etcd 3.6 and later (APIv3)

etcd 3.6 no longer serves the v2 API (3.4 and 3.5 serve it only with
--enable-v2). One field moves a program onto the v3 API; nothing else
changes:

	c, err := client.New(client.Config{
		Endpoints: []string{"http://127.0.0.1:2379"},
		API:       client.APIv3, // the zero value, APIv2, is the v2 HTTP API
	})
	kapi := client.NewKeysAPI(c) // the same KeysAPI, options and errors

An APIv3 client talks to etcd's v3 JSON gateway (POST /v3/..., served by
etcd 3.4 to 3.7 without any flag) through the same cluster client as v2
calls, so endpoint pinning, failover, ClusterError,
HeaderTimeoutPerRequest, redirects, Config.Retry, cURL debug and
MaxResponseBytes behave as described here. What maps how:

  - KeysAPI: a v2 key K is the v3 key Config.V3KeyPrefix+K holding the
    value verbatim; a directory D is one marker key V3KeyPrefix+D+"/".
    Get is one request (serializable, or linearizable with Quorum): a
    read-only transaction of the key and of its subtree, plus one
    lease lookup per distinct lease in the answer for the TTLs; every
    write is one read transaction and one conditional transaction, so
    compare-and-swap, PrevExist, Dir and CreateInOrder keep v2's
    guarantees under concurrent writers. Indexes are v3 revisions, TTLs
    are leases, the v2 errors (Error with the v2 codes) come back as on
    v2, with the answer's revision as their Index.
  - Watcher: one /v3/watch stream kept open across calls of Next, with
    the v2 actions (set, create, update, compareAndSwap, delete,
    compareAndDelete, expire); a compacted start revision gives the v2
    error 401, so NewResilientWatcher resyncs as on v2. The watcher also
    has Close() error (assert interface{ Close() error }) to end its
    stream. A dropped watcher's stream is closed when the garbage
    collector finds it, so a test that checks for leaked goroutines
    (goleak) must Close its APIv3 watchers.
  - MembersAPI, Sync and AutoSync use the v3 member list; Leader comes
    from the maintenance status; GetVersion keeps using /version.
  - AuthAPI, AuthUserAPI and AuthRoleAPI map onto etcd's v3 auth; see
    "Auth on APIv3" below.

Calls on APIv3 (and APIv2 calls to a v3-only member) add these errors:

  - ErrV2NotServed: an APIv2 call reached a member without the v2 API;
    its text names API: client.APIv3. It also matches ErrInvalidJSON,
    which callers of the original client checked.
  - ErrNoV3Gateway: an APIv3 call reached something that answers 404
    without the gateway's JSON (etcd before 3.4, a proxy, a wrong port).
  - ErrNotOnAPIv3: wrapped by the error of an auth call that v3 auth
    cannot express (a grant to v2's guest role).
  - *GatewayError: a refusal for missing permissions (gRPC code 7) also
    matches Error with Code ErrorCodeUnauthorized (110) under errors.As,
    as v2 refuses such calls.
  - *GatewayError: a refusal of the gateway that has no v2 equivalent,
    with the HTTP status, gRPC code and etcd's message.

Where v3 cannot behave exactly like v2 (listing cost and order, a
directory's modifiedIndex, TTLs inside directories with a TTL, event
history), docs/v3-layout.md in the repository says what was chosen. That
file is also the stable contract of the key layout, for tools such as
etcdctl or clientv3 that read the same keys. Through the gateway etcd
spends more CPU per call than through gRPC, 1.7 to 4 times as much in
bench/RESULTS.md of the repository; the client adds little to a plain
net/http loop sending the same requests besides decoding the JSON answers.

# Auth on APIv3

On an APIv3 client, Config.Username and Password are not sent as basic
auth: etcd's v3 API takes a token. The client asks for one
(/v3/auth/authenticate) on its first call, sends it with every call
(the Authorization header, under the same redirect rule as v2's
credentials) and keeps it for all calls. When etcd refuses the token (a
simple token expires after --auth-token-ttl seconds unused, a JWT after
its ttl; changing the user's password, deleting the user or switching
auth off drops them), the call asks for a new token once and is sent
again; concurrent calls share that one request. No call fails because a
token aged. A refused request was not applied, so this also holds for
Create, Delete and CreateInOrder. While auth is off, calls go without a
token; a client that changes its own password goes on with the new one.
A wrong password is an *AuthError with Code 401 naming the user. The
password and token never appear in errors, log records, Hooks or cURL
debug lines.

The auth APIs map onto /v3/auth/...: users (add, get, list, delete,
changepw, grant and revoke of roles), roles (add, get, list, delete,
grant and revoke of permissions), enable and disable. Errors are v2's:
IsUserNotFound and IsRoleNotFound work, an existing user or role is an
*AuthError with Code 409 and v2's text, missing rights an *AuthError
with Code 401; other refusals an *AuthError with etcd's message.

Permission paths become key ranges under Config.V3KeyPrefix
(docs/v3-layout.md has the table): "/foo/*" and "/foo*" are prefix
ranges, "/foo" is the node /foo (its key and its directory marker);
read, write and readwrite are v3's READ, WRITE and READWRITE, merged per
range (v3 keeps one type per range). A "*" anywhere but at the end is
refused. Because KeysAPI reads the key, its directory markers and its
ancestors before it writes, every grant also gives read on the
ancestors' keys and markers above the path; a write grant on one node
("/foo") also gives write on its parent directory's marker, where every
write records its action. GetRole leaves these extra grants out and a
revoke removes those no longer needed. So:

  - a role with "/foo/*" can Get, Set, Delete and watch keys below /foo;
    writing also needs read (grant ReadWritePermission), and the
    directories above must exist (creating a directory writes its marker,
    so root creates them first, as the marker of the root directory);
  - Get and watch of the directory /foo itself work with "/foo/*": they
    read the key /foo (an extra read) and the subtree apart, not the
    names like "/foo-bar" that sort in between;
  - an exact "/foo" lets KeysAPI Get the key /foo (after etcd refuses
    the read of its subtree, the key and its marker are read alone) and,
    with write, Set, Update, Create or Delete it, but not list a
    directory /foo nor write its siblings;
  - the extra reads show ancestors' directory markers, which name the
    last key written in each directory; with write on "/foo", the role
    may also put or delete the parent's marker itself outside KeysAPI,
    which can change the last-write record other clients and watchers
    of that directory read, though none of the directory's other keys.

v2's built-in roles: AddUser("root", ...) also creates the role root
and grants it, since v3 requires both before Enable. GetRole("root")
shows read and write on "/*" (v3's root may do everything) and the role
root cannot be changed. v3 has no guest role: with auth on, it refuses
every request without a token. Unless a v3 role named guest exists,
GetRole("guest") returns a guest without permissions, revoking from it
succeeds with nothing to do, and granting to it fails with an error
wrapping ErrNotOnAPIv3: give unauthenticated readers a user instead.
Enable and Disable succeed when auth already is on or off (v2 answers
409). GrantUser and RevokeUser send one call per role and role changes
one call per range, so a failure can leave the first ones done.

# Concurrency

A Client and every API built on it (KeysAPI, MembersAPI, AuthAPI,
AuthUserAPI, AuthRoleAPI) are safe for concurrent use by many goroutines.
Calls read the endpoint list without taking a lock; SetEndpoints and Sync
replace it atomically. A Watcher is meant for one goroutine at a time.

# How the package is built

Every API call is an action: a plain value holding the method, path, query,
body and the call's kind (may be repeated elsewhere, one member only, or a
watch). The cluster client turns an action into a request for each member
and each redirect hop itself, and decides in one place what headers a
request carries; below it, one function sends one request. Every error type
and the decoding of every refusal live together. ARCHITECTURE.md in the
repository draws the layers and the path of one call.

# How a call picks a member

The client shuffles its endpoints once (at New, SetEndpoints and a Sync that
changes the set) and pins the first. A call starts at the pinned endpoint
and, when that member fails (a connection error, a header timeout or a 5xx
answer), tries the next ones in turn, each at most once. The first member
that answers anything else wins and is pinned.

Writes that a repeat could apply twice, or whose repeat would report the
first one's success as a failure, follow the rule net/http's Transport
applies to non-idempotent requests: Create (and Set with PrevNoExist),
Delete (conditional or not) and CreateInOrder go on to the next member only
after a failure that proves the request never left this process, and any
failure after it may have reached a member ends the call. Proof is:

  - a connection that could not be opened: a dial error or a refused
    connection;
  - with a RoundTripper that reports to net/http/httptrace (net/http's own
    does), any failure, a header timeout included, before the transport
    got a connection for the request.

Everything else may have reached the member and leaves the outcome
unknown: a connection reset or closed after the request was written (even a
write that failed halfway counts, since the client cannot tell how much
arrived), a header timeout after the connection was obtained, a broken
answer, and any 5xx; etcd answers 500 "request timed out" for a proposal
that did not commit in time, and it may still commit. Such a call returns an
error that wraps ErrOutcomeUnknown and its cause: read back (for
CreateInOrder, look for the value in the directory) before you repeat the
write. A RoundTripper that does not trace and returns no dial error gives no
proof, so its failures are unknown outcomes. A redirect hop counts like the
member itself. Config.Retry repeats such a write only after a round in which
no request left.

Other writes stay retryable after any failure: a plain Set or Update
writes the same value again, and a compare-and-swap (Set or Update with
PrevIndex or PrevValue) cannot apply twice, since its comparison fails once
the first has been applied. That refusal is no answer, though: when the
repeat of a compare-and-swap whose earlier attempt may have been applied
fails its comparison (ErrorCodeTestFailed) or finds the key gone
(ErrorCodeKeyNotFound), the call fails with an error wrapping
ErrOutcomeUnknown instead, so a read-modify-write loop does not apply its
change a second time. A repeat that succeeds is a plain success: with a
PrevIndex the first attempt cannot have applied; with a PrevValue it could
only have if another writer put the old value back in between.

Sync reads the member list and replaces the endpoints with the client URLs
the members advertise, but only when this client can reach them: a client
behind NAT, an SSH tunnel, a load balancer or a container port mapping
often cannot, and switching would strand it. So when the advertised set
differs from the current list, Sync first sends GET /version to every
advertised URL at once, through the same transport, TLS settings and
credentials rules as any call, each probe bounded by 2 seconds (and by
HeaderTimeoutPerRequest, if set) within the caller's context. An answer
below 500 counts as reachable. Then:

  - if every advertised URL answered, the advertised set replaces the
    list, as in the original, so membership is tracked;
  - if only some answered, the advertised set is adopted too, but the
    URLs that answered come first (each group shuffled) and the first of
    them is pinned, then the endpoints the client had that are not
    advertised (the load balancer or tunnel it reached the cluster
    through), then the unreachable ones: should the reachable members go,
    the client still reaches the cluster the way it did, and the next
    Sync, seeing a list that is not the advertised set, probes again;
  - if none answered, the list stays as it is and Sync returns nil: the
    cluster was reachable through the current endpoints, which keep
    working;
  - if the caller's context ends during the probes, Sync returns ctx.Err()
    and the list stays;
  - an advertised set equal to the current list is not probed, so a
    steady AutoSync sends only the member list request.

Members that advertise no client URL (added but not started) are skipped.
In EndpointSelectionPrioritizeLeader mode the leader's client URL is pinned
only if it is in the list and did not fail its probe; a leader URL outside
the list is probed and put first only if it answers. A leader URL that does
not answer neither replaces nor displaces a working endpoint; calls then go
to a member that answered, which forwards writes to the leader.

# Errors

A call returns one of these:

  - context.Canceled or context.DeadlineExceeded, exactly (compare with ==),
    when the caller's context ended, whatever happened before;
  - *ClusterError, when every endpoint failed: its Errors list each
    member's failure in the order they were tried, and errors.Is/errors.As
    see through it (errors.Is(err, syscall.ECONNREFUSED));
  - Error (a value, not a pointer), when etcd refused a keys call: Code
    tells why (ErrorCodeKeyNotFound, ErrorCodeTestFailed, ...);
  - *MembersError or *AuthError, when etcd refused a members or auth call
    with a message, and *StatusError for an unexpected HTTP status;
  - ErrEmptyBody, ErrInvalidJSON or ErrResponseTooLarge, when an answer is
    not one etcd would give;
  - for Create, Delete and CreateInOrder, an error wrapping
    ErrOutcomeUnknown and the member's failure, when the write may or may
    not have been applied (see above); a *ClusterError from these means no
    member received it.

The predicates IsKeyNotFound, IsUserNotFound, IsRoleNotFound and
IsEventIndexCleared also work on wrapped errors.

# Troubleshooting

ErrV2NotServed (which also matches ErrInvalidJSON) on every call: the
member serves no v2 API: etcd 3.6 or later, or 3.4/3.5 started without
--enable-v2=true. Set Config.API to APIv3 (see "Running on etcd 3.6 and
later"), or start 3.4/3.5 with --enable-v2=true.

ErrInvalidJSON on every call: the endpoint is not an etcd API at all, for
example a proxy's HTML page, or the peer port (2380) given instead of the
client port (2379).

ErrNoV3Gateway on an APIv3 client: the endpoint serves no /v3/ gateway
(etcd older than 3.4, a proxy that forwards only /v2/, a wrong port).

*ClusterError with "connection refused" for each member: nothing listens on
those addresses; check the endpoints and that the members run.

*ClusterError with "has no leader": the members answered 500/503 because
the cluster has no quorum or is electing a leader. Elections last a second
or two; Config.Retry rides through them. etcd 3.4 and 3.5 often hold a
write during an election instead of answering 5xx, so pair Config.Retry
with Config.HeaderTimeoutPerRequest: the held request then fails on its
member and the next round goes to the new leader. On APIv3 the text ends
with etcd's own explanation, "(HTTP 500: gRPC code 13: ...)", when the
gateway gave one: a 500 there may be another trouble of the member than
a lost leader. etcd's auth store refusing a request with a 500 (a
password given for a user made without one) is not a member failure: it
comes back as an *AuthError 401 after one member was asked.

*ClusterError with "exceeded header timeout": a member took longer than
Config.HeaderTimeoutPerRequest to answer, often a stopped or overloaded
process.

context.DeadlineExceeded with no other clue: the member the client was
pinned to did not answer in time. The next call starts at another member.

Error with Code ErrorCodeEventIndexCleared (401) from Watcher.Next: the
watch asked for an index older than the 1,000 events etcd keeps. Re-read
the key with Get and watch from the answer's Index+1, or use
NewResilientWatcher, which does that for you: it returns the key's state as
a Response with Action ActionResync (Node is nil when the key is gone) and
goes on from there. It also gives up a long poll after MaxPollTime and
re-issues it on the next member, so a frozen member cannot hold a watch.

Error with Code ErrorCodeUnauthorized (110): auth is enabled and the
request carried no or wrong credentials (Config.Username/Password).

ErrNoEndpoints from Sync: the members listed no client URLs (members that
were added but have not started yet have none).

# Decisions where the contract is silent

  - HeaderTimeoutPerRequest applies to each request of a redirect chain
    on its own: every hop gets the full timeout.
  - Sync replaces the endpoint list only when the members report at least
    one client URL; otherwise it returns ErrNoEndpoints and keeps the old
    list. In EndpointSelectionPrioritizeLeader mode the new list (when one
    is adopted, see "How a call picks a member") is in place before the
    leader is asked, so a failed leader lookup (ErrNoLeaderEndpoint) still
    leaves the fresh list behind; a reachable leader URL missing from the
    list is put first. A Sync that finds the list replaced by SetEndpoints
    while it probed leaves the newer list alone.
  - A Location header without scheme and host is resolved against the URL
    that sent it. More than 100 hops end the call with an error wrapping
    ErrTooManyRedirects, whatever CheckRedirect says.
  - Auth calls refused with a {"message":...} body (what etcd sends,
    401 "Insufficient credentials" included) give *AuthError; a body in
    the keys API's shape ({"errorCode":...}) gives the keys Error value.
  - Request paths for empty names: the keys API's empty key adds nothing
    (Get(ctx, "") asks for /v2/keys, "/" for /v2/keys/), and an empty
    member id addresses /v2/members, and an empty user or role name
    /v2/auth/users or /v2/auth/roles, all as the contract's path.Join
    gives them and the original sent them. etcd refuses a write there
    (405), and GetUser("") and GetRole("") return an error saying no name
    was given instead of the list etcd answers. A name that path.Join
    would turn into another resource (".", "..", or one with a "/") is
    refused before anything is sent.
  - An endpoint is a base URL: its path is kept in front of every request
    path, but a query string on it is not sent (each call has its own).
  - StatusError keeps the unexpected answer's body (StatusError.Body) for
    a closer look; its text stays "unexpected status code N".
  - Decoded strings of a keys Response share one buffer with the response
    body they came from, so keeping one string keeps that buffer alive.
  - A watcher's first request after an empty long-poll answer starts
    after that answer's X-Etcd-Index (see below): events are never skipped,
    and the watcher never falls behind.

# Beyond the original

Behind the same API this package fixes limits its users lived with:

  - Create, Delete and CreateInOrder are never sent to a second member
    once one may have received them (the original repeated CreateInOrder,
    so a queue could get a job twice), yet they go on to the next member
    when the pinned one refused the connection (the original failed Create
    and Delete then); an unknown outcome is recognisable as
    ErrOutcomeUnknown.
  - After such a failure the pin moves on, and so it does when the caller's deadline passes while the pinned member has not
    sent its response headers: a frozen (SIGSTOPped) member no longer keeps
    every later call hanging.
  - Cancellation goes through each request's context, so a cancelled or
    timed-out call leaves no goroutine and no open connection behind, also
    with HTTP/2; CancelRequest is never called.
  - DefaultTransport keeps enough idle connections for concurrent callers.
  - When a long poll ends with an empty answer (the server's own timeout),
    the watcher continues after that answer's X-Etcd-Index, so an idle
    watcher keeps up instead of falling out of etcd's event history.
  - Credentials follow a redirect by net/http's own rule: only to an
    endpoint's host name or a subdomain of it (any port), and once dropped
    in a chain they stay dropped; cURL debug output shows passwords as ***;
    EnablecURLDebug may be flipped while requests run.
  - A relative Location header is resolved against the URL that sent it.
  - Sync and AutoSync never strand a client behind NAT, a tunnel or a load
    balancer: advertised client URLs replace the endpoints only when at
    least one of them answers (see "How a call picks a member").
  - Response bodies are capped (Config.MaxResponseBytes) so an endpoint
    that sends without end cannot exhaust memory.
  - The keys decoder is generated by a generator in this repository and
    depends on nothing outside the standard library; it never panics on
    hostile input.
  - User.Roles never holds empty entries, and IsUserNotFound/IsRoleNotFound
    recognise every wording etcd uses.
  - Each client built without a transport has its own, so tuning or
    closing one client's connections leaves the others alone, and it keeps
    HTTP/2 over TLS; an idle watcher holds no 32 KB read buffer.

Additions (new names; nothing of the original changed): Config.Retry and
RetryPolicy, Config.MaxResponseBytes, DefaultMaxResponseBytes,
ErrResponseTooLarge, ErrOutcomeUnknown, MembersError, StatusError, AuthError,
IsEventIndexCleared, NewResilientWatcher, ResilientWatcherOptions,
ActionResync, DefaultMaxPollTime, Config.RoundTripper, Config.TLS,
NewTLSConfig, Config.Logger, Config.Hooks, Hooks, CallInfo, CallResult,
AttemptInfo, AttemptResult, WatchResyncInfo, SyncInfo, and ClusterError.Unwrap
and Is; and for etcd's v3 API: API, APIv2, APIv3, Config.API,
Config.V3KeyPrefix, GatewayError and its Unwrap, ErrV2NotServed,
ErrNoV3Gateway, ErrNotOnAPIv3, AddUserWithoutPassword and V3PermissionPath.
*/
package client
