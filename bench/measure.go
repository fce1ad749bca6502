package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Sample is one timed run of one candidate.
type Sample struct {
	Ops    int64
	Wall   time.Duration
	CPU    time.Duration // user+system time of this process
	Allocs uint64        // heap objects allocated
	Bytes  uint64        // heap bytes allocated

	// ServerCPU is the user+system time the server process spent during
	// the run (0 when no server process is watched), from /proc in clock
	// ticks of 10 ms: meaningful summed over many runs, not per run.
	ServerCPU time.Duration
}

// OpsPerSec is the throughput of the run.
func (s Sample) OpsPerSec() float64 { return float64(s.Ops) / s.Wall.Seconds() }

// CPUPerOp is the process CPU time per operation, garbage collection
// included.
func (s Sample) CPUPerOp() time.Duration { return s.CPU / time.Duration(max(s.Ops, 1)) }

// AllocsPerOp is the number of heap objects allocated per operation.
func (s Sample) AllocsPerOp() float64 { return float64(s.Allocs) / float64(max(s.Ops, 1)) }

// BytesPerOp is the number of heap bytes allocated per operation.
func (s Sample) BytesPerOp() float64 { return float64(s.Bytes) / float64(max(s.Ops, 1)) }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err) // RUSAGE_SELF cannot fail on Linux
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readAllocs counts like the testing package's allocs/op: ReadMemStats
// stops the world and flushes every P's cache, so small and tiny
// allocations are all counted (runtime/metrics would miss the unflushed
// ones).
func readAllocs() (objects, bytes uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs, ms.TotalAlloc
}

// Run calls get from workers goroutines until d has passed and returns
// what it cost. Any error ends the run and is returned. Only the
// benchmark's own goroutines run meanwhile (the servers are other
// processes), so the CPU and allocation counters are the candidate's.
func Run(ctx context.Context, get Getter, workers int, d time.Duration) (Sample, error) {
	// Collect the previous run's garbage and hand its memory back to the
	// OS now, so the background scavenger does not bill that work to this
	// run.
	debug.FreeOSMemory()
	var (
		stop  atomic.Bool
		ops   atomic.Int64
		errMu sync.Mutex // guards firstErr
		first error
		wg    sync.WaitGroup
	)
	o0, b0 := readAllocs()
	c0 := cpuTime()
	t0 := time.Now()
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	for range workers {
		wg.Go(func() {
			var n int64
			for !stop.Load() {
				if _, err := get(ctx); err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
					stop.Store(true)
					break
				}
				n++
			}
			ops.Add(n)
		})
	}
	wg.Wait()
	s := Sample{Wall: time.Since(t0), CPU: cpuTime() - c0, Ops: ops.Load()}
	o1, b1 := readAllocs()
	s.Allocs, s.Bytes = o1-o0, b1-b0
	return s, first
}

// Series collects the samples of several candidates over interleaved
// rounds.
type Series struct {
	Names   []string
	Samples map[string][]Sample
}

// Measure runs every getter for d per round, rounds times, rotating the
// order each round so a slow moment of the machine hits each candidate
// alike. A first round warms connections and caches and is dropped.
func Measure(ctx context.Context, names []string, getters map[string]Getter, workers, rounds int, d time.Duration) (*Series, error) {
	return MeasureServer(ctx, names, getters, workers, rounds, d, 0)
}

// MeasureServer is Measure that also records, in each Sample's
// ServerCPU, the CPU time the server process pid spent during the run
// (pid 0: none).
func MeasureServer(ctx context.Context, names []string, getters map[string]Getter, workers, rounds int, d time.Duration, pid int) (*Series, error) {
	s := &Series{Names: names, Samples: make(map[string][]Sample)}
	for r := -1; r < rounds; r++ {
		for k := range names {
			name := names[(k+max(r, 0))%len(names)]
			var srv0 time.Duration
			if pid > 0 {
				var err error
				if srv0, err = ProcessCPU(pid); err != nil {
					return nil, err
				}
			}
			smp, err := Run(ctx, getters[name], workers, d)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if pid > 0 {
				srv1, err := ProcessCPU(pid)
				if err != nil {
					return nil, err
				}
				smp.ServerCPU = srv1 - srv0
			}
			if r >= 0 {
				s.Samples[name] = append(s.Samples[name], smp)
			}
		}
	}
	return s, nil
}

// Median returns the median of f over a candidate's samples.
func (s *Series) Median(name string, f func(Sample) float64) float64 {
	var v []float64
	for _, smp := range s.Samples[name] {
		v = append(v, f(smp))
	}
	return median(v)
}

// MedianRatio returns the median over rounds of f(a)/f(b), each ratio
// taken within one round: the two ran back to back, under the same load.
func (s *Series) MedianRatio(a, b string, f func(Sample) float64) float64 {
	return median(s.ratios(a, b, f))
}

// RatioQuartiles returns the first and third quartiles of the per-round
// ratios of MedianRatio, to show how much the machine's load moved them.
func (s *Series) RatioQuartiles(a, b string, f func(Sample) float64) (q1, q3 float64) {
	v := s.ratios(a, b, f)
	if len(v) == 0 {
		return 0, 0
	}
	slices.Sort(v)
	return v[len(v)/4], v[(3*len(v))/4]
}

func (s *Series) ratios(a, b string, f func(Sample) float64) []float64 {
	sa, sb := s.Samples[a], s.Samples[b]
	var v []float64
	for i := range min(len(sa), len(sb)) {
		v = append(v, f(sa[i])/f(sb[i]))
	}
	return v
}

// ServerCPUPerOp is the server's CPU time per operation of a candidate:
// the sum over all its runs divided by the sum of their operations, since
// a single run holds only a few of the kernel's 10 ms ticks.
func (s *Series) ServerCPUPerOp(name string) time.Duration {
	var cpu time.Duration
	var ops int64
	for _, smp := range s.Samples[name] {
		cpu += smp.ServerCPU
		ops += smp.Ops
	}
	return cpu / time.Duration(max(ops, 1))
}

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux the benchmark runs on; the standard library cannot
// ask sysconf without cgo).
const clockTick = 10 * time.Millisecond

// ProcessCPU returns the user+system CPU time process pid has used, all
// its threads together, from /proc/<pid>/stat.
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis start with the state (field 3), so utime and
	// stime (fields 14 and 15) are the 12th and 13th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: /proc/%d/stat: %d fields after the name", pid, len(f))
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bench: /proc/%d/stat utime: %w", pid, err)
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bench: /proc/%d/stat stime: %w", pid, err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Metric extractors for Median and MedianRatio.
var (
	OpsPerSec   = Sample.OpsPerSec
	CPUPerOp    = func(s Sample) float64 { return float64(s.CPUPerOp()) }
	AllocsPerOp = Sample.AllocsPerOp
	BytesPerOp  = Sample.BytesPerOp
	WallPerOp   = func(s Sample) float64 { return float64(s.Wall) / float64(max(s.Ops, 1)) }
)
