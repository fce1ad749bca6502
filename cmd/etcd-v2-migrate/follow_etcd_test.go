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
