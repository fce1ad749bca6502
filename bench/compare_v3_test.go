package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ours "github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

var flagV3Version = flag.String("v3etcd", "3.6.16", "etcd version of the APIv3 section (installed, $ETCD_BIN, or built once into the cache)")

// v3Names are the candidates of the APIv3 reads; Set has no plain+json
// (the plain Set must decode the read's answer anyway).
var (
	v3Names    = []string{NameOurs, NamePlain, NamePlainJSON, NameClientV3}
	v3SetNames = []string{NameOurs, NamePlain, NameClientV3}
)

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// v3Getters builds the candidates' Getters for a Get of key and checks
// that ours decodes as many nodes as the others get key-values (a
// directory's marker is its node) and that ours sends the read
// transaction the plain loops send.
func v3Getters(t *testing.T, ep, key string, rec bool, cv3 *clientV3Candidate) map[string]Getter {
	t.Helper()
	rt, err := recordOurs(ep, func(k ours.KeysAPI) error {
		_, err := k.Get(context.Background(), key, &ours.GetOptions{Recursive: rec})
		return err
	})
	if err != nil {
		t.Fatalf("recording our Get(%q): %v", key, err)
	}
	if len(rt.requests) != 1 || rt.paths[0] != "/v3/kv/txn" || !bytes.Equal(rt.requests[0], getTxnBody(key)) {
		t.Fatalf("our Get(%q) sent %q to %q, the plain loop sends %q to /v3/kv/txn", key, rt.requests, rt.paths, getTxnBody(key))
	}
	gs := map[string]Getter{}
	if gs[NameOurs], err = newOursV3Get(ep, key, rec); err != nil {
		t.Fatal(err)
	}
	if gs[NamePlain], err = newGatewayGet(ep, key, false); err != nil {
		t.Fatal(err)
	}
	if gs[NamePlainJSON], err = newGatewayGet(ep, key, true); err != nil {
		t.Fatal(err)
	}
	if gs[NameClientV3], err = cv3.get(ep, key); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, gs, key)
	return gs
}

func checkCounts(t *testing.T, gs map[string]Getter, what string) {
	t.Helper()
	want, wantFrom := -1, ""
	for _, name := range v3Names {
		g, ok := gs[name]
		if !ok {
			continue
		}
		n, err := g(context.Background())
		if err != nil {
			t.Fatalf("%s: %s: %v", name, what, err)
		}
		if n < 0 {
			continue
		}
		if want >= 0 && n != want {
			t.Fatalf("%s: %s counted %d, %s %d", name, what, n, wantFrom, want)
		}
		want, wantFrom = n, name
	}
}

// v3Setters builds the Set candidates and checks that the plain loop's
// two transactions are byte for byte the ones our Set sends.
func v3Setters(t *testing.T, ep, key, val string, cv3 *clientV3Candidate) map[string]Getter {
	t.Helper()
	rt, err := recordOurs(ep, func(k ours.KeysAPI) error {
		_, err := k.Set(context.Background(), key, val, nil)
		return err
	})
	if err != nil {
		t.Fatalf("recording our Set(%q): %v", key, err)
	}
	p := newPlainSet(key, val)
	if len(rt.requests) != 2 || rt.paths[0] != "/v3/kv/txn" || rt.paths[1] != "/v3/kv/txn" {
		t.Fatalf("our Set(%q) sent %d requests to %q, want 2 to /v3/kv/txn: %q", key, len(rt.requests), rt.paths, rt.requests)
	}
	commit, err := p.commit(rt.answers[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rt.requests[0], p.read) || !bytes.Equal(rt.requests[1], commit) {
		t.Fatalf("our Set(%q) sent\n%s\n%s\nthe plain loop would send\n%s\n%s", key, rt.requests[0], rt.requests[1], p.read, commit)
	}
	gs := map[string]Getter{}
	if gs[NameOurs], err = newOursV3Set(ep, key, val); err != nil {
		t.Fatal(err)
	}
	if gs[NamePlain], err = newGatewaySet(ep, key, val); err != nil {
		t.Fatal(err)
	}
	if gs[NameClientV3], err = cv3.set(ep, key, val); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, gs, "Set "+key)
	return gs
}

// loadV3 writes the small key and the keys of b, without their TTLs (see
// compareV3), through our APIv3 client.
func loadV3(t testing.TB, ep string, b Body) {
	t.Helper()
	kAPI, err := newOursV3(ep)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
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
				if _, err := kAPI.Set(ctx, l.Key, l.Value, nil); err != nil {
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

// watchLatencies measures, for each candidate's watch, the time from the
// moment a Set's commit left the writer to the moment the watcher had
// the event: rounds of perRound events per candidate, rotated, after a
// warm-up round. Each candidate watches its own directory, so a watcher
// is woken only in its own turn. lat[name][round] are the latencies.
//
// It also returns etcd's CPU time per event of each candidate's turns
// (the writer's Set included, the same for all) and the requests our
// watcher sent per event besides opening its stream.
func watchLatencies(t *testing.T, ep string, pid, rounds, perRound int) (lat map[string][][]time.Duration, srvPerEvent map[string]time.Duration, oursReqPerEvent float64) {
	t.Helper()
	st := &stampTransport{next: newGateway(ep).hc.Transport}
	wc, err := ours.New(ours.Config{Endpoints: []string{ep}, API: ours.APIv3, Transport: st})
	if err != nil {
		t.Fatal(err)
	}
	writer := ours.NewKeysAPI(wc)
	ctx := context.Background()
	dirs := map[string]string{}
	var after uint64
	for i, name := range v3SetNames {
		dirs[name] = fmt.Sprintf("/w%d", i)
		r, err := writer.Set(ctx, dirs[name]+"/k", "0", nil)
		if err != nil {
			t.Fatal(err)
		}
		after = r.Index
	}
	var oursRequests atomic.Int64
	open := map[string]func(ep, dir string, after uint64, requests *atomic.Int64) (watchProbe, error){
		NameOurs: newOursV3Watch, NamePlain: newGatewayWatch, NameClientV3: newClientV3Watch,
	}
	probes := map[string]watchProbe{}
	for _, name := range v3SetNames {
		p, err := open[name](ep, dirs[name], after, &oursRequests)
		if err != nil {
			t.Fatalf("%s: watch: %v", name, err)
		}
		probes[name] = p
		t.Cleanup(p.Close)
	}
	lat = map[string][][]time.Duration{}
	srv := map[string]time.Duration{}
	var req0 int64
	for r := -1; r < rounds; r++ {
		if r == 0 {
			req0 = oursRequests.Load() // after the warm-up round
		}
		for k := range v3SetNames {
			name := v3SetNames[(k+max(r, 0))%len(v3SetNames)]
			var got []time.Duration
			cpu0, err := ProcessCPU(pid)
			if err != nil {
				t.Fatal(err)
			}
			for j := range perRound {
				if _, err := writer.Set(ctx, dirs[name]+"/k", fmt.Sprint(r, j), nil); err != nil {
					t.Fatal(err)
				}
				sent := st.last.Load()
				select {
				case at, ok := <-probes[name].Arrivals():
					if !ok {
						t.Fatalf("%s: watch ended", name)
					}
					got = append(got, at.Sub(sent))
				case <-time.After(time.Minute):
					t.Fatalf("%s: no event a minute after the write", name)
				}
			}
			cpu1, err := ProcessCPU(pid)
			if err != nil {
				t.Fatal(err)
			}
			if r >= 0 {
				lat[name] = append(lat[name], got)
				srv[name] += cpu1 - cpu0
			}
		}
	}
	srvPerEvent = map[string]time.Duration{}
	for name, d := range srv {
		srvPerEvent[name] = d / time.Duration(rounds*perRound)
	}
	return lat, srvPerEvent, float64(oursRequests.Load()-req0) / float64(rounds*perRound)
}

func durMedian(v []time.Duration) time.Duration {
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}

// compareV3 is the APIv3 comparison on a real etcd 3.6 (or -v3etcd).
func compareV3(t *testing.T, out io.Writer) {
	c := etcdtest.Start(t, 1, etcdtest.Options{Version: *flagV3Version, V3Only: true})
	m := c.Members[0]
	ep, pid := m.ClientURL, m.PID()
	rec := Bodies()[4]
	load0 := loadAvg()
	start := time.Now().UTC()
	loadV3(t, ep, rec)

	// etcd's own background work, to set against the per-op costs.
	idle0, err := ProcessCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	idle1, err := ProcessCPU(pid)
	if err != nil {
		t.Fatal(err)
	}

	cv3 := &clientV3Candidate{}
	t.Cleanup(cv3.Close)
	ctx := context.Background()
	fatal := func(s *Series, err error) *Series {
		t.Helper()
		if err != nil {
			t.Fatalf("Measure: %v", err)
		}
		return s
	}
	seq := fatal(MeasureServer(ctx, v3Names, v3Getters(t, ep, smallKey, false, cv3), 1, 3**flagRounds, *flagRun, pid))
	par := fatal(MeasureServer(ctx, v3Names, v3Getters(t, ep, smallKey, false, cv3), 16, 3**flagRounds, *flagRun, pid))
	// A recursive Get takes tens of milliseconds through the gateway:
	// longer runs, so each holds more than a handful.
	big := fatal(MeasureServer(ctx, v3Names, v3Getters(t, ep, rec.Key, true, cv3), 1, *flagRounds, 5**flagRun, pid))
	set := fatal(MeasureServer(ctx, v3SetNames, v3Setters(t, ep, "/set", "bar", cv3), 1, *flagRounds, 2**flagRun, pid))
	const perRound = 10
	lat, watchSrv, watchReqs := watchLatencies(t, ep, pid, *flagRounds, perRound)
	end := time.Now().UTC()

	fmt.Fprintf(out, "\n## (d) APIv3: local etcd %s (v3 only), one member\n\n", *flagV3Version)
	fmt.Fprintf(out, "Run of %s–%s UTC, load average %s at the start, %s at the end (1, 5, 15 min).\n",
		start.Format("2006-01-02 15:04"), end.Format("15:04"), load0, loadAvg())
	fmt.Fprintf(out, "Small Gets: %d rounds of %v per candidate; recursive Get: %d rounds of %v; Set: %d rounds of %v; watch: %d rounds of %d events; each after a warm-up round.\n",
		3**flagRounds, *flagRun, *flagRounds, 5**flagRun, *flagRounds, 2**flagRun, *flagRounds, perRound)
	fmt.Fprintf(out, "etcd idle: %v of CPU per second.\n\n", (idle1-idle0)/2)

	fmt.Fprintf(out, "| workload | metric | ours | plain | plain+json | clientv3 | ours÷plain | ours÷plain+json | ours÷clientv3 |\n")
	fmt.Fprintf(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	count := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	cpu := func(v float64) string { return us(v) + " µs" }
	ratio := func(s *Series, a, b string, f func(Sample) float64, digits int) string {
		if _, ok := s.Samples[b]; !ok {
			return "–"
		}
		return fmt.Sprintf("%.*f×", digits, s.MedianRatio(a, b, f))
	}
	cell := func(s *Series, name string, f func(Sample) float64, format func(float64) string) string {
		if _, ok := s.Samples[name]; !ok {
			return "–"
		}
		return format(s.Median(name, f))
	}
	row := func(work, metric string, s *Series, f func(Sample) float64, format func(float64) string) {
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", work, metric,
			cell(s, NameOurs, f, format), cell(s, NamePlain, f, format), cell(s, NamePlainJSON, f, format), cell(s, NameClientV3, f, format),
			ratio(s, NameOurs, NamePlain, f, 3), ratio(s, NameOurs, NamePlainJSON, f, 3), ratio(s, NameOurs, NameClientV3, f, 2))
	}
	// etcd's CPU per op: totals over all rounds (a run holds a few 10 ms
	// ticks), so the ratios are ratios of totals, not medians.
	srvRow := func(work string, s *Series) {
		v := func(name string) string {
			if _, ok := s.Samples[name]; !ok {
				return "–"
			}
			return us(float64(s.ServerCPUPerOp(name))) + " µs"
		}
		r := func(a, b string) string {
			if _, ok := s.Samples[b]; !ok {
				return "–"
			}
			return fmt.Sprintf("%.2f×", float64(s.ServerCPUPerOp(a))/float64(s.ServerCPUPerOp(b)))
		}
		fmt.Fprintf(out, "| %s | etcd CPU/op (totals) | %s | %s | %s | %s | %s | %s | %s |\n", work,
			v(NameOurs), v(NamePlain), v(NamePlainJSON), v(NameClientV3),
			r(NameOurs, NamePlain), r(NameOurs, NamePlainJSON), r(NameOurs, NameClientV3))
	}
	for _, w := range []struct {
		name string
		s    *Series
	}{
		{"Get " + smallKey + ", 1 goroutine", seq},
		{"Get " + smallKey + ", 16 goroutines", par},
		{fmt.Sprintf("recursive Get, %d keys", len(rec.Leaves)), big},
		{"Set (2 txns), 1 goroutine", set},
	} {
		row(w.name, "ops/s", w.s, OpsPerSec, count)
		row(w.name, "client CPU/op", w.s, CPUPerOp, cpu)
		row(w.name, "allocs/op", w.s, AllocsPerOp, count)
		srvRow(w.name, w.s)
	}

	// Watch latency: the median of all events of each candidate, and the
	// median over rounds of the ratio of the rounds' medians.
	roundRatio := func(a, b string) (float64, float64, float64) {
		var v []float64
		for i := range min(len(lat[a]), len(lat[b])) {
			v = append(v, float64(durMedian(lat[a][i]))/float64(durMedian(lat[b][i])))
		}
		med := median(slices.Clone(v))
		slices.Sort(v)
		return med, v[len(v)/4], v[3*len(v)/4]
	}
	all := func(name string) []time.Duration {
		var v []time.Duration
		for _, r := range lat[name] {
			v = append(v, r...)
		}
		return v
	}
	fmt.Fprintf(out, "| watch event latency (commit sent → event in hand) | median | %s | %s | – | %s | %.3f× | – | %.2f× |\n",
		durMedian(all(NameOurs)).Round(time.Microsecond), durMedian(all(NamePlain)).Round(time.Microsecond),
		durMedian(all(NameClientV3)).Round(time.Microsecond), firstOf(roundRatio(NameOurs, NamePlain)), firstOf(roundRatio(NameOurs, NameClientV3)))
	fmt.Fprintf(out, "| watch (a Set by our client + its event) | etcd CPU/event (totals) | %s µs | %s µs | – | %s µs | %.2f× | – | %.2f× |\n",
		us(float64(watchSrv[NameOurs])), us(float64(watchSrv[NamePlain])), us(float64(watchSrv[NameClientV3])),
		float64(watchSrv[NameOurs])/float64(watchSrv[NamePlain]), float64(watchSrv[NameOurs])/float64(watchSrv[NameClientV3]))
	fmt.Fprintf(out, "\nOur watcher sent %.2f requests per event besides its stream (a read of the parent's marker when it translates an event, see RESULTS.md).\n", watchReqs)

	fmt.Fprintf(out, "\nTargets of issue 13 (medians of per-round ratios, quartiles in brackets):\n\n")
	verdict := func(name string, s *Series, b string) {
		got := s.MedianRatio(NameOurs, b, OpsPerSec)
		q1, q3 := s.RatioQuartiles(NameOurs, b, OpsPerSec)
		word := "missed"
		if got >= 0.95 {
			word = "met"
		}
		fmt.Fprintf(out, "- %s ops/s, ours ÷ %s: %.3f× (%.3f–%.3f; target ≥ 0.95×): %s\n", name, b, got, q1, q3, word)
	}
	verdict("Get, 1 goroutine", seq, NamePlain)
	verdict("Get, 16 goroutines", par, NamePlain)
	verdict(fmt.Sprintf("recursive Get of %d keys", len(rec.Leaves)), big, NamePlain)
	verdict(fmt.Sprintf("recursive Get of %d keys", len(rec.Leaves)), big, NamePlainJSON)
	verdict("Set", set, NamePlain)
	m1, q1, q3 := roundRatio(NameOurs, NamePlain)
	fmt.Fprintf(out, "- watch event latency, ours ÷ plain: %.3f× (%.3f–%.3f; lower is better)\n", m1, q1, q3)
	m1, q1, q3 = roundRatio(NameOurs, NameClientV3)
	fmt.Fprintf(out, "- watch event latency, ours ÷ clientv3: %.3f× (%.3f–%.3f; lower is better)\n", m1, q1, q3)
}

func firstOf(a, _, _ float64) float64 { return a }

// BenchmarkEtcdV3 is the APIv3 comparison as ordinary Go benchmarks, for
// profiling or benchstat:
//
//	go test -run XXX -bench 'EtcdV3/get/ours' -cpuprofile cpu.out .
//	go test -run XXX -bench EtcdV3 -count 10 . | tee v3.txt; benchstat -col /cand v3.txt
func BenchmarkEtcdV3(b *testing.B) {
	c := etcdtest.Start(b, 1, etcdtest.Options{Version: *flagV3Version, V3Only: true})
	ep := c.Members[0].ClientURL
	rec := Bodies()[4]
	loadV3(b, ep, rec)
	cv3 := &clientV3Candidate{}
	b.Cleanup(cv3.Close)
	type cand struct {
		name string
		new  func() (Getter, error)
	}
	gets := func(key string, rec bool) []cand {
		return []cand{
			{NameOurs, func() (Getter, error) { return newOursV3Get(ep, key, rec) }},
			{NamePlain, func() (Getter, error) { return newGatewayGet(ep, key, false) }},
			{NamePlainJSON, func() (Getter, error) { return newGatewayGet(ep, key, true) }},
			{NameClientV3, func() (Getter, error) { return cv3.get(ep, key) }},
		}
	}
	sets := []cand{
		{NameOurs, func() (Getter, error) { return newOursV3Set(ep, "/set", "bar") }},
		{NamePlain, func() (Getter, error) { return newGatewaySet(ep, "/set", "bar") }},
		{NameClientV3, func() (Getter, error) { return cv3.set(ep, "/set", "bar") }},
	}
	ctx := context.Background()
	for _, w := range []struct {
		name  string
		cands []cand
	}{
		{"get", gets(smallKey, false)},
		{rec.Name, gets(rec.Key, true)},
		{"set", sets},
	} {
		for _, cd := range w.cands {
			b.Run(w.name+"/cand="+cd.name, func(b *testing.B) {
				get, err := cd.new()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := get(ctx); err != nil {
						b.Fatalf("%s: %v", cd.name, err)
					}
				}
			})
		}
	}
}
