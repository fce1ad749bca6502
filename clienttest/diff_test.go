package clienttest_test

// The differential suite: every scenario is a sequence of raw HTTP requests
// sent to a fresh real etcd (internal/etcdtest) and to a fresh clienttest
// Server. The answers must agree on status, the headers a client reads and
// the body, byte for byte, after normalising only what must differ between
// two servers: the cluster and member ids, member names and URLs, time
// stamps, X-Raft-Index (it counts raft entries clienttest has not got), and
// absolute indexes, which are compared relative to the index of the first
// answer of the scenario. The scenario table is in diff_scenarios_test.go.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed26e043ee/client/clienttest"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// step is one request. Paths and bodies may hold {i+N}: the index of the
// first answer of the scenario plus N, on each server.
type step struct {
	method string
	path   string
	ctype  string // Content-Type of the body; form-encoded when empty
	body   string
	auth   string // "user:password" for basic auth
	ep     int    // which member to ask, in start order
	// await, when set (it may hold {i+N}), makes the step first wait until
	// member ep's own store has the write at that index. A follower serves
	// plain reads and watches from its store, which may lag the member
	// that took the write by a few milliseconds.
	await string

	// then runs after this step's response headers arrived and before its
	// body is read: the writes a waiting watch should see.
	then []step
	// repeat sends the step this many times and compares only the last.
	repeat int
}

// scenario is a named list of steps.
type scenario struct {
	name  string
	steps []step
	// realSetup runs against real etcd only, uncompared, before the steps.
	realSetup []step
	// members is the cluster size (default 1); the fake gets WithMembers.
	members int
	// opts configure the clienttest server.
	opts []clienttest.Option
	// diff35 documents where etcd 3.5 answers differently from 3.4 (which
	// clienttest follows): answer number (counting then steps, from 0) ->
	// etcd 3.5's status and normalised body. Under 3.5 those answers of
	// etcd must be exactly that; under 3.4 the map is not used.
	diff35 map[int]string
}

func get(p string) step        { return step{method: "GET", path: p} }
func del(p string) step        { return step{method: "DELETE", path: p} }
func put(p, form string) step  { return step{method: "PUT", path: p, body: form} }
func post(p, form string) step { return step{method: "POST", path: p, body: form} }
func jsonReq(m, p, b string) step {
	return step{method: m, path: p, ctype: "application/json", body: b}
}

// withAuth returns s sent with basic auth.
func withAuth(s step, userPass string) step { s.auth = userPass; return s }

// answer is what one request got back.
type answer struct {
	status  int
	header  http.Header
	chunked bool
	body    string
	// elapsed is the time from the scenario's first request on this
	// server to this answer: no TTL set in the scenario can have lost more.
	elapsed time.Duration
}

// target is one server under comparison.
type target struct {
	name      string
	urls      []string
	memberURL []string // URLs of the server's own members, replaced by "<url>"
	peer      string   // {peer}: the first member's peer URL
	id        string   // {id}: the first member's id
	base      uint64   // index of the first answer carrying X-Etcd-Index
	hasBase   bool
	start     time.Time // when the scenario's first request was sent
}

var placeholder = regexp.MustCompile(`\{i([+-]\d+)\}`)

func (tg *target) expand(t *testing.T, s string) string {
	s = strings.NewReplacer("{peer}", tg.peer, "{id}", tg.id).Replace(s)
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if !tg.hasBase {
			t.Fatalf("%s: %q used before any index was seen", tg.name, s)
		}
		n, _ := strconv.Atoi(placeholder.FindStringSubmatch(m)[1])
		return strconv.FormatInt(int64(tg.base)+int64(n), 10)
	})
}

// diffHTTP never keeps connections, so goleak sees no idle ones.
var diffHTTP = &http.Client{
	Timeout:   60 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
	// etcd's mux redirects unclean paths; the redirect itself is the
	// answer to compare.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends s (and its then steps) and returns the answers in order: s's
// own answer first, then those of its then steps.
func (tg *target) do(t *testing.T, s step) []answer {
	t.Helper()
	if tg.start.IsZero() {
		tg.start = time.Now()
	}
	if s.await != "" {
		tg.awaitIndex(t, s.ep, tg.expand(t, s.await))
	}
	n := max(s.repeat, 1)
	var last answer
	var thenAnswers []answer
	for i := range n {
		body := strings.ReplaceAll(tg.expand(t, s.body), "{n}", strconv.Itoa(i))
		req, err := http.NewRequest(s.method, tg.urls[s.ep]+tg.expand(t, s.path), strings.NewReader(body))
		require.NoError(t, err, "%s: NewRequest(%s %s)", tg.name, s.method, s.path)
		if s.body != "" || s.ctype != "" {
			ct := s.ctype
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ct)
		}
		if u, p, ok := strings.Cut(s.auth, ":"); ok {
			req.SetBasicAuth(u, p)
		}
		resp, err := diffHTTP.Do(req)
		require.NoError(t, err, "%s: %s %s", tg.name, s.method, s.path)
		tg.noteBase(resp.Header)
		thenAnswers = thenAnswers[:0]
		// Both servers register a watch before they send its
		// headers, so the writes it waits for can go now.
		for _, ts := range s.then {
			thenAnswers = append(thenAnswers, tg.do(t, ts)...)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err, "%s: reading %s %s", tg.name, s.method, s.path)
		last = answer{status: resp.StatusCode, header: resp.Header, chunked: len(resp.TransferEncoding) > 0, body: string(b),
			elapsed: time.Since(tg.start)}
	}
	return append([]answer{last}, thenAnswers...)
}

// awaitIndex returns once member ep's store holds the write at index. It
// waits for that write itself, with a watch from that index on the whole
// key space of the member: the watch answers as soon as the member has
// applied the write (at once if it already has). The write must not be
// under a hidden key, which a watch of the root does not see.
func (tg *target) awaitIndex(t *testing.T, ep int, index string) {
	t.Helper()
	u := tg.urls[ep] + "/v2/keys/?wait=true&recursive=true&waitIndex=" + index
	what := fmt.Sprintf("%s: waiting for index %s on member %d", tg.name, index, ep)
	resp, err := diffHTTP.Get(u)
	require.NoError(t, err, what)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err, what)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", what, b)
	require.NotEmpty(t, b, "%s: the watch ended without an event", what)
}

func (tg *target) noteBase(h http.Header) {
	if tg.hasBase {
		return
	}
	if v := h.Get("X-Etcd-Index"); v != "" && v != "0" {
		tg.base, _ = strconv.ParseUint(v, 10, 64)
		tg.hasBase = true
	}
}

var (
	reIndexField = regexp.MustCompile(`"(modifiedIndex|createdIndex|index)":(\d+)`)
	reInOrder    = regexp.MustCompile(`\b\d{20}\b`)
	reCompare    = regexp.MustCompile(`\[(\d+) != (\d+)\]`)
	reCleared    = regexp.MustCompile(`cleared \[(\d+)/(\d+)\]`)
	reExpiration = regexp.MustCompile(`"expiration":"([^"]*)"`)
	reTTL        = regexp.MustCompile(`"ttl":(-?\d+)`)
	reMemberID   = regexp.MustCompile(`"id":"[0-9a-f]+"`)
	reMemberName = regexp.MustCompile(`"name":"[^"]+"`)
)

// rel writes an absolute index relative to the scenario's first one; 0
// means "no index" and stays as it is.
func (tg *target) rel(s string) string {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return s
	}
	return fmt.Sprintf("<i%+d>", int64(n)-int64(tg.base))
}

// normalize rewrites an answer's body so that two faithful servers give the
// same text, and returns it with the TTLs found (compared separately: see
// ttlSlack).
func (tg *target) normalize(t *testing.T, path string, body string) (string, []int64) {
	body = reIndexField.ReplaceAllStringFunc(body, func(m string) string {
		sm := reIndexField.FindStringSubmatch(m)
		return `"` + sm[1] + `":` + tg.rel(sm[2])
	})
	body = reInOrder.ReplaceAllStringFunc(body, tg.rel)
	body = reCompare.ReplaceAllStringFunc(body, func(m string) string {
		sm := reCompare.FindStringSubmatch(m)
		return "[" + tg.rel(sm[1]) + " != " + tg.rel(sm[2]) + "]"
	})
	body = reCleared.ReplaceAllStringFunc(body, func(m string) string {
		sm := reCleared.FindStringSubmatch(m)
		return "cleared [" + tg.rel(sm[1]) + "/" + tg.rel(sm[2]) + "]"
	})
	body = reExpiration.ReplaceAllStringFunc(body, func(m string) string {
		v := reExpiration.FindStringSubmatch(m)[1]
		_, err := time.Parse(time.RFC3339Nano, v)
		assert.NoError(t, err, "%s: expiration %q is not RFC 3339", tg.name, v)
		return `"expiration":"<time>"`
	})
	var ttls []int64
	body = reTTL.ReplaceAllStringFunc(body, func(m string) string {
		n, _ := strconv.ParseInt(reTTL.FindStringSubmatch(m)[1], 10, 64)
		ttls = append(ttls, n)
		return `"ttl":<ttl>`
	})
	if strings.HasPrefix(path, "/v2/members") {
		body = reMemberID.ReplaceAllString(body, `"id":"<id>"`)
		body = reMemberName.ReplaceAllString(body, `"name":"<name>"`)
		for _, u := range tg.memberURL {
			body = strings.ReplaceAll(body, `"`+u+`"`, `"<url>"`)
		}
	}
	return body, ttls
}

// compared are the headers whose value must match exactly; presence is the
// list of those that must merely be present on both or absent on both.
var (
	comparedHeaders = []string{"Content-Type", "Allow", "Location",
		"Access-Control-Allow-Headers", "Access-Control-Allow-Methods", "Access-Control-Allow-Origin", "Www-Authenticate"}
	presenceHeaders = []string{"X-Etcd-Cluster-Id", "X-Raft-Index", "X-Raft-Term", "Date"}
)

// compare reports every difference between real's and fake's answer to s.
func compare(t *testing.T, real, fake *target, s step, ra, fa answer) {
	t.Helper()
	what := s.method + " " + s.path
	if ra.status != fa.status {
		t.Errorf("%s: status = %d, want %d (etcd)\n etcd body: %s\n fake body: %s", what, fa.status, ra.status, ra.body, fa.body)
		return
	}
	for _, h := range comparedHeaders {
		if r, f := ra.header.Values(h), fa.header.Values(h); strings.Join(r, "|") != strings.Join(f, "|") {
			t.Errorf("%s: header %s = %q, want %q (etcd)", what, h, f, r)
		}
	}
	for _, h := range presenceHeaders {
		if r, f := ra.header.Get(h) != "", fa.header.Get(h) != ""; r != f {
			t.Errorf("%s: header %s present = %v, want %v (etcd)", what, h, f, r)
		}
	}
	ri, fi := real.rel(ra.header.Get("X-Etcd-Index")), fake.rel(fa.header.Get("X-Etcd-Index"))
	if ri != fi {
		t.Errorf("%s: X-Etcd-Index = %s, want %s (etcd)", what, fi, ri)
	}
	if ra.chunked != fa.chunked {
		t.Errorf("%s: chunked = %v, want %v (etcd)", what, fa.chunked, ra.chunked)
	}
	rb, rttl := real.normalize(t, s.path, ra.body)
	fb, fttl := fake.normalize(t, s.path, fa.body)
	if rb != fb {
		t.Errorf("%s: body differs\n etcd: %q\n fake: %q", what, rb, fb)
	}
	if len(rttl) != len(fttl) {
		t.Errorf("%s: %d ttl fields, want %d (etcd)", what, len(fttl), len(rttl))
		return
	}
	slack := ttlSlack(ra, fa)
	for i := range rttl {
		if d := rttl[i] - fttl[i]; d < -slack || d > slack {
			t.Errorf("%s: ttl #%d = %d, want %d (etcd, give or take %d)", what, i, fttl[i], rttl[i], slack)
		}
	}
}

// ttlSlack is how far apart two faithful servers' TTLs may be in ra and
// fa. A TTL of n seconds set during the scenario shows n rounded up less
// the time since it was set, and no more than the answer's elapsed time
// has passed since then: on each server the value lies within the whole
// seconds of its elapsed time below n. One more second covers the rounding
// of the two servers' clocks. On an idle machine that is the usual one
// second; a slow machine widens it by exactly the time it lost.
func ttlSlack(ra, fa answer) int64 {
	return 1 + int64(max(ra.elapsed, fa.elapsed)/time.Second)
}

// waitClusterVersion waits until etcd has recorded the cluster version, its
// last write of its own after start; from then on the index moves only with
// the scenario's writes.
func waitClusterVersion(t *testing.T, ep string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var v struct {
			Cluster string `json:"etcdcluster"`
		}
		resp, err := diffHTTP.Get(ep + "/version")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
		}
		if err == nil && v.Cluster != "" && v.Cluster != "not_decided" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd at %s: no cluster version after 30s (last error %v)", ep, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leaderID asks a real member for the leader's id.
func leaderID(t *testing.T, ep string) string {
	t.Helper()
	resp, err := diffHTTP.Get(ep + "/v2/members/leader")
	require.NoError(t, err, "GET %s/v2/members/leader", ep)
	defer resp.Body.Close()
	var m struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m), "GET %s/v2/members/leader", ep)
	return m.ID
}

// flatten lists s and its then steps in the order their answers come.
func flatten(s step) []step {
	out := []step{s}
	for _, ts := range s.then {
		out = append(out, flatten(ts)...)
	}
	return out
}

// runScenario runs sc against both servers; under etcd 3.5 the answers
// listed in sc.diff35 are checked against that list instead.
func runScenario(t *testing.T, sc scenario, version string) {
	is35 := !strings.HasPrefix(version, "3.4.")
	n := max(sc.members, 1)
	cl := etcdtest.Start(t, n)
	waitClusterVersion(t, cl.Endpoints()[0])
	srv := clienttest.NewServer(t, append(sc.opts, clienttest.WithMembers(n))...)
	real := &target{name: "etcd", urls: cl.Endpoints(), peer: cl.Members[0].PeerURL, id: leaderID(t, cl.Endpoints()[0])}
	for _, m := range cl.Members {
		real.memberURL = append(real.memberURL, m.ClientURL, m.PeerURL)
	}
	fake := &target{name: "clienttest", urls: srv.Endpoints(), peer: srv.Member(0).PeerURLs()[0], id: srv.Leader().ID()}
	for _, m := range srv.Members() {
		fake.memberURL = append(fake.memberURL, m.URL())
		fake.memberURL = append(fake.memberURL, m.PeerURLs()...)
	}
	for _, s := range sc.realSetup {
		a := real.do(t, s)[0]
		require.Less(t, a.status, 300, "setup %s %s on etcd: %s", s.method, s.path, a.body)
	}
	// The setup's writes must not count as the scenario's first index.
	real.hasBase = false
	k := 0
	for _, s := range sc.steps {
		ras := real.do(t, s)
		fas := fake.do(t, s)
		steps := flatten(s)
		for i := range steps {
			if want, ok := sc.diff35[k]; ok && is35 {
				want = strings.ReplaceAll(want, "{version}", version)
				body, _ := real.normalize(t, steps[i].path, ras[i].body)
				got := fmt.Sprintf("%d %s", ras[i].status, body)
				assert.Equal(t, want, got, "%s %s: etcd 3.5's answer, documented in diff35", steps[i].method, steps[i].path)
			} else {
				compare(t, real, fake, steps[i], ras[i], fas[i])
			}
			k++
		}
	}
}

func TestDifferential(t *testing.T) {
	version := etcdtest.ServerVersion(t)
	scenarios := append(diffScenarios(), authScenarios()...)
	require.GreaterOrEqual(t, len(scenarios), 60, "scenarios")
	require.GreaterOrEqual(t, len(authScenarios()), 30, "auth scenarios")
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, sc, version)
		})
	}
}
