package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// v2Fixture writes a tree of about 2,000 nodes through the v2 API: plain
// keys in nested directories, odd values, empty directories, TTL keys, a
// TTL directory with children (one with a TTL of its own), in-order keys
// and hidden keys. It returns the hidden names to pass to --hidden.
func v2Fixture(t *testing.T, kapi client.KeysAPI) []string {
	t.Helper()
	ctx := context.Background()
	set := func(k, v string, o *client.SetOptions) {
		if _, err := kapi.Set(ctx, k, v, o); err != nil {
			t.Fatalf("v2 Set %s: %v", k, err)
		}
	}
	// 1,883 keys and 91 directories in all (1,875 and 90 without the hidden
	// ones). The bulk in parallel: one request per key.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 1600; i += 8 {
				k := fmt.Sprintf("/app/d%02d/sub%d/k%04d", i%20, i%3, i)
				if _, err := kapi.Set(ctx, k, fmt.Sprintf("value %d", i), nil); err != nil {
					errs <- fmt.Errorf("v2 Set %s: %w", k, err)
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
	set("/odd/empty", "", nil)
	set("/odd/unicode", "héllo ✓ 日本", nil)
	set("/odd/lines", "a\nb\r\n\"quoted\" {json} \x01", nil)
	set("/odd/big", strings.Repeat("x", 64<<10), nil)
	for _, d := range []string{"/empty", "/app/empty", "/odd/deep/empty/dir"} {
		set(d, "", &client.SetOptions{Dir: true})
	}
	for i := range 50 {
		set(fmt.Sprintf("/ttl/k%02d", i), "expiring", &client.SetOptions{TTL: time.Duration(300+i) * time.Second})
	}
	set("/session", "", &client.SetOptions{Dir: true, TTL: 400 * time.Second})
	for i := range 20 {
		set(fmt.Sprintf("/session/c%02d", i), "in session", nil)
	}
	set("/session/own", "own ttl", &client.SetOptions{TTL: 500 * time.Second})
	for i := range 200 {
		if _, err := kapi.CreateInOrder(ctx, "/queue", fmt.Sprintf("job %d", i), nil); err != nil {
			t.Fatalf("v2 CreateInOrder: %v", err)
		}
	}
	set("/_hidden", "top secret", nil)
	set("/app/_secret", "inner secret", nil)
	for i := range 5 {
		set(fmt.Sprintf("/_hdir/k%d", i), "in hidden dir", nil)
	}
	set("/session/_h", "hidden in session", nil)
	return []string{"/_hidden", "/app/_secret", "/_hdir", "/session/_h"}
}

// compareNodes requires the same tree, node by node, up to indexes and
// the seconds that passed between the reads.
func compareNodes(t *testing.T, v2, v3 *client.Node) {
	t.Helper()
	if v2.Key != v3.Key || v2.Dir != v3.Dir || v2.Value != v3.Value {
		t.Errorf("node differs:\n v2 %s\n v3 %s", v2, v3)
		return
	}
	if (v2.Expiration == nil) != (v3.Expiration == nil) || v2.TTL-v3.TTL > 5 || v3.TTL-v2.TTL > 5 {
		t.Errorf("%s: TTL v2 %d (%v), v3 %d (%v)", v2.Key, v2.TTL, v2.Expiration, v3.TTL, v3.Expiration)
	}
	if len(v2.Nodes) != len(v3.Nodes) {
		t.Errorf("%s: %d children on v2, %d on v3", v2.Key, len(v2.Nodes), len(v3.Nodes))
		return
	}
	for i := range v2.Nodes {
		compareNodes(t, v2.Nodes[i], v3.Nodes[i])
	}
}

func TestCopyAndVerifyOnEtcd35(t *testing.T) {
	cl := etcdtest.Start(t, 1, etcdtest.Options{Version: "3.5.35"})
	ep := cl.Endpoints()[0]
	c2, err := client.New(client.Config{Endpoints: []string{ep}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := client.NewKeysAPI(c2)
	hidden := v2Fixture(t, v2)
	hiddenFlag := strings.Join(hidden, ",")

	code, out, errOut := runCmd(t, "copy", "--from", ep, "--to", ep, "--hidden", hiddenFlag)
	if code != 0 {
		t.Fatalf("copy: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("copy:\n%s", out)
	if !strings.Contains(out, "copied 1883 keys and 91 directories (52 with a TTL)") {
		t.Errorf("copy summary: %s", out)
	}

	code, out, errOut = runCmd(t, "verify", "--from", ep, "--to", ep, "--hidden", hiddenFlag)
	if code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}

	// The proof the layout is the library's: the library reads it back
	// as the same tree.
	c3, err := client.New(client.Config{Endpoints: []string{ep}, API: client.APIv3})
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
			t.Fatalf("v3 Get %s: %v", k, err)
		}
		compareNodes(t, r2.Node, r3.Node)
	}

	// Twice is harmless: nothing left to write.
	code, out, errOut = runCmd(t, "copy", "--from", ep, "--to", ep, "--hidden", hiddenFlag)
	if code != 0 || !strings.Contains(out, "copied 0 keys and 0 directories") || !strings.Contains(out, "in 0 transactions") {
		t.Fatalf("second copy: exit %d\n%s%s", code, out, errOut)
	}

	// A v3 key changed behind its back: verify names it, copy refuses,
	// --overwrite repairs it.
	if _, err := v3.Set(ctx, "/odd/unicode", "changed", nil); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, "verify", "--from", ep, "--to", ep, "--hidden", hiddenFlag)
	if code != 1 || !strings.Contains(out, `/odd/unicode: source value "héllo ✓ 日本", target value "changed"`) {
		t.Fatalf("verify after a change: exit %d\n%s", code, out)
	}
	code, _, errOut = runCmd(t, "copy", "--from", ep, "--to", ep, "--hidden", hiddenFlag)
	if code != 1 || !strings.Contains(errOut, "use --overwrite") || !strings.Contains(errOut, "/odd/unicode") {
		t.Fatalf("copy over a changed key: exit %d\n%s", code, errOut)
	}
	code, out, errOut = runCmd(t, "copy", "--from", ep, "--to", ep, "--hidden", hiddenFlag, "--overwrite")
	if code != 0 || !strings.Contains(out, "1 overwritten") {
		t.Fatalf("copy --overwrite: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut = runCmd(t, "verify", "--from", ep, "--to", ep, "--hidden", hiddenFlag); code != 0 {
		t.Fatalf("verify after --overwrite: exit %d\n%s%s", code, out, errOut)
	}

	// Into a prefix: a dry run writes nothing, then the copy verifies.
	code, out, errOut = runCmd(t, "copy", "--from", ep, "--to", ep, "--prefix", "/mig", "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run, would copy 1875 keys and 90 directories") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	cp, err := client.New(client.Config{Endpoints: []string{ep}, API: client.APIv3, V3KeyPrefix: "/mig"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := client.NewKeysAPI(cp).Get(ctx, "/", &client.GetOptions{Quorum: true}); err != nil || len(r.Node.Nodes) != 0 {
		t.Fatalf("after the dry run the prefix holds %v, %v", r, err)
	}
	if code, out, errOut = runCmd(t, "copy", "--from", ep, "--to", ep, "--prefix", "/mig"); code != 0 {
		t.Fatalf("copy into /mig: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut = runCmd(t, "verify", "--from", ep, "--to", ep, "--prefix", "/mig"); code != 0 {
		t.Fatalf("verify of /mig: exit %d\n%s%s", code, out, errOut)
	}
	// A key the copy did not write under the prefix stops the next copy.
	if _, err := client.NewKeysAPI(cp).Set(ctx, "/foreign", "x", nil); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd(t, "copy", "--from", ep, "--to", ep, "--prefix", "/mig")
	if code != 1 || !strings.Contains(errOut, `not in the source: "/mig/foreign"`) {
		t.Fatalf("copy over a foreign key: exit %d\n%s", code, errOut)
	}
}
