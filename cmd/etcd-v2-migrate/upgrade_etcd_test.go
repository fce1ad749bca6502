package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// bigKeys is how many plain keys bigFixture writes besides the rest.
const bigKeys = 10000

// bigFixture writes, through the v2 API of an etcd without auth, a tree of
// more than 10,000 keys: plain keys in nested directories, empty
// directories, TTL keys, a TTL directory with children, in-order keys in
// three queues and hidden keys (returned, for --hidden). Then the users
// and roles, and it enables v2 auth, as a source that used v2 auth has it.
func bigFixture(t *testing.T, kapi client.KeysAPI, c client.Client) []string {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	// One request per key, 16 at a time: a few seconds on etcd 3.5.
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < bigKeys; i += 16 {
				k := fmt.Sprintf("/big/d%02d/s%d/k%05d", i%40, i%5, i)
				if _, err := kapi.Set(ctx, k, strings.Repeat("v", i%200)+fmt.Sprint(i), nil); err != nil {
					errs <- fmt.Errorf("v2 Set %s: %w", k, err)
					return
				}
			}
		})
	}
	for q := range 3 {
		wg.Go(func() {
			for i := range 100 {
				if _, err := kapi.CreateInOrder(ctx, fmt.Sprintf("/queue/q%d", q), fmt.Sprintf("job %d", i), nil); err != nil {
					errs <- fmt.Errorf("v2 CreateInOrder: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	set := func(k, v string, o *client.SetOptions) {
		t.Helper()
		if _, err := kapi.Set(ctx, k, v, o); err != nil {
			t.Fatalf("v2 Set %s: %v", k, err)
		}
	}
	set("/cfg/one", "only bob reads this", nil)
	set("/cfg/two", "bob does not", nil)
	set("/cfg/one.bak", "a sibling bob does not read", nil)
	set("/cfg/note", "bob writes this", nil)
	for _, d := range []string{"/empty", "/big/empty", "/cfg/deep/empty"} {
		set(d, "", &client.SetOptions{Dir: true})
	}
	for i := range 30 {
		set(fmt.Sprintf("/ttl/k%02d", i), "expiring", &client.SetOptions{TTL: time.Duration(600+i) * time.Second})
	}
	set("/session", "", &client.SetOptions{Dir: true, TTL: 700 * time.Second})
	for i := range 10 {
		set(fmt.Sprintf("/session/c%02d", i), "in session", nil)
	}
	set("/session/ttl", "", &client.SetOptions{Dir: true, TTL: 800 * time.Second})
	set("/_hidden", "top secret", nil)
	set("/big/_secret", "inner secret", nil)
	for i := range 5 {
		set(fmt.Sprintf("/_hdir/k%d", i), "in a hidden directory", nil)
	}

	users, roles := client.NewAuthUserAPI(c), client.NewAuthRoleAPI(c)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	grant := func(role string, prefixes []string, pt client.PermissionType) {
		t.Helper()
		_, err := roles.GrantRoleKV(ctx, role, prefixes, pt)
		must(err)
	}
	for _, r := range []string{"app", "queue", "reader"} {
		must(roles.AddRole(ctx, r))
	}
	grant("app", []string{"/big/*"}, client.ReadPermission)
	grant("app", []string{"/big/d00/*"}, client.WritePermission)
	grant("queue", []string{"/queue/*"}, client.ReadWritePermission)
	grant("reader", []string{"/cfg/one"}, client.ReadPermission)
	grant("reader", []string{"/cfg/note"}, client.ReadWritePermission)
	for u, rs := range map[string][]string{"alice": {"app", "queue"}, "bob": {"reader"}, "carol": {"app"}} {
		must(users.AddUser(ctx, u, u+"pw"))
		_, err := users.GrantUser(ctx, u, rs)
		must(err)
	}
	must(users.AddUser(ctx, "root", "rootpw"))
	// Enabling v2 auth makes the guest role, which v3 has no use for.
	must(client.NewAuthAPI(c).Enable(ctx))
	return []string{"/_hidden", "/big/_secret", "/_hdir"}
}

// passwordsFile writes --passwords: carol is left out, so she is created
// without a password; ghost is not in the source.
func passwordsFile(t *testing.T) string {
	f := filepath.Join(t.TempDir(), "passwords")
	if err := os.WriteFile(f, []byte("# v2 users\nroot:rootpw\nalice:alicepw\nbob:bobpw\nghost:nobody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// sameTree requires the library to read the identical tree through APIv3
// as through APIv2: recursive, sorted, with the hidden subtrees.
func sameTree(t *testing.T, v2 client.KeysAPI, ep, prefix string, hidden []string) {
	t.Helper()
	c3, err := client.New(client.Config{Endpoints: []string{ep}, API: client.APIv3, V3KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	v3 := client.NewKeysAPI(c3)
	ctx := context.Background()
	opts := &client.GetOptions{Recursive: true, Sort: true, Quorum: true}
	for _, k := range append([]string{"/"}, hidden...) {
		r2, err := v2.Get(ctx, k, opts)
		if err != nil {
			t.Fatalf("v2 Get %s: %v", k, err)
		}
		r3, err := v3.Get(ctx, k, opts)
		if err != nil {
			t.Fatalf("v3 Get %s on %s: %v", k, ep, err)
		}
		compareNodes(t, r2.Node, r3.Node)
	}
	// The in-order names are the v2 ones, in the same order.
	r2, err := v2.Get(ctx, "/queue/q1", opts)
	if err != nil {
		t.Fatal(err)
	}
	r3, err := v3.Get(ctx, "/queue/q1", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r3.Node.Nodes) != 100 || r2.Node.Nodes[0].Key != r3.Node.Nodes[0].Key || r2.Node.Nodes[99].Key != r3.Node.Nodes[99].Key {
		t.Errorf("in-order keys: v2 %d from %s, v3 %d", len(r2.Node.Nodes), r2.Node.Nodes[0].Key, len(r3.Node.Nodes))
	}
}

// countNodes counts a tree's keys and directories.
func countNodes(n *client.Node) (keys, dirs int) {
	for _, c := range n.Nodes {
		if c.Dir {
			dirs++
			k, d := countNodes(c)
			keys, dirs = keys+k, dirs+d
		} else {
			keys++
		}
	}
	return keys, dirs
}

// TestUpgradeOnRealEtcd is issue 14's proof: a v2 tree of more than
// 10,000 keys with users and roles on etcd 3.5 is migrated into the v3
// space of the same cluster and into fresh 3.6 and 3.7 clusters; verify
// passes; APIv3 reads the identical tree; with auth enabled on the new
// cluster, a migrated user reads and writes exactly where its role
// allows.
func TestUpgradeOnRealEtcd(t *testing.T) {
	src := etcdtest.Start(t, 1, etcdtest.Options{Version: "3.5.35"})
	ep := src.Endpoints()[0]
	c2, err := client.New(client.Config{Endpoints: []string{ep}})
	if err != nil {
		t.Fatal(err)
	}
	hidden := bigFixture(t, client.NewKeysAPI(c2), c2)
	// From here v2 auth is on: the test reads as root, as the command.
	root2, err := client.New(client.Config{Endpoints: []string{ep}, Username: "root", Password: "rootpw"})
	if err != nil {
		t.Fatal(err)
	}
	v2 := client.NewKeysAPI(root2)
	all, err := v2.Get(context.Background(), "/", &client.GetOptions{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	if keys, dirs := countNodes(all.Node); keys < 10000 {
		t.Fatalf("the fixture has %d keys and %d directories, want 10,000 keys or more", keys, dirs)
	}
	common := []string{"--from", ep, "--from-user", "root:rootpw", "--hidden", strings.Join(hidden, ",")}
	pw := passwordsFile(t)

	t.Run("same cluster", func(t *testing.T) {
		code, out, errOut := runCmd(t, append([]string{"copy", "--to", ep, "--passwords", pw}, common...)...)
		if code != 0 {
			t.Fatalf("copy: exit %d\n%s%s", code, out, errOut)
		}
		for _, want := range []string{
			"auth: v2 role guest not copied",
			"auth: create user carol WITHOUT a password",
			"auth: create user alice with its password from --passwords",
			"auth: --passwords names user ghost, which the source does not have; ignored",
			"auth is NOT enabled on the target",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("copy output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out+errOut, "alicepw") || strings.Contains(out+errOut, "rootpw") {
			t.Errorf("the output shows a password:\n%s%s", out, errOut)
		}
		if code, out, errOut := runCmd(t, append([]string{"verify", "--to", ep}, common...)...); code != 0 {
			t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
		}
		sameTree(t, v2, ep, "", hidden)

		// A role and a grant made on the target behind the copy's back:
		// verify names both, a new copy leaves them and says so.
		c3 := v3Client(t, ep, "", "")
		if err := client.NewAuthRoleAPI(c3).AddRole(context.Background(), "extra"); err != nil {
			t.Fatal(err)
		}
		if _, err := client.NewAuthUserAPI(c3).GrantUser(context.Background(), "bob", []string{"extra"}); err != nil {
			t.Fatal(err)
		}
		code, out, errOut = runCmd(t, append([]string{"verify", "--to", ep}, common...)...)
		if code != 1 || !strings.Contains(out, "auth: only on the target: role extra") || !strings.Contains(out, "auth: user bob: only on the target: role extra") ||
			!strings.Contains(errOut, "0 differences between the v2 tree") || !strings.Contains(errOut, "2 between their users and roles") {
			t.Errorf("verify after changing auth: exit %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = runCmd(t, append([]string{"copy", "--to", ep, "--passwords", pw}, common...)...)
		if code != 0 || !strings.Contains(out, "auth: left as it is: only on the target: role extra") {
			t.Errorf("copy after changing auth: exit %d\n%s%s", code, out, errOut)
		}
	})

	for _, version := range []string{"3.6.16", "3.7.3"} {
		t.Run(version, func(t *testing.T) {
			dst := etcdtest.Start(t, 1, etcdtest.Options{Version: version, V3Only: true})
			to := dst.Endpoints()[0]
			copyArgs := append([]string{"copy", "--to", to, "--passwords", pw}, common...)

			code, out, errOut := runCmd(t, append(copyArgs, "--dry-run")...)
			if code != 0 || !strings.Contains(out, "auth: dry run, would create role app") || !strings.Contains(out, "dry run, would create 4 roles") {
				t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
			}
			c3 := v3Client(t, to, "", "")
			users, err := client.NewAuthUserAPI(c3).ListUsers(context.Background())
			if err != nil || len(users) != 0 {
				t.Fatalf("after the dry run the target has users %q, %v", users, err)
			}
			roles, err := client.NewAuthRoleAPI(c3).ListRoles(context.Background())
			if err != nil || len(roles) != 0 {
				t.Fatalf("after the dry run the target has roles %q, %v", roles, err)
			}
			if code, out, errOut = runCmd(t, copyArgs...); code != 0 {
				t.Fatalf("copy: exit %d\n%s%s", code, out, errOut)
			}
			// Twice writes nothing.
			code, out, errOut = runCmd(t, copyArgs...)
			if code != 0 || !strings.Contains(out, "copied 0 keys and 0 directories") || !strings.Contains(out, "created 0 roles, 0 permissions, 0 users (0 without a password), 0 role grants") {
				t.Fatalf("second copy: exit %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := runCmd(t, append([]string{"verify", "--to", to}, common...)...); code != 0 {
				t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
			}
			sameTree(t, v2, to, "", hidden)
			checkPermissions(t, to)
		})
	}
}

// gw is a raw request to the v3 gateway with an auth token.
func gw(t *testing.T, ep, token, what string, req any) (int, string) {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.NewRequest(http.MethodPost, ep+"/v3/"+what, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func login(t *testing.T, ep, user, password string) (string, error) {
	t.Helper()
	code, body := gw(t, ep, "", "auth/authenticate", map[string]string{"name": user, "password": password})
	if code != http.StatusOK {
		return "", fmt.Errorf("authenticate %s: HTTP %d %s", user, code, body)
	}
	var a struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil || a.Token == "" {
		return "", fmt.Errorf("authenticate %s: %s", user, body)
	}
	return a.Token, nil
}

// v3Client is the library's APIv3 client on ep, as user when one is
// given.
func v3Client(t *testing.T, ep, user, password string) client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoints: []string{ep}, API: client.APIv3, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// refused tells whether err is the refusal v2 gives a caller without the
// rights, which the library's APIv3 reports for etcd's "permission
// denied": an Error with code 110 under errors.As.
func refused(err error) bool {
	var e client.Error
	return errors.As(err, &e) && e.Code == client.ErrorCodeUnauthorized
}

// checkPermissions enables auth on the target through the library (as
// root, with the password from the file) and checks, through the
// library's APIv3 KeysAPI with each migrated user's credentials, that
// the user reads and writes exactly where its v2 role allowed, within
// the limits the package docs give for APIv3 ("Auth on APIv3"): what is
// refused is refused as v2 refuses it (code 110). Then it checks with
// plain v3 requests that a single-node v2 permission grants exactly that
// node's keys, as other v3 clients (etcdctl) read them.
func checkPermissions(t *testing.T, ep string) {
	ctx := context.Background()
	if err := client.NewAuthAPI(v3Client(t, ep, "root", "rootpw")).Enable(ctx); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	kapi := map[string]client.KeysAPI{}
	for _, u := range []string{"root", "alice", "bob"} {
		kapi[u] = client.NewKeysAPI(v3Client(t, ep, u, u+"pw"))
	}
	// carol was created without a password: no password logs her in.
	for _, pw := range []string{"carolpw", ""} {
		_, err := client.NewKeysAPI(v3Client(t, ep, "carol", pw)).Get(ctx, "/big/d00/s0/k00000", nil)
		if err == nil || !strings.Contains(err.Error(), `"carol"`) || (pw != "" && strings.Contains(err.Error(), pw)) {
			t.Errorf("carol, created without a password, with password %q: %v", pw, err)
		}
	}
	// A wrong password is v2's 401.
	var ae *client.AuthError
	if _, err := client.NewKeysAPI(v3Client(t, ep, "alice", "wrong")).Get(ctx, "/big/d00/s0/k00000", nil); !errors.As(err, &ae) || ae.Code != http.StatusUnauthorized {
		t.Errorf("alice with a wrong password: %v", err)
	}

	dir := &client.GetOptions{Recursive: true, Sort: true, Quorum: true}
	for _, c := range []struct {
		user, key string
		opts      *client.GetOptions
		want      bool
	}{
		{"alice", "/big/d05/s0/k00005", nil, true},
		{"alice", "/big/d05", dir, true}, // a directory inside /big/*
		{"alice", "/queue/q0", dir, true},
		{"alice", "/big", dir, true}, // the directory of /big/* itself
		{"alice", "/cfg/one", nil, false},
		{"alice", "/ttl", dir, false},
		{"alice", "/", dir, false},
		{"bob", "/cfg/one", nil, true},  // the role's exact "/cfg/one"
		{"bob", "/cfg/note", nil, true}, // and its exact "/cfg/note"
		{"bob", "/cfg/two", nil, false},
		{"bob", "/cfg/one.bak", nil, false},
		{"bob", "/cfg", dir, false},
		{"bob", "/big/d05/s0/k00005", nil, false},
		{"root", "/", dir, true},
	} {
		_, err := kapi[c.user].Get(ctx, c.key, c.opts)
		switch {
		case c.want && err != nil:
			t.Errorf("%s: Get %s: %v, want it allowed", c.user, c.key, err)
		case !c.want && !refused(err):
			t.Errorf("%s: Get %s: %v, want v2's refusal (code 110)", c.user, c.key, err)
		}
	}
	for _, c := range []struct {
		user, key string
		want      bool
	}{
		{"alice", "/big/d00/s0/new", true},
		{"alice", "/big/d00/new", true},
		{"alice", "/big/d05/s0/new", false},
		{"alice", "/big/d05/s0/k00005", false}, // read-only
		{"alice", "/queue/q0/new", true},
		{"alice", "/cfg/new", false},
		{"alice", "/new", false},
		{"bob", "/cfg/one", false}, // read-only
		{"bob", "/cfg/note", true}, // his exact read-write "/cfg/note"
		{"bob", "/cfg/one2", false},
		{"bob", "/cfg/note2", false},
		{"root", "/ttl/new", true},
	} {
		value := "by " + c.user
		_, err := kapi[c.user].Set(ctx, c.key, value, nil)
		switch {
		case c.want && err != nil:
			t.Errorf("%s: Set %s: %v, want it allowed", c.user, c.key, err)
		case !c.want && !refused(err):
			t.Errorf("%s: Set %s: %v, want v2's refusal (code 110)", c.user, c.key, err)
		}
		// What root reads back: the value written, or none written.
		r, err := kapi["root"].Get(ctx, c.key, &client.GetOptions{Quorum: true})
		switch {
		case c.want && (err != nil || r.Node.Value != value):
			t.Errorf("after %s's Set %s, root reads %+v, %v", c.user, c.key, r, err)
		case !c.want && err == nil && r.Node.Value == value:
			t.Errorf("%s's refused Set %s was applied", c.user, c.key)
		case !c.want && err != nil && !client.IsKeyNotFound(err):
			t.Errorf("after %s's refused Set %s, root reads %v", c.user, c.key, err)
		}
	}
	// The writer reads its own key back.
	if r, err := kapi["alice"].Get(ctx, "/big/d00/s0/new", nil); err != nil || r.Node.Value != "by alice" {
		t.Errorf("alice reading her key back: %+v, %v", r, err)
	}

	// Other v3 clients, which read single keys, get exactly the node of
	// a single-node permission: its key and its directory marker.
	tok, err := login(t, ep, "bob", "bobpw")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"/cfg/one": true, "/cfg/one/": true, "/cfg/two": false, "/cfg/one.bak": false} {
		code, body := gw(t, ep, tok, "kv/range", map[string]any{"key": []byte(key)})
		if code != http.StatusOK && !strings.Contains(body, "permission denied") {
			t.Fatalf("bob reading %s: HTTP %d %s", key, code, body)
		}
		if got := code == http.StatusOK; got != want {
			t.Errorf("bob reading the v3 key %s alone: allowed %v, want %v", key, got, want)
		}
	}
}
