package bench

import (
	"context"
	"testing"

	"github.com/seed26e043ee/client/internal/etcdtest"
)

// BenchmarkReplay is the replay comparison as ordinary Go benchmarks, for
// profiling one candidate on one body:
//
//	go test -run XXX -bench 'Replay/many/ours' -cpuprofile cpu.out .
func BenchmarkReplay(b *testing.B) {
	srv, err := StartReplayServer()
	if err != nil {
		b.Fatalf("StartReplayServer() = %v", err)
	}
	b.Cleanup(srv.Stop)
	ctx := context.Background()
	for _, body := range Bodies() {
		for _, c := range Candidates() {
			b.Run(body.Name+"/"+c.Name, func(b *testing.B) {
				get, err := c.New(srv.URL, body.Key, true)
				if err != nil {
					b.Fatalf("%s: New(%q) = %v", c.Name, srv.URL, err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(body.JSON)))
				for b.Loop() {
					if _, err := get(ctx); err != nil {
						b.Fatalf("%s: Get(%q) = %v", c.Name, body.Key, err)
					}
				}
			})
		}
	}
}

// BenchmarkEtcd is the local-etcd comparison as ordinary Go benchmarks,
// for profiling:
//
//	go test -run XXX -bench 'Etcd/rec1000/ours' -cpuprofile cpu.out .
func BenchmarkEtcd(b *testing.B) {
	etcdtest.Binary(b)
	c := etcdtest.Start(b, 1)
	ep := c.Endpoints()[0]
	rec := Bodies()[4]
	load(b, ep, rec)
	ctx := context.Background()
	for _, w := range []struct {
		name      string
		key       string
		recursive bool
	}{
		{"get", smallKey, false},
		{rec.Name, rec.Key, true},
	} {
		for _, cand := range Candidates() {
			b.Run(w.name+"/"+cand.Name, func(b *testing.B) {
				get, err := cand.New(ep, w.key, w.recursive)
				if err != nil {
					b.Fatalf("%s: New(%q) = %v", cand.Name, ep, err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := get(ctx); err != nil {
						b.Fatalf("%s: Get(%q) = %v", cand.Name, w.key, err)
					}
				}
			})
		}
	}
}
