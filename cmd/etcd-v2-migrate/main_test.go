package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

func TestMain(m *testing.M) {
	etcdtest.Prepare()
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction(etcdtest.SpawnerFunction))
}

// runCmd runs the command and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestFlagErrors(t *testing.T) {
	badPasswords := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(badPasswords, []byte("alice:ok\nbob-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no subcommand"},
		{[]string{"move"}, `unknown subcommand "move"`},
		{[]string{"copy", "--to", "http://127.0.0.1:1"}, "--from is required"},
		{[]string{"copy", "--from", "http://127.0.0.1:1"}, "--to is required"},
		{[]string{"copy", "--from", "127.0.0.1:2379", "--to", "http://127.0.0.1:1"}, `"127.0.0.1:2379" is not an http(s) URL`},
		{[]string{"copy", "--from", "http://a:1", "--to", "ftp://b"}, `--to: "ftp://b" is not an http(s) URL`},
		{[]string{"copy", "--from", "http://a:1", "--to", "http://b:1", "extra"}, `unexpected argument "extra"`},
		{[]string{"copy", "--from", "http://a:1", "--to", "http://b:1", "--hidden", "_x"}, `--hidden "_x": a key starts with /`},
		{[]string{"copy", "--from", "http://a:1", "--to", "http://b:1", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"verify", "--from", "http://a:1", "--to", "http://b:1", "--dry-run"}, "flag provided but not defined: -dry-run"},
		{[]string{"copy", "--from", "http://a:1", "--to", "http://b:1", "--ttl-tolerance", "1s"}, "flag provided but not defined: -ttl-tolerance"},
		{[]string{"verify", "--from", "http://a:1", "--to", "http://b:1", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"verify", "--from", "http://a:1", "--to", "http://b:1", "--from-user", ":pw"}, `--from-user ":pw" has no user name`},
		{[]string{"follow", "--from", "http://a:1", "--to", "http://b:1", "--after-index", "x"}, `invalid value "x" for flag -after-index`},
		{[]string{"verify", "--from", "http://a:1", "--to", "http://b:1", "--passwords", "f"}, "flag provided but not defined: -passwords"},
		{[]string{"copy", "--from", "http://a:1", "--to", "http://b:1", "--passwords", "/nonexistent/pw"}, "--passwords: open /nonexistent/pw"},
		{[]string{"follow", "--from", "http://a:1", "--to", "http://b:1", "--passwords", badPasswords}, "line 2: not USER:PASSWORD"},
	} {
		code, out, errOut := runCmd(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "usage:") || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q with the usage", tc.args, code, out, errOut, tc.want)
		}
	}
}

// closedURL is a URL where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func TestUnreachableSource(t *testing.T) {
	u := closedURL(t)
	for _, cmd := range []string{"copy", "verify"} {
		code, _, errOut := runCmd(t, cmd, "--from", u, "--to", u)
		if code != 1 || !strings.Contains(errOut, "source ["+u+"] unreachable") {
			t.Errorf("%s: exit %d, stderr %q", cmd, code, errOut)
		}
	}
}

func TestSourceWithoutV2(t *testing.T) {
	nf := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(nf.Close)
	code, _, errOut := runCmd(t, "copy", "--from", nf.URL, "--to", nf.URL)
	if code != 1 || !strings.Contains(errOut, "serves no v2 API") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestTargetWithoutV3(t *testing.T) {
	srv := clienttest.NewServer(t)
	nf := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(nf.Close)
	code, _, errOut := runCmd(t, "copy", "--from", srv.Endpoints()[0], "--to", nf.URL)
	if code != 1 || !strings.Contains(errOut, "does not serve etcd's v3 JSON gateway") {
		t.Errorf("copy: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "verify", "--from", srv.Endpoints()[0], "--to", nf.URL)
	if code != 1 || !strings.Contains(errOut, "serves no v3 API") {
		t.Errorf("verify: exit %d, stderr %q", code, errOut)
	}
	u := closedURL(t)
	code, _, errOut = runCmd(t, "copy", "--from", srv.Endpoints()[0], "--to", u)
	if code != 1 || !strings.Contains(errOut, "no target endpoint answered") {
		t.Errorf("copy to nothing: exit %d, stderr %q", code, errOut)
	}
}

// The source client refuses every method but GET below the library, so
// no code path can write to the v2 side.
func TestSourceIsReadOnly(t *testing.T) {
	srv := clienttest.NewServer(t)
	c, err := newSource(&options{from: srv.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)
	_, err = kapi.Set(context.Background(), "/x", "y", nil)
	if err == nil || !strings.Contains(err.Error(), "never writes to the source") {
		t.Fatalf("Set through the source client: %v", err)
	}
	if _, err := kapi.Get(context.Background(), "/", nil); err != nil {
		t.Fatalf("Get through the source client: %v", err)
	}
}

func TestSourceAuth(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithBasicAuth("root", "secret"))
	nf := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(nf.Close)
	from := srv.Endpoints()[0]
	code, _, errOut := runCmd(t, "copy", "--from", from, "--to", nf.URL)
	if code != 1 || !strings.Contains(errOut, "refused access (v2 auth is on)") || !strings.Contains(errOut, "--from-user") {
		t.Errorf("without credentials: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "copy", "--from", from, "--to", nf.URL, "--from-user", "root:wrong")
	if code != 1 || !strings.Contains(errOut, "refused access") {
		t.Errorf("with a wrong password: exit %d, stderr %q", code, errOut)
	}
	// With the password from the environment the source is read and the
	// command goes on to the target (which serves no v3 here).
	t.Setenv(passwordEnv, "secret")
	code, out, errOut := runCmd(t, "copy", "--from", from, "--to", nf.URL, "--from-user", "root")
	if code != 1 || !strings.Contains(out, "read 0 nodes") || !strings.Contains(errOut, "does not serve etcd's v3 JSON gateway") {
		t.Errorf("with credentials: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestTargetWithV3Auth(t *testing.T) {
	srv := clienttest.NewServer(t)
	// What etcd's gateway answers a request without a token when auth is on.
	authOn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"etcdserver: user name is empty","code":3,"message":"etcdserver: user name is empty"}`))
	}))
	t.Cleanup(authOn.Close)
	code, _, errOut := runCmd(t, "copy", "--from", srv.Endpoints()[0], "--to", authOn.URL)
	if code != 1 || !strings.Contains(errOut, "the target has v3 auth enabled") || !strings.Contains(errOut, "--to-user") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestTargetWithV3Auth_toUser copies into a target whose v3 auth is on
// (clienttest's, as etcd 3.6's), logged in with --to-user: keys, users and
// roles arrive, verify agrees, and a token that expires midway is
// replaced. Without the user, or with a wrong password, it stops with a
// clear error.
func TestTargetWithV3Auth_toUser(t *testing.T) {
	src := clienttest.NewServer(t)
	v2, err := client.New(client.Config{Endpoints: src.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 300 {
		if _, err := client.NewKeysAPI(v2).Set(ctx, fmt.Sprintf("/app/k%03d", i), "v", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.NewAuthRoleAPI(v2).AddRole(ctx, "reader"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.NewAuthRoleAPI(v2).GrantRoleKV(ctx, "reader", []string{"/app/*"}, client.ReadPermission); err != nil {
		t.Fatal(err)
	}

	clk := clienttest.NewClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	dst := clienttest.NewServer(t, clienttest.WithClock(clk), clienttest.WithV3TokenTTL(time.Minute))
	root, err := client.New(client.Config{Endpoints: dst.Endpoints(), API: client.APIv3, Username: "root", Password: "rootpw"})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.NewAuthUserAPI(root).AddUser(ctx, "root", "rootpw"); err != nil {
		t.Fatal(err)
	}
	if err := client.NewAuthAPI(root).Enable(ctx); err != nil {
		t.Fatal(err)
	}
	from, to := src.Endpoints()[0], dst.Endpoints()[0]

	code, _, errOut := runCmd(t, "copy", "--from", from, "--to", to)
	if code != 1 || !strings.Contains(errOut, "--to-user") {
		t.Errorf("without --to-user: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "copy", "--from", from, "--to", to, "--to-user", "root:wrong")
	if code != 1 || !strings.Contains(errOut, "--to-user root") || !strings.Contains(errOut, "authentication failed") || strings.Contains(errOut, "wrong") {
		t.Errorf("wrong password: exit %d, stderr %q", code, errOut)
	}

	t.Setenv(toPasswordEnv, "rootpw")
	code, out, errOut := runCmd(t, "copy", "--from", from, "--to", to, "--to-user", "root")
	if code != 0 || !strings.Contains(out, "copied 300 keys") || !strings.Contains(out, "create role reader") {
		t.Fatalf("copy with --to-user: exit %d\n%s%s", code, out, errOut)
	}
	clk.Advance(2 * time.Minute) // every token of the copy expires unused
	if code, out, errOut := runCmd(t, "verify", "--from", from, "--to", to, "--to-user", "root:rootpw"); code != 0 {
		t.Fatalf("verify with --to-user: exit %d\n%s%s", code, out, errOut)
	}

	// A token that expires between two calls of the copy's gateway is
	// replaced by one login, and the call goes through.
	g := &gateway{endpoints: []string{to}, hc: httpClient(), user: "root", password: "rootpw"}
	var rr struct {
		Count i64 `json:"count"`
	}
	range3 := map[string]any{"key": []byte("/app/"), "range_end": []byte("/app0"), "count_only": true}
	if err := g.call(ctx, "kv/range", range3, &rr); err != nil || rr.Count == 0 {
		t.Fatalf("range = %d, %v", rr.Count, err)
	}
	first := g.token
	clk.Advance(2 * time.Minute)
	if err := g.call(ctx, "kv/range", range3, &rr); err != nil || rr.Count == 0 {
		t.Fatalf("range after the token expired = %d, %v", rr.Count, err)
	}
	if g.token == first || g.token == "" {
		t.Errorf("token after expiry = %q, want a new one", g.token)
	}
}
