package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// startV3Auth starts one v3-only member (with extra flags) and returns
// it with a root client (user root, auth not yet on) on APIv3.
func startV3Auth(t *testing.T, extra ...string) (*etcdtest.Cluster, client.Client) {
	t.Helper()
	cl := etcdtest.Start(t, 1, etcdtest.Options{V3Only: true, ExtraArgs: extra})
	t.Logf("etcd %s, APIv3 auth", etcdtest.ServerVersion(t))
	root, _ := newClient(t, cl, client.Config{API: client.APIv3, V3KeyPrefix: "app", Username: "root", Password: "rootpw"})
	return cl, root
}

// setUpAuth creates root, the role rw-ro (read on /ro/*, readwrite on
// /rw/*) and the user alice with it, the directories /ro and /rw, and
// switches auth on.
func setUpAuth(t *testing.T, ctx context.Context, root client.Client) {
	t.Helper()
	users, roles := client.NewAuthUserAPI(root), client.NewAuthRoleAPI(root)
	if err := users.AddUser(ctx, "root", "rootpw"); err != nil {
		t.Fatalf("AddUser(root) = %v", err)
	}
	if err := roles.AddRole(ctx, "app"); err != nil {
		t.Fatalf("AddRole = %v", err)
	}
	if _, err := roles.GrantRoleKV(ctx, "app", []string{"/ro/*"}, client.ReadPermission); err != nil {
		t.Fatalf("GrantRoleKV(/ro/*) = %v", err)
	}
	r, err := roles.GrantRoleKV(ctx, "app", []string{"/rw/*"}, client.ReadWritePermission)
	if err != nil {
		t.Fatalf("GrantRoleKV(/rw/*) = %v", err)
	}
	if !slices.Equal(r.Permissions.KV.Read, []string{"/ro/*", "/rw/*"}) || !slices.Equal(r.Permissions.KV.Write, []string{"/rw/*"}) {
		t.Errorf("role after grants = %+v; want read [/ro/* /rw/*], write [/rw/*]", r.Permissions.KV)
	}
	if err := users.AddUser(ctx, "alice", "alicepw"); err != nil {
		t.Fatalf("AddUser(alice) = %v", err)
	}
	u, err := users.GrantUser(ctx, "alice", []string{"app"})
	if err != nil || !slices.Equal(u.Roles, []string{"app"}) {
		t.Fatalf("GrantUser = %+v, %v", u, err)
	}
	// The directories above a permitted prefix exist before a restricted
	// user writes there (creating them writes their markers).
	kapi := client.NewKeysAPI(root)
	for _, k := range []string{"/ro/seed", "/rw/seed", "/secret"} {
		if _, err := kapi.Set(ctx, k, "by-root", nil); err != nil {
			t.Fatalf("Set(%s) as root = %v", k, err)
		}
	}
	if err := client.NewAuthAPI(root).Enable(ctx); err != nil {
		t.Fatalf("Enable = %v", err)
	}
	t.Cleanup(func() {
		// Leave nothing that outlives the member (it is stopped anyway).
		_ = client.NewAuthAPI(root).Disable(context.Background())
	})
}

func wantDenied(t *testing.T, what string, err error) {
	t.Helper()
	var e client.Error
	if !errors.As(err, &e) || e.Code != client.ErrorCodeUnauthorized {
		t.Errorf("%s = %v; want a refusal matching Error 110", what, err)
	}
}

func TestV3Auth_permissions(t *testing.T) {
	t.Parallel()
	cl, root := startV3Auth(t)
	ctx := ctxFor(t, 90*time.Second)
	setUpAuth(t, ctx, root)

	alice, _ := newClient(t, cl, client.Config{API: client.APIv3, V3KeyPrefix: "app", Username: "alice", Password: "alicepw"})
	kapi := client.NewKeysAPI(alice)

	if r, err := kapi.Get(ctx, "/ro/seed", nil); err != nil || r.Node.Value != "by-root" {
		t.Fatalf("alice Get(/ro/seed) = %+v, %v", r, err)
	}
	if r, err := kapi.Set(ctx, "/rw/a", "1", nil); err != nil || r.Node.Value != "1" {
		t.Fatalf("alice Set(/rw/a) = %+v, %v", r, err)
	}
	if r, err := kapi.Set(ctx, "/rw/d/e", "2", nil); err != nil || r.Node.Value != "2" {
		t.Fatalf("alice Set(/rw/d/e) = %+v, %v", r, err)
	}
	if r, err := kapi.Get(ctx, "/rw/a", &client.GetOptions{Quorum: true}); err != nil || r.Node.Value != "1" {
		t.Fatalf("alice Get(/rw/a) = %+v, %v", r, err)
	}
	if r, err := kapi.Get(ctx, "/rw/d", &client.GetOptions{Recursive: true}); err != nil || len(r.Node.Nodes) != 1 {
		t.Fatalf("alice Get(/rw/d) = %+v, %v", r, err)
	}
	if _, err := kapi.Get(ctx, "/rw/missing", nil); !client.IsKeyNotFound(err) {
		t.Errorf("alice Get(/rw/missing) = %v; want Key not found", err)
	}
	// The directory itself: its key /rw (an extra read) and its subtree
	// are read apart, so "/rw/*" is enough, although "/rw-x" lies between.
	if _, err := client.NewKeysAPI(root).Set(ctx, "/rw-x", "not alice's", nil); err != nil {
		t.Fatalf("root Set(/rw-x) = %v", err)
	}
	if r, err := kapi.Get(ctx, "/rw", &client.GetOptions{Recursive: true}); err != nil || !r.Node.Dir || len(r.Node.Nodes) != 3 {
		t.Fatalf("alice Get(/rw, recursive) = %+v, %v; want the directory with a, d, seed", r, err)
	}
	if _, err := kapi.Create(ctx, "/rw/c", "x"); err != nil {
		t.Fatalf("alice Create(/rw/c) = %v", err)
	}
	if _, err := kapi.Delete(ctx, "/rw/c", nil); err != nil {
		t.Fatalf("alice Delete(/rw/c) = %v", err)
	}

	// A watch on a permitted key sees a write.
	w := kapi.Watcher("/rw/a", nil)
	if c, ok := w.(interface{ Close() error }); ok {
		t.Cleanup(func() { c.Close() })
	}
	got := make(chan error, 1)
	go func() {
		r, err := w.Next(ctx)
		if err == nil && (r.Action != "set" || r.Node.Value != "2") {
			err = errors.New("unexpected event " + r.Action + " " + r.Node.Value)
		}
		got <- err
	}()
	// The watch is open once a write made after it is seen; write until
	// the event comes.
	func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := kapi.Set(ctx, "/rw/a", "2", nil); err != nil {
				t.Fatalf("Set(/rw/a) = %v", err)
			}
			select {
			case err := <-got:
				if err != nil {
					t.Fatalf("watch: %v", err)
				}
				return
			case <-tick.C:
			}
		}
	}()

	_, err := kapi.Set(ctx, "/ro/seed", "x", nil)
	wantDenied(t, "alice Set(/ro/seed)", err)
	_, err = kapi.Delete(ctx, "/ro/seed", nil)
	wantDenied(t, "alice Delete(/ro/seed)", err)
	_, err = kapi.Set(ctx, "/other", "x", nil)
	wantDenied(t, "alice Set(/other)", err)
	_, err = kapi.Get(ctx, "/secret", nil)
	wantDenied(t, "alice Get(/secret)", err)
	_, err = kapi.Watcher("/secret", nil).Next(ctx)
	wantDenied(t, "alice watch(/secret)", err)
	if _, err := client.NewAuthUserAPI(alice).ListUsers(ctx); !isV3AuthRefusal(err) {
		t.Errorf("alice ListUsers = %v; want an AuthError 401", err)
	}

	// A prefix two levels down: its extra reads (/d as a key and as a
	// marker) let alice write there, and tell a missing key there "Key
	// not found" as v2 does.
	roles := client.NewAuthRoleAPI(root)
	if _, err := client.NewKeysAPI(root).Set(ctx, "/d/e/seed", "by-root", nil); err != nil {
		t.Fatalf("root Set(/d/e/seed) = %v", err)
	}
	if _, err := roles.GrantRoleKV(ctx, "app", []string{"/d/e/*"}, client.ReadWritePermission); err != nil {
		t.Fatalf("GrantRoleKV(/d/e/*) = %v", err)
	}
	if r, err := kapi.Set(ctx, "/d/e/f/g", "deep", nil); err != nil || r.Node.Value != "deep" {
		t.Fatalf("alice Set(/d/e/f/g) = %+v, %v", r, err)
	}
	if r, err := kapi.Get(ctx, "/d/e/f/g", nil); err != nil || r.Node.Value != "deep" {
		t.Fatalf("alice Get(/d/e/f/g) = %+v, %v", r, err)
	}
	var kerr client.Error
	if _, err := kapi.Get(ctx, "/d/e/missing", nil); !errors.As(err, &kerr) || kerr.Code != client.ErrorCodeKeyNotFound || kerr.Cause != "/d/e/missing" {
		t.Errorf("alice Get(/d/e/missing) = %v; want errorCode 100 for /d/e/missing", err)
	}
	if _, err := kapi.Get(ctx, "/d/e/no/deeper", nil); !errors.As(err, &kerr) || kerr.Code != client.ErrorCodeKeyNotFound || kerr.Cause != "/d/e/no" {
		t.Errorf("alice Get(/d/e/no/deeper) = %v; want errorCode 100 for /d/e/no", err)
	}
	if _, err := kapi.Get(ctx, "/d/e/seed/x", nil); !errors.As(err, &kerr) || kerr.Code != client.ErrorCodeNotDir || kerr.Cause != "/d/e/seed" {
		t.Errorf("alice Get(/d/e/seed/x) = %v; want errorCode 104 for /d/e/seed", err)
	}
	_, err = kapi.Set(ctx, "/d/x", "x", nil)
	wantDenied(t, "alice Set(/d/x)", err)
	r, err := roles.RevokeRoleKV(ctx, "app", []string{"/d/e/*"}, client.ReadWritePermission)
	if err != nil || !slices.Equal(r.Permissions.KV.Read, []string{"/ro/*", "/rw/*"}) {
		t.Fatalf("RevokeRoleKV(/d/e/*) = %+v, %v", r, err)
	}
	_, err = kapi.Get(ctx, "/d/e/f/g", nil)
	wantDenied(t, "alice Get(/d/e/f/g) after revoke", err)

	// Revoking write on /rw/* takes effect at once.
	r, err = roles.RevokeRoleKV(ctx, "app", []string{"/rw/*"}, client.WritePermission)
	if err != nil || !slices.Equal(r.Permissions.KV.Read, []string{"/ro/*", "/rw/*"}) || r.Permissions.KV.Write != nil {
		t.Fatalf("RevokeRoleKV(write /rw/*) = %+v, %v", r, err)
	}
	_, err = kapi.Set(ctx, "/rw/a", "3", nil)
	wantDenied(t, "alice Set(/rw/a) after revoke", err)
	if r, err := kapi.Get(ctx, "/rw/a", nil); err != nil || r.Node.Value != "2" {
		t.Errorf("alice Get(/rw/a) after revoking write = %+v, %v", r, err)
	}

	// Users and roles read back in v2 terms; errors as on v2.
	users := client.NewAuthUserAPI(root)
	if u, err := users.GetUser(ctx, "root"); err != nil || !slices.Equal(u.Roles, []string{"root"}) {
		t.Errorf("GetUser(root) = %+v, %v", u, err)
	}
	if _, err := users.GetUser(ctx, "nobody"); !client.IsUserNotFound(err) {
		t.Errorf("GetUser(nobody) = %v; want IsUserNotFound", err)
	}
	if _, err := roles.GetRole(ctx, "nope"); !client.IsRoleNotFound(err) {
		t.Errorf("GetRole(nope) = %v; want IsRoleNotFound", err)
	}
	if err := users.AddUser(ctx, "alice", "x"); err == nil {
		t.Error("AddUser(alice) twice succeeded")
	}
	if g, err := roles.GetRole(ctx, "guest"); err != nil || g.Permissions.KV.Read != nil {
		t.Errorf("GetRole(guest) = %+v, %v; want a guest without permissions", g, err)
	}
	if _, err := roles.GrantRoleKV(ctx, "guest", []string{"/*"}, client.ReadPermission); !errors.Is(err, client.ErrNotOnAPIv3) {
		t.Errorf("GrantRoleKV(guest) = %v; want ErrNotOnAPIv3", err)
	}
	if names, err := users.ListUsers(ctx); err != nil || !slices.Equal(names, []string{"alice", "root"}) {
		t.Errorf("ListUsers = %v, %v", names, err)
	}
	if names, err := roles.ListRoles(ctx); err != nil || !slices.Equal(names, []string{"app", "root"}) {
		t.Errorf("ListRoles = %v, %v", names, err)
	}
	if _, err := users.RevokeUser(ctx, "alice", []string{"app"}); err != nil {
		t.Fatalf("RevokeUser = %v", err)
	}
	_, err = kapi.Get(ctx, "/ro/seed", nil)
	wantDenied(t, "alice Get(/ro/seed) without the role", err)

	// A wrong password is a clear error, naming the user only.
	bad, _ := newClient(t, cl, client.Config{API: client.APIv3, V3KeyPrefix: "app", Username: "alice", Password: "wrong"})
	_, err = client.NewKeysAPI(bad).Get(ctx, "/rw/a", nil)
	var ae *client.AuthError
	if !errors.As(err, &ae) || ae.Code != http.StatusUnauthorized || bytes.Contains([]byte(err.Error()), []byte("wrong")) {
		t.Errorf("wrong password: %v; want an AuthError 401 without the password", err)
	}

	// A password for a user made without one: etcd answers HTTP 500
	// (gRPC Unknown), which is still a refusal, not a member failure.
	if err := client.AddUserWithoutPassword(ctx, users, "np"); err != nil {
		t.Fatalf("AddUserWithoutPassword = %v", err)
	}
	np, _ := newClient(t, cl, client.Config{API: client.APIv3, V3KeyPrefix: "app", Username: "np", Password: "some"})
	_, err = client.NewKeysAPI(np).Get(ctx, "/rw/a", nil)
	if !errors.As(err, &ae) || ae.Code != http.StatusUnauthorized || !bytes.Contains([]byte(err.Error()), []byte("no password user")) {
		t.Errorf("password for a no-password user: %v; want an AuthError 401 with etcd's message", err)
	}
}

// TestV3Auth_nodeAndDirectory checks the narrow grants: the exact
// path "/solo" lets its holder Get and Set the key /solo (not its
// siblings), the name prefix "/top/pfx*" lets it write /top/pfx,
// /top/pfx-a and below /top/pfxb, and "/dir/*"
// lets it Get and watch the directory /dir itself (recursively), though
// /dir-x and /dir.bak lie between /dir and its subtree in v3's order.
func TestV3Auth_nodeAndDirectory(t *testing.T) {
	t.Parallel()
	cl, root := startV3Auth(t)
	ctx := ctxFor(t, 90*time.Second)
	users, roles := client.NewAuthUserAPI(root), client.NewAuthRoleAPI(root)
	if err := users.AddUser(ctx, "root", "rootpw"); err != nil {
		t.Fatalf("AddUser(root) = %v", err)
	}
	if err := roles.AddRole(ctx, "narrow"); err != nil {
		t.Fatalf("AddRole = %v", err)
	}
	if _, err := roles.GrantRoleKV(ctx, "narrow", []string{"/solo", "/dir/*", "/top/pfx*"}, client.ReadWritePermission); err != nil {
		t.Fatalf("GrantRoleKV = %v", err)
	}
	if err := users.AddUser(ctx, "bob", "bobpw"); err != nil {
		t.Fatalf("AddUser(bob) = %v", err)
	}
	if _, err := users.GrantUser(ctx, "bob", []string{"narrow"}); err != nil {
		t.Fatalf("GrantUser = %v", err)
	}
	rk := client.NewKeysAPI(root)
	for _, k := range []string{"/solo", "/solo-x", "/dir/a", "/dir-x", "/dir.bak", "/top/seed"} {
		if _, err := rk.Set(ctx, k, "by-root", nil); err != nil {
			t.Fatalf("root Set(%s) = %v", k, err)
		}
	}
	if err := client.NewAuthAPI(root).Enable(ctx); err != nil {
		t.Fatalf("Enable = %v", err)
	}
	t.Cleanup(func() { _ = client.NewAuthAPI(root).Disable(context.Background()) })

	bob, _ := newClient(t, cl, client.Config{API: client.APIv3, V3KeyPrefix: "app", Username: "bob", Password: "bobpw"})
	kapi := client.NewKeysAPI(bob)

	if r, err := kapi.Get(ctx, "/solo", nil); err != nil || r.Node.Value != "by-root" {
		t.Errorf("bob Get(/solo) = %+v, %v", r, err)
	}
	// A write records its action in the parent's marker (here the root
	// marker app/), which the grant lets bob write too
	// (docs/v3-layout.md, "Auth"); his siblings stay refused.
	if r, err := kapi.Set(ctx, "/solo", "by-bob", nil); err != nil || r.Node.Value != "by-bob" || r.PrevNode == nil || r.PrevNode.Value != "by-root" {
		t.Fatalf("bob Set(/solo) = %+v, %v", r, err)
	}
	if r, err := kapi.Get(ctx, "/solo", &client.GetOptions{Quorum: true}); err != nil || r.Node.Value != "by-bob" {
		t.Errorf("bob Get(/solo) after his Set = %+v, %v", r, err)
	}
	if r, err := kapi.Delete(ctx, "/solo", nil); err != nil || r.PrevNode == nil || r.PrevNode.Value != "by-bob" {
		t.Fatalf("bob Delete(/solo) = %+v, %v", r, err)
	}
	if r, err := kapi.Create(ctx, "/solo", "again"); err != nil || r.Node.Value != "again" {
		t.Fatalf("bob Create(/solo) = %+v, %v", r, err)
	}
	for _, k := range []string{"/solo2", "/other", "/solo-x"} {
		_, err := kapi.Set(ctx, k, "by-bob", nil)
		wantDenied(t, "bob Set("+k+")", err)
	}
	for _, k := range []string{"/solo2", "/other"} {
		if _, err := rk.Get(ctx, k, &client.GetOptions{Quorum: true}); !client.IsKeyNotFound(err) {
			t.Errorf("root Get(%s) after bob's refused Set = %v, want Key not found", k, err)
		}
	}
	if r, err := rk.Get(ctx, "/solo-x", &client.GetOptions{Quorum: true}); err != nil || r.Node.Value != "by-root" {
		t.Errorf("root Get(/solo-x) after bob's refused Set = %+v, %v", r, err)
	}
	// A name prefix: its nodes are children of /top, so the grant
	// writes /top's marker as well; a key below one of them records in
	// its own directory's marker, inside the range.
	for _, k := range []string{"/top/pfx", "/top/pfx-a", "/top/pfxb/c"} {
		if _, err := kapi.Set(ctx, k, "by-bob", nil); err != nil {
			t.Errorf("bob Set(%s) under /top/pfx* = %v", k, err)
		}
		if r, err := rk.Get(ctx, k, &client.GetOptions{Quorum: true}); err != nil || r.Node.Value != "by-bob" {
			t.Errorf("root Get(%s) after bob's Set = %+v, %v", k, r, err)
		}
	}
	_, err := kapi.Set(ctx, "/top/pf", "by-bob", nil)
	wantDenied(t, "bob Set(/top/pf)", err)
	_, err = kapi.Get(ctx, "/solo/x", nil)
	wantDenied(t, "bob Get(/solo/x)", err)
	_, err = kapi.Get(ctx, "/solo-x", nil)
	wantDenied(t, "bob Get(/solo-x)", err)

	r, err := kapi.Get(ctx, "/dir", &client.GetOptions{Recursive: true})
	if err != nil || !r.Node.Dir || len(r.Node.Nodes) != 1 || r.Node.Nodes[0].Key != "/dir/a" {
		t.Fatalf("bob Get(/dir, recursive) = %+v, %v; want the directory with /dir/a", r, err)
	}
	_, err = kapi.Get(ctx, "/dir-x", nil)
	wantDenied(t, "bob Get(/dir-x)", err)

	// A recursive watch of /dir sees a write below it, from the index
	// of the Get, so no wait for the watch to be open is needed.
	w := kapi.Watcher("/dir", &client.WatcherOptions{Recursive: true, AfterIndex: r.Index})
	if c, ok := w.(interface{ Close() error }); ok {
		t.Cleanup(func() { c.Close() })
	}
	if _, err := kapi.Set(ctx, "/dir/b", "by-bob", nil); err != nil {
		t.Fatalf("bob Set(/dir/b) = %v", err)
	}
	if ev, err := w.Next(ctx); err != nil || ev.Action != "set" || ev.Node.Key != "/dir/b" || ev.Node.Value != "by-bob" {
		t.Fatalf("bob watch(/dir, recursive) = %+v, %v; want the set of /dir/b", ev, err)
	}
}

func isV3AuthRefusal(err error) bool {
	var ae *client.AuthError
	return errors.As(err, &ae) && ae.Code == http.StatusUnauthorized
}

// TestV3Auth_tokenExpiry lets etcd expire the client's simple token
// (--auth-token-ttl 2) and checks that the next call still succeeds.
func TestV3Auth_tokenExpiry(t *testing.T) {
	t.Parallel()
	cl, root := startV3Auth(t, "--auth-token=simple", "--auth-token-ttl=2")
	ctx := ctxFor(t, 90*time.Second)
	setUpAuth(t, ctx, root)

	var authenticates int
	hooks := &client.Hooks{Call: func(ctx context.Context, ci client.CallInfo) (context.Context, func(client.CallResult)) {
		if ci.Op == "v3.auth.authenticate" {
			authenticates++ // calls of one goroutine, one at a time
		}
		return ctx, nil
	}}
	alice, _ := newClient(t, cl, client.Config{API: client.APIv3, V3KeyPrefix: "app", Username: "alice", Password: "alicepw", Hooks: hooks})
	kapi := client.NewKeysAPI(alice)
	if _, err := kapi.Set(ctx, "/rw/t", "1", nil); err != nil {
		t.Fatalf("Set = %v", err)
	}
	if authenticates != 1 {
		t.Fatalf("authenticates after the first call = %d, want 1", authenticates)
	}

	ep := cl.Endpoints()[0]
	waitTokenExpired(t, ctx, ep)
	r, err := kapi.Get(ctx, "/rw/t", nil)
	if err != nil || r.Node.Value != "1" {
		t.Fatalf("Get after the token expired = %+v, %v", r, err)
	}
	if authenticates != 2 {
		t.Errorf("authenticates = %d, want 2 (one re-authentication)", authenticates)
	}

	// A watch opened with an expired token: etcd cancels it in its first
	// message; the client authenticates again and reopens it.
	waitTokenExpired(t, ctx, ep)
	w := kapi.Watcher("/rw/t", &client.WatcherOptions{AfterIndex: r.Node.ModifiedIndex})
	if c, ok := w.(interface{ Close() error }); ok {
		t.Cleanup(func() { c.Close() })
	}
	if _, err := client.NewKeysAPI(root).Set(ctx, "/rw/t", "2", nil); err != nil {
		t.Fatalf("root Set = %v", err)
	}
	ev, err := w.Next(ctx)
	if err != nil || ev.Node.Value != "2" {
		t.Fatalf("watch after the token expired = %+v, %v", ev, err)
	}
	if authenticates != 3 {
		t.Errorf("authenticates = %d, want 3", authenticates)
	}
}

// waitTokenExpired waits until etcd has expired every token of alice
// unused since the call. Using a simple token extends it, so a probe
// token is used once only: one fetched now and then refused proves the
// older ones gone too (same TTL, earlier start). Each round waits twice
// as long as the last.
func waitTokenExpired(t *testing.T, ctx context.Context, ep string) {
	t.Helper()
	for wait := 500 * time.Millisecond; ; wait *= 2 {
		probe := rawAuthenticate(t, ep, "alice", "alicepw")
		select {
		case <-ctx.Done():
			t.Fatal("the token never expired")
		case <-time.After(wait):
		}
		if rawRangeRefused(t, ep, probe) {
			return
		}
	}
}

func rawAuthenticate(t *testing.T, ep, user, pw string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": user, "password": pw})
	resp, err := http.Post(ep+"/v3/auth/authenticate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("authenticate: %v %q", err, out.Token)
	}
	return out.Token
}

// rawRangeRefused reports whether etcd refuses tok as an invalid token.
func rawRangeRefused(t *testing.T, ep, tok string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ep+"/v3/kv/range", bytes.NewReader([]byte(`{"key":"YXBwL3J3L3Q="}`)))
	req.Header.Set("Authorization", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode == http.StatusUnauthorized && out.Code == 16
}
