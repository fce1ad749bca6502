package clienttest_test

// The v3 gateway at the wire: each kind of request, with the answers etcd
// 3.6 gives (captured from a real etcd 3.6.16 with curl; cluster and
// member IDs are masked where they would differ).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
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
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

var reIDs = regexp.MustCompile(`"cluster_id":"\d+","member_id":"\d+",`)

// gatewayText is a gateway answer as the wire tests compare it: compacted
// and with the header's IDs masked. etcd 3.6's gateway writes protojson,
// which on purpose varies by binary (a space after some commas, a
// no-break space after "proto:" in errors), so that nobody compares its
// bytes; a build of etcd on another machine answers with the same JSON in
// other bytes.
func gatewayText(b []byte) string {
	var c bytes.Buffer
	if json.Compact(&c, b) == nil {
		// The line end is part of the stream's framing, which the tests check.
		c.Write(b[len(bytes.TrimRight(b, "\n")):])
		b = c.Bytes()
	}
	s := strings.ReplaceAll(string(b), "proto:\u00a0", "proto: ")
	return reIDs.ReplaceAllString(s, "")
}

// v3post posts body to the member's /v3/<what> and returns the status and
// the body with the header's IDs masked.
func v3post(t *testing.T, base, what, body string) (int, string) {
	t.Helper()
	resp, err := rawHTTP.Post(base+"/v3/"+what, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, gatewayText(b)
}

// v3ok posts and requires a 200.
func v3ok(t *testing.T, base, what, body string) string {
	t.Helper()
	st, b := v3post(t, base, what, body)
	require.Equal(t, 200, st, b)
	return b
}

func compact(t *testing.T, srv *clienttest.Server, rev int64) {
	t.Helper()
	v3ok(t, srv.Endpoints()[0], "kv/compaction", fmt.Sprintf(`{"revision":"%d"}`, rev))
}

func v3put(t *testing.T, base, k, v string) {
	t.Helper()
	v3ok(t, base, "kv/put", fmt.Sprintf(`{"key":%q,"value":%q}`, b64(k), b64(v)))
}

func TestV3_kv(t *testing.T) {
	srv := clienttest.NewServer(t)
	e := srv.Endpoints()[0]
	hdr := func(rev int) string { return fmt.Sprintf(`{"header":{"revision":"%d","raft_term":"2"}`, rev) }

	assert.Equal(t, hdr(1)+"}", v3ok(t, e, "kv/range", `{"key":"`+b64("foo")+`"}`))
	assert.Equal(t, hdr(2)+"}", v3ok(t, e, "kv/put", `{"key":"`+b64("foo")+`","value":"`+b64("bar")+`"}`))
	assert.Equal(t, hdr(3)+`,"prev_kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}}`,
		v3ok(t, e, "kv/put", `{"key":"Zm9v","value":"`+b64("baz")+`","prev_kv":true}`))
	assert.Equal(t, hdr(3)+`,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmF6"}],"count":"1"}`,
		v3ok(t, e, "kv/range", `{"key":"Zm9v"}`))
	assert.Equal(t, hdr(3)+`,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmF6"}],"count":"1"}`,
		v3ok(t, e, "kv/range", `{"key":"YQ==","range_end":"AA=="}`), "range_end \\x00: every key from key on")
	assert.Equal(t, hdr(3)+`,"count":"1"}`, v3ok(t, e, "kv/range", `{"key":"Zm9v","count_only":true}`))
	assert.Equal(t, hdr(3)+`,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2"}],"count":"1"}`,
		v3ok(t, e, "kv/range", `{"key":"Zm9v","keys_only":true}`))
	assert.Equal(t, hdr(3)+`,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}`,
		v3ok(t, e, "kv/range", `{"key":"Zm9v","revision":"2"}`), "a read of the past")
	assert.Equal(t, hdr(4)+`,"deleted":"1","prev_kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmF6"}]}`,
		v3ok(t, e, "kv/deleterange", `{"key":"Zm9v","prev_kv":true}`))
	assert.Equal(t, hdr(4)+"}", v3ok(t, e, "kv/deleterange", `{"key":"Zm9v"}`), "deleting nothing takes no revision")

	v3put(t, e, "a", "1")
	v3put(t, e, "b", "2")
	v3put(t, e, "c", "3")
	assert.Equal(t, hdr(7)+`,"kvs":[{"key":"YQ==","create_revision":"5","mod_revision":"5","version":"1","value":"MQ=="}],"more":true,"count":"2"}`,
		v3ok(t, e, "kv/range", `{"key":"YQ==","range_end":"Yw==","limit":"1"}`))
	assert.Equal(t, hdr(7)+`,"kvs":[{"key":"Yw==","create_revision":"7","mod_revision":"7","version":"1","value":"Mw=="},{"key":"Yg==","create_revision":"6","mod_revision":"6","version":"1","value":"Mg=="},{"key":"YQ==","create_revision":"5","mod_revision":"5","version":"1","value":"MQ=="}],"count":"3"}`,
		v3ok(t, e, "kv/range", `{"key":"YQ==","range_end":"AA==","sort_order":"DESCEND","sort_target":"VALUE"}`))
	assert.Equal(t, hdr(7)+`,"kvs":[{"key":"Yg==","create_revision":"6","mod_revision":"6","version":"1","value":"Mg=="}],"count":"3"}`,
		v3ok(t, e, "kv/range", `{"key":"YQ==","range_end":"AA==","min_mod_revision":"6","max_create_revision":6}`))
	assert.Equal(t, hdr(8)+"}", v3ok(t, e, "kv/put", `{"key":"YQ==","ignore_value":true}`))
	assert.Contains(t, v3ok(t, e, "kv/range", `{"key":"YQ=="}`), `"version":"2","value":"MQ=="`)
}

func TestV3_refusals(t *testing.T) {
	srv := clienttest.NewServer(t)
	e := srv.Endpoints()[0]
	v3put(t, e, "a", "1")
	for _, c := range []struct {
		what, body string
		status     int
		want       string
	}{
		{"kv/range", `{"key":"YQ==","revision":"100"}`, 400, `{"code":11,"message":"etcdserver: mvcc: required revision is a future revision"}`},
		{"kv/range", `{bad`, 400, `{"code":3,"message":"invalid character 'b' looking for beginning of object key string"}`},
		{"kv/range", `[]`, 400, `{"code":3,"message":"proto: syntax error (line 1:1): unexpected token ["}`},
		{"kv/range", ``, 400, `{"code":3,"message":"etcdserver: key is not provided"}`},
		{"kv/range", `{"key":"YQ==","sort_order":7}`, 400, `{"code":3,"message":"etcdserver: invalid sort option"}`},
		{"nope", `{}`, 404, `{"code":5,"message":"Not Found"}`},
		{"kv/put", `{"key":"","value":"MQ=="}`, 400, `{"code":3,"message":"etcdserver: key is not provided"}`},
		{"kv/put", `{"key":"eno=","ignore_value":true}`, 400, `{"code":3,"message":"etcdserver: key not found"}`},
		{"kv/put", `{"key":"YQ==","lease":"12345"}`, 404, `{"code":5,"message":"etcdserver: requested lease not found"}`},
		{"kv/put", `{"key":"YQ==","ignore_lease":true,"lease":"1"}`, 400, `{"code":3,"message":"etcdserver: lease is provided"}`},
		{"kv/put", `{"key":"YQ==","value":"` + b64(strings.Repeat("x", 2<<20)) + `"}`, 400, `{"code":3,"message":"etcdserver: request is too large"}`},
		{"kv/txn", `{"success":[{"request_put":{"key":"YQ=="}},{"request_put":{"key":"YQ=="}}]}`, 400, `{"code":3,"message":"etcdserver: duplicate key given in txn request"}`},
		{"kv/txn", `{"success":[{}]}`, 400, `{"code":3,"message":"etcdserver: key not found"}`},
		{"lease/revoke", `{"ID":"5"}`, 404, `{"code":5,"message":"etcdserver: requested lease not found"}`},
		{"cluster/member/remove", `{"ID":"1"}`, 404, `{"code":5,"message":"etcdserver: member not found"}`},
		{"cluster/member/update", `{"ID":"1","peerURLs":["http://127.0.0.1:1"]}`, 404, `{"code":5,"message":"etcdserver: member not found"}`},
		{"cluster/member/add", `{"peerURLs":["bad"]}`, 400, `{"code":3,"message":"etcdserver: given member URLs are invalid"}`},
	} {
		st, b := v3post(t, e, c.what, c.body)
		assert.Equal(t, c.status, st, "%s %.60s", c.what, c.body)
		assert.Equal(t, c.want, b, "%s %.60s", c.what, c.body)
	}

	resp, err := rawHTTP.Get(e + "/v3/kv/range")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 501, resp.StatusCode)
	assert.Equal(t, `{"code":12,"message":"Method Not Allowed"}`, string(b))
}

func TestV3_txn(t *testing.T) {
	srv := clienttest.NewServer(t)
	e := srv.Endpoints()[0]
	v3put(t, e, "a", "1") // 2
	v3put(t, e, "b", "2") // 3
	v3put(t, e, "c", "3") // 4

	got := v3ok(t, e, "kv/txn", `{"compare":[{"key":"YQ==","target":"VALUE","result":"EQUAL","value":"MQ=="}],
		"success":[{"request_put":{"key":"YQ==","value":"OQ==","prev_kv":true}},{"request_range":{"key":"YQ=="}},{"request_delete_range":{"key":"Yg=="}}],
		"failure":[{"request_range":{"key":"Yg=="}}]}`)
	assert.Equal(t, `{"header":{"revision":"5","raft_term":"2"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"5"},"prev_kv":{"key":"YQ==","create_revision":"2","mod_revision":"2","version":"1","value":"MQ=="}}},{"response_range":{"header":{"revision":"5"},"kvs":[{"key":"YQ==","create_revision":"2","mod_revision":"5","version":"2","value":"OQ=="}],"count":"1"}},{"response_delete_range":{"header":{"revision":"5"},"deleted":"1"}}]}`, got)

	got = v3ok(t, e, "kv/txn", `{"compare":[{"key":"YQ==","target":"VALUE","result":"EQUAL","value":"MQ=="}],
		"success":[{"request_put":{"key":"YQ==","value":"OQ=="}}],
		"failure":[{"request_range":{"key":"Yg=="}},{"request_txn":{"success":[{"request_range":{"key":"Yw=="}}]}}]}`)
	assert.Equal(t, `{"header":{"revision":"5","raft_term":"2"},"responses":[{"response_range":{"header":{"revision":"5"}}},{"response_txn":{"header":{},"succeeded":true,"responses":[{"response_range":{"header":{"revision":"5"},"kvs":[{"key":"Yw==","create_revision":"4","mod_revision":"4","version":"1","value":"Mw=="}],"count":"1"}}]}}]}`, got)

	// Every target and result; a:9 (create 2, mod 5, version 2), c:3
	// (create 4, mod 4, version 1), b and z absent.
	for _, c := range []struct {
		cmp  string
		want bool
	}{
		{`{"key":"YQ==","target":"VERSION","result":"EQUAL","version":"2"}`, true},
		{`{"key":"YQ==","target":"VERSION","result":"GREATER","version":"2"}`, false},
		{`{"key":"YQ==","target":"CREATE","result":"LESS","create_revision":"3"}`, true},
		{`{"key":"YQ==","target":"MOD","result":"NOT_EQUAL","mod_revision":"5"}`, false},
		{`{"key":"YQ==","target":"VALUE","result":"GREATER","value":"` + b64("8") + `"}`, true},
		{`{"key":"YQ==","target":"LEASE","result":"EQUAL","lease":"0"}`, true},
		{`{"key":"eg==","target":"VERSION","result":"EQUAL","version":"0"}`, true},
		{`{"key":"eg==","target":"VALUE","result":"NOT_EQUAL","value":"MQ=="}`, false},
		{`{"key":"YQ==","range_end":"AA==","target":"MOD","result":"LESS","mod_revision":"6"}`, true},
		{`{"key":"YQ==","range_end":"AA==","target":"MOD","result":"GREATER","mod_revision":"4"}`, false},
		{`{"key":"eg==","range_end":"AA==","target":"CREATE","result":"EQUAL","create_revision":"0"}`, true},
	} {
		got := v3ok(t, e, "kv/txn", `{"compare":[`+c.cmp+`]}`)
		assert.Equal(t, c.want, strings.Contains(got, `"succeeded":true`), c.cmp)
	}
	st, b := v3post(t, e, "kv/txn", `{"compare":[{"key":"YQ==","target":"MOD","version":"1","mod_revision":"2"}]}`)
	assert.Equal(t, 400, st)
	assert.Contains(t, b, "oneof etcdserverpb.Compare.target_union is already set")
}

func TestV3_compaction(t *testing.T) {
	srv := clienttest.NewServer(t)
	e := srv.Endpoints()[0]
	v3put(t, e, "k", "1") // 2
	v3put(t, e, "k", "2") // 3
	v3put(t, e, "k", "3") // 4
	assert.Equal(t, `{"header":{"revision":"4","raft_term":"2"}}`, v3ok(t, e, "kv/compaction", `{"revision":"3"}`))
	comp := `{"code":11,"message":"etcdserver: mvcc: required revision has been compacted"}`
	st, b := v3post(t, e, "kv/range", `{"key":"aw==","revision":"2"}`)
	assert.Equal(t, 400, st)
	assert.Equal(t, comp, b)
	assert.Contains(t, v3ok(t, e, "kv/range", `{"key":"aw==","revision":"3"}`), `"value":"`+b64("2")+`"`)
	st, b = v3post(t, e, "kv/compaction", `{"revision":"3"}`)
	assert.Equal(t, 400, st)
	assert.Equal(t, comp, b)
	st, b = v3post(t, e, "kv/compaction", `{"revision":"5"}`)
	assert.Equal(t, 400, st)
	assert.Equal(t, `{"code":11,"message":"etcdserver: mvcc: required revision is a future revision"}`, b)
}

func TestV3_leases(t *testing.T) {
	clock := clienttest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(t, clienttest.WithClock(clock))
	e := srv.Endpoints()[0]

	assert.Equal(t, `{"header":{"revision":"1","raft_term":"2"},"ID":"4660","TTL":"60"}`, v3ok(t, e, "lease/grant", `{"TTL":"60","ID":"4660"}`))
	st, b := v3post(t, e, "lease/grant", `{"TTL":"60","ID":"4660"}`)
	assert.Equal(t, 400, st)
	assert.Equal(t, `{"code":9,"message":"etcdserver: lease already exists"}`, b)
	short := v3ok(t, e, "lease/grant", `{"TTL":"0"}`)
	assert.Regexp(t, `^\{"header":\{"revision":"1","raft_term":"2"\},"ID":"\d+","TTL":"2"\}$`, short, "a TTL below the least is raised")

	v3ok(t, e, "kv/put", `{"key":"bDE=","value":"eA==","lease":"4660"}`)
	v3ok(t, e, "kv/put", `{"key":"bDI=","value":"eA==","lease":"4660"}`)
	clock.Advance(time.Second)
	assert.Equal(t, `{"header":{"revision":"3","raft_term":"2"},"ID":"4660","TTL":"59","grantedTTL":"60","keys":["bDE=","bDI="]}`,
		v3ok(t, e, "lease/timetolive", `{"ID":"4660","keys":true}`))
	assert.Equal(t, `{"header":{"revision":"3","raft_term":"2"},"ID":"999","TTL":"-1"}`, v3ok(t, e, "lease/timetolive", `{"ID":"999"}`))
	assert.Contains(t, v3ok(t, e, "lease/leases", `{}`), `{"ID":"4660"}`)

	// Keep-alive streams its answers; it renews the lease to its TTL.
	assert.Equal(t, `{"result":{"header":{"revision":"3","raft_term":"2"},"ID":"4660","TTL":"60"}}`+"\n", v3ok(t, e, "lease/keepalive", `{"ID":"4660"}`))
	assert.Equal(t, `{"result":{"header":{"revision":"3","raft_term":"2"},"ID":"999"}}`+"\n", v3ok(t, e, "lease/keepalive", `{"ID":"999"}`))
	assert.Contains(t, v3ok(t, e, "lease/timetolive", `{"ID":"4660"}`), `"TTL":"60"`)

	// A put with ignore_lease keeps the key's lease.
	v3ok(t, e, "kv/put", `{"key":"bDE=","value":"eQ==","ignore_lease":true}`)
	assert.Contains(t, v3ok(t, e, "kv/range", `{"key":"bDE="}`), `"lease":"4660"`)

	// Expiry revokes the lease and deletes its keys in one revision.
	clock.Advance(time.Minute)
	assert.Equal(t, `{"header":{"revision":"5","raft_term":"2"}}`, v3ok(t, e, "kv/range", `{"key":"bA==","range_end":"bQ=="}`))
	assert.Equal(t, `{"header":{"revision":"5","raft_term":"2"},"ID":"4660","TTL":"-1"}`, v3ok(t, e, "lease/timetolive", `{"ID":"4660"}`))

	v3ok(t, e, "lease/grant", `{"TTL":"60","ID":"7"}`)
	v3ok(t, e, "kv/put", `{"key":"bDM=","value":"eA==","lease":"7"}`)
	assert.Equal(t, `{"header":{"revision":"7","raft_term":"2"}}`, v3ok(t, e, "lease/revoke", `{"ID":"7"}`))
	assert.Equal(t, `{"header":{"revision":"7","raft_term":"2"}}`, v3ok(t, e, "kv/range", `{"key":"bDM="}`))
	assert.Equal(t, `{"header":{"revision":"7","raft_term":"2"}}`, v3ok(t, e, "lease/leases", `{}`))
}

// watchStream is an open /v3/watch stream: requests go in through a pipe,
// answers come out line by line.
type watchStream struct {
	in    *io.PipeWriter
	lines chan string
}

func openWatch(t *testing.T, base, first string) *watchStream {
	t.Helper()
	return openWatchWith(t, base, "", first)
}

// openWatchWith opens a watch stream with token ("" for none) and sends
// first.
func openWatchWith(t *testing.T, base, token, first string) *watchStream {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v3/watch", pr)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	ws := &watchStream{in: pw, lines: make(chan string, 100)}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); pw.Close(); <-done })
	// The answer's headers come with the first message, so the first
	// request must be on its way before Do can return.
	go io.WriteString(pw, first+"\n")
	resp, err := rawHTTP.Do(req)
	if err != nil {
		close(done)
		require.NoError(t, err)
	}
	go func() {
		defer close(done)
		defer close(ws.lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			ws.lines <- gatewayText(sc.Bytes())
		}
	}()
	return ws
}

func (ws *watchStream) send(t *testing.T, msg string) {
	t.Helper()
	_, err := io.WriteString(ws.in, msg+"\n")
	require.NoError(t, err)
}

func (ws *watchStream) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-ws.lines:
		require.True(t, ok, "stream ended")
		return l
	case <-time.After(time.Minute):
		// Only a hung stream gets here.
		t.Fatal("no watch message within a minute")
	}
	return ""
}

func TestV3_watch(t *testing.T) {
	srv := clienttest.NewServer(t)
	e := srv.Endpoints()[0]
	v3put(t, e, "a", "1") // 2
	v3put(t, e, "b", "2") // 3
	v3put(t, e, "a", "3") // 4
	v3ok(t, e, "kv/deleterange", `{"key":"Yg=="}`)

	// From the past, with prev_kv, over a prefix.
	ws := openWatch(t, e, `{"create_request":{"key":"YQ==","range_end":"Yw==","start_revision":"3","prev_kv":true}}`)
	assert.Equal(t, `{"result":{"header":{"revision":"5","raft_term":"2"},"created":true}}`, ws.next(t))
	assert.Equal(t, `{"result":{"header":{"revision":"5","raft_term":"2"},"events":[`+
		`{"kv":{"key":"Yg==","create_revision":"3","mod_revision":"3","version":"1","value":"Mg=="}},`+
		`{"kv":{"key":"YQ==","create_revision":"2","mod_revision":"4","version":"2","value":"Mw=="},"prev_kv":{"key":"YQ==","create_revision":"2","mod_revision":"2","version":"1","value":"MQ=="}},`+
		`{"type":"DELETE","kv":{"key":"Yg==","mod_revision":"5"},"prev_kv":{"key":"Yg==","create_revision":"3","mod_revision":"3","version":"1","value":"Mg=="}}]}}`, ws.next(t))

	// A second watch on the stream, with a filter; then live events, one
	// message per revision and watch.
	ws.send(t, `{"create_request":{"key":"cQ==","filters":["NODELETE"]}}`)
	assert.Equal(t, `{"result":{"header":{"revision":"5","raft_term":"2"},"watch_id":"1","created":true}}`, ws.next(t))
	v3put(t, e, "q", "1") // 6
	assert.Equal(t, `{"result":{"header":{"revision":"6","raft_term":"2"},"watch_id":"1","events":[{"kv":{"key":"cQ==","create_revision":"6","mod_revision":"6","version":"1","value":"MQ=="}}]}}`, ws.next(t))
	v3ok(t, e, "kv/deleterange", `{"key":"cQ=="}`) // 7, filtered
	v3put(t, e, "a", "4")                          // 8
	assert.Equal(t, `{"result":{"header":{"revision":"8","raft_term":"2"},"events":[{"kv":{"key":"YQ==","create_revision":"2","mod_revision":"8","version":"3","value":"NA=="},"prev_kv":{"key":"YQ==","create_revision":"2","mod_revision":"4","version":"2","value":"Mw=="}}]}}`, ws.next(t))

	ws.send(t, `{"cancel_request":{"watch_id":"0"}}`)
	assert.Equal(t, `{"result":{"header":{"revision":"8","raft_term":"2"},"canceled":true}}`, ws.next(t))
	ws.send(t, `{"progress_request":{}}`)
	assert.Equal(t, `{"result":{"header":{"revision":"8","raft_term":"2"},"watch_id":"-1"}}`, ws.next(t))
	v3put(t, e, "a", "5") // 9: the canceled watch says nothing
	v3put(t, e, "q", "2") // 10
	assert.Contains(t, ws.next(t), `"header":{"revision":"10"`)

	// A chosen watch ID.
	ws.send(t, `{"create_request":{"key":"YQ==","watch_id":"7"}}`)
	assert.Equal(t, `{"result":{"header":{"revision":"10","raft_term":"2"},"watch_id":"7","created":true}}`, ws.next(t))
}

func TestV3_watchCompacted(t *testing.T) {
	srv := clienttest.NewServer(t)
	e := srv.Endpoints()[0]
	v3put(t, e, "a", "1")
	v3put(t, e, "a", "2")
	compact(t, srv, 3)
	ws := openWatch(t, e, `{"create_request":{"key":"YQ==","start_revision":"2"}}`)
	assert.Equal(t, `{"result":{"header":{"revision":"3","raft_term":"2"},"created":true}}`, ws.next(t))
	assert.Equal(t, `{"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"3"}}`, ws.next(t))
}

func TestV3_membersAndStatus(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithMembers(2))
	e := srv.Endpoints()[1]
	var list struct {
		Header struct {
			MemberID string `json:"member_id"`
			Revision string `json:"revision"`
		} `json:"header"`
		Members []struct {
			ID         string   `json:"ID"`
			Name       string   `json:"name"`
			ClientURLs []string `json:"clientURLs"`
		} `json:"members"`
	}
	resp, err := rawHTTP.Post(e+"/v3/cluster/member/list", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	resp.Body.Close()
	assert.Equal(t, hexToDec(t, srv.Member(1).ID()), list.Header.MemberID, "the header names the member asked")
	assert.Empty(t, list.Header.Revision, "member answers carry no revision")
	require.Len(t, list.Members, 2)

	added := v3ok(t, e, "cluster/member/add", `{"peerURLs":["http://127.0.0.1:1"]}`)
	assert.Regexp(t, `"member":\{"ID":"\d+","peerURLs":\["http://127.0.0.1:1"\]\}`, added)
	st, b := v3post(t, e, "cluster/member/add", `{"peerURLs":["http://127.0.0.1:1"]}`)
	assert.Equal(t, 400, st)
	assert.Equal(t, `{"code":9,"message":"etcdserver: Peer URLs already exists"}`, b)

	status := v3ok(t, e, "maintenance/status", `{}`)
	assert.Contains(t, status, `"leader":"`+hexToDec(t, srv.Member(0).ID())+`"`)
	assert.Contains(t, status, `"version":"`+clienttest.ServerVersion+`"`)
}

func hexToDec(t *testing.T, h string) string {
	v, err := strconv.ParseUint(h, 16, 64)
	require.NoError(t, err)
	return strconv.FormatUint(v, 10)
}

// The fault switches hold for v3 calls as for v2 ones.
func TestV3_faults(t *testing.T) {
	srv := clienttest.NewServer(t)
	m := srv.Member(0)
	e := m.URL()

	m.Fail(503)
	st, b := v3post(t, e, "kv/range", `{"key":"YQ=="}`)
	assert.Equal(t, 503, st)
	assert.Equal(t, `{"code":14,"message":"etcdserver: request timed out"}`, b)
	require.NoError(t, m.Heal())

	m.Hang()
	done := make(chan int, 1)
	go func() {
		resp, err := rawHTTP.Post(e+"/v3/kv/put", "application/json", strings.NewReader(`{"key":"YQ==","value":"MQ=="}`))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	require.NoError(t, clienttest.WaitHeld(ctxFor(t, 10*time.Second), m, 1))
	m.Release()
	assert.Equal(t, 200, <-done)
	assert.Contains(t, v3ok(t, e, "kv/range", `{"key":"YQ=="}`), `"count":"1"`)

	m.DropMidBody(true)
	resp, err := rawHTTP.Post(e+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"YQ=="}`))
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	// A watch stream is cut after its first message.
	ws := openWatch(t, e, `{"create_request":{"key":"YQ=="}}`)
	for range ws.lines {
	}
	m.DropMidBody(false)

	m.Refuse()
	_, err = rawHTTP.Post(e+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"YQ=="}`))
	assert.Error(t, err)
	require.NoError(t, m.Heal())
	assert.Contains(t, v3ok(t, e, "kv/range", `{"key":"YQ=="}`), `"count":"1"`)
}

// A v3 watch stream ends when the server closes.
func TestV3_closeEndsWatch(t *testing.T) {
	srv, err := clienttest.Start()
	require.NoError(t, err)
	ws := openWatch(t, srv.Endpoints()[0], `{"create_request":{"key":"YQ=="}}`)
	ws.next(t)
	srv.Close()
	for range ws.lines {
	}
}

// v2 auth does not reach the v3 gateway: etcd's v3 auth is separate.
func TestV3_v2AuthApart(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithBasicAuth("root", "pw"))
	e := srv.Endpoints()[0]
	v3put(t, e, "a", "1")
	assert.Contains(t, v3ok(t, e, "kv/range", `{"key":"YQ=="}`), `"count":"1"`)
}

// Answers captured from etcd 3.6.16 for the same requests.
func TestV3_rangesAndNestedTxn(t *testing.T) {
	srv := clienttest.NewServer(t)
	e := srv.Endpoints()[0]
	hdr := func(rev int) string { return fmt.Sprintf(`{"header":{"revision":"%d","raft_term":"2"}`, rev) }
	v3put(t, e, "p/a", "1") // 2
	v3put(t, e, "p/b", "2") // 3
	v3put(t, e, "p/c", "3") // 4
	v3put(t, e, "q", "3")   // 5
	p, p0 := b64("p/"), b64("p0")

	assert.Equal(t, hdr(5)+`,"kvs":[{"key":"cC9j","create_revision":"4","mod_revision":"4","version":"1","value":"Mw=="},{"key":"cC9i","create_revision":"3","mod_revision":"3","version":"1","value":"Mg=="}],"more":true,"count":"3"}`,
		v3ok(t, e, "kv/range", `{"key":"`+p+`","range_end":"`+p0+`","sort_target":"CREATE","sort_order":"DESCEND","limit":2}`))
	assert.Equal(t, hdr(5)+`,"count":"3"}`, v3ok(t, e, "kv/range", `{"key":"`+p+`","range_end":"`+p0+`","count_only":true,"limit":"1"}`))
	assert.Equal(t, hdr(5)+"}", v3ok(t, e, "kv/range", `{"key":"eg==","range_end":"YQ=="}`), "an end before the key is an empty range")
	assert.Equal(t, hdr(6)+`,"deleted":"2","prev_kvs":[{"key":"cC9h","create_revision":"2","mod_revision":"2","version":"1","value":"MQ=="},{"key":"cC9i","create_revision":"3","mod_revision":"3","version":"1","value":"Mg=="}]}`,
		v3ok(t, e, "kv/deleterange", `{"key":"`+p+`","range_end":"cC9j","prev_kv":true}`))

	assert.Equal(t, hdr(7)+`,"succeeded":true,"responses":[{"response_txn":{"header":{},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"7"}}}]}},{"response_put":{"header":{"revision":"7"}}}]}`,
		v3ok(t, e, "kv/txn", `{"compare":[{"key":"cQ==","target":"VALUE","result":"EQUAL","value":"Mw=="}],"success":[{"request_txn":{"compare":[{"key":"bm9wZQ==","target":"VERSION","result":"EQUAL","version":"0"}],"success":[{"request_put":{"key":"bjE=","value":"eA=="}}]}},{"request_put":{"key":"bjI=","value":"eQ==","prev_kv":true}}]}`))
	for _, body := range []string{
		`{"success":[{"request_put":{"key":"cQ==","value":"NA=="}},{"request_delete_range":{"key":"cQ=="}}]}`,
		`{"success":[{"request_put":{"key":"cQ==","value":"NA=="}},{"request_txn":{"success":[{"request_put":{"key":"cQ==","value":"NA=="}}]}}]}`,
	} {
		st, b := v3post(t, e, "kv/txn", body)
		assert.Equal(t, 400, st)
		assert.Equal(t, `{"code":3,"message":"etcdserver: duplicate key given in txn request"}`, b)
	}
	assert.Equal(t, hdr(8)+`,"succeeded":true,"responses":[{"response_delete_range":{"header":{"revision":"8"},"deleted":"1"}},{"response_range":{"header":{"revision":"8"}}},{"response_delete_range":{"header":{"revision":"8"},"deleted":"1","prev_kvs":[{"key":"bjE=","create_revision":"7","mod_revision":"7","version":"1","value":"eA=="}]}}]}`,
		v3ok(t, e, "kv/txn", `{"success":[{"request_delete_range":{"key":"cQ=="}},{"request_range":{"key":"cQ=="}},{"request_delete_range":{"key":"bjE=","prev_kv":true}}]}`),
		"a range after a delete in the same txn sees it")
	// A refused lease in the branch not taken does not matter.
	assert.Equal(t, hdr(8)+"}", v3ok(t, e, "kv/txn", `{"compare":[{"key":"eDE=","target":"VALUE","result":"EQUAL","value":"MQ=="}],"success":[{"request_put":{"key":"eDE=","value":"MQ==","lease":"99"}}]}`))

	st, b := v3post(t, e, "lease/grant", `{"TTL":"9000000001"}`)
	assert.Equal(t, 400, st)
	assert.Equal(t, `{"code":11,"message":"etcdserver: too large lease TTL"}`, b)
	v3ok(t, e, "lease/grant", `{"TTL":"5","ID":"77"}`)
	v3ok(t, e, "kv/put", `{"key":"bGs=","value":"MQ==","lease":"77"}`) // 9
	v3ok(t, e, "kv/put", `{"key":"bGs=","value":"Mg=="}`)              // 10: off the lease
	assert.NotContains(t, v3ok(t, e, "lease/timetolive", `{"ID":"77","keys":true}`), "keys")
	v3ok(t, e, "kv/put", `{"key":"bGs=","value":"Mg==","lease":"77"}`) // 11
	st, b = v3post(t, e, "kv/put", `{"key":"bGs=","value":"Mw==","ignore_value":true}`)
	assert.Equal(t, 400, st)
	assert.Equal(t, `{"code":3,"message":"etcdserver: value is provided"}`, b)
	v3ok(t, e, "kv/put", `{"key":"bGs=","ignore_value":true,"ignore_lease":true}`) // 12
	assert.Equal(t, hdr(12)+`,"kvs":[{"key":"bGs=","create_revision":"9","mod_revision":"12","version":"4","value":"Mg==","lease":"77"}],"count":"1"}`,
		v3ok(t, e, "kv/range", `{"key":"bGs="}`))

	// The keep-alive stream answers each message in turn.
	assert.Equal(t, `{"result":{"header":{"revision":"12","raft_term":"2"},"ID":"77","TTL":"5"}}`+"\n"+`{"result":{"header":{"revision":"12","raft_term":"2"},"ID":"78"}}`+"\n",
		v3ok(t, e, "lease/keepalive", `{"ID":"77"}`+"\n"+`{"ID":"78"}`))
}

// Members share the key space; each names itself in the header.
func TestV3_multiMember(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithMembers(3))
	v3put(t, srv.Member(0).URL(), "k", "v")
	resp, err := rawHTTP.Post(srv.Member(2).URL()+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"aw=="}`))
	require.NoError(t, err)
	var rr struct {
		Header struct {
			ClusterID string `json:"cluster_id"`
			MemberID  string `json:"member_id"`
		} `json:"header"`
		Count string `json:"count"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rr))
	resp.Body.Close()
	assert.Equal(t, "1", rr.Count)
	assert.Equal(t, hexToDec(t, srv.Member(2).ID()), rr.Header.MemberID)
	assert.Equal(t, hexToDec(t, srv.ClusterID()), rr.Header.ClusterID)

	// A watch on one member sees writes through another.
	ws := openWatch(t, srv.Member(1).URL(), `{"create_request":{"key":"aw=="}}`)
	ws.next(t)
	v3put(t, srv.Member(2).URL(), "k", "w")
	assert.Contains(t, ws.next(t), `"value":"`+b64("w")+`"`)

	// A frozen member holds v3 calls until it thaws.
	m := srv.Member(0)
	m.Freeze()
	got := make(chan string, 1)
	go func() {
		resp, err := rawHTTP.Post(m.URL()+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"aw=="}`))
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	require.NoError(t, clienttest.WaitHeld(ctxFor(t, 10*time.Second), m, 1))
	m.Thaw()
	assert.Contains(t, <-got, `"count":"1"`)
}

// Chosen names and addresses show in the v3 member list.
func TestV3_memberConfigs(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithMemberConfigs(clienttest.MemberConfig{
		Name: "alpha", AdvertiseClientURL: "http://10.0.0.1:2379", PeerURLs: []string{"http://10.0.0.1:2380"},
	}))
	got := v3ok(t, srv.Endpoints()[0], "cluster/member/list", `{}`)
	assert.Equal(t, `{"header":{"raft_term":"2"},"members":[{"ID":"`+hexToDec(t, srv.Member(0).ID())+
		`","name":"alpha","peerURLs":["http://10.0.0.1:2380"],"clientURLs":["http://10.0.0.1:2379"]}]}`, got)
}

// TestV3_watchProgress: a watch that asked for progress notifications
// gets one every ten minutes of the Server's clock, counted from the
// stream's start, unless it was sent events since the tick before; a
// watch that did not ask gets none. Ticks come in the stream's order,
// before Advance returns, so no wait is needed.
func TestV3_watchProgress(t *testing.T) {
	clock := clienttest.NewClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := clienttest.NewServer(t, clienttest.WithClock(clock))
	e := srv.Endpoints()[0]
	ws := openWatch(t, e, `{"create_request":{"key":"YQ==","progress_notify":true}}`)
	assert.Equal(t, `{"result":{"header":{"revision":"1","raft_term":"2"},"created":true}}`, ws.next(t))
	ws.send(t, `{"create_request":{"key":"Yg=="}}`)
	assert.Equal(t, `{"result":{"header":{"revision":"1","raft_term":"2"},"watch_id":"1","created":true}}`, ws.next(t))
	marker := func(rev string) {
		// A write to the quiet watch shows what came before it.
		t.Helper()
		v3put(t, e, "b", rev)
		assert.Regexp(t, `^\{"result":\{"header":\{"revision":"`+rev+`","raft_term":"2"\},"watch_id":"1","events":\[\{"kv":\{"key":"Yg==",.*"mod_revision":"`+rev+`"`, ws.next(t))
	}

	clock.Advance(9 * time.Minute)
	marker("2") // not yet ten minutes
	clock.Advance(time.Minute)
	assert.Equal(t, `{"result":{"header":{"revision":"2","raft_term":"2"}}}`, ws.next(t))

	// Events since the last tick elide the next notification.
	v3put(t, e, "a", "x") // 3
	assert.Contains(t, ws.next(t), `"revision":"3"`)
	clock.Advance(10 * time.Minute)
	marker("4")
	clock.Advance(10 * time.Minute)
	assert.Equal(t, `{"result":{"header":{"revision":"4","raft_term":"2"}}}`, ws.next(t))

	// A jump of an hour is one tick, and the beat stays the stream's.
	clock.Advance(time.Hour + 5*time.Minute)
	assert.Equal(t, `{"result":{"header":{"revision":"4","raft_term":"2"}}}`, ws.next(t))
	clock.Advance(4 * time.Minute)
	marker("5")
	clock.Advance(time.Minute)
	assert.Equal(t, `{"result":{"header":{"revision":"5","raft_term":"2"}}}`, ws.next(t))
}
