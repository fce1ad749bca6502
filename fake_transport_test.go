package client

// The in-memory test double shared by the unit tests: fakeTransport, a
// scripted CancelableTransport that never opens a socket. Tests that need
// real sockets use setup (setup_test.go).

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeReply is one scripted answer of fakeTransport.
type fakeReply struct {
	status int         // 0 means 200 (ignored when err or block is set)
	header http.Header // copied into the response
	body   string
	err    error // returned by RoundTrip instead of a response

	// block makes RoundTrip wait until the request's context ends and
	// return its error, like a member that never sends headers.
	block bool

	// chunked leaves ContentLength at -1, as for a streamed answer.
	chunked bool

	// bodyBlock makes the response body block on Read until the request's
	// context ends: headers arrived, the body never does.
	bodyBlock bool

	// bodyReading, when not nil, is closed at the first Read of a
	// bodyBlock body: the client has its headers and waits for the body.
	bodyReading chan struct{}
}

// fakeRequest is what fakeTransport saw of one request.
type fakeRequest struct {
	Method   string
	URL      string // req.URL.String(): escaped path and query as sent
	Host     string
	Path     string // req.URL.Path, unescaped
	RawQuery string
	Header   http.Header
	Body     string
}

// fakeTransport answers each request with the next reply scripted for the
// request's host; the last reply of a host repeats. It records every
// request and counts open response bodies. Safe for concurrent use.
type fakeTransport struct {
	mu      sync.Mutex // guards script, reqs
	script  map[string][]fakeReply
	reqs    []fakeRequest
	handler func(*http.Request) (*http.Response, error) // when set, answers instead of script

	open        atomic.Int64 // response bodies handed out and not closed yet
	cancelCalls atomic.Int64 // calls of the deprecated CancelRequest
}

func newFakeTransport() *fakeTransport {
	return &fakeTransport{script: make(map[string][]fakeReply)}
}

// on scripts the replies of the endpoint host (like "127.0.0.1:1").
func (f *fakeTransport) on(host string, replies ...fakeReply) *fakeTransport {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[host] = append(f.script[host], replies...)
	return f
}

// requests returns a copy of the requests recorded so far.
func (f *fakeTransport) requests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.reqs...)
}

// hosts returns the host of every recorded request, in order.
func (f *fakeTransport) hosts() []string {
	var hs []string
	for _, r := range f.requests() {
		hs = append(hs, r.Host)
	}
	return hs
}

func (f *fakeTransport) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = nil
}

func (f *fakeTransport) CancelRequest(*http.Request) { f.cancelCalls.Add(1) }

func (f *fakeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := fakeRequest{
		Method:   req.Method,
		URL:      req.URL.String(),
		Host:     req.URL.Host,
		Path:     req.URL.Path,
		RawQuery: req.URL.RawQuery,
		Header:   req.Header.Clone(),
	}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		rec.Body = string(b)
	}

	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	handler := f.handler
	var reply fakeReply
	replies, ok := f.script[req.URL.Host]
	if ok && len(replies) > 0 {
		reply = replies[0]
		if len(replies) > 1 {
			f.script[req.URL.Host] = replies[1:]
		}
	}
	f.mu.Unlock()

	if handler != nil {
		resp, err := handler(req)
		if resp != nil {
			resp.Body = f.track(resp.Body)
		}
		return resp, err
	}
	if !ok {
		return nil, fmt.Errorf("fakeTransport: no reply scripted for host %q", req.URL.Host)
	}
	if reply.block {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	if reply.err != nil {
		return nil, reply.err
	}
	resp := &http.Response{
		StatusCode:    reply.status,
		Status:        "",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        reply.header.Clone(),
		ContentLength: int64(len(reply.body)),
		Request:       req,
	}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	resp.Status = strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	var body io.ReadCloser = io.NopCloser(strings.NewReader(reply.body))
	if reply.chunked || reply.bodyBlock {
		resp.ContentLength = -1
	}
	if reply.bodyBlock {
		body = &fakeBlockingBody{done: req.Context().Done(), reading: reply.bodyReading}
	}
	resp.Body = f.track(body)
	return resp, nil
}

func (f *fakeTransport) track(rc io.ReadCloser) io.ReadCloser {
	f.open.Add(1)
	return &fakeTrackedBody{ReadCloser: rc, open: &f.open}
}

// fakeTrackedBody lowers the open-body count once, on the first Close.
type fakeTrackedBody struct {
	io.ReadCloser
	once sync.Once
	open *atomic.Int64
}

func (b *fakeTrackedBody) Close() error {
	b.once.Do(func() { b.open.Add(-1) })
	return b.ReadCloser.Close()
}

// fakeBlockingBody is a body whose bytes never come. When the request is
// cancelled, Read fails with a transport-style error rather than the
// context's, as real connections do, so the client must report ctx.Err()
// itself.
type fakeBlockingBody struct {
	done    <-chan struct{}
	reading chan struct{} // closed at the first Read; may be nil
	once    sync.Once
}

var errFakeBodyAborted = errors.New("fake: read on closed connection")

func (b *fakeBlockingBody) Read([]byte) (int, error) {
	if b.reading != nil {
		b.once.Do(func() { close(b.reading) })
	}
	<-b.done
	return 0, errFakeBodyAborted
}

func (b *fakeBlockingBody) Close() error { return nil }

// fakeJSON is a 200 reply with a JSON body and etcd's usual headers.
func fakeJSON(status int, body string, index string) fakeReply {
	h := http.Header{"Content-Type": {"application/json"}, "X-Etcd-Cluster-Id": {"48276a8f75b6a87"}}
	if index != "" {
		h.Set("X-Etcd-Index", index)
	}
	return fakeReply{status: status, header: h, body: body}
}

// newFakeClient returns a client over ft whose endpoint order is eps
// exactly (New shuffles; tests of pinning need a known order).
func newFakeClient(t *testing.T, ft *fakeTransport, cfg Config, eps ...string) *httpClusterClient {
	t.Helper()
	cfg.Transport = ft
	cfg.Endpoints = eps
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%v) = %v", eps, err)
	}
	hc := c.(*httpClusterClient)
	fakeForceOrder(t, hc, eps)
	return hc
}

// fakeForceOrder replaces the client's shuffled list by eps in this order,
// pinned to index 0.
func fakeForceOrder(t *testing.T, c *httpClusterClient, eps []string) {
	t.Helper()
	urls, err := parseEndpoints(eps)
	if err != nil {
		t.Fatalf("parseEndpoints(%v) = %v", eps, err)
	}
	c.mu.Lock()
	c.state.Store(newState(urls, 0))
	c.mu.Unlock()
}

// fakePinned is the endpoint the next call starts at.
func fakePinned(c *httpClusterClient) string {
	st := c.state.Load()
	return st.strs[int(st.pinned.Load())%len(st.strs)]
}

// fakeFixture reads a captured answer of etcd 3.4.23: its status, headers and
// body, byte for byte.
func fakeFixture(t *testing.T, name string) (int, http.Header, []byte) {
	t.Helper()
	body, err := fakeReadFixtureFile(name + ".json")
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	raw, err := fakeReadFixtureFile(name + ".headers")
	if err != nil {
		return http.StatusOK, http.Header{}, body
	}
	lines := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	var status int
	if _, err := fmt.Sscanf(lines[0], "HTTP/1.1 %d", &status); err != nil {
		t.Fatalf("fixture %s: status line %q: %v", name, lines[0], err)
	}
	h := http.Header{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ": ")
		if ok {
			h.Add(k, v)
		}
	}
	return status, h, body
}

// fakeFixtureReply turns a captured answer into a fakeReply.
func fakeFixtureReply(t *testing.T, name string) fakeReply {
	t.Helper()
	status, h, body := fakeFixture(t, name)
	h.Del("Content-Length")
	h.Del("Transfer-Encoding")
	return fakeReply{status: status, header: h, body: string(body)}
}

var errFakeRefused = errors.New("fake: connection refused")

func fakeReadFixtureFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", "etcd-3.4.23", name))
}
