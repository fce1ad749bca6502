package integration

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// startV3 starts a v3-only cluster (no --enable-v2): etcd 3.6 and 3.7
// serve nothing else, and 3.4/3.5 serve v3 too, as does the stand-in.
// Pick the etcd with ETCDTEST_VERSION (3.6.16, 3.7.3, ...).
func startV3(t *testing.T, n int) (*etcdtest.Cluster, client.KeysAPI, client.Client) {
	t.Helper()
	if n > 1 {
		skipOnStandin(t, "needs several members")
	}
	cl := etcdtest.Start(t, n, etcdtest.Options{V3Only: true})
	t.Logf("etcd %s, APIv3", etcdtest.ServerVersion(t))
	c, _ := newClient(t, cl, client.Config{API: client.APIv3, V3KeyPrefix: "app1"})
	return cl, client.NewKeysAPI(c), c
}

func wantCode(t *testing.T, what string, err error, code int, cause string) {
	t.Helper()
	var e client.Error
	if !errors.As(err, &e) || e.Code != code || (cause != "" && e.Cause != cause) || e.Index == 0 {
		t.Errorf("%s: err = %v; want Error %d with cause %q and an index", what, err, code, cause)
	}
}

func TestV3Keys(t *testing.T) {
	t.Parallel()
	_, kapi, _ := startV3(t, 1)
	ctx := ctxFor(t, 60*time.Second)

	r, err := kapi.Set(ctx, "/k/a", "1", nil)
	if err != nil || r.Action != "set" || r.Node.Value != "1" || r.Node.CreatedIndex != r.Index || r.ClusterID == "" || r.PrevNode != nil {
		t.Fatalf("Set = %+v, %v", r, err)
	}
	created := r.Node.CreatedIndex
	r, err = kapi.Get(ctx, "k/a", &client.GetOptions{Quorum: true})
	if err != nil || r.Action != "get" || r.Node.Value != "1" || r.Node.CreatedIndex != created || r.Node.Key != "/k/a" {
		t.Fatalf("Get = %+v, %v", r, err)
	}
	r, err = kapi.Update(ctx, "/k/a", "2")
	if err != nil || r.Action != "update" || r.PrevNode == nil || r.PrevNode.Value != "1" || r.Node.CreatedIndex != created || r.Node.ModifiedIndex != r.Index {
		t.Fatalf("Update = %+v, %v", r, err)
	}
	_, err = kapi.Create(ctx, "/k/a", "x")
	wantCode(t, "Create existing", err, client.ErrorCodeNodeExist, "/k/a")
	_, err = kapi.Update(ctx, "/k/missing", "x")
	wantCode(t, "Update missing", err, client.ErrorCodeKeyNotFound, "/k/missing")
	_, err = kapi.Set(ctx, "/k/a", "3", &client.SetOptions{PrevValue: "nope"})
	wantCode(t, "CAS value", err, client.ErrorCodeTestFailed, "[nope != 2]")
	_, err = kapi.Set(ctx, "/k/a", "3", &client.SetOptions{PrevIndex: 1})
	wantCode(t, "CAS index", err, client.ErrorCodeTestFailed, "")
	r, err = kapi.Set(ctx, "/k/a", "3", &client.SetOptions{PrevValue: "2"})
	if err != nil || r.Action != "compareAndSwap" || r.Node.Value != "3" {
		t.Fatalf("CAS = %+v, %v", r, err)
	}
	_, err = kapi.Get(ctx, "/k/a/b", nil)
	wantCode(t, "Get below a key", err, client.ErrorCodeNotDir, "/k/a")
	_, err = kapi.Set(ctx, "/k", "v", nil)
	wantCode(t, "Set on a dir", err, client.ErrorCodeNotFile, "/k")
	_, err = kapi.Delete(ctx, "/k", nil)
	wantCode(t, "Delete dir", err, client.ErrorCodeNotFile, "/k")
	_, err = kapi.Delete(ctx, "/k", &client.DeleteOptions{Dir: true})
	wantCode(t, "Delete non-empty dir", err, client.ErrorCodeDirNotEmpty, "/k")
	_, err = kapi.Set(ctx, "/", "v", nil)
	wantCode(t, "Set root", err, client.ErrorCodeRootROnly, "/")

	r, err = kapi.Create(ctx, "/k/b", "new")
	if err != nil || r.Action != "create" {
		t.Fatalf("Create = %+v, %v", r, err)
	}
	if r, err = kapi.Set(ctx, "/k/nv", "x", &client.SetOptions{NoValueOnSuccess: true}); err != nil || r.Action != "set" || r.Node != nil {
		t.Fatalf("NoValueOnSuccess = %+v, %v", r, err)
	}
	if _, err = kapi.Set(ctx, "/k/_hidden", "h", nil); err != nil {
		t.Fatal(err)
	}
	if r, err = kapi.Set(ctx, "/k/d", "", &client.SetOptions{Dir: true}); err != nil || !r.Node.Dir {
		t.Fatalf("mkdir = %+v, %v", r, err)
	}
	var keys []string
	r, err = kapi.Get(ctx, "/k", &client.GetOptions{Sort: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range r.Node.Nodes {
		keys = append(keys, n.Key)
	}
	if got, want := strings.Join(keys, " "), "/k/a /k/b /k/d /k/nv"; got != want || !r.Node.Dir {
		t.Errorf("listing of /k = %q, want %q (hidden key left out)", got, want)
	}
	if r, err = kapi.Get(ctx, "/k/_hidden", nil); err != nil || r.Node.Value != "h" {
		t.Errorf("Get(hidden) = %+v, %v", r, err)
	}

	// CreateInOrder: unique, increasing, named after the index.
	var last string
	for i := range 3 {
		r, err := kapi.CreateInOrder(ctx, "/q", "job", nil)
		if err != nil || r.Action != "create" || len(r.Node.Key) != len("/q/")+20 || r.Node.Key <= last {
			t.Fatalf("CreateInOrder #%d = %+v, %v (last %q)", i, r, err, last)
		}
		last = r.Node.Key
	}
	r, err = kapi.Get(ctx, "/", &client.GetOptions{Recursive: true, Sort: true})
	if err != nil || len(r.Node.Nodes) != 2 || r.Node.Nodes[1].Key != "/q" || len(r.Node.Nodes[1].Nodes) != 3 {
		t.Fatalf("recursive Get / = %+v, %v", r, err)
	}

	// TTLs and refresh.
	r, err = kapi.Set(ctx, "/t", "x", &client.SetOptions{TTL: 300 * time.Second})
	if err != nil || r.Node.TTL <= 0 || r.Node.TTL > 300 || r.Node.Expiration == nil {
		t.Fatalf("Set TTL = %+v, %v", r, err)
	}
	r, err = kapi.Set(ctx, "/t", "", &client.SetOptions{TTL: 600 * time.Second, Refresh: true, PrevExist: client.PrevExist})
	if err != nil || r.Action != "update" || r.Node.Value != "x" || r.Node.TTL <= 300 || r.PrevNode == nil || r.PrevNode.TTL > 300 {
		t.Fatalf("refresh = %+v, %v", r, err)
	}

	// Compare-and-delete, recursive delete.
	_, err = kapi.Delete(ctx, "/k/b", &client.DeleteOptions{PrevValue: "old"})
	wantCode(t, "CAD", err, client.ErrorCodeTestFailed, "[old != new]")
	r, err = kapi.Delete(ctx, "/k/b", &client.DeleteOptions{PrevValue: "new"})
	if err != nil || r.Action != "compareAndDelete" || r.PrevNode.Value != "new" || r.Node.Value != "" {
		t.Fatalf("CAD = %+v, %v", r, err)
	}
	r, err = kapi.Delete(ctx, "/k", &client.DeleteOptions{Recursive: true})
	if err != nil || r.Action != "delete" || !r.Node.Dir {
		t.Fatalf("recursive Delete = %+v, %v", r, err)
	}
	_, err = kapi.Get(ctx, "/k/a", nil)
	// As on v2, the cause is the first component missing: /k went too.
	wantCode(t, "Get deleted", err, client.ErrorCodeKeyNotFound, "/k")
}

func TestV3Watch(t *testing.T) {
	t.Parallel()
	cl, kapi, _ := startV3(t, 1)
	ctx := ctxFor(t, 60*time.Second)
	r, err := kapi.Set(ctx, "/w/a", "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := kapi.Watcher("/w", &client.WatcherOptions{Recursive: true, AfterIndex: r.Index})
	t.Cleanup(func() { w.(interface{ Close() error }).Close() })
	one := kapi.Watcher("/w/a", &client.WatcherOptions{AfterIndex: r.Index})
	t.Cleanup(func() { one.(interface{ Close() error }).Close() })

	steps := []struct {
		do     func() error
		action string
		key    string
	}{
		{func() error { _, err := kapi.Set(ctx, "/w/a", "2", nil); return err }, "set", "/w/a"},
		{func() error { _, err := kapi.Update(ctx, "/w/a", "3"); return err }, "update", "/w/a"},
		{func() error {
			_, err := kapi.Set(ctx, "/w/a", "4", &client.SetOptions{PrevValue: "3"})
			return err
		}, "compareAndSwap", "/w/a"},
		{func() error { _, err := kapi.Create(ctx, "/w/b", "x"); return err }, "create", "/w/b"},
		{func() error {
			_, err := kapi.Delete(ctx, "/w/b", &client.DeleteOptions{PrevValue: "x"})
			return err
		}, "compareAndDelete", "/w/b"},
		{func() error { _, err := kapi.Set(ctx, "/w/d/x/y", "deep", nil); return err }, "set", "/w/d/x/y"},
		{func() error {
			_, err := kapi.Delete(ctx, "/w/d", &client.DeleteOptions{Recursive: true})
			return err
		}, "delete", "/w/d"},
		{func() error {
			_, err := kapi.Set(ctx, "/w/ttl", "x", &client.SetOptions{TTL: time.Second})
			return err
		}, "set", "/w/ttl"},
		{func() error { return nil }, "expire", "/w/ttl"},
		{func() error { _, err := kapi.Delete(ctx, "/w/a", nil); return err }, "delete", "/w/a"},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		ev, err := w.Next(ctx)
		if err != nil || ev.Action != s.action || ev.Node.Key != s.key {
			t.Fatalf("step %d: Next = %+v, %v; want %s of %s", i, ev, err, s.action, s.key)
		}
		if s.action == "set" && s.key == "/w/a" && (ev.PrevNode == nil || ev.PrevNode.Value != "1") {
			t.Errorf("step %d: PrevNode = %+v, want the value 1", i, ev.PrevNode)
		}
	}
	// The non-recursive watcher saw only /w/a, with the same actions.
	for _, want := range []string{"set", "update", "compareAndSwap", "delete"} {
		ev, err := one.Next(ctx)
		if err != nil || ev.Action != want || ev.Node.Key != "/w/a" {
			t.Fatalf("key watcher: Next = %+v, %v; want %s", ev, err, want)
		}
	}

	// A compacted start revision is v2's 401.
	r, err = kapi.Set(ctx, "/w/c", "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	compact(t, cl.Members[0].ClientURL, r.Index)
	old := kapi.Watcher("/w", &client.WatcherOptions{AfterIndex: 1})
	t.Cleanup(func() { old.(interface{ Close() error }).Close() })
	_, err = old.Next(ctx)
	var e client.Error
	if !errors.As(err, &e) || e.Code != client.ErrorCodeEventIndexCleared || !client.IsEventIndexCleared(err) {
		t.Fatalf("watch from a compacted index: %v, want Error 401", err)
	}
}

// compact compacts the member's history up to rev with a plain request.
func compact(t *testing.T, ep string, rev uint64) {
	t.Helper()
	body := []byte(`{"revision":"` + uitoa(rev) + `","physical":true}`)
	resp, err := http.Post(ep+"/v3/kv/compaction", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("compaction: status %d", resp.StatusCode)
	}
	http.DefaultClient.CloseIdleConnections()
}

func uitoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

func TestV3MembersAndWrongAPI(t *testing.T) {
	t.Parallel()
	cl, _, c := startV3(t, 3)
	ctx := ctxFor(t, 60*time.Second)
	mapi := client.NewMembersAPI(c)
	ms, err := mapi.List(ctx)
	if err != nil || len(ms) != 3 {
		t.Fatalf("List = %+v, %v", ms, err)
	}
	for _, m := range ms {
		if m.ID == "" || m.Name == "" || len(m.ClientURLs) != 1 || len(m.PeerURLs) != 1 {
			t.Errorf("member %+v: want ID, name and URLs", m)
		}
	}
	ld, err := mapi.Leader(ctx)
	if err != nil || ld.ID == "" {
		t.Fatalf("Leader = %+v, %v", ld, err)
	}
	if err := c.Sync(ctx); err != nil || len(c.Endpoints()) != 3 {
		t.Fatalf("Sync = %v, endpoints %v", err, c.Endpoints())
	}
	if v, err := c.GetVersion(ctx); err != nil || v.Server == "" {
		t.Fatalf("GetVersion = %+v, %v", v, err)
	}
	// v3 auth needs a root user before it can be switched on.
	if err := client.NewAuthAPI(c).Enable(ctx); err == nil || !strings.Contains(err.Error(), "root user does not exist") {
		t.Errorf("AuthAPI.Enable on APIv3 without root = %v, want etcd's refusal naming the root user", err)
	}

	// APIv2 against a member without the v2 API says so.
	c2, _ := newClient(t, cl, client.Config{})
	_, err = client.NewKeysAPI(c2).Get(ctx, "/foo", nil)
	if !errors.Is(err, client.ErrV2NotServed) || !errors.Is(err, client.ErrInvalidJSON) || !strings.Contains(err.Error(), "client.APIv3") {
		t.Errorf("APIv2 Get on a v3-only member = %v, want ErrV2NotServed", err)
	}
}

// pathCounter counts the requests per URL path it sends, and reports
// when the body of a watch stream is closed.
type pathCounter struct {
	*http.Transport
	mu           sync.Mutex // guards paths
	paths        map[string]int
	streamClosed chan struct{} // gets a token when a watch stream's body is closed
}

func (p *pathCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	p.mu.Lock()
	p.paths[req.URL.Path]++
	p.mu.Unlock()
	resp, err := p.Transport.RoundTrip(req)
	if err == nil && req.URL.Path == "/v3/watch" {
		resp.Body = &closeSignal{ReadCloser: resp.Body, closed: p.streamClosed}
	}
	return resp, err
}

type closeSignal struct {
	io.ReadCloser
	once   sync.Once
	closed chan struct{}
}

func (c *closeSignal) Close() error {
	c.once.Do(func() { c.closed <- struct{}{} })
	return c.ReadCloser.Close()
}

func (p *pathCounter) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paths[path]
}

// TestV3Watch_oneStreamNoReads: a recursive watcher of a directory gets
// the events of writes below it from its one stream, with no read per
// event (each write also rewrites the directory's marker, which is not a
// write of the directory itself).
func TestV3Watch_oneStreamNoReads(t *testing.T) {
	t.Parallel()
	cl, kapi, _ := startV3(t, 1)
	ctx := ctxFor(t, 30*time.Second)
	seed, err := kapi.Set(ctx, "/q/seed", "0", nil)
	if err != nil {
		t.Fatalf("Set = %v", err)
	}
	tr := client.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	pc := &pathCounter{Transport: tr, paths: map[string]int{}, streamClosed: make(chan struct{}, 1)}
	wc, err := client.New(client.Config{API: client.APIv3, V3KeyPrefix: "app1", Endpoints: cl.Endpoints(), RoundTripper: pc})
	if err != nil {
		t.Fatalf("client.New = %v", err)
	}
	// From the seed on, so the writes below are events whenever the
	// stream opens.
	w := client.NewKeysAPI(wc).Watcher("/q", &client.WatcherOptions{AfterIndex: seed.Node.ModifiedIndex, Recursive: true})
	const writes = 5
	for i := range writes {
		key := fmt.Sprintf("/q/k%d", i)
		if _, err := kapi.Set(ctx, key, "v", nil); err != nil {
			t.Fatalf("Set(%s) = %v", key, err)
		}
		r, err := w.Next(ctx)
		if err != nil || r.Node.Key != key || r.Action != "set" {
			t.Fatalf("Next = %+v, %v; want set of %s", r, err, key)
		}
	}
	if n := pc.count("/v3/watch"); n != 1 {
		t.Errorf("%d watch streams opened, want 1", n)
	}
	if n := pc.count("/v3/kv/range"); n != 0 {
		t.Errorf("the watcher read %d times for %d events, want 0", n, writes)
	}

	// A v2 caller never closes a watcher: once it drops one, the
	// collector closes its stream.
	w = nil
	for {
		runtime.GC()
		select {
		case <-pc.streamClosed:
			return
		case <-ctx.Done():
			t.Fatal("a dropped watcher's stream was never closed")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestV3Watch_keyBecomesDirectory watches a key that a Set with Dir
// turns into a directory: the write gives one event, a set of the
// directory with the key as PrevNode, and the next event is the next
// write's, in revision order (etcd 3.4 sent the history of two watches on
// one stream apart; the watcher now keeps one). Names between the key and
// its subtree (/k-x) give no event. Each case runs live (writes after the
// watcher has an event) and from history (all written before).
func TestV3Watch_keyBecomesDirectory(t *testing.T) {
	t.Parallel()
	_, kapi, _ := startV3(t, 1)
	ctx := ctxFor(t, 60*time.Second)
	for i, tc := range []struct {
		recursive, history bool
	}{{false, false}, {true, false}, {false, true}, {true, true}} {
		key := fmt.Sprintf("/k%d", i)
		r, err := kapi.Set(ctx, "/start", key, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := kapi.Watcher(key, &client.WatcherOptions{AfterIndex: r.Index, Recursive: tc.recursive})
		t.Cleanup(func() { w.(interface{ Close() error }).Close() })
		next := func(what string) *client.Response {
			t.Helper()
			ev, err := w.Next(ctx)
			if err != nil {
				t.Fatalf("%+v: Next (%s) = %v", tc, what, err)
			}
			return ev
		}
		write := func(f func() error) {
			t.Helper()
			if err := f(); err != nil {
				t.Fatalf("%+v: %v", tc, err)
			}
		}
		set := func() error { _, err := kapi.Set(ctx, key, "1", nil); return err }
		mkdir := func() error { _, err := kapi.Set(ctx, key, "", &client.SetOptions{Dir: true}); return err }
		between := func() error { _, err := kapi.Set(ctx, key+"-x", "no", nil); return err }
		rmdir := func() error { _, err := kapi.Delete(ctx, key, &client.DeleteOptions{Dir: true}); return err }
		writes := []func() error{set, between, mkdir, between, rmdir}
		if tc.history {
			for _, f := range writes {
				write(f)
			}
		} else {
			write(set)
		}
		if ev := next("set"); ev.Action != "set" || ev.Node.Key != key || ev.Node.Value != "1" || ev.Node.Dir {
			t.Errorf("%+v: first event = %+v", tc, ev)
		}
		if !tc.history {
			for _, f := range writes[1:] {
				write(f)
			}
		}
		ev := next("mkdir")
		if ev.Action != "set" || ev.Node.Key != key || !ev.Node.Dir || ev.PrevNode == nil || ev.PrevNode.Dir || ev.PrevNode.Value != "1" {
			t.Errorf("%+v: event of the Set with Dir = %+v (prev %+v); want one set of the directory, the key as PrevNode", tc, ev, ev.PrevNode)
		}
		if ev := next("rmdir"); ev.Action != "delete" || ev.Node.Key != key || !ev.Node.Dir {
			t.Errorf("%+v: event after = %+v; want the delete of the directory", tc, ev)
		}
	}
}
