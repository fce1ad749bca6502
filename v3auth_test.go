package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

func newV3AuthClient(t *testing.T, srv string, cfg Config) Client {
	t.Helper()
	cfg.Endpoints, cfg.API = []string{srv}, APIv3
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// storedPerms returns role's v3 permissions in the fake, one
// "<type> <key> <end>" each, with bytes below space shown as \xNN.
func storedPerms(g *fakeAuthGateway, role string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	show := func(b []byte) string { return strings.ReplaceAll(string(b), "\x00", `\x00`) }
	for _, p := range g.roles[role] {
		typ := p.PermType
		if typ == "" {
			typ = "READ"
		}
		out = append(out, typ+" "+show(p.Key)+" "+show(p.RangeEnd))
	}
	return out
}

func wantPerms(t *testing.T, what string, r *Role, err error, read, write []string) {
	t.Helper()
	if err != nil || !slices.Equal(r.Permissions.KV.Read, read) || !slices.Equal(r.Permissions.KV.Write, write) {
		t.Errorf("%s = %+v, %v; want read %q, write %q", what, r, err, read, write)
	}
}

// TestV3Auth_calls runs every call of AuthAPI, AuthUserAPI and
// AuthRoleAPI on APIv3 against the fake v3 auth.
func TestV3Auth_calls(t *testing.T) {
	g, srv := newFakeAuthGateway(t)
	c := newV3AuthClient(t, srv.URL, Config{V3KeyPrefix: "p", Username: "root", Password: "rootpw"})
	ctx := context.Background()
	users, roles, auth := NewAuthUserAPI(c), NewAuthRoleAPI(c), NewAuthAPI(c)

	// Enable needs root with the role root; AddUser("root") makes both.
	if err := auth.Enable(ctx); err == nil {
		t.Fatal("Enable without root succeeded")
	}
	if err := users.AddUser(ctx, "root", "rootpw"); err != nil {
		t.Fatalf("AddUser(root) = %v", err)
	}
	if u, err := users.GetUser(ctx, "root"); err != nil || !slices.Equal(u.Roles, []string{"root"}) {
		t.Fatalf("GetUser(root) = %+v, %v", u, err)
	}
	if err := users.AddUser(ctx, "root", "x"); !isAuthErr(err, http.StatusConflict, "auth: User root already exists.") {
		t.Errorf("AddUser(root) again = %v", err)
	}

	if err := roles.AddRole(ctx, "app"); err != nil {
		t.Fatalf("AddRole = %v", err)
	}
	if err := roles.AddRole(ctx, "app"); !isAuthErr(err, http.StatusConflict, "auth: Role app already exists.") {
		t.Errorf("AddRole again = %v", err)
	}
	r, err := roles.GrantRoleKV(ctx, "app", []string{"/ro/*"}, ReadPermission)
	wantPerms(t, "GrantRoleKV(read /ro/*)", r, err, []string{"/ro/*"}, nil)
	r, err = roles.GrantRoleKV(ctx, "app", []string{"/rw/*", "/a/b"}, ReadWritePermission)
	wantPerms(t, "GrantRoleKV(readwrite /rw/* /a/b)", r, err, []string{"/a/b", "/ro/*", "/rw/*"}, []string{"/a/b", "/rw/*"})
	r, err = roles.GrantRoleKV(ctx, "app", []string{"/ro/*"}, WritePermission)
	wantPerms(t, "GrantRoleKV(write /ro/*)", r, err, []string{"/a/b", "/ro/*", "/rw/*"}, []string{"/a/b", "/ro/*", "/rw/*"})
	r, err = roles.GrantRoleKV(ctx, "app", []string{"/a/n*"}, WritePermission)
	wantPerms(t, "GrantRoleKV(write /a/n*)", r, err, []string{"/a/b", "/ro/*", "/rw/*"}, []string{"/a/b", "/a/n*", "/ro/*", "/rw/*"})
	want := []string{
		`READ p/ p/\x00`,          // the root marker, read by every write
		"READWRITE p/a/b ",        // /a/b as a key
		`READ p/a p/a\x00`,        // /a/b's parent as a key and marker
		`READWRITE p/a/ p/a/\x00`, // written too: every write of /a/b records itself there
		"READWRITE p/a/b/ ",       // /a/b's marker
		`READ p/ro p/ro\x00`,      // /ro as a key (its marker is in the range)
		"READWRITE p/ro/ p/ro0",   // /ro/*
		`READ p/rw p/rw\x00`,      //
		"READWRITE p/rw/ p/rw0",   // /rw/*
		"WRITE p/a/n p/a/o",       // /a/n*, whose writes also record in p/a/ (above)
	}
	got := storedPerms(g, "app")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("v3 permissions =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r, err = roles.RevokeRoleKV(ctx, "app", []string{"/ro/*", "/a/n*"}, WritePermission)
	wantPerms(t, "RevokeRoleKV(write /ro/* /a/n*)", r, err, []string{"/a/b", "/ro/*", "/rw/*"}, []string{"/a/b", "/rw/*"})
	r, err = roles.RevokeRoleKV(ctx, "app", []string{"/a/b"}, WritePermission)
	wantPerms(t, "RevokeRoleKV(write /a/b)", r, err, []string{"/a/b", "/ro/*", "/rw/*"}, []string{"/rw/*"})
	for _, p := range []string{`READ p/a/ p/a/\x00`, "READ p/a/b ", "READ p/a/b/ "} {
		if got := storedPerms(g, "app"); !slices.Contains(got, p) {
			t.Errorf("v3 permissions after revoking write of /a/b = %q, want %q among them (no write left on the parent's marker)", got, p)
		}
	}
	r, err = roles.RevokeRoleKV(ctx, "app", []string{"/a/b", "/ro/*"}, ReadWritePermission)
	wantPerms(t, "RevokeRoleKV(readwrite /a/b /ro/*)", r, err, []string{"/rw/*"}, []string{"/rw/*"})
	want = []string{`READ p/ p/\x00`, `READ p/rw p/rw\x00`, "READWRITE p/rw/ p/rw0"}
	if got := storedPerms(g, "app"); !slices.Equal(got, want) {
		t.Errorf("v3 permissions after revokes = %q, want %q (the extra reads of /a/b and /ro/* gone)", got, want)
	}
	r, err = roles.GetRole(ctx, "app")
	wantPerms(t, "GetRole(app)", r, err, []string{"/rw/*"}, []string{"/rw/*"})
	if r.Role != "app" {
		t.Errorf("GetRole name = %q", r.Role)
	}
	r, err = roles.GetRole(ctx, "root")
	wantPerms(t, "GetRole(root)", r, err, []string{"/*"}, []string{"/*"})
	if _, err := roles.GrantRoleKV(ctx, "root", []string{"/x"}, ReadPermission); err == nil {
		t.Error("GrantRoleKV(root) succeeded")
	}

	// v2's guest role: no v3 equivalent.
	r, err = roles.GetRole(ctx, "guest")
	wantPerms(t, "GetRole(guest)", r, err, nil, nil)
	r, err = roles.RevokeRoleKV(ctx, "guest", []string{"/*"}, ReadWritePermission)
	wantPerms(t, "RevokeRoleKV(guest)", r, err, nil, nil)
	if _, err := roles.GrantRoleKV(ctx, "guest", []string{"/*"}, ReadPermission); !errors.Is(err, ErrNotOnAPIv3) {
		t.Errorf("GrantRoleKV(guest) = %v, want ErrNotOnAPIv3", err)
	}

	if err := users.AddUser(ctx, "alice", "alicepw"); err != nil {
		t.Fatalf("AddUser(alice) = %v", err)
	}
	if u, err := users.GrantUser(ctx, "alice", []string{"app"}); err != nil || !slices.Equal(u.Roles, []string{"app"}) || u.User != "alice" {
		t.Errorf("GrantUser = %+v, %v", u, err)
	}
	if _, err := users.GrantUser(ctx, "alice", []string{"nope"}); !IsRoleNotFound(err) {
		t.Errorf("GrantUser(nope) = %v, want IsRoleNotFound", err)
	}
	if u, err := users.RevokeUser(ctx, "alice", []string{"app"}); err != nil || u.Roles == nil || len(u.Roles) != 0 {
		t.Errorf("RevokeUser = %+v, %v", u, err)
	}
	if _, err := users.ChangePassword(ctx, "alice", "new"); err != nil {
		t.Errorf("ChangePassword = %v", err)
	}
	if names, err := users.ListUsers(ctx); err != nil || !slices.Equal(names, []string{"alice", "root"}) {
		t.Errorf("ListUsers = %v, %v", names, err)
	}
	if names, err := roles.ListRoles(ctx); err != nil || !slices.Equal(names, []string{"app", "root"}) {
		t.Errorf("ListRoles = %v, %v", names, err)
	}
	if _, err := users.GetUser(ctx, "nobody"); !IsUserNotFound(err) {
		t.Errorf("GetUser(nobody) = %v, want IsUserNotFound", err)
	}
	if _, err := roles.GetRole(ctx, "nope"); !IsRoleNotFound(err) {
		t.Errorf("GetRole(nope) = %v, want IsRoleNotFound", err)
	}

	// With auth on, every call carries the token.
	if err := auth.Enable(ctx); err != nil {
		t.Fatalf("Enable = %v", err)
	}
	if err := users.RemoveUser(ctx, "alice"); err != nil {
		t.Errorf("RemoveUser = %v", err)
	}
	if err := users.RemoveUser(ctx, "alice"); !IsUserNotFound(err) {
		t.Errorf("RemoveUser again = %v, want IsUserNotFound", err)
	}
	if err := roles.RemoveRole(ctx, "app"); err != nil {
		t.Errorf("RemoveRole = %v", err)
	}
	if err := roles.RemoveRole(ctx, "app"); !IsRoleNotFound(err) {
		t.Errorf("RemoveRole again = %v, want IsRoleNotFound", err)
	}
	if err := auth.Disable(ctx); err != nil {
		t.Errorf("Disable = %v", err)
	}
	g.mu.Lock()
	headers := slices.Clone(g.headers)
	g.mu.Unlock()
	n := len(headers)
	if n < 5 || headers[n-1] != "tok1.1" || headers[n-5] != "tok1.1" {
		t.Errorf("Authorization headers of the last calls = %q, want the raw token", headers[max(0, n-5):])
	}
	if g.authCount() != 1 {
		t.Errorf("authenticate calls = %d, want 1", g.authCount())
	}

	// Bad input is refused before anything is sent.
	before := len(g.callLog())
	for what, err := range map[string]error{
		"bad type":   errOf(roles.GrantRoleKV(ctx, "r", []string{"/a"}, PermissionType(9))),
		"inner *":    errOf(roles.GrantRoleKV(ctx, "r", []string{"/a*/b"}, ReadPermission)),
		"unclean":    errOf(roles.RevokeRoleKV(ctx, "r", []string{"/a/../b*"}, ReadPermission)),
		"role name":  roles.AddRole(ctx, "a/b"),
		"user name":  users.AddUser(ctx, "..", "x"),
		"grant role": errOf(users.GrantUser(ctx, "u", []string{""})),
	} {
		if err == nil {
			t.Errorf("%s: no error", what)
		}
	}
	if after := len(g.callLog()); after != before {
		t.Errorf("bad input sent %d calls", after-before)
	}
}

func errOf[T any](_ T, err error) error { return err }

func isAuthErr(err error, code int, msg string) bool {
	var ae *AuthError
	return errors.As(err, &ae) && ae.Code == code && ae.Message == msg
}

// TestV3Auth_permMapping pins the mapping of v2 permission paths onto v3
// ranges (docs/v3-layout.md) and back.
func TestV3Auth_permMapping(t *testing.T) {
	for _, tc := range []struct {
		prefix, perm string
		main, aux    []string // "key..end" or "key" alone
		back         string   // what GetRole shows
	}{
		{"", "/foo/*", []string{"/foo/../foo0"}, []string{"/", "/foo"}, "/foo/*"},
		{"", "/foo*", []string{"/foo../fop"}, []string{"/"}, "/foo*"},
		{"", "/foo", []string{"/foo", "/foo/"}, []string{"/"}, "/foo"},
		{"", "foo", []string{"/foo", "/foo/"}, []string{"/"}, "/foo"},
		{"", "/a/b/", []string{"/a/b", "/a/b/"}, []string{"/", "/a", "/a/"}, "/a/b"},
		{"", "/a/b/*", []string{"/a/b/../a/b0"}, []string{"/", "/a", "/a/", "/a/b"}, "/a/b/*"},
		{"", "/*", []string{"/..0"}, nil, "/*"},
		{"", "*", []string{"/..0"}, nil, "/*"},
		{"", "/", []string{"/"}, nil, "/"},
		{"app", "/x/*", []string{"app/x/..app/x0"}, []string{"app/", "app/x"}, "/x/*"},
		{"app", "/x", []string{"app/x", "app/x/"}, []string{"app/"}, "/x"},
		{"app", "/*", []string{"app/..app0"}, nil, "/*"},
	} {
		l := permLayout{prefix: tc.prefix}
		p, err := parseV2Perm(tc.perm)
		if err != nil {
			t.Errorf("%q: %v", tc.perm, err)
			continue
		}
		main, aux := l.ranges(p)
		show := func(rs []v3Range) []string {
			var out []string
			for _, r := range rs {
				if r.end == "" || r.isAux() {
					out = append(out, r.key)
				} else {
					out = append(out, r.key+".."+r.end)
				}
			}
			return out
		}
		if got := show(main); !slices.Equal(got, tc.main) {
			t.Errorf("%q (prefix %q): ranges %q, want %q", tc.perm, tc.prefix, got, tc.main)
		}
		if got := show(aux); !slices.Equal(got, tc.aux) {
			t.Errorf("%q (prefix %q): extra reads %q, want %q", tc.perm, tc.prefix, got, tc.aux)
		}
		perms := map[v3Range]permBits{}
		for _, r := range append(main, aux...) {
			perms[r] = permRead
			if back, ok := l.perm(r); r.isAux() == ok || (ok && back != tc.back) {
				t.Errorf("%q: %+v reads back as %q, %v; want %q", tc.perm, r, back, ok, tc.back)
			}
		}
		if got := l.v2Permissions(perms).KV.Read; !slices.Equal(got, []string{tc.back}) {
			t.Errorf("%q: GetRole shows %q, want [%q]", tc.perm, got, tc.back)
		}
	}
	// Write on a node or a name prefix also writes the marker of the
	// directory its writes record in; a prefix ending in "/" holds it.
	for perm, marker := range map[string]string{
		"/foo": "app/", "/a/b": "app/a/", "/foo*": "app/", "/a/b*": "app/a/",
		"/foo/*": "", "/*": "", "/": "",
	} {
		l := permLayout{prefix: "app"}
		p, _ := parseV2Perm(perm)
		main, _ := l.ranges(p)
		var written []string
		for r, b := range l.neededAux(map[v3Range]permBits{main[0]: permWrite}) {
			if b&permWrite != 0 {
				written = append(written, r.key)
			}
		}
		if want := []string{marker}; marker == "" && len(written) != 0 || marker != "" && !slices.Equal(written, want) {
			t.Errorf("write on %q also writes %q, want %q", perm, written, marker)
		}
	}
	// Ranges no v2 path gives are left out of GetRole.
	l := permLayout{prefix: "app"}
	for _, r := range []v3Range{{"", "\x00"}, {"other/x", ""}, {"app/a", "app/c"}, {"app", ""}} {
		if p, ok := l.perm(r); ok {
			t.Errorf("%+v reads back as %q", r, p)
		}
	}
	for _, bad := range []string{"/a*b", "/a/*/b", "/a//*", "/a/./b*", "**"} {
		if _, err := parseV2Perm(bad); err == nil {
			t.Errorf("parseV2Perm(%q) accepted", bad)
		}
	}
}

// enabledFake returns the fake with root set up and auth on, and a
// client of root on it.
func enabledFake(t *testing.T, cfg Config) (*fakeAuthGateway, Client) {
	t.Helper()
	g, srv := newFakeAuthGateway(t)
	g.users["root"] = &fakeUser{password: "rootpw", roles: []string{"root"}}
	g.roles["root"] = nil
	g.enabled = true
	cfg.Username, cfg.Password = "root", "rootpw"
	return g, newV3AuthClient(t, srv.URL, cfg)
}

// TestV3Auth_reauth: a token etcd drops (expiry, revocation) is replaced
// by exactly one authenticate, and the call still succeeds; a
// non-idempotent write is repeated too, since the refusal applied
// nothing.
func TestV3Auth_reauth(t *testing.T) {
	g, c := enabledFake(t, Config{})
	ctx := context.Background()
	kv, _ := v3Of(c)
	if _, err := kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")}); err != nil {
		t.Fatalf("first call = %v", err)
	}
	if g.authCount() != 1 {
		t.Fatalf("authenticates = %d, want 1 (lazily, on the first call)", g.authCount())
	}
	if _, err := kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")}); err != nil || g.authCount() != 1 {
		t.Fatalf("second call = %v with %d authenticates; want the token reused", err, g.authCount())
	}
	g.revokeTokens()
	if _, err := kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")}); err != nil {
		t.Fatalf("call after the token went = %v", err)
	}
	if g.authCount() != 2 {
		t.Errorf("authenticates = %d, want 2", g.authCount())
	}
	g.users["gone"] = &fakeUser{}
	g.revokeTokens()
	if err := NewAuthUserAPI(c).RemoveUser(ctx, "gone"); err != nil {
		t.Fatalf("RemoveUser after the token went = %v", err)
	}
	if g.authCount() != 3 {
		t.Errorf("authenticates = %d, want 3", g.authCount())
	}
	// A client changing its own password goes on with the new one.
	if _, err := NewAuthUserAPI(c).ChangePassword(ctx, "root", "newpw"); err != nil {
		t.Fatalf("ChangePassword(own) = %v", err)
	}
	if _, err := kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")}); err != nil {
		t.Fatalf("call after changing its own password = %v", err)
	}
}

// TestV3Auth_watchReauth: a watch whose token etcd refuses (answered by
// a cancelling first message) is reopened once with a new token, and
// the first message of the accepted stream still reaches Recv.
func TestV3Auth_watchReauth(t *testing.T) {
	g, c := enabledFake(t, Config{})
	ctx := context.Background()
	kv, _ := v3Of(c)
	if _, err := kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")}); err != nil {
		t.Fatal(err)
	}
	g.revokeTokens()
	st, err := kv.watch(ctx, []v3WatchCreate{{Key: []byte("/x")}})
	if err != nil {
		t.Fatalf("watch = %v", err)
	}
	defer st.Close()
	m, err := st.Recv()
	if err != nil || !m.Created || m.Canceled {
		t.Errorf("first message = %+v, %v; want the created one", m, err)
	}
	if g.authCount() != 2 {
		t.Errorf("authenticates = %d, want 2", g.authCount())
	}
}

// TestV3Auth_reauthOnce: a refusal that persists after one new token is
// returned, not repeated without end.
func TestV3Auth_reauthOnce(t *testing.T) {
	g, c := enabledFake(t, Config{})
	g.answer["kv/range"] = fakeAnswer{http.StatusUnauthorized, `{"code":16,"message":"etcdserver: invalid auth token"}`}
	kv, _ := v3Of(c)
	_, err := kv.rangeKeys(context.Background(), &v3RangeRequest{Key: []byte("/x")})
	var ge *GatewayError
	if !errors.As(err, &ge) || ge.Code != 16 {
		t.Errorf("err = %v, want the gateway's refusal", err)
	}
	if n := len(g.callLog()); n != 4 || g.authCount() != 2 {
		t.Errorf("%d calls, %d authenticates: %q; want authenticate, range, authenticate, range", n, g.authCount(), g.callLog())
	}
}

// TestV3Auth_concurrentReauth: calls that all find the token gone share
// one authenticate.
func TestV3Auth_concurrentReauth(t *testing.T) {
	g, c := enabledFake(t, Config{})
	ctx := context.Background()
	kv, _ := v3Of(c)
	if _, err := kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")}); err != nil {
		t.Fatal(err)
	}
	g.revokeTokens()
	const n = 8
	gate, logged := make(chan struct{}), make(chan string, 4*n)
	g.mu.Lock()
	g.gate, g.logged = gate, logged
	g.mu.Unlock()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")})
			errs <- err
		}()
	}
	// Hold the authenticate until every call has been refused.
	for range n {
		if what := <-logged; what != "kv/range" {
			t.Fatalf("logged %q before every call was refused", what)
		}
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call = %v", err)
		}
	}
	if g.authCount() != 2 {
		t.Errorf("authenticates = %d, want 2 (one for all %d calls)", g.authCount(), n)
	}
}

// TestV3Auth_wrongPassword: a clear AuthError naming the user, never the
// password.
func TestV3Auth_wrongPassword(t *testing.T) {
	_, srv := newFakeAuthGateway(t)
	root := newV3AuthClient(t, srv.URL, Config{})
	ctx := context.Background()
	if err := NewAuthUserAPI(root).AddUser(ctx, "root", "rootpw"); err != nil {
		t.Fatal(err)
	}
	if err := NewAuthAPI(root).Enable(ctx); err != nil {
		t.Fatal(err)
	}
	c := newV3AuthClient(t, srv.URL, Config{Username: "root", Password: "s3cret-wrong"})
	_, err := NewAuthUserAPI(c).ListUsers(ctx)
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Code != http.StatusUnauthorized || !strings.Contains(err.Error(), `"root"`) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v; want an AuthError 401 naming root, without the password", err)
	}
	// Without credentials, a call while auth is on is refused plainly.
	_, err = NewAuthUserAPI(root).ListUsers(ctx)
	if !errors.As(err, &ae) || ae.Code != http.StatusUnauthorized {
		t.Errorf("no credentials: err = %v, want an AuthError 401", err)
	}
}

// TestV3Auth_badBodies: answers that are not etcd's give errors, never
// a panic.
func TestV3Auth_badBodies(t *testing.T) {
	bodies := []string{"", "{", "[]", "null", `{"roles":5,"users":{},"perm":[{"permType":"BOGUS"}],"token":7}`, `{"perm":[null,{"key":5}]}`, `{"token":""}`}
	for _, body := range bodies {
		g, c := enabledFake(t, Config{})
		for _, p := range []string{"auth/authenticate", "auth/enable", "auth/disable", "auth/user/add", "auth/user/get", "auth/user/list", "auth/user/delete", "auth/user/changepw", "auth/user/grant", "auth/user/revoke", "auth/role/add", "auth/role/get", "auth/role/list", "auth/role/delete", "auth/role/grant", "auth/role/revoke"} {
			g.answer[p] = fakeAnswer{http.StatusOK, body}
		}
		ctx := context.Background()
		users, roles := NewAuthUserAPI(c), NewAuthRoleAPI(c)
		errs := []error{
			NewAuthAPI(c).Enable(ctx),
			errOf(users.GetUser(ctx, "u")),
			errOf(users.ListUsers(ctx)),
			errOf(roles.GetRole(ctx, "r")),
			errOf(roles.ListRoles(ctx)),
			errOf(roles.GrantRoleKV(ctx, "r", []string{"/a/*"}, ReadPermission)),
			errOf(users.GrantUser(ctx, "u", []string{"r"})),
		}
		for i, err := range errs {
			if err == nil && body != "null" {
				t.Errorf("body %q, call %d: no error", body, i)
			}
		}
		// Refusals in odd shapes too.
		for _, p := range []string{"auth/authenticate", "auth/user/get", "auth/role/get"} {
			g.answer[p] = fakeAnswer{http.StatusBadRequest, body}
		}
		_, _ = users.GetUser(ctx, "u")
		_, _ = roles.GetRole(ctx, "r")
	}
}

// TestV3Auth_authStoreRefusal: etcd refuses a password for a user made
// without one with HTTP 500 and gRPC Unknown. That is an answer about the
// request, not a member in trouble: the caller gets an AuthError 401 with
// etcd's message after asking one member, where it used to ask every
// member and hear "has no leader".
func TestV3Auth_authStoreRefusal(t *testing.T) {
	const refusal = `{"code":2,"message":"auth: authentication failed, password was given for no password user"}`
	var mu sync.Mutex
	asked := map[string]int{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, refusal)
	})
	a, b := httptest.NewServer(handler), httptest.NewServer(handler)
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	c, err := New(Config{Endpoints: []string{a.URL, b.URL}, API: APIv3, Username: "np", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewKeysAPI(c).Get(context.Background(), "/k", nil)
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Code != http.StatusUnauthorized || !strings.Contains(err.Error(), "no password user") {
		t.Errorf("err = %v (%T), want an AuthError 401 with etcd's message", err, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := map[string]int{"/v3/auth/authenticate": 1}; !maps.Equal(asked, want) {
		t.Errorf("requests = %v, want %v", asked, want)
	}
}

// TestV3_serverErrorsStillFailMembers: a 500 that is not the auth store's
// refusal (gRPC Internal, or Unknown with another message, or no status
// body) still counts as a failing member, so the call goes on to the
// next one.
func TestV3_serverErrorsStillFailMembers(t *testing.T) {
	for _, body := range []string{
		`{"code":13,"message":"auth: something internal"}`,
		`{"code":2,"message":"etcdserver: unexpected error"}`,
		`{"code":2}`,
		`auth: not json`,
		``,
	} {
		t.Run(body, func(t *testing.T) {
			bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, body)
			}))
			t.Cleanup(bad.Close)
			_, good := newFakeGateway(t)
			c, err := New(Config{Endpoints: []string{bad.URL, good.URL}, API: APIv3})
			if err != nil {
				t.Fatal(err)
			}
			kapi := NewKeysAPI(c)
			if _, err := kapi.Set(context.Background(), "/k", "v", nil); err != nil {
				t.Fatal(err)
			}
			// Alone, the member's failure keeps etcd's explanation.
			alone, err := New(Config{Endpoints: []string{bad.URL}, API: APIv3})
			if err != nil {
				t.Fatal(err)
			}
			_, err = NewKeysAPI(alone).Get(context.Background(), "/k", nil)
			var ce *ClusterError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "has no leader") {
				t.Fatalf("Get from the failing member alone = %v, want a ClusterError", err)
			}
			var msg struct{ Message string }
			if json.Unmarshal([]byte(body), &msg) == nil && strings.HasPrefix(body, `{"code"`) && msg.Message != "" && !strings.Contains(err.Error(), msg.Message) {
				t.Errorf("Get from the failing member alone = %v, want etcd's message %q in it", err, msg.Message)
			}
			if r, err := kapi.Get(context.Background(), "/k", nil); err != nil || r.Node.Value != "v" {
				t.Errorf("Get: %v, %v; want the second member's answer", r, err)
			}
		})
	}
}
