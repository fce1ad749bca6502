package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// lineWriter hands each line the command prints to the test as it comes.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	all   strings.Builder
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 10000)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.lines <- strings.TrimSuffix(line, "\n")
	}
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// waitLine waits for a line matching re and returns its submatches. The
// deadline only turns a hung command into a failure.
func waitLine(t *testing.T, w *lineWriter, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case l := <-w.lines:
			if m := rx.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("no line matching %q; output:\n%s", re, w.String())
		}
	}
}

// startFollow runs follow until the returned stop is called, which
// returns the exit code.
func startFollow(t *testing.T, args ...string) (*lineWriter, func() int) {
	out, errOut := newLineWriter(), newLineWriter()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"follow"}, args...), out, errOut) }()
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		code := <-done
		if code != 0 {
			t.Errorf("follow: exit %d\n%s%s", code, out, errOut)
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return out, stop
}

func TestFollowOnEtcd35(t *testing.T) {
	cl := etcdtest.Start(t, 1, etcdtest.Options{Version: "3.5.35"})
	ep := cl.Endpoints()[0]
	c2, err := client.New(client.Config{Endpoints: []string{ep}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := client.NewKeysAPI(c2)
	ctx := context.Background()
	must := func(_ *client.Response, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(v2.Set(ctx, "/a", "1", nil))
	must(v2.Set(ctx, "/d/x", "2", nil))
	must(v2.Set(ctx, "/s", "", &client.SetOptions{Dir: true, TTL: 300 * time.Second}))
	must(v2.Set(ctx, "/s/in", "3", nil))
	must(v2.CreateInOrder(ctx, "/q", "job", nil))

	out, stop := startFollow(t, "--from", ep, "--to", ep, "--prefix", "/f")
	waitLine(t, out, `^follow: following from v2 index \d+$`)
	must(v2.Set(ctx, "/a", "2", &client.SetOptions{PrevExist: client.PrevExist}))
	must(v2.Set(ctx, "/a", "3", &client.SetOptions{PrevValue: "2"}))
	must(v2.Set(ctx, "/new/k", "v", nil))
	must(v2.Delete(ctx, "/d", &client.DeleteOptions{Recursive: true}))
	must(v2.CreateInOrder(ctx, "/q", "job 2", nil))
	must(v2.Set(ctx, "/t", "ttl", &client.SetOptions{TTL: 300 * time.Second}))
	must(v2.Set(ctx, "/dir2", "", &client.SetOptions{Dir: true}))
	must(v2.Set(ctx, "/s/in2", "4", nil))
	must(v2.Delete(ctx, "/new/k", &client.DeleteOptions{PrevValue: "v"}))
	must(v2.Set(ctx, "/done", "1", nil))
	m := waitLine(t, out, `^follow: set /done at index (\d+) \(lag \d+\)$`)
	if code := stop(); code != 0 {
		return
	}
	// Stopped, it says where to resume: the last index it applied.
	waitLine(t, out, `^follow: stopped after applying 10 changes and 0 repairs; everything up to v2 index `+m[1]+` is on the target \(resume with --after-index `+m[1]+`\)$`)
	if code, o, e := runCmd(t, "verify", "--from", ep, "--to", ep, "--prefix", "/f"); code != 0 {
		t.Fatalf("verify after follow: exit %d\n%s%s", code, o, e)
	}

	// More than v2's 1,000 events of history pass while nobody follows:
	// resuming at the old index gets 401 and repairs by comparing trees,
	// deleting on the target what the source lost meanwhile.
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < 1100; i += 4 {
				if _, err := v2.Set(ctx, fmt.Sprintf("/bulk/k%04d", i%50), strconv.Itoa(i), nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	must(v2.Delete(ctx, "/a", nil))
	out, stop = startFollow(t, "--from", ep, "--to", ep, "--prefix", "/f", "--after-index", m[1])
	waitLine(t, out, `^follow: v2 history after index `+m[1]+` was cleared`)
	waitLine(t, out, `^follow: repaired, following from v2 index \d+$`)
	must(v2.Set(ctx, "/after", "repair", nil))
	waitLine(t, out, `^follow: set /after at index \d+`)
	if code := stop(); code != 0 {
		return
	}
	if !strings.Contains(out.String(), "(1 deleted)") {
		t.Errorf("the repair deleted no key:\n%s", out)
	}
	if code, o, e := runCmd(t, "verify", "--from", ep, "--to", ep, "--prefix", "/f"); code != 0 {
		t.Fatalf("verify after the repair: exit %d\n%s%s", code, o, e)
	}
}

// waitIndex waits until follow reports having applied (or repaired up
// to) v2 index idx or later.
func waitIndex(t *testing.T, w *lineWriter, idx uint64) {
	t.Helper()
	rx := regexp.MustCompile(`^follow: (?:.* at index (\d+) \(lag \d+\)|repaired, following from v2 index (\d+))$`)
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case l := <-w.lines:
			m := rx.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			n, err := strconv.ParseUint(m[1]+m[2], 10, 64)
			if err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if n >= idx {
				return
			}
		case <-deadline:
			t.Fatalf("follow did not reach v2 index %d; output:\n%s", idx, w.String())
		}
	}
}

// A writer keeps setting, deleting and creating in-order keys through v2
// while copy reads and writes and while follow applies the events; once
// it stops and follow has applied the last index, verify finds no
// difference and the in-order keys are exactly those created.
func TestFollowUnderLoadOnEtcd35(t *testing.T) {
	cl := etcdtest.Start(t, 1, etcdtest.Options{Version: "3.5.35"})
	ep := cl.Endpoints()[0]
	c2, err := client.New(client.Config{Endpoints: []string{ep}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := client.NewKeysAPI(c2)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 2000; i += 8 {
				if _, err := v2.Set(ctx, fmt.Sprintf("/pre/d%d/k%04d", i%10, i), strconv.Itoa(i), nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// The writer does 100 operations before follow starts (so the copy
	// reads a changing tree), goes on during the copy, and stops after
	// 1,500 operations and 200 more after follow started following.
	pre, err := v2.Get(ctx, "/", &client.GetOptions{Quorum: true})
	if err != nil {
		t.Fatal(err)
	}
	followingNow := make(chan struct{})
	inOrder := 0
	var writerErr error
	writerDone, warm := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(writerDone)
		after := -1 // operations since follow started following
		for i := 0; ; i++ {
			if i == 100 {
				close(warm)
			}
			if after < 0 {
				select {
				case <-followingNow:
					after = 0
				default:
				}
			}
			if after >= 0 {
				if after >= 200 && i >= 1500 {
					return
				}
				after++
			}
			k := fmt.Sprintf("/load/k%02d", i%40)
			var err error
			switch i % 5 {
			case 0, 1:
				_, err = v2.Set(ctx, k, strconv.Itoa(i), nil)
			case 2:
				_, err = v2.Delete(ctx, k, nil)
				if client.IsKeyNotFound(err) {
					err = nil
				}
			case 3:
				_, err = v2.CreateInOrder(ctx, "/load/queue", strconv.Itoa(i), nil)
				if err == nil {
					inOrder++
				}
			case 4:
				_, err = v2.Set(ctx, fmt.Sprintf("/pre/d%d/k%04d", i%10, i%2000), "changed "+strconv.Itoa(i), nil)
			}
			if err != nil {
				writerErr = fmt.Errorf("writer op %d: %w", i, err)
				return
			}
		}
	}()

	select {
	case <-warm:
	case <-writerDone:
		t.Fatal(writerErr)
	}
	out, stop := startFollow(t, "--from", ep, "--to", ep, "--prefix", "/f", "--no-auth")
	copied := waitLine(t, out, `^read \d+ nodes from .* at v2 index (\d+)$`)
	waitLine(t, out, `^follow: following from v2 index \d+$`)
	close(followingNow)
	<-writerDone
	if writerErr != nil {
		t.Fatal(writerErr)
	}
	head, err := v2.Get(ctx, "/", &client.GetOptions{Quorum: true})
	if err != nil {
		t.Fatal(err)
	}
	// The copy read a tree the writer had changed already, and follow had
	// the writer's later changes to apply.
	if idx, _ := strconv.ParseUint(copied[1], 10, 64); idx <= pre.Index || idx >= head.Index {
		t.Errorf("copy read at v2 index %d; the writer started after %d and ended at %d", idx, pre.Index, head.Index)
	}
	waitIndex(t, out, head.Index)
	if code := stop(); code != 0 {
		return
	}
	if code, o, e := runCmd(t, "verify", "--from", ep, "--to", ep, "--prefix", "/f", "--no-auth"); code != 0 {
		t.Fatalf("verify after follow under load: exit %d\n%s%s", code, o, e)
	}
	c3, err := client.New(client.Config{Endpoints: []string{ep}, API: client.APIv3, V3KeyPrefix: "/f"})
	if err != nil {
		t.Fatal(err)
	}
	q2, err := v2.Get(ctx, "/load/queue", &client.GetOptions{Quorum: true, Sort: true})
	if err != nil {
		t.Fatal(err)
	}
	q3, err := client.NewKeysAPI(c3).Get(ctx, "/load/queue", &client.GetOptions{Quorum: true, Sort: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(q2.Node.Nodes) != inOrder || len(q3.Node.Nodes) != inOrder {
		t.Errorf("in-order keys: %d created, %d on v2, %d on v3", inOrder, len(q2.Node.Nodes), len(q3.Node.Nodes))
	}
	t.Logf("%d in-order keys; follow's output ends:\n%s", inOrder, tail(out.String(), 5))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
