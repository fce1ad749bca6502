package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pollServer is a member whose watches answer only when the test says:
// each long poll, once its headers are out, hands the test a channel of
// its own and answers with the value sent on it.
type pollServer struct {
	*httptest.Server
	conns   atomic.Int32       // connections accepted
	waiting chan chan<- string // a waiting poll's channel
}

func newPollServer(t *testing.T) *pollServer {
	s := &pollServer{waiting: make(chan chan<- string, 100)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("wait") != "true" {
			w.Header().Set("X-Etcd-Index", "7")
			io.WriteString(w, `{"action":"get","node":{"key":"/k","value":"v","modifiedIndex":7,"createdIndex":7}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Index", "7")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		ch := make(chan string, 1)
		s.waiting <- ch
		select {
		case v := <-ch:
			fmt.Fprintf(w, `{"action":"set","node":{"key":"/k","value":%q,"modifiedIndex":8,"createdIndex":8}}`, v)
		case <-r.Context().Done():
		}
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// awaitPoll returns the channel of the next poll that waits.
func (s *pollServer) awaitPoll(t *testing.T) chan<- string {
	t.Helper()
	select {
	case ch := <-s.waiting:
		return ch
	case <-time.After(time.Minute):
		t.Error("no poll arrived within a minute")
		return make(chan string, 1)
	}
}

// TestLongPoll_reusesItsConnection: a client's own transport carries v2
// watches itself over plain HTTP: successive polls of one watcher share one
// connection, and the events come through whole.
func TestLongPoll_reusesItsConnection(t *testing.T) {
	s := newPollServer(t)
	c, err := New(Config{Endpoints: []string{s.URL}})
	require.NoError(t, err)
	require.NotNil(t, c.(*httpClusterClient).transport.longPoll)
	w := NewKeysAPI(c).Watcher("/k", nil)
	for i := range 3 {
		go func() { s.awaitPoll(t) <- fmt.Sprint("v", i) }()
		r, err := w.Next(context.Background())
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint("v", i), r.Node.Value)
	}
	assert.Equal(t, int32(1), s.conns.Load(), "three polls, one connection")
}

// TestLongPoll_contextEnds: a poll whose context ends is cut at once and
// its connection not reused; the next poll dials a new one.
func TestLongPoll_contextEnds(t *testing.T) {
	s := newPollServer(t)
	c, err := New(Config{Endpoints: []string{s.URL}})
	require.NoError(t, err)
	w := NewKeysAPI(c).Watcher("/k", nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { s.awaitPoll(t); cancel() }()
	_, err = w.Next(ctx)
	assert.ErrorIs(t, err, context.Canceled)

	go func() { s.awaitPoll(t) <- "after" }()
	r, err := w.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "after", r.Node.Value)
	assert.Equal(t, int32(2), s.conns.Load())
}

// TestLongPoll_staleIdleConnection: a member that closed an idle
// connection meanwhile costs nothing: the poll goes out again on a new one.
func TestLongPoll_staleIdleConnection(t *testing.T) {
	s := newPollServer(t)
	c, err := New(Config{Endpoints: []string{s.URL}})
	require.NoError(t, err)
	w := NewKeysAPI(c).Watcher("/k", nil)
	go func() { s.awaitPoll(t) <- "one" }()
	_, err = w.Next(context.Background())
	require.NoError(t, err)
	s.CloseClientConnections()
	go func() { s.awaitPoll(t) <- "two" }()
	r, err := w.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "two", r.Node.Value)
}

// TestLongPoll_noTransportGoroutines: many waiting watchers of one client
// hold no goroutine of net/http's (its read and write loops, two per
// connection), only their callers'.
func TestLongPoll_noTransportGoroutines(t *testing.T) {
	s := newPollServer(t)
	c, err := New(Config{Endpoints: []string{s.URL}})
	require.NoError(t, err)
	const n = 20
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			NewKeysAPI(c).Watcher("/k", nil).Next(ctx)
		})
	}
	for range n {
		s.awaitPoll(t)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	cancel()
	wg.Wait()
	assert.Zero(t, strings.Count(stacks, "net/http.(*persistConn).readLoop"), "net/http read loops while %d watchers wait", n)
	assert.Zero(t, strings.Count(stacks, "net/http.(*persistConn).writeLoop"), "net/http write loops while %d watchers wait", n)
}

// TestLongPoll_fallback: a proxied request, and anything but plain http,
// goes through net/http as every other call.
func TestLongPoll_fallback(t *testing.T) {
	fb := newFakeTransport()
	fb.handler = func(*http.Request) (*http.Response, error) { return nil, errors.New("fallback") }
	lp := &longPollTransport{fallback: fb, idle: map[string][]*pollConn{},
		proxy: func(r *http.Request) (*url.URL, error) {
			if r.URL.Host == "proxied:2379" {
				return url.Parse("http://proxy:3128")
			}
			return nil, nil
		},
		dial: func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("dialled") },
	}
	for _, u := range []string{"http://proxied:2379/v2/keys/k", "https://member:2379/v2/keys/k"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		_, err := lp.RoundTrip(req)
		assert.EqualError(t, err, "fallback", u)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://member:2379/v2/keys/k", nil)
	_, err := lp.RoundTrip(req)
	assert.ErrorContains(t, err, "dialled")
	assert.Len(t, fb.requests(), 2)
}

// A caller's own transport keeps carrying its watches.
func TestLongPoll_notForCallersTransport(t *testing.T) {
	c, err := New(Config{Endpoints: []string{"http://127.0.0.1:2379"}, Transport: &http.Transport{}})
	require.NoError(t, err)
	assert.Nil(t, c.(*httpClusterClient).transport.longPoll)
}

// TestLongPoll_headerBound: a member that sends a header without end is
// cut off after 1 MB, as net/http's transport does.
func TestLongPoll_headerBound(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nX-Endless: ")
		chunk := strings.Repeat("x", 64<<10)
		for {
			if _, err := io.WriteString(conn, chunk); err != nil {
				return
			}
		}
	}()
	c, err := New(Config{Endpoints: []string{"http://" + l.Addr().String()}})
	require.NoError(t, err)
	_, err = NewKeysAPI(c).Watcher("/k", nil).Next(context.Background())
	assert.ErrorContains(t, err, "larger than 1 MB")
}
