package bench

import (
	"context"
	"fmt"
	"io"
	"testing"
)

// BenchmarkDecodeViaGet times a recursive Get of each body through each
// client's public API, answered from memory by memTransport, so that
// decoding is nearly all of the work:
//
//	go test -run XXX -bench DecodeViaGet -count 5 .
func BenchmarkDecodeViaGet(b *testing.B) {
	bodies, err := DecodeBodies()
	if err != nil {
		b.Fatalf("DecodeBodies() = %v", err)
	}
	ctx := context.Background()
	for _, body := range bodies {
		gs, err := DecodeCandidates(body.JSON)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := checkSameNodes(ctx, gs); err != nil {
			b.Fatalf("%s: %v", body.Name, err)
		}
		for _, name := range DecodeNames {
			get := gs[name]
			b.Run(body.Name+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body.JSON)))
				for b.Loop() {
					if _, err := get(ctx); err != nil {
						b.Fatalf("%s: Get = %v", name, err)
					}
				}
			})
		}
	}
}

// compareDecode is the decoding comparison of TestCompare: both clients
// interleaved round by round, each Get answered from memory.
func compareDecode(t *testing.T, out io.Writer) {
	bodies, err := DecodeBodies()
	if err != nil {
		t.Fatalf("DecodeBodies() = %v", err)
	}
	fmt.Fprintf(out, "\n## (c) Decoding: recursive Get answered from memory (no server, no socket)\n\n")
	fmt.Fprintf(out, "%d rounds of %v per candidate (%v for bodies above 1 MB) after a warm-up round; speed-up = v2.305.35 ÷ ours per round, median (quartiles).\n\n", *flagRounds, *flagRun, 5**flagRun)
	fmt.Fprintf(out, "| body | size | nodes | µs/op ours | v2.305.35 | speed-up (wall) | CPU/op ours | v2.305.35 | speed-up (CPU) | allocs/op ours | v2.305.35 | ≥ 2× |\n")
	fmt.Fprintf(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	ctx := context.Background()
	wall := func(s Sample) float64 { return float64(s.Wall.Nanoseconds()) / float64(max(s.Ops, 1)) }
	cpu := func(s Sample) float64 { return float64(s.CPUPerOp().Nanoseconds()) }
	allocs := func(s Sample) float64 { return s.AllocsPerOp() }
	for _, b := range bodies {
		gs, err := DecodeCandidates(b.JSON)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := checkSameNodes(ctx, gs)
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		d := *flagRun
		if len(b.JSON) > 1<<20 {
			d *= 5
		}
		s, err := Measure(ctx, DecodeNames, gs, 1, *flagRounds, d)
		if err != nil {
			t.Fatalf("%s: Measure: %v", b.Name, err)
		}
		ratio := func(f func(Sample) float64) string {
			q1, q3 := s.RatioQuartiles(NameUpstream, NameOurs, f)
			return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.MedianRatio(NameUpstream, NameOurs, f), q1, q3)
		}
		verdict := "met"
		if s.MedianRatio(NameUpstream, NameOurs, wall) < 2 || s.MedianRatio(NameUpstream, NameOurs, cpu) < 2 {
			verdict = "missed"
		}
		fmt.Fprintf(out, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %s |\n",
			b.Name, size(len(b.JSON)), nodes,
			us(s.Median(NameOurs, wall)), us(s.Median(NameUpstream, wall)), ratio(wall),
			us(s.Median(NameOurs, cpu)), us(s.Median(NameUpstream, cpu)), ratio(cpu),
			s.Median(NameOurs, allocs), s.Median(NameUpstream, allocs), verdict)
	}
}
