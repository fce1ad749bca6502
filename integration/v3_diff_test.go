package integration

// The differential test of APIv3 at the KeysAPI level: every scenario of
// v3_diff_scenarios_test.go runs through client.APIv2 against a real etcd
// 3.4 (the v2 API, the reference) and through client.APIv3 against a real
// etcd 3.6 (or the version $ETCDTEST_VERSION names). The Responses, Nodes
// and errors must be equal after normalising only what two servers cannot
// agree on: absolute indexes (compared relative to the index each side had
// when the scenario began), expiration time stamps (present or not), the
// TTLs' passing seconds (see ttlSlack) and the cluster ID (present or not).
// Every other difference fails the test, unless the scenario lists it as
// an exception with its reason, in which case APIv3's answer must be
// exactly the one listed.
//
// A third side runs every scenario through client.APIv3 on clienttest's
// emulation of the v3 gateway: its answers are held to the same
// reference and exceptions, and must equal real etcd's APIv3 answers.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// v2Reference is the etcd that answers through the v2 API: Debian's 3.4,
// which only an installed binary provides.
const v2Reference = "3.4.23"

// v3Default is the etcd APIv3 is compared on when $ETCDTEST_VERSION names
// none.
const v3Default = "3.6.16"

// v3TestVersion is the etcd version the APIv3 tests that need a
// particular one start: $ETCDTEST_VERSION's (CI runs the TestV3 tests once
// per version), else v3Default.
func v3TestVersion(t *testing.T) string {
	if os.Getenv(etcdtest.EnvVersion) != "" {
		return etcdtest.ServerVersion(t)
	}
	return v3Default
}

// dside is one side of the comparison: a KeysAPI and the state of the
// scenario running on it.
type dside struct {
	name string
	v3   bool
	cl   *etcdtest.Cluster  // a real etcd, or
	ct   *clienttest.Server // clienttest
	kapi client.KeysAPI
	rec  *recorder

	base     uint64 // the index before the scenario's first step
	start    time.Time
	watchers map[string]client.Watcher
	pending  map[string]chan outcome
}

// outcome is what one call gave.
type outcome struct {
	resp    *client.Response
	err     error
	elapsed time.Duration // since the scenario began on this side
}

// dstep is one step of a scenario. Indexes in a step's options
// (PrevIndex, AfterIndex) are relative to the side's base: 1 is the index
// of the scenario's first write.
type dstep struct {
	what string
	// call makes the call whose outcome is compared; nil for steps that
	// only prepare (run, watch).
	call func(ctx context.Context, s *dside) (*client.Response, error)
	// run prepares without comparing: it may differ per side.
	run func(ctx context.Context, s *dside) error
	// idxCause: the error's cause holds indexes, compared relatively.
	idxCause bool
	// watch: the call is a Watcher's Next (see exWatchIndex).
	watch bool
}

// exception documents one answer of APIv3 that differs from v2 on
// purpose: APIv3 must answer exactly want (normalised), for reason.
type exception struct {
	want   string
	reason string
}

type dscenario struct {
	name  string
	steps []dstep
	// except maps a compared answer's number (from 0) to its exception.
	except map[int]exception
}

func TestV3Differential(t *testing.T) {
	t.Parallel()
	v3version := v3TestVersion(t)
	sides := []*dside{
		{name: "APIv2 on etcd " + v2Reference, cl: etcdtest.Start(t, 1, etcdtest.Options{Version: v2Reference})},
		{name: "APIv3 on etcd " + v3version, v3: true, cl: etcdtest.Start(t, 1, etcdtest.Options{Version: v3version, V3Only: true})},
		{name: "APIv3 on clienttest", v3: true, ct: clienttest.NewServer(t)},
	}
	t.Logf("comparing %s with %s and %s", sides[0].name, sides[1].name, sides[2].name)

	scenarios := v3DiffScenarios()
	if len(scenarios) < 80 {
		t.Errorf("%d scenarios; the issue asks for at least 80", len(scenarios))
	}
	ctx := ctxFor(t, 10*time.Minute)
	seen := map[string]bool{}
	for i, sc := range scenarios {
		if seen[sc.name] {
			t.Fatalf("scenario name %q used twice", sc.name)
		}
		seen[sc.name] = true
		began := time.Now()
		runDiffScenario(ctx, t, i, sc, sides[0], sides[1:]...)
		if d := time.Since(began); d > 2*time.Second {
			t.Logf("%s took %v", sc.name, d.Round(time.Millisecond))
		}
	}
}

// runDiffScenario runs sc on every side at once and compares the outcomes
// of each APIv3 side with APIv2's, and the APIv3 sides with each other.
func runDiffScenario(ctx context.Context, t *testing.T, n int, sc dscenario, v2 *dside, v3s ...*dside) {
	sides := append([]*dside{v2}, v3s...)
	outs := make([][]outcome, len(sides))
	errs := make([]error, len(sides))
	var wg sync.WaitGroup
	for i, s := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = s.run(ctx, t, n, sc)
		}()
	}
	wg.Wait()
	failed := false
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: on %s: %v", sc.name, sides[i].name, err)
			failed = true
		}
	}
	if failed {
		return
	}
	var calls []dstep
	for _, st := range sc.steps {
		if st.call != nil {
			calls = append(calls, st)
		}
	}
	for j, v3 := range v3s {
		compareDiffSide(t, sc, calls, v2, v3, outs[0], outs[j+1])
	}
	// The APIv3 sides among themselves: the same answers, TTLs aside
	// (each was held to APIv2's within the seconds that passed).
	for i, st := range calls {
		first := maskTTL(v3s[0].normalize(outs[1][i], st))
		for j, v3 := range v3s[1:] {
			if got := maskTTL(v3.normalize(outs[j+2][i], st)); got != first {
				t.Errorf("%s #%d %s:\n  %s: %s\n  %s: %s", sc.name, i, st.what, v3s[0].name, first, v3.name, got)
			}
		}
	}
}

// compareDiffSide compares the outcomes of one APIv3 side with APIv2's.
func compareDiffSide(t *testing.T, sc dscenario, calls []dstep, v2, v3 *dside, v2outs, v3outs []outcome) {
	used := map[int]bool{}
	for i, st := range calls {
		a, b := v2outs[i], v3outs[i]
		slack := ttlSlack(a.elapsed, b.elapsed)
		alignTTLs(nodesOf(a.resp), nodesOf(b.resp), slack)
		want, got := v2.normalize(a, st), v3.normalize(b, st)
		for j, o := range []outcome{a, b} {
			if errors.Is(o.err, context.DeadlineExceeded) || errors.Is(o.err, context.Canceled) {
				t.Errorf("%s #%d %s: on %s: %v (no answer in time)", sc.name, i, st.what, []*dside{v2, v3}[j].name, o.err)
			}
		}
		if ex, ok := sc.except[i]; ok {
			used[i] = true
			// The TTLs of an exception's answer are not its point:
			// they are left out of its comparison.
			if maskTTL(got) != maskTTL(ex.want) {
				t.Errorf("%s #%d %s: %s answered\n   %s\n  the documented exception (%s) says\n   %s\n  APIv2 answered\n   %s", sc.name, i, st.what, v3.name, got, ex.reason, ex.want, want)
			}
			if got == want {
				t.Errorf("%s #%d %s: listed as an exception, yet both answered %s", sc.name, i, st.what, got)
			}
			continue
		}
		if want != got {
			t.Errorf("%s #%d %s:\n  APIv2: %s\n  %s: %s", sc.name, i, st.what, want, v3.name, got)
		}
	}
	for i := range sc.except {
		if !used[i] {
			t.Errorf("%s: exception for answer #%d, which the scenario does not have", sc.name, i)
		}
	}
}

// endpoints are the side's client URLs.
func (s *dside) endpoints() []string {
	if s.ct != nil {
		return s.ct.Endpoints()
	}
	return s.cl.Endpoints()
}

var reTTLField = regexp.MustCompile(`ttl=\d+`)

func maskTTL(s string) string { return reTTLField.ReplaceAllString(s, "ttl=N") }

// ttlSlack is how far apart the two sides' TTLs may be: a TTL set during
// the scenario loses the whole seconds that pass, and no more than the
// answer's elapsed time has passed on either side; one more second covers
// the rounding of the two servers' clocks.
func ttlSlack(a, b time.Duration) int64 {
	return 1 + int64(max(a, b)/time.Second)
}

// nodesOf lists the nodes of r, depth first, for aligning TTLs.
func nodesOf(r *client.Response) []*client.Node {
	if r == nil {
		return nil
	}
	var out []*client.Node
	var walk func(n *client.Node)
	walk = func(n *client.Node) {
		if n == nil {
			return
		}
		out = append(out, n)
		for _, c := range n.Nodes {
			walk(c)
		}
	}
	walk(r.Node)
	walk(r.PrevNode)
	return out
}

// alignTTLs gives b's nodes a's TTL where both have one within slack of
// each other, so that the comparison that follows sees only real
// differences (a TTL on one side only, or far off).
func alignTTLs(a, b []*client.Node, slack int64) {
	for i := range min(len(a), len(b)) {
		x, y := a[i].TTL, b[i].TTL
		if x > 0 && y > 0 && x-y <= slack && y-x <= slack {
			b[i].TTL = x
		}
	}
}

var (
	reCompareIdx = regexp.MustCompile(`\[(\d+) != (\d+)\]`)
	reClearedIdx = regexp.MustCompile(`\[(\d+)/(\d+)\]`)
)
var reInOrderName = regexp.MustCompile(`/\d{20}\b`)

// rel writes index i relative to the side's base; 0 stays 0 (no index).
func (s *dside) rel(i uint64) string {
	if i == 0 {
		return "0"
	}
	return fmt.Sprintf("i%+d", int64(i)-int64(s.base))
}

// key writes a key with in-order names (named after an index) relative.
func (s *dside) key(k string) string {
	return reInOrderName.ReplaceAllStringFunc(k, func(m string) string {
		n, _ := strconv.ParseUint(m[1:], 10, 64)
		return "/<" + s.rel(n) + ">"
	})
}

// normalize prints an outcome with indexes relative to the base, time
// stamps and cluster IDs reduced to their presence.
func (s *dside) normalize(o outcome, st dstep) string {
	if o.err != nil {
		var e client.Error
		if errors.As(o.err, &e) {
			cause := s.key(e.Cause)
			if st.idxCause {
				relAll := func(re *regexp.Regexp, format string) {
					cause = re.ReplaceAllStringFunc(cause, func(m string) string {
						sm := re.FindStringSubmatch(m)
						a, _ := strconv.ParseUint(sm[1], 10, 64)
						b, _ := strconv.ParseUint(sm[2], 10, 64)
						return fmt.Sprintf(format, s.rel(a), s.rel(b))
					})
				}
				relAll(reCompareIdx, "[%s != %s]")
				relAll(reClearedIdx, "[%s/%s]")
			}
			return fmt.Sprintf("error %d %q cause=%q index=%s", e.Code, e.Message, cause, s.rel(e.Index))
		}
		return fmt.Sprintf("error %T %v", o.err, o.err)
	}
	r := o.resp
	if r == nil {
		return "nil response"
	}
	var b strings.Builder
	index := s.rel(r.Index)
	if st.watch {
		// exWatchIndex: not compared; what each side promises is
		// checked instead.
		index = "<watch>"
		switch {
		case r.Node == nil:
			index = "<watch: no node>"
		case s.v3 && r.Index < r.Node.ModifiedIndex:
			index = fmt.Sprintf("<watch: %s below the event's %s>", s.rel(r.Index), s.rel(r.Node.ModifiedIndex))
		case r.Index < s.base:
			index = fmt.Sprintf("<watch: %s below the base>", s.rel(r.Index))
		}
	}
	fmt.Fprintf(&b, "%s index=%s cluster=%v node=", r.Action, index, r.ClusterID != "")
	s.node(&b, r.Node)
	b.WriteString(" prev=")
	s.node(&b, r.PrevNode)
	return b.String()
}

func (s *dside) node(b *strings.Builder, n *client.Node) {
	if n == nil {
		b.WriteString("nil")
		return
	}
	fmt.Fprintf(b, "{%s", strconv.Quote(s.key(n.Key)))
	if n.Dir {
		b.WriteString(" dir")
	} else {
		fmt.Fprintf(b, " v=%q", n.Value)
	}
	fmt.Fprintf(b, " c=%s m=%s", s.rel(n.CreatedIndex), s.rel(n.ModifiedIndex))
	if n.TTL != 0 {
		fmt.Fprintf(b, " ttl=%d", n.TTL)
	}
	if n.Expiration != nil {
		b.WriteString(" exp")
	}
	if n.Nodes != nil {
		b.WriteString(" [")
		for i, c := range n.Nodes {
			if i > 0 {
				b.WriteString(" ")
			}
			s.node(b, c)
		}
		b.WriteString("]")
	}
	b.WriteString("}")
}

// run runs the scenario's steps on the side and returns the outcomes of
// its calls. On APIv3 every scenario gets a key prefix of its own; on
// APIv2 the root is emptied first.
func (s *dside) run(ctx context.Context, t *testing.T, n int, sc dscenario) ([]outcome, error) {
	cfg := client.Config{Endpoints: s.endpoints()}
	if s.v3 {
		cfg.API, cfg.V3KeyPrefix = client.APIv3, fmt.Sprintf("/diff/%03d-%s", n, sc.name)
	}
	rec := newRecorder(t)
	cfg.Transport = rec
	c, err := client.New(cfg)
	if err != nil {
		return nil, err
	}
	s.kapi, s.rec = client.NewKeysAPI(c), rec
	defer rec.CloseIdleConnections()
	if err := s.emptyRoot(ctx); err != nil {
		return nil, fmt.Errorf("emptying the root: %w", err)
	}
	// The base is the index before the first step, read through the
	// KeysAPI on both sides: a Get of the root answers with it.
	r, err := s.kapi.Get(ctx, "/", &client.GetOptions{Quorum: true})
	var e client.Error
	switch {
	case err == nil:
		s.base = r.Index
	case errors.As(err, &e):
		s.base = e.Index
	default:
		return nil, fmt.Errorf("reading the base index: %w", err)
	}
	s.start = time.Now()
	s.watchers, s.pending = map[string]client.Watcher{}, map[string]chan outcome{}
	sctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		for _, ch := range s.pending {
			<-ch
		}
		for _, w := range s.watchers {
			if c, ok := w.(interface{ Close() error }); ok {
				c.Close()
			}
		}
	}()
	var outs []outcome
	for i, st := range sc.steps {
		if st.run != nil {
			if err := st.run(sctx, s); err != nil {
				return nil, fmt.Errorf("step %d (%s): %w", i, st.what, err)
			}
			continue
		}
		cctx, ccancel := context.WithTimeout(sctx, 30*time.Second)
		r, err := st.call(cctx, s)
		ccancel()
		outs = append(outs, outcome{resp: r, err: err, elapsed: time.Since(s.start)})
	}
	return outs, nil
}

// emptyRoot deletes every node the root lists, so that a scenario on
// APIv2 starts from an empty key space (APIv3 gets a fresh prefix, which
// is empty anyway). Nodes with a TTL from earlier scenarios go too, so
// their expiry cannot move the indexes of a later one.
func (s *dside) emptyRoot(ctx context.Context) error {
	r, err := s.kapi.Get(ctx, "/", nil)
	if err != nil {
		if client.IsKeyNotFound(err) {
			return nil
		}
		return err
	}
	for _, n := range r.Node.Nodes {
		if _, err := s.kapi.Delete(ctx, n.Key, &client.DeleteOptions{Recursive: true}); err != nil && !client.IsKeyNotFound(err) {
			return err
		}
	}
	return nil
}

// at turns an index relative to the base into an absolute one; 0 stays 0.
func (s *dside) at(rel uint64) uint64 {
	if rel == 0 {
		return 0
	}
	return s.base + rel
}

// waitAnswered waits until n requests sent since the last take had their
// response headers: the watch request of a Next started from now is
// registered on the server by then (etcd 3.4's v2 API flushes the headers
// of a wait request once its watcher is in place, and the v3 gateway
// sends them with the watch's "created" message).
func (s *dside) waitAnswered(ctx context.Context, n int) error {
	r := s.rec
	for {
		r.mu.Lock()
		got := r.answered
		r.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-r.changed:
		case <-ctx.Done():
			return fmt.Errorf("%d requests answered, want %d: %w", got, n, ctx.Err())
		}
	}
}
