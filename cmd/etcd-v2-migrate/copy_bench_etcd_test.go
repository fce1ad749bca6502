package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// BenchmarkCopy measures copy (reading the v2 tree and writing it into the
// v3 space of the same etcd 3.5 member) of 100,000 keys with values of
// 100 bytes and of 4 KB, in keys per second. Writing the source tree
// through v2 first takes longer than the copy and is not measured. Each
// iteration copies into a prefix of its own, so every one writes every
// key. Run it with
//
//	go test -run '^$' -bench BenchmarkCopy -benchtime 1x ./cmd/etcd-v2-migrate/
//
// It needs etcd 3.5.35 (built and cached by internal/etcdtest like the
// tests); without it the benchmark is skipped with the reason.
func BenchmarkCopy(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"100000x100B", 100}, {"100000x4KB", 4096}} {
		b.Run(c.name, func(b *testing.B) { benchCopy(b, 100000, c.size) })
	}
}

func benchCopy(b *testing.B, keys, size int) {
	if _, err := etcdtest.LocateVersion("3.5.35"); err != nil {
		b.Skipf("SKIPPED: BenchmarkCopy needs etcd 3.5.35: %v", err)
	}
	// 100,000 values of 4 KB are 400 MB in the v2 store and as much again
	// in each copy: above etcd's default 2 GB quota after a few
	// iterations, hence a larger one.
	cl := etcdtest.Start(b, 1, etcdtest.Options{Version: "3.5.35", ExtraArgs: []string{"--quota-backend-bytes=8589934592"}})
	ep := cl.Endpoints()[0]
	c2, err := client.New(client.Config{Endpoints: []string{ep}})
	if err != nil {
		b.Fatal(err)
	}
	kapi := client.NewKeysAPI(c2)
	value := strings.Repeat("x", size)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fillErr error
	start := time.Now()
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < keys; i += 32 {
				if _, err := kapi.Set(ctx, fmt.Sprintf("/bench/d%03d/k%06d", i%1000, i), value, nil); err != nil {
					mu.Lock()
					fillErr = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if fillErr != nil {
		b.Fatalf("writing the v2 tree: %v", fillErr)
	}
	b.Logf("wrote %d v2 keys of %d bytes in %s", keys, size, time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for i := range b.N {
		var errOut strings.Builder
		code := run(ctx, []string{"copy", "--from", ep, "--to", ep, "--prefix", fmt.Sprintf("/copy%d", i), "--no-auth"}, io.Discard, &errOut)
		if code != 0 {
			b.Fatalf("copy: exit %d: %s", code, errOut.String())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(keys*b.N)/b.Elapsed().Seconds(), "keys/s")
	b.ReportMetric(float64(keys*size*b.N)/b.Elapsed().Seconds()/(1<<20), "MB/s")
}
