package clienttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// newClient returns a client of srv's endpoints whose connections are
// closed when the test ends, so goleak sees none left.
func newClient(t *testing.T, eps []string, cfg client.Config) client.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	cfg.Endpoints = eps
	cfg.Transport = tr
	c, err := client.New(cfg)
	require.NoError(t, err)
	return c
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// rawHTTP keeps no connections.
var rawHTTP = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func rawGet(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := rawHTTP.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestServer_keysThroughClient(t *testing.T) {
	srv := clienttest.NewServer(t)
	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	ctx := ctxFor(t, 10*time.Second)

	set, err := kapi.Set(ctx, "/foo", "bar", nil)
	require.NoError(t, err)
	assert.Equal(t, "set", set.Action)
	assert.Equal(t, srv.ClusterID(), set.ClusterID)
	assert.Equal(t, srv.Index(), set.Index)

	got, err := kapi.Get(ctx, "/foo", nil)
	require.NoError(t, err)
	assert.Equal(t, "bar", got.Node.Value)

	_, err = kapi.Create(ctx, "/foo", "again")
	var ce client.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, client.ErrorCodeNodeExist, ce.Code)

	_, err = kapi.Get(ctx, "/missing", nil)
	assert.True(t, client.IsKeyNotFound(err), "Get(/missing) error = %v, want key not found", err)
}

func TestServer_watch(t *testing.T) {
	srv := clienttest.NewServer(t)
	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	ctx := ctxFor(t, 10*time.Second)

	w := kapi.Watcher("/dir", &client.WatcherOptions{Recursive: true})
	type result struct {
		r   *client.Response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := w.Next(ctx)
		done <- result{r, err}
	}()
	// A watcher from now sees only writes after it is registered.
	require.NoError(t, clienttest.WaitWatching(ctx, srv, "/dir", 1))
	set, err := kapi.Set(ctx, "/dir/k", "v", nil)
	require.NoError(t, err)
	res := <-done
	require.NoError(t, res.err)
	require.NotNil(t, res.r.Node)
	assert.Equal(t, "/dir/k", res.r.Node.Key)
	assert.Equal(t, set.Index, res.r.Node.ModifiedIndex)
}

func TestWithKeys(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithKeys(map[string]string{
		"/a/b":    "1",
		"/c":      "2",
		"/empty/": "ignored",
	}))
	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	ctx := ctxFor(t, 10*time.Second)

	tests := []struct {
		key   string
		value string
		dir   bool
	}{
		{"/a/b", "1", false},
		{"/c", "2", false},
		{"/empty", "", true},
		{"/a", "", true},
	}
	for _, tc := range tests {
		r, err := kapi.Get(ctx, tc.key, nil)
		require.NoError(t, err, "Get(%q)", tc.key)
		assert.Equal(t, tc.value, r.Node.Value, "Get(%q).Node.Value", tc.key)
		assert.Equal(t, tc.dir, r.Node.Dir, "Get(%q).Node.Dir", tc.key)
	}
}

func TestWithKeys_badKey(t *testing.T) {
	_, err := clienttest.Start(clienttest.WithKeys(map[string]string{"/a": "1", "/a/b": "2"}))
	assert.Error(t, err, "Start with /a and /a/b pre-loaded")
}

func TestClock_expiry(t *testing.T) {
	clock := clienttest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := clienttest.NewServer(t, clienttest.WithClock(clock))
	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	ctx := ctxFor(t, 10*time.Second)

	set, err := kapi.Set(ctx, "/t", "x", &client.SetOptions{TTL: 10 * time.Second})
	require.NoError(t, err)
	require.NotNil(t, set.Node.Expiration)
	assert.Equal(t, clock.Now().Add(10*time.Second), *set.Node.Expiration)
	assert.Equal(t, int64(10), set.Node.TTL)

	clock.Advance(4500 * time.Millisecond)
	got, err := kapi.Get(ctx, "/t", nil)
	require.NoError(t, err)
	assert.Equal(t, int64(6), got.Node.TTL, "TTL after 4.5s of 10s, rounded up")

	clock.Advance(5500 * time.Millisecond)
	_, err = kapi.Get(ctx, "/t", nil)
	assert.True(t, client.IsKeyNotFound(err), "Get after expiry: error = %v, want key not found", err)

	w := kapi.Watcher("/t", &client.WatcherOptions{AfterIndex: set.Index})
	ev, err := w.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "expire", ev.Action)
	assert.Equal(t, set.Index+1, ev.Node.ModifiedIndex)
	require.NotNil(t, ev.PrevNode)
	assert.Equal(t, "x", ev.PrevNode.Value)
}

func TestClock_refreshKeepsKey(t *testing.T) {
	clock := clienttest.NewClock(time.Unix(0, 0))
	srv := clienttest.NewServer(t, clienttest.WithClock(clock))
	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	ctx := ctxFor(t, 10*time.Second)

	_, err := kapi.Set(ctx, "/t", "x", &client.SetOptions{TTL: 10 * time.Second})
	require.NoError(t, err)
	clock.Advance(8 * time.Second)
	_, err = kapi.Set(ctx, "/t", "", &client.SetOptions{TTL: 10 * time.Second, Refresh: true, PrevExist: client.PrevExist})
	require.NoError(t, err)
	clock.Advance(8 * time.Second)
	got, err := kapi.Get(ctx, "/t", nil)
	require.NoError(t, err)
	assert.Equal(t, "x", got.Node.Value)
	assert.Equal(t, int64(2), got.Node.TTL)
}

func TestWithBasicAuth(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithBasicAuth("root", "pw"))
	ctx := ctxFor(t, 10*time.Second)
	tests := []struct {
		name     string
		user, pw string
		wantCode int // 0: success
	}{
		{"no_credentials", "", "", client.ErrorCodeUnauthorized},
		{"wrong_password", "root", "nope", client.ErrorCodeUnauthorized},
		{"right", "root", "pw", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{Username: tc.user, Password: tc.pw}))
			_, err := kapi.Set(ctx, "/k", "v", nil)
			if tc.wantCode == 0 {
				assert.NoError(t, err)
				return
			}
			var ce client.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.wantCode, ce.Code)
		})
	}
	resp, body := rawGet(t, srv.Endpoints()[0]+"/v2/keys/k")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}`+"\n", body)
}

func TestWithMembers(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithMembers(3))
	eps := srv.Endpoints()
	require.Len(t, eps, 3)
	ctx := ctxFor(t, 10*time.Second)

	// One key space: what one member writes, another reads.
	_, err := client.NewKeysAPI(newClient(t, eps[:1], client.Config{})).Set(ctx, "/shared", "1", nil)
	require.NoError(t, err)
	got, err := client.NewKeysAPI(newClient(t, eps[2:], client.Config{})).Get(ctx, "/shared", nil)
	require.NoError(t, err)
	assert.Equal(t, "1", got.Node.Value)

	mapi := client.NewMembersAPI(newClient(t, eps, client.Config{}))
	ms, err := mapi.List(ctx)
	require.NoError(t, err)
	require.Len(t, ms, 3)
	var clientURLs []string
	for _, m := range ms {
		clientURLs = append(clientURLs, m.ClientURLs...)
	}
	assert.ElementsMatch(t, eps, clientURLs)

	leader, err := mapi.Leader(ctx)
	require.NoError(t, err)
	assert.Equal(t, srv.Member(0).ID(), leader.ID)
	srv.SetLeader(srv.Member(2))
	leader, err = mapi.Leader(ctx)
	require.NoError(t, err)
	assert.Equal(t, srv.Member(2).ID(), leader.ID)
	assert.Equal(t, []string{srv.Member(2).URL()}, leader.ClientURLs)
}

func TestWithMembers_membership(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithMembers(2))
	ctx := ctxFor(t, 10*time.Second)
	mapi := client.NewMembersAPI(newClient(t, srv.Endpoints()[:1], client.Config{}))

	added, err := mapi.Add(ctx, "http://127.0.0.1:1")
	require.NoError(t, err)
	assert.Empty(t, added.Name)
	assert.Empty(t, added.ClientURLs)
	assert.Equal(t, []string{"http://127.0.0.1:1"}, added.PeerURLs)

	_, err = mapi.Add(ctx, "http://127.0.0.1:1")
	assert.EqualError(t, err, "membership: peerURL exists")

	require.NoError(t, mapi.Update(ctx, added.ID, []string{"http://127.0.0.1:2"}))
	err = mapi.Update(ctx, added.ID, srv.Member(1).PeerURLs())
	assert.EqualError(t, err, "membership: peerURL exists")

	second := srv.Member(1)
	require.NoError(t, mapi.Remove(ctx, second.ID()))
	require.NoError(t, mapi.Remove(ctx, added.ID))
	ms, err := mapi.List(ctx)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, srv.Member(0).ID(), ms[0].ID)
	assert.Equal(t, srv.Endpoints(), []string{srv.Member(0).URL()})

	_, err = net.Dial("tcp", strings.TrimPrefix(second.URL(), "http://"))
	assert.Error(t, err, "dial removed member")
}

func TestMember_Fail(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithMembers(2))
	srv.Member(0).Fail(http.StatusServiceUnavailable)

	resp, body := rawGet(t, srv.Member(0).URL()+"/v2/keys/k")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, `{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}`+"\n", body)

	// A client with both endpoints gets its answer from the healthy one.
	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	ctx := ctxFor(t, 10*time.Second)
	for range 4 {
		_, err := kapi.Set(ctx, "/k", "v", nil)
		require.NoError(t, err)
	}

	srv.Member(0).Fail(0)
	resp, _ = rawGet(t, srv.Member(0).URL()+"/v2/keys/k")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestMember_HangRelease(t *testing.T) {
	srv := clienttest.NewServer(t)
	m := srv.Member(0)
	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	m.Hang()

	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := kapi.Get(short, "/k", nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// The abandoned request lets go of the member once the client has
	// closed its connection.
	ctx := ctxFor(t, 10*time.Second)
	require.NoError(t, clienttest.WaitHeld(ctx, m, 0))

	got := make(chan error, 1)
	go func() {
		resp, err := rawHTTP.Get(m.URL() + "/v2/keys/")
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	require.NoError(t, clienttest.WaitHeld(ctx, m, 1))
	select {
	case err := <-got:
		t.Fatalf("request to a hanging member returned %v", err)
	default:
	}
	m.Release()
	require.NoError(t, <-got)
}

func TestMember_FreezeThaw(t *testing.T) {
	srv := clienttest.NewServer(t)
	m := srv.Member(0)
	m.Freeze()

	// Like a stopped process, a frozen member still lets the kernel accept
	// the connection but answers nothing.
	conn, err := net.Dial("tcp", strings.TrimPrefix(m.URL(), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	// Once the member holds the connection nothing can be written to it
	// until Thaw, so the read below times out however slow the machine.
	require.NoError(t, clienttest.WaitHeld(ctxFor(t, 10*time.Second), m, 1))
	conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err = conn.Read(make([]byte, 1))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "Read from frozen member: %v, want a timeout", err)

	m.Thaw()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	require.NoError(t, err)
	assert.Contains(t, string(b), `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`)
}

func TestMember_RefuseHeal(t *testing.T) {
	srv := clienttest.NewServer(t)
	m := srv.Member(0)
	m.Refuse()
	_, err := rawHTTP.Get(m.URL() + "/version")
	var oe *net.OpError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "dial", oe.Op)

	require.NoError(t, m.Heal())
	resp, _ := rawGet(t, m.URL()+"/version")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestMember_DropMidBody(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithKeys(map[string]string{"/k": strings.Repeat("v", 100)}))
	m := srv.Member(0)
	m.DropMidBody(true)

	resp, err := rawHTTP.Get(m.URL() + "/v2/keys/k")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	_, err = kapi.Get(ctxFor(t, 10*time.Second), "/k", nil)
	assert.Error(t, err, "Get through a member that drops the body")

	m.DropMidBody(false)
	got, err := kapi.Get(ctxFor(t, 10*time.Second), "/k", nil)
	require.NoError(t, err)
	assert.Len(t, got.Node.Value, 100)
}

func TestWithWatchTimeout(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithWatchTimeout(50*time.Millisecond))
	resp, body := rawGet(t, srv.Endpoints()[0]+"/v2/keys/k?wait=true")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, body)
}

func TestServer_CloseEndsWaits(t *testing.T) {
	srv, err := clienttest.Start()
	require.NoError(t, err)
	ctx := ctxFor(t, 10*time.Second)
	errs := make(chan error, 2)
	send := func(p string) {
		go func() {
			resp, err := rawHTTP.Get(srv.Endpoints()[0] + p)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	// One watch waits in the store, one request waits on a hung member.
	send("/v2/keys/k?wait=true")
	require.NoError(t, clienttest.WaitWatching(ctx, srv, "/k", 1))
	srv.Member(0).Hang()
	send("/version")
	require.NoError(t, clienttest.WaitHeld(ctx, srv.Member(0), 1))
	srv.Close()
	srv.Close()
	for range 2 {
		select {
		case <-errs:
		case <-time.After(10 * time.Second):
			t.Fatal("a request still waits 10s after Close")
		}
	}
}

func TestStart_noMembers(t *testing.T) {
	_, err := clienttest.Start(clienttest.WithMembers(0))
	assert.Error(t, err)
}

func TestServer_headers(t *testing.T) {
	srv := clienttest.NewServer(t)
	resp, _ := rawGet(t, srv.Endpoints()[0]+"/v2/keys/")
	for _, h := range []string{"X-Etcd-Index", "X-Etcd-Cluster-Id", "X-Raft-Index", "X-Raft-Term"} {
		assert.NotEmpty(t, resp.Header.Get(h), "header %s", h)
	}
	assert.Equal(t, srv.ClusterID(), resp.Header.Get("X-Etcd-Cluster-Id"))
}

func TestServer_streamWatch(t *testing.T) {
	srv := clienttest.NewServer(t)
	ep := srv.Endpoints()[0]
	resp, err := rawHTTP.Get(ep + "/v2/keys/s?wait=true&stream=true")
	require.NoError(t, err)
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for i, v := range []string{"a", "b"} {
		req, err := http.NewRequest("PUT", ep+"/v2/keys/s", strings.NewReader("value="+v))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		put, err := rawHTTP.Do(req)
		require.NoError(t, err)
		put.Body.Close()
		var ev struct {
			Action string
			Node   struct{ Value string }
		}
		require.NoError(t, dec.Decode(&ev), "event #%d", i)
		assert.Equal(t, v, ev.Node.Value, "event #%d value", i)
	}
}

func TestServer_historyCleared(t *testing.T) {
	srv := clienttest.NewServer(t)
	kapi := client.NewKeysAPI(newClient(t, srv.Endpoints(), client.Config{}))
	ctx := ctxFor(t, 30*time.Second)
	first, err := kapi.Set(ctx, "/k", "0", nil)
	require.NoError(t, err)
	for i := range 1000 {
		_, err := kapi.Set(ctx, "/churn", fmt.Sprint(i), nil)
		require.NoError(t, err)
	}
	_, err = kapi.Watcher("/k", &client.WatcherOptions{AfterIndex: first.Index - 1}).Next(ctx)
	var ce client.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, client.ErrorCodeEventIndexCleared, ce.Code)
	assert.Equal(t, fmt.Sprintf("the requested history has been cleared [%d/%d]", first.Index+1, first.Index), ce.Cause)

	// The oldest event kept is still served.
	ev, err := kapi.Watcher("/churn", &client.WatcherOptions{AfterIndex: first.Index}).Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "0", ev.Node.Value)
}
