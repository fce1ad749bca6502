package bench

// TestWatchers measures what 1,000 concurrent idle watchers on one client
// cost against real etcd: connections, goroutines and memory per watcher,
// and how long one write takes to reach all of them; over plain HTTP/1.1
// and over TLS, where HTTP/2 multiplexes them. It prints a table for
// RESULTS.md and fails only when a watcher does not work, never on the
// figures. Run by hand:
//
//	cd bench && go test -run TestWatchers -count=1 -v .

import (
	"bufio"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
	"github.com/seed26e043ee/client/internal/testcerts"
)

var flagWatchers = flag.Int("watchers", 1000, "concurrent watchers in TestWatchers")

func TestWatchers(t *testing.T) {
	etcdtest.Binary(t)
	n := *flagWatchers
	fmt.Printf("\n## %d idle watchers on one client, etcd %s, %s\n\n", n, etcdtest.ServerVersion(t), runtime.Version())
	fmt.Println("| transport | watcher | TCP connections | goroutines per watcher (beyond the caller's) | memory per watcher: heap | stacks (the caller's included) | one write to all: p50 | p99 | last |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|")

	plain := etcdtest.Start(t, 1)
	for _, kind := range []string{"Watcher", "ResilientWatcher"} {
		measureWatchers(t, "HTTP/1.1", kind, n, plain.Endpoints()[0], client.Config{}, http.DefaultClient)
	}

	ca := testcerts.NewCA(t, "bench-ca")
	srv, cl := ca.Server(t, "member"), ca.Client(t, "client")
	cert := cl.TLS(t)
	probeTLS := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{cert}}
	secure := etcdtest.Start(t, 1, etcdtest.Options{
		ExtraArgs: []string{"--cert-file", srv.CertFile, "--key-file", srv.KeyFile, "--trusted-ca-file", ca.CAFile, "--client-cert-auth"},
		ClientTLS: probeTLS,
	})
	tc, err := client.NewTLSConfig(cl.CertFile, cl.KeyFile, ca.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	metrics := &http.Client{Transport: &http.Transport{TLSClientConfig: probeTLS, DisableKeepAlives: true}}
	for _, kind := range []string{"Watcher", "ResilientWatcher"} {
		measureWatchers(t, "TLS, HTTP/2", kind, n, secure.Endpoints()[0], client.Config{TLS: tc}, metrics)
	}
}

func measureWatchers(t *testing.T, transport, kind string, n int, ep string, cfg client.Config, metrics *http.Client) {
	t.Helper()
	cfg.Endpoints = []string{ep}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	kapi := client.NewKeysAPI(c)
	key := fmt.Sprintf("/bench/%s/%s", strings.NewReplacer("/", "", " ", "", ",", "").Replace(transport), kind)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := kapi.Set(ctx, key, "0", nil)
	if err != nil {
		t.Fatal(err)
	}
	baseWatchers := etcdWatchers(t, metrics, ep)

	g0, h0, s0 := settle()
	type got struct {
		at  time.Time
		err error
	}
	results := make(chan got, n)
	var wg sync.WaitGroup
	for range n {
		var w client.Watcher
		if kind == "ResilientWatcher" {
			w = client.NewResilientWatcher(kapi, key, &client.ResilientWatcherOptions{AfterIndex: r.Index})
		} else {
			w = kapi.Watcher(key, &client.WatcherOptions{AfterIndex: r.Index})
		}
		wg.Go(func() {
			_, err := w.Next(ctx)
			results <- got{time.Now(), err}
		})
	}
	// Idle means every watcher has its long poll parked in etcd.
	deadline := time.Now().Add(2 * time.Minute)
	for etcdWatchers(t, metrics, ep)-baseWatchers < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: etcd counts %d watchers after 2 minutes, want %d", transport, kind, etcdWatchers(t, metrics, ep)-baseWatchers, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	g1, h1, s1 := settle()
	conns := clientConns(t, ep)
	if dir := os.Getenv("WATCHERS_PROFILE_DIR"); dir != "" {
		writeProfiles(t, dir, transport+" "+kind)
	}

	start := time.Now()
	if _, err := kapi.Set(ctx, key, "1", nil); err != nil {
		t.Fatal(err)
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		g := <-results
		if g.err != nil {
			t.Fatalf("%s %s: Next = %v", transport, kind, g.err)
		}
		lat = append(lat, g.at.Sub(start))
	}
	wg.Wait()
	slices.Sort(lat)
	fmt.Printf("| %s | %s | %d | %.2f | %.1f KB | %.1f KB | %v | %v | %v |\n", transport, kind, conns,
		float64(g1-g0)/float64(n)-1, (float64(h1)-float64(h0))/float64(n)/1024, (float64(s1)-float64(s0))/float64(n)/1024,
		lat[n/2].Round(100*time.Microsecond), lat[n*99/100].Round(100*time.Microsecond), lat[n-1].Round(100*time.Microsecond))
}

// writeProfiles writes the heap and goroutine profiles of the idle
// watchers into dir, to find what a watcher holds.
func writeProfiles(t *testing.T, dir, name string) {
	t.Helper()
	name = strings.NewReplacer("/", "", " ", "-", ",", "").Replace(name)
	for _, p := range []string{"heap", "goroutine"} {
		f, err := os.Create(filepath.Join(dir, name+"."+p))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup(p).WriteTo(f, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%s: heap in use %d KB, stacks in use %d KB", name, ms.HeapInuse>>10, ms.StackInuse>>10)
}

// settle collects garbage and returns the goroutines and the bytes of
// heap and of stacks in use.
func settle() (int, uint64, uint64) {
	var ms runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapInuse, ms.StackInuse
}

// etcdWatchers reads etcd's gauge of parked v2 watchers.
func etcdWatchers(t *testing.T, hc *http.Client, ep string) int {
	t.Helper()
	resp, err := hc.Get(ep + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "etcd_debugging_store_watchers "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			return int(f)
		}
	}
	t.Fatalf("%s/metrics has no etcd_debugging_store_watchers", ep)
	return 0
}

// clientConns counts the established TCP connections to ep's port, as
// the kernel lists them in /proc/net/tcp: the client's side of each.
func clientConns(t *testing.T, ep string) int {
	t.Helper()
	u, err := url.Parse(ep)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skipf("cannot count connections: %v", err)
	}
	want := fmt.Sprintf(":%04X", port)
	n := 0
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		// f[2] is the remote address, f[3] the state (01: established).
		if len(f) > 3 && strings.HasSuffix(f[2], want) && f[3] == "01" {
			n++
		}
	}
	return n
}
