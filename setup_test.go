package client

// setup is the one real-socket test server of the unit tests, after
// go-github's pattern: a test registers handlers on s.mux and drives the
// Client it got back. The mux is served only below an endpoint path of
// its own, testPrefix, so a request built with an absolute path instead
// of one joined onto the endpoint's misses it and fails the test.

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// testPrefix is the endpoint path setup serves below.
const testPrefix = "/proxy"

// testRequest is what a testServer saw of one request. Paths are below
// testPrefix.
type testRequest struct {
	Method      string
	Path        string // r.URL.Path, unescaped
	RequestURI  string // path and query as on the wire
	RawQuery    string
	ContentType string
	Auth        string // the Authorization header
	Body        string
}

// testServer is an httptest server that records every request and hands
// those below testPrefix, with the prefix removed, to mux.
type testServer struct {
	*httptest.Server
	mux      *http.ServeMux
	endpoint string // URL + testPrefix: what a client is given

	mu   sync.Mutex // guards reqs
	reqs []testRequest
}

// requests returns a copy of the requests recorded so far, in arrival
// order.
func (s *testServer) requests() []testRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// bodies returns the body of every recorded request, in arrival order.
func (s *testServer) bodies() []string {
	var out []string
	for _, r := range s.requests() {
		out = append(out, r.Body)
	}
	return out
}

type setupOptions struct {
	cfg Config
}

// setupOption changes what setup builds.
type setupOption func(*setupOptions)

// withConfig is the base of the returned client's Config: credentials,
// transport, redirect policy. Endpoints, when empty, become the server's.
func withConfig(cfg Config) setupOption {
	return func(o *setupOptions) { o.cfg = cfg }
}

// setup starts a recording server (closed when the test ends) and returns
// it with a Client for its endpoint. A request outside the prefix fails
// the test and gets a 418 without reaching the mux.
func setup(t *testing.T, opts ...setupOption) (*testServer, Client) {
	t.Helper()
	var o setupOptions
	for _, opt := range opts {
		opt(&o)
	}
	s := &testServer{mux: http.NewServeMux()}
	inner := http.StripPrefix(testPrefix, s.mux)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the body of %s %s: %v", r.Method, r.RequestURI, err)
		}
		if !strings.HasPrefix(r.RequestURI, testPrefix+"/") {
			t.Errorf("request %s %s misses the endpoint path %q", r.Method, r.RequestURI, testPrefix)
			http.Error(w, "not under the endpoint path", http.StatusTeapot)
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, testRequest{
			Method:      r.Method,
			Path:        strings.TrimPrefix(r.URL.Path, testPrefix),
			RequestURI:  strings.TrimPrefix(r.RequestURI, testPrefix),
			RawQuery:    r.URL.RawQuery,
			ContentType: r.Header.Get("Content-Type"),
			Auth:        r.Header.Get("Authorization"),
			Body:        string(body),
		})
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	s.endpoint = s.URL + testPrefix

	cfg := o.cfg
	if len(cfg.Endpoints) == 0 {
		cfg.Endpoints = []string{s.endpoint}
	}
	return s, newTestClient(t, cfg)
}

// newTestClient is New for tests: it fails the test on an error and, when
// cfg has no transport, gives the client a private one. An *http.Transport
// gets its idle connections closed when the test ends, so goleak sees no
// leftovers.
func newTestClient(t *testing.T, cfg Config) Client {
	t.Helper()
	if cfg.Transport == nil {
		cfg.Transport = &http.Transport{}
	}
	if tr, ok := cfg.Transport.(*http.Transport); ok {
		t.Cleanup(tr.CloseIdleConnections)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%q) = %v", cfg.Endpoints, err)
	}
	return c
}
