package clienttest_test

// The differential suite of the v3 JSON gateway: every scenario is a
// sequence of raw HTTP requests to /v3/... sent to a real etcd 3.6 (side A)
// and to a clienttest Server (side B). The answers must agree on status,
// Content-Type and the JSON body, parsed (field order does not matter,
// presence does: the gateway leaves out zero fields), after normalising
// only what two faithful servers cannot share:
//
//   - header cluster_id and member_id, a member list's ID, name and URLs,
//     and status's leader: ids and addresses each server picks for
//     itself. They become "<cluster>", "<member>", "<name>" and "<url>"
//     only when they are the server's own (its status says which), so an
//     answer naming another cluster or member still differs.
//   - every revision-valued field (revision, create_revision, mod_revision,
//     compact_revision): written relative to the revision the scenario
//     found on that server when it started, "<r+N>". Requests write
//     {r+N} for the same revision on each server.
//   - lease IDs a server chose (ID and lease fields): "<lease#K>", the
//     K-th lease of the scenario on that server; requests write {lease:K}.
//     An ID the scenario chose itself (it appears in a request) is
//     compared as it is.
//   - raft_term and status's raftTerm: "<term>"; clienttest has no raft.
//   - status's version, storageVersion, dbSize, dbSizeInUse, dbSizeQuota,
//     raftIndex and raftAppliedIndex: only their shape (a decimal string,
//     a version string): the server's build, its database file and its
//     raft log are nothing two servers share.
//   - the keys of a lease in timetolive are sorted: etcd lists them in
//     the order of a Go map.
//   - protojson's "proto:" prefix of an error message or a watch's cancel
//     reason: a build of etcd follows it by a no-break space instead of a
//     space, on purpose (protobuf-go picks one by a hash of the binary, so
//     that nobody compares its errors' bytes); both read as "proto: ".
//     Its other deliberate instability, a space after some commas, is
//     gone once the bodies are parsed.
//   - a lease's remaining TTL in timetolive: compared within the seconds
//     the scenario has run (v3TTLSlack), as time passes differently on each.
//
// Requests are compared as sent, so an error message that quotes a
// position in the body (protojson's "(line 1:N)") matches only while the
// placeholders before it expand to the same length on both servers: the
// malformed-request scenarios keep revisions and server-chosen lease IDs
// out of their bodies.
//
// CLIENTTEST_V3DIFF_B=etcd replaces the clienttest Server by a second
// real etcd 3.6: two real etcds agree on every scenario, which shows that
// the normalisation leaves no difference between two faithful servers;
// TestV3DiffNormalize shows that it hides no real one.
//
// One etcd serves all scenarios, one after the other, each in its own key
// namespace (v3diff/<scenario>/) from its own base revision; a scenario
// revokes the leases it saw when it ends, so the next one lists only its
// own. The scenario table is in v3diff_scenarios_test.go.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed26e043ee/client/clienttest"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// envV3DiffB chooses side B: "etcd" makes it a second real etcd 3.6, which
// proves the normalisation (two real etcds must agree on every scenario);
// unset, it is a clienttest Server.
const envV3DiffB = "CLIENTTEST_V3DIFF_B"

// v3Version is the etcd release side A runs.
const v3Version = "3.6.16"

// v3req is one request of a scenario. Its body (and the messages of a
// stream) may hold placeholders, expanded per server:
//
//	{k:NAME}   the JSON string of the base64 key v3diff/<scenario>/NAME
//	{end:NAME} the JSON string of the base64 prefix end of that key
//	{v:TEXT}   the JSON string of the base64 of TEXT
//	{r+N}      the scenario's base revision plus N (a number)
//	{lease:K}  the K-th lease ID the server chose in the scenario
//	{member}   the server's own member ID, {peer} its own peer URL
type v3req struct {
	method string // POST unless set
	path   string
	body   string
	// stream, when set, makes the request a stream: the body is written
	// message by message and the answer is read message by message,
	// as the actions say.
	stream []v3act
}

// v3act is one action on a stream.
type v3act struct {
	send string // a message written to the request body, then a newline
	read int    // how many newline-separated messages to read and compare
	also *v3req // a plain request sent meanwhile, its answer compared too
}

// v3scenario is a named sequence of requests.
type v3scenario struct {
	name  string
	steps []v3req
}

func vdPost(path, body string) v3req { return v3req{path: path, body: body} }

func v3stream(path string, acts ...v3act) v3req { return v3req{path: path, stream: acts} }

func vdSend(msg string) v3act { return v3act{send: msg} }
func vdRead(n int) v3act      { return v3act{read: n} }
func vdAlso(r v3req) v3act    { return v3act{also: &r} }

// v3answer is one compared answer: a plain response or one message of a
// stream.
type v3answer struct {
	what    string
	status  int
	ctype   string
	raw     []byte
	norm    any     // the body parsed and normalised; nil if not JSON
	ttls    []int64 // remaining TTLs taken out by normalisation
	elapsed time.Duration
}

// v3side is one server under comparison.
type v3side struct {
	name      string
	url       string
	ownURLs   []string // its member URLs, shown as "<url>"
	clusterID string
	memberID  string

	// Per scenario.
	ns       string
	base     int64
	chosen   map[string]bool // lease IDs written in the scenario's requests
	leases   []string        // lease IDs the server chose, by first sight
	leaseOrd map[string]int
	seen     map[string]bool // every lease ID seen, revoked at the end
	start    time.Time
}

// v3HTTP keeps no idle connections, so goleak sees none.
var v3HTTP = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// v3Timeout bounds every request and stream: an answer that never comes
// fails the scenario instead of hanging the test.
const v3Timeout = 30 * time.Second

var v3Placeholder = regexp.MustCompile(`\{(k|end|v):([^}]*)\}|\{r([+-]\d+)\}|\{lease:(\d+)\}|\{(member|peer)\}`)

func v3b64(s string) string { return `"` + base64.StdEncoding.EncodeToString([]byte(s)) + `"` }

// prefixEnd is the range end that covers every key starting with p.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00"
}

func (sd *v3side) expand(t *testing.T, s string) string {
	t.Helper()
	return v3Placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sm := v3Placeholder.FindStringSubmatch(m)
		switch {
		case sm[1] == "k":
			return v3b64(sd.ns + sm[2])
		case sm[1] == "end":
			return v3b64(prefixEnd(sd.ns + sm[2]))
		case sm[1] == "v":
			return v3b64(sm[2])
		case sm[3] != "":
			n, _ := strconv.ParseInt(sm[3], 10, 64)
			return strconv.FormatInt(sd.base+n, 10)
		case sm[5] == "member":
			return sd.memberID
		case sm[5] == "peer":
			return sd.ownURLs[1]
		default:
			k, _ := strconv.Atoi(sm[4])
			if k >= len(sd.leases) {
				t.Fatalf("%s: %s used before the server chose that many leases (%d)", sd.name, m, len(sd.leases))
			}
			return sd.leases[k]
		}
	})
}

// post sends one plain request and returns its answer, normalised.
func (sd *v3side) post(t *testing.T, r v3req) v3answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), v3Timeout)
	defer cancel()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(sd.expand(t, r.body))
	}
	what := method + " " + r.path
	req, err := http.NewRequestWithContext(ctx, method, sd.url+r.path, body)
	require.NoError(t, err, "%s: %s", sd.name, what)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := v3HTTP.Do(req)
	require.NoError(t, err, "%s: %s", sd.name, what)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "%s: reading %s", sd.name, what)
	return sd.answer(t, what, r.path, resp, b)
}

func (sd *v3side) answer(t *testing.T, what, path string, resp *http.Response, b []byte) v3answer {
	a := v3answer{what: what, status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), raw: b, elapsed: time.Since(sd.start)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		a.norm = sd.normalize(path, "", v, &a.ttls)
	} else {
		t.Logf("%s: %s: the body is not one JSON value: %q", sd.name, what, b)
	}
	return a
}

// run sends r and returns its answers: one for a plain request; for a
// stream, the messages read and the answers of its also requests, in the
// order the actions give.
func (sd *v3side) run(t *testing.T, r v3req) []v3answer {
	t.Helper()
	if r.stream == nil {
		return []v3answer{sd.post(t, r)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), v3Timeout)
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sd.url+r.path, pr)
	if err != nil {
		cancel()
		require.NoError(t, err, "%s: POST %s", sd.name, r.path)
	}
	req.Header.Set("Content-Type", "application/json")
	type result struct {
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := v3HTTP.Do(req)
		done <- result{resp, err}
	}()
	var resp *http.Response
	var br *bufio.Reader
	defer func() {
		// Ending the stream: the context's end closes the connection
		// and the request body, so Do returns if it has not yet.
		cancel()
		pw.Close()
		if resp == nil {
			if res := <-done; res.resp != nil {
				res.resp.Body.Close()
			}
			return
		}
		resp.Body.Close()
	}()
	var out []v3answer
	nmsg := 0
	for _, a := range r.stream {
		switch {
		case a.send != "":
			_, err := io.WriteString(pw, sd.expand(t, a.send)+"\n")
			require.NoError(t, err, "%s: writing %s to the stream of %s", sd.name, a.send, r.path)
		case a.read > 0:
			if resp == nil {
				res := <-done
				require.NoError(t, res.err, "%s: POST %s", sd.name, r.path)
				resp = res.resp
				br = bufio.NewReader(resp.Body)
			}
			for range a.read {
				what := fmt.Sprintf("POST %s message %d", r.path, nmsg)
				line, err := br.ReadBytes('\n')
				require.NoError(t, err, "%s: %s: after %q", sd.name, what, line)
				out = append(out, sd.answer(t, what, r.path, resp, bytes.TrimSuffix(line, []byte("\n"))))
				nmsg++
			}
		case a.also != nil:
			out = append(out, sd.post(t, *a.also))
		}
	}
	return out
}

var revisionFields = map[string]bool{"revision": true, "create_revision": true, "mod_revision": true, "compact_revision": true}

// statusShapes are status fields compared only by shape; see the top of
// the file.
var statusShapes = map[string]*regexp.Regexp{
	"version":          regexp.MustCompile(`^3\.\d+\.\d+$`),
	"storageVersion":   regexp.MustCompile(`^3\.\d+\.\d+$`),
	"dbSize":           regexp.MustCompile(`^\d+$`),
	"dbSizeInUse":      regexp.MustCompile(`^\d+$`),
	"dbSizeQuota":      regexp.MustCompile(`^\d+$`),
	"raftIndex":        regexp.MustCompile(`^\d+$`),
	"raftAppliedIndex": regexp.MustCompile(`^\d+$`),
}

// intText returns the decimal text of a JSON integer, written as the
// gateway writes int64 (a string) or as a number, and whether it was a
// string.
func intText(v any) (string, bool, bool) {
	switch x := v.(type) {
	case string:
		if isInt(x) {
			return x, true, true
		}
	case json.Number:
		if isInt(string(x)) {
			return string(x), false, true
		}
	}
	return "", false, false
}

// isInt accepts int64 (revisions, lease IDs) and uint64 (member and
// cluster ids) text.
func isInt(s string) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// mark writes a normalised value; a number where the gateway writes a
// string stays visible as a difference.
func mark(s string, quoted bool) string {
	if quoted {
		return s
	}
	return s + " (a JSON number)"
}

// normalize rewrites v, the answer to path, as described at the top of
// the file. key is the field v is the value of.
func (sd *v3side) normalize(path, key string, v any, ttls *[]int64) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sd.normalize(path, k, e, ttls)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sd.normalize(path, key, e, ttls)
		}
		if key == "keys" && path == "/v3/lease/timetolive" {
			// etcd lists a lease's keys in the order of a Go map.
			slices.SortFunc(out, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		}
		return out
	}
	members := strings.HasPrefix(path, "/v3/cluster/")
	switch {
	case key == "cluster_id":
		if s, q, ok := intText(v); ok && s == sd.clusterID {
			return mark("<cluster>", q)
		}
	case key == "member_id" || key == "leader" || (key == "ID" && members):
		if s, q, ok := intText(v); ok && s == sd.memberID {
			return mark("<member>", q)
		}
	case key == "raft_term" || key == "raftTerm":
		if _, q, ok := intText(v); ok {
			return mark("<term>", q)
		}
	case revisionFields[key]:
		if s, q, ok := intText(v); ok {
			n, _ := strconv.ParseInt(s, 10, 64)
			return mark(fmt.Sprintf("<r%+d>", n-sd.base), q)
		}
	case key == "ID" || key == "lease":
		if s, q, ok := intText(v); ok {
			sd.seen[s] = true
			if sd.chosen[s] {
				return v
			}
			k, ok := sd.leaseOrd[s]
			if !ok {
				k = len(sd.leases)
				sd.leaseOrd[s] = k
				sd.leases = append(sd.leases, s)
			}
			return mark(fmt.Sprintf("<lease#%d>", k), q)
		}
	case key == "TTL" && path == "/v3/lease/timetolive":
		if s, q, ok := intText(v); ok && q {
			n, _ := strconv.ParseInt(s, 10, 64)
			if n >= 0 {
				*ttls = append(*ttls, n)
				return "<ttl>"
			}
		}
	case members && key == "name":
		if s, ok := v.(string); ok && s != "" {
			return "<name>"
		}
	case members && (key == "peerURLs" || key == "clientURLs"):
		for _, u := range sd.ownURLs {
			if v == u {
				return "<url>"
			}
		}
	case path == "/v3/maintenance/status" && statusShapes[key] != nil:
		if s, ok := v.(string); ok && statusShapes[key].MatchString(s) {
			return "<" + key + ">"
		}
	case key == "message" || key == "cancel_reason":
		if s, ok := v.(string); ok {
			return strings.ReplaceAll(s, "proto:\u00a0", "proto: ")
		}
	}
	return v
}

// v3TTLSlack is how far apart two faithful servers' remaining TTLs may be:
// one second of rounding, and the whole seconds the slower of the two
// scenarios had run when it answered, the most a lease granted in the
// scenario can have lost.
func v3TTLSlack(a, b v3answer) int64 {
	return 1 + int64(max(a.elapsed, b.elapsed)/time.Second)
}

func v3show(a v3answer) string {
	if a.norm == nil {
		return fmt.Sprintf("%d %q", a.status, a.raw)
	}
	b, _ := json.Marshal(a.norm)
	return fmt.Sprintf("%d %s", a.status, b)
}

// v3diffs lists every difference between side A's answer a and side B's
// answer b; none means they agree.
func v3diffs(nameA, nameB string, a, b v3answer) []string {
	if a.status != b.status || a.ctype != b.ctype || !reflect.DeepEqual(a.norm, b.norm) || a.norm == nil && !bytes.Equal(a.raw, b.raw) {
		return []string{fmt.Sprintf("%s: answers differ\n %-10s %s (Content-Type %q)\n %-10s %s (Content-Type %q)",
			a.what, nameA+":", v3show(a), a.ctype, nameB+":", v3show(b), b.ctype)}
	}
	if len(a.ttls) != len(b.ttls) {
		return []string{fmt.Sprintf("%s: remaining TTLs: %s has %d, %s has %d", a.what, nameA, len(a.ttls), nameB, len(b.ttls))}
	}
	var out []string
	slack := v3TTLSlack(a, b)
	for i := range a.ttls {
		if d := a.ttls[i] - b.ttls[i]; d < -slack || d > slack {
			out = append(out, fmt.Sprintf("%s: remaining TTL #%d: %s %d, %s %d (give or take %d)", a.what, i, nameA, a.ttls[i], nameB, b.ttls[i], slack))
		}
	}
	return out
}

var chosenLease = regexp.MustCompile(`"(?:ID|lease)"\s*:\s*"?(\d+)`)

// begin readies sd for sc: its namespace, base revision and lease maps.
func (sd *v3side) begin(t *testing.T, sc v3scenario) {
	t.Helper()
	sd.ns = "v3diff/" + sc.name + "/"
	sd.chosen = map[string]bool{}
	var texts []string
	for _, r := range sc.steps {
		texts = append(texts, r.body)
		for _, a := range r.stream {
			texts = append(texts, a.send)
			if a.also != nil {
				texts = append(texts, a.also.body)
			}
		}
	}
	for _, s := range texts {
		for _, m := range chosenLease.FindAllStringSubmatch(s, -1) {
			sd.chosen[m[1]] = true
		}
	}
	sd.leases, sd.leaseOrd, sd.seen = nil, map[string]int{}, map[string]bool{}
	sd.start = time.Now()
	var rr struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	sd.postJSON(t, "/v3/kv/range", `{"key":`+v3b64(sd.ns)+`}`, &rr)
	n, err := strconv.ParseInt(rr.Header.Revision, 10, 64)
	require.NoError(t, err, "%s: the base revision of %s", sd.name, sc.name)
	sd.base = n
}

// end revokes every lease the scenario saw on sd, so that none shows up in
// the next scenario's lease list. Leases already gone answer 404.
func (sd *v3side) end(t *testing.T) {
	t.Helper()
	for id := range sd.seen {
		resp, err := v3HTTP.Post(sd.url+"/v3/lease/revoke", "application/json", strings.NewReader(`{"ID":"`+id+`"}`))
		require.NoError(t, err, "%s: revoking lease %s", sd.name, id)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Contains(t, []int{http.StatusOK, http.StatusNotFound}, resp.StatusCode, "%s: revoking lease %s", sd.name, id)
	}
}

// postJSON posts body to path and decodes a 200 answer into out.
func (sd *v3side) postJSON(t *testing.T, path, body string, out any) {
	t.Helper()
	resp, err := v3HTTP.Post(sd.url+path, "application/json", strings.NewReader(body))
	require.NoError(t, err, "%s: POST %s", sd.name, path)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "%s: POST %s", sd.name, path)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: POST %s: %s", sd.name, path, b)
	require.NoError(t, json.Unmarshal(b, out), "%s: POST %s: %s", sd.name, path, b)
}

// identify learns the ids the server gives itself, from its status.
func (sd *v3side) identify(t *testing.T) {
	t.Helper()
	var st struct {
		Header struct {
			ClusterID string `json:"cluster_id"`
			MemberID  string `json:"member_id"`
		} `json:"header"`
	}
	sd.postJSON(t, "/v3/maintenance/status", `{}`, &st)
	require.NotEmpty(t, st.Header.ClusterID, "%s: status names no cluster", sd.name)
	require.NotEmpty(t, st.Header.MemberID, "%s: status names no member", sd.name)
	sd.clusterID, sd.memberID = st.Header.ClusterID, st.Header.MemberID
}

func realV3Side(t *testing.T, name string) *v3side {
	t.Helper()
	cl := etcdtest.Start(t, 1, etcdtest.Options{Version: v3Version, V3Only: true})
	m := cl.Members[0]
	sd := &v3side{name: name, url: m.ClientURL, ownURLs: []string{m.ClientURL, m.PeerURL}}
	sd.identify(t)
	return sd
}

func clienttestV3Side(t *testing.T) *v3side {
	t.Helper()
	srv := clienttest.NewServer(t)
	sd := &v3side{name: "clienttest", url: srv.Endpoints()[0]}
	for _, m := range srv.Members() {
		sd.ownURLs = append(sd.ownURLs, m.URL())
		sd.ownURLs = append(sd.ownURLs, m.PeerURLs()...)
	}
	sd.identify(t)
	return sd
}

func TestV3GatewayDiff(t *testing.T) {
	scenarios := v3Scenarios()
	require.GreaterOrEqual(t, len(scenarios), 60, "scenarios")
	names := map[string]bool{}
	for _, sc := range scenarios {
		require.False(t, names[sc.name], "scenario %s listed twice", sc.name)
		names[sc.name] = true
	}
	a := realV3Side(t, "etcd")
	var b *v3side
	switch os.Getenv(envV3DiffB) {
	case "":
		b = clienttestV3Side(t)
	case "etcd":
		b = realV3Side(t, "etcd-B")
	default:
		t.Fatalf("%s=%q: want unset (clienttest) or etcd", envV3DiffB, os.Getenv(envV3DiffB))
	}
	// One after the other: the scenarios share each server's revisions,
	// compactions and lease list.
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			a.begin(t, sc)
			b.begin(t, sc)
			defer a.end(t)
			defer b.end(t)
			for _, r := range sc.steps {
				as := a.run(t, r)
				bs := b.run(t, r)
				require.Len(t, bs, len(as), "%s: answers", r.path)
				for i := range as {
					t.Logf("%s: %s", as[i].what, v3show(as[i]))
					for _, d := range v3diffs(a.name, b.name, as[i], bs[i]) {
						t.Error(d)
					}
				}
			}
		})
	}
}

// TestV3DiffNormalize checks that the normalisation hides only what it
// must: a real difference in any other field still fails a scenario.
func TestV3DiffNormalize(t *testing.T) {
	side := func(base int64, cluster, member, url string) *v3side {
		return &v3side{name: "s", clusterID: cluster, memberID: member, ownURLs: []string{url}, base: base,
			chosen: map[string]bool{"77": true}, leaseOrd: map[string]int{}, seen: map[string]bool{}, start: time.Now()}
	}
	tests := []struct {
		name, path, a, b string
		same             bool
	}{
		{name: "revisions from the base", path: "/v3/kv/range",
			a:    `{"header":{"cluster_id":"11","member_id":"5","revision":"105","raft_term":"2"},"kvs":[{"create_revision":"101","mod_revision":"103","version":"2"}],"count":"1"}`,
			b:    `{"count":"1","kvs":[{"mod_revision":"13","version":"2","create_revision":"11"}],"header":{"raft_term":"7","revision":"15","member_id":"18446744073709551615","cluster_id":"12"}}`,
			same: true},
		{name: "a revision off by one", path: "/v3/kv/range", a: `{"header":{"revision":"105"}}`, b: `{"header":{"revision":"16"}}`},
		{name: "a field left out", path: "/v3/kv/txn", a: `{"header":{"revision":"105"},"succeeded":true}`, b: `{"header":{"revision":"15"}}`},
		{name: "a zero field written", path: "/v3/kv/range", a: `{"header":{"revision":"105"}}`, b: `{"header":{"revision":"15"},"count":"0"}`},
		{name: "a number for a string", path: "/v3/kv/range", a: `{"header":{"revision":"105"}}`, b: `{"header":{"revision":15}}`},
		{name: "another member's id", path: "/v3/kv/range", a: `{"header":{"member_id":"5"}}`, b: `{"header":{"member_id":"6"}}`},
		{name: "another cluster's id", path: "/v3/kv/range", a: `{"header":{"cluster_id":"11"}}`, b: `{"header":{"cluster_id":"13"}}`},
		{name: "leases the servers chose", path: "/v3/lease/leases", a: `{"leases":[{"ID":"123456"},{"ID":"77"}]}`, b: `{"leases":[{"ID":"42"},{"ID":"77"}]}`, same: true},
		{name: "a lease the scenario chose", path: "/v3/lease/grant", a: `{"ID":"77"}`, b: `{"ID":"78"}`},
		{name: "remaining TTLs a second apart", path: "/v3/lease/timetolive", a: `{"ID":"77","TTL":"50","grantedTTL":"60"}`, b: `{"ID":"77","TTL":"49","grantedTTL":"60"}`, same: true},
		{name: "remaining TTLs far apart", path: "/v3/lease/timetolive", a: `{"ID":"77","TTL":"50","grantedTTL":"60"}`, b: `{"ID":"77","TTL":"20","grantedTTL":"60"}`},
		{name: "granted TTLs apart", path: "/v3/lease/timetolive", a: `{"ID":"77","TTL":"50","grantedTTL":"60"}`, b: `{"ID":"77","TTL":"50","grantedTTL":"61"}`},
		{name: "lease keys in any order", path: "/v3/lease/timetolive", a: `{"keys":["YQ==","Yg=="]}`, b: `{"keys":["Yg==","YQ=="]}`, same: true},
		{name: "own member URLs", path: "/v3/cluster/member/list",
			a:    `{"members":[{"ID":"5","name":"m0","peerURLs":["http://a"],"clientURLs":["http://a"]}]}`,
			b:    `{"members":[{"ID":"18446744073709551615","name":"x","peerURLs":["http://b"],"clientURLs":["http://b"]}]}`,
			same: true},
		{name: "a stranger's URL", path: "/v3/cluster/member/list", a: `{"members":[{"clientURLs":["http://a"]}]}`, b: `{"members":[{"clientURLs":["http://c"]}]}`},
		{name: "status shapes", path: "/v3/maintenance/status",
			a:    `{"version":"3.6.16","dbSize":"24576","raftIndex":"15","leader":"5","raftTerm":"2"}`,
			b:    `{"version":"3.5.0","dbSize":"1","raftIndex":"9","leader":"18446744073709551615","raftTerm":"3"}`,
			same: true},
		{name: "a status size that is no number", path: "/v3/maintenance/status", a: `{"dbSize":"24576"}`, b: `{"dbSize":"big"}`},
		{name: "not JSON", path: "/v4", a: "404 page not found\n", b: "not found\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := side(100, "11", "5", "http://a")
			b := side(10, "12", "18446744073709551615", "http://b")
			resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}}
			diffs := v3diffs("A", "B", a.answer(t, "POST "+tc.path, tc.path, resp, []byte(tc.a)), b.answer(t, "POST "+tc.path, tc.path, resp, []byte(tc.b)))
			if tc.same && len(diffs) > 0 {
				t.Errorf("want no difference, got %q", diffs)
			}
			if !tc.same && len(diffs) == 0 {
				t.Errorf("want a difference between %s and %s, got none", tc.a, tc.b)
			}
		})
	}
}
