package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	ours "github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

var (
	flagRounds = flag.Int("rounds", 15, "measured rounds per comparison (plus one warm-up round)")
	flagRun    = flag.Duration("d", 100*time.Millisecond, "duration of one candidate's run within a round")
	flagOnly   = flag.String("only", "", "run only the section named replay, etcd, decode or v3")
)

func TestMain(m *testing.M) {
	if IsReplayServer() {
		ServeReplay()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var names = []string{NameOurs, NameUpstream, NamePlain, NamePlainJSON}

// getters builds each candidate's Getter and checks that all decode the
// same number of nodes before anything is timed.
func getters(t *testing.T, ep, key string, rec bool) map[string]Getter {
	t.Helper()
	gs := make(map[string]Getter)
	want := -1
	for _, c := range Candidates() {
		g, err := c.New(ep, key, rec)
		if err != nil {
			t.Fatalf("%s: New(%q) = %v", c.Name, ep, err)
		}
		n, err := g(context.Background())
		if err != nil {
			t.Fatalf("%s: Get(%q) = %v", c.Name, key, err)
		}
		if n >= 0 {
			if want >= 0 && n != want {
				t.Fatalf("%s: Get(%q) decoded %d nodes, want %d like the others", c.Name, key, n, want)
			}
			want = n
		}
		gs[c.Name] = g
	}
	return gs
}

func measure(t *testing.T, gs map[string]Getter, workers int, d time.Duration) *Series {
	t.Helper()
	return measureRounds(t, gs, workers, *flagRounds, d)
}

func measureRounds(t *testing.T, gs map[string]Getter, workers, rounds int, d time.Duration) *Series {
	t.Helper()
	s, err := Measure(context.Background(), names, gs, workers, rounds, d)
	if err != nil {
		t.Fatalf("Measure: %v", err)
	}
	return s
}

// TestCompare measures all candidates and prints the tables; it fails
// only when a candidate fails or decodes differently, never on speed.
func TestCompare(t *testing.T) {
	fmt.Printf("\nmachine: %d CPUs (%s), %s %s/%s, GOMAXPROCS=%d; -rounds %d -d %v (see the section headers), medians\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), *flagRounds, *flagRun)
	// Each table is printed when its section ends, so the replay table
	// survives a skipped etcd section.
	for _, sec := range []struct {
		name string
		run  func(*testing.T, io.Writer)
	}{
		{"replay", compareReplay},
		{"etcd", compareEtcd},
		{"decode", compareDecode},
		{"v3", compareV3},
	} {
		if *flagOnly != "" && *flagOnly != sec.name {
			continue
		}
		t.Run(sec.name, func(t *testing.T) {
			var out strings.Builder
			defer func() { fmt.Print(out.String()) }()
			sec.run(t, &out)
		})
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func us(ns float64) string { return fmt.Sprintf("%.1f", ns/1e3) }

func compareReplay(t *testing.T, out io.Writer) {
	srv, err := StartReplayServer()
	if err != nil {
		t.Fatalf("StartReplayServer() = %v", err)
	}
	t.Cleanup(srv.Stop)

	fmt.Fprintf(out, "\n## (a) Replay server (child process), one goroutine, recursive GET of each body\n\n")
	fmt.Fprintf(out, "%d rounds of %v per candidate (%v for bodies above 1 MB) after a warm-up round.\n\n", *flagRounds, *flagRun, 5**flagRun)
	fmt.Fprintf(out, "| body | size | nodes | µs/op ours | v2.305.35 | plain | plain+json | ops/s ours÷plain | ours÷plain+json | CPU/op ours÷v2.305.35 | allocs/op ours | v2.305.35 | plain+json |\n")
	fmt.Fprintf(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, b := range Bodies() {
		d := *flagRun
		if len(b.JSON) > 1<<20 {
			d *= 5 // a run would hold a single operation otherwise
		}
		s := measure(t, getters(t, srv.URL, b.Key, true), 1, d)
		fmt.Fprintf(out, "| %s | %s | %d | %s | %s | %s | %s | %.2f× | %.2f× | %.2f× | %.0f | %.0f | %.0f |\n",
			b.Name, size(len(b.JSON)), b.Nodes,
			us(s.Median(NameOurs, WallPerOp)), us(s.Median(NameUpstream, WallPerOp)),
			us(s.Median(NamePlain, WallPerOp)), us(s.Median(NamePlainJSON, WallPerOp)),
			s.MedianRatio(NameOurs, NamePlain, OpsPerSec), s.MedianRatio(NameOurs, NamePlainJSON, OpsPerSec),
			s.MedianRatio(NameOurs, NameUpstream, CPUPerOp),
			s.Median(NameOurs, AllocsPerOp), s.Median(NameUpstream, AllocsPerOp), s.Median(NamePlainJSON, AllocsPerOp))
	}
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// smallKey holds a value like the captured get.json answer (88 bytes).
const smallKey = "/foo"

func compareEtcd(t *testing.T, out io.Writer) {
	// Binary skips this section, loudly, when there is no etcd to run.
	etcdtest.Binary(t)
	fmt.Fprintf(out, "\n## (b) Local etcd %s, one member\n\n", etcdtest.ServerVersion(t))
	fmt.Fprintf(out, "Small Gets: %d rounds of %v per candidate; recursive Get: %d rounds of %v; each after a warm-up round.\n\n",
		3**flagRounds, *flagRun, *flagRounds, 2**flagRun)
	c := etcdtest.Start(t, 1)
	ep := c.Endpoints()[0]
	rec := Bodies()[4]
	load(t, ep, rec)

	// A small Get takes about 100 µs, so short runs in many rounds give
	// thousands of operations per candidate while following the load of
	// the machine closely.
	seq := measureRounds(t, getters(t, ep, smallKey, false), 1, 3**flagRounds, *flagRun)
	par := measureRounds(t, getters(t, ep, smallKey, false), 16, 3**flagRounds, *flagRun)
	big := measureRounds(t, getters(t, ep, rec.Key, true), 1, *flagRounds, 2**flagRun)

	fmt.Fprintf(out, "| workload | metric | ours | v2.305.35 | plain | plain+json | ours÷plain | ours÷plain+json | ours÷v2.305.35 | target |\n")
	fmt.Fprintf(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	row := func(work, metric string, s *Series, f func(Sample) float64, format func(float64) string, target string) {
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %.3f× | %.3f× | %.2f× | %s |\n", work, metric,
			format(s.Median(NameOurs, f)), format(s.Median(NameUpstream, f)),
			format(s.Median(NamePlain, f)), format(s.Median(NamePlainJSON, f)),
			s.MedianRatio(NameOurs, NamePlain, f), s.MedianRatio(NameOurs, NamePlainJSON, f),
			s.MedianRatio(NameOurs, NameUpstream, f), target)
	}
	count := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	cpu := func(v float64) string { return us(v) + " µs" }
	row("Get 88 B, 1 goroutine", "ops/s", seq, OpsPerSec, count, "ours÷plain ≥ 0.97")
	row("Get 88 B, 1 goroutine", "allocs/op", seq, AllocsPerOp, count, "ours ≤ 1.10 × plain+json")
	row("Get 88 B, 1 goroutine", "CPU/op", seq, CPUPerOp, cpu, "")
	row("Get 88 B, 16 goroutines", "ops/s", par, OpsPerSec, count, "ours÷plain ≥ 0.95")
	row("Get 88 B, 16 goroutines", "allocs/op", par, AllocsPerOp, count, "")
	row("Get 88 B, 16 goroutines", "CPU/op", par, CPUPerOp, cpu, "")
	row(fmt.Sprintf("recursive Get, %d keys", len(rec.Leaves)), "CPU/op", big, CPUPerOp, cpu, "ours÷v2.305.35 ≤ 0.5")
	row(fmt.Sprintf("recursive Get, %d keys", len(rec.Leaves)), "allocs/op", big, AllocsPerOp, count, "")
	row(fmt.Sprintf("recursive Get, %d keys", len(rec.Leaves)), "ops/s", big, OpsPerSec, count, "")

	fmt.Fprintf(out, "\nTargets of issue 5 (medians of per-round ratios):\n\n")
	verdict := func(name string, s *Series, a, b string, f func(Sample) float64, limit float64, atLeast bool) {
		got := s.MedianRatio(a, b, f)
		q1, q3 := s.RatioQuartiles(a, b, f)
		ok := got <= limit
		if atLeast {
			ok = got >= limit
		}
		word := "missed"
		if ok {
			word = "met"
		}
		cmp := "≤"
		if atLeast {
			cmp = "≥"
		}
		fmt.Fprintf(out, "- %s: %.3f× (quartiles %.3f–%.3f; target %s %.2f×): %s\n", name, got, q1, q3, cmp, limit, word)
	}
	verdict("sequential Get ops/s, ours ÷ plain", seq, NameOurs, NamePlain, OpsPerSec, 0.97, true)
	verdict("16-goroutine Get ops/s, ours ÷ plain", par, NameOurs, NamePlain, OpsPerSec, 0.95, true)
	verdict("allocs per Get, ours ÷ plain+json", seq, NameOurs, NamePlainJSON, AllocsPerOp, 1.10, false)
	verdict(fmt.Sprintf("CPU per recursive Get of %d keys, ours ÷ v2.305.35", len(rec.Leaves)), big, NameOurs, NameUpstream, CPUPerOp, 0.5, false)

	// The plain loop reads the same bytes over the same kind of transport
	// without decoding them; what a client costs above it is its own work.
	// A difference of two noisy medians: an estimate only.
	plain := big.Median(NamePlain, CPUPerOp)
	fmt.Fprintf(out, "- of which above the plain loop's read of the same body (the client's own work; a difference of medians, so only an estimate): ours %s µs, v2.305.35 %s µs\n",
		us(big.Median(NameOurs, CPUPerOp)-plain), us(big.Median(NameUpstream, CPUPerOp)-plain))
}

// load writes the small key and the keys of b into the member, with their
// TTLs, through our client.
func load(t testing.TB, ep string, b Body) {
	t.Helper()
	c, err := ours.New(ours.Config{Endpoints: []string{ep}})
	if err != nil {
		t.Fatalf("New(%q) = %v", ep, err)
	}
	kAPI := ours.NewKeysAPI(c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := kAPI.Set(ctx, smallKey, "bar", nil); err != nil {
		t.Fatalf("Set(%q) = %v", smallKey, err)
	}
	leaves := make(chan Leaf)
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex // guards first
		first error
	)
	for range 8 {
		wg.Go(func() {
			for l := range leaves {
				_, err := kAPI.Set(ctx, l.Key, l.Value, &ours.SetOptions{TTL: time.Duration(l.TTL) * time.Second})
				if err != nil {
					errMu.Lock()
					first = fmt.Errorf("Set(%q) = %w", l.Key, err)
					errMu.Unlock()
				}
			}
		})
	}
	for _, l := range b.Leaves {
		leaves <- l
	}
	close(leaves)
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}
