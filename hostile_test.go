package client

// A hostile (or broken) member: every answer below is something a real
// etcd never sends. Each must end the call with a clear error, never a
// panic, a hang past the caller's context, unbounded memory or a leaked
// goroutine (the package's TestMain checks for those).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// hostileOKBody is acceptable to every call the suite makes: keys, members
// and version decoders each pick their own fields.
const hostileOKBody = `{"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":3,"createdIndex":3},"members":[],"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`

// hostileCalls are the calls every hostile answer is tried against.
var hostileCalls = []struct {
	name string
	do   func(ctx context.Context, c Client) error
}{
	{"keys_get", func(ctx context.Context, c Client) error {
		_, err := NewKeysAPI(c).Get(ctx, "/foo", nil)
		return err
	}},
	{"keys_watch", func(ctx context.Context, c Client) error {
		_, err := NewKeysAPI(c).Watcher("/foo", nil).Next(ctx)
		return err
	}},
	{"members_list", func(ctx context.Context, c Client) error {
		_, err := NewMembersAPI(c).List(ctx)
		return err
	}},
	{"version", func(ctx context.Context, c Client) error {
		_, err := c.GetVersion(ctx)
		return err
	}},
}

// hijackRaw writes raw bytes as the whole HTTP answer and closes the
// connection, for answers net/http would refuse to produce.
func hijackRaw(raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		bw.WriteString(raw)
		bw.Flush()
	}
}

// hijackRawHold is hijackRaw that keeps the connection open until the
// client closes it (or a few seconds pass), so the client cannot rely on
// seeing EOF.
func hijackRawHold(raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		bw.WriteString(raw)
		bw.Flush()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, conn)
	}
}

func writeOK(w http.ResponseWriter, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Etcd-Index", "3")
	io.WriteString(w, body)
}

func TestHostileServer(t *testing.T) {
	garbage := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	huge1MB := strings.Repeat("a", 1<<20)

	isErr := func(target error) func(call string, err error) error {
		return func(call string, err error) error {
			if !errors.Is(err, target) {
				return fmt.Errorf("want errors.Is %v", target)
			}
			return nil
		}
	}
	contains := func(s string) func(call string, err error) error {
		return func(call string, err error) error {
			if err == nil || !strings.Contains(err.Error(), s) {
				return fmt.Errorf("want an error containing %q", s)
			}
			return nil
		}
	}
	anyErr := func(call string, err error) error {
		if err == nil {
			return errors.New("want an error")
		}
		return nil
	}
	noErr := func(call string, err error) error {
		if err != nil {
			return errors.New("want success: the oddity is harmless")
		}
		return nil
	}

	tests := []struct {
		name    string
		handler http.Handler
		maxBody int64
		timeout time.Duration
		check   func(call string, err error) error
	}{
		{
			name:    "garbage_body",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeOK(w, "application/json", string(garbage)) }),
			check:   isErr(ErrInvalidJSON),
		},
		{
			name: "html_with_200",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeOK(w, "text/html", "<!DOCTYPE html><html><body>Welcome to nginx!</body></html>")
			}),
			check: isErr(ErrInvalidJSON),
		},
		{
			name:    "json_array",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeOK(w, "application/json", `[1,2,3]`) }),
			check:   isErr(ErrInvalidJSON),
		},
		{
			name: "json_wrong_types",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeOK(w, "application/json", `{"action":7,"node":5,"members":7,"etcdserver":[],"etcdcluster":{}}`)
			}),
			check: isErr(ErrInvalidJSON),
		},
		{
			name: "json_nested_deeply",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeOK(w, "application/json", strings.Repeat("[", 100000)+strings.Repeat("]", 100000))
			}),
			check: isErr(ErrInvalidJSON),
		},
		{
			name:    "truncated_content_length",
			handler: hijackRaw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"action\":\"get\",\"node\":"),
			check:   isErr(io.ErrUnexpectedEOF),
		},
		{
			name:    "truncated_chunked",
			handler: hijackRaw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{\"action\":\"get\""),
			check:   isErr(io.ErrUnexpectedEOF),
		},
		{
			name:    "announced_huge",
			handler: hijackRawHold("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1099511627776\r\n\r\n{\"action\":"),
			maxBody: 64 << 10,
			check:   isErr(ErrResponseTooLarge),
		},
		{
			name:    "endless_body",
			handler: endlessHandler{},
			maxBody: 64 << 10,
			check:   isErr(ErrResponseTooLarge),
		},
		{
			name:    "slow_drip",
			handler: slowDripHandler{every: 20 * time.Millisecond},
			timeout: 300 * time.Millisecond,
			check: func(call string, err error) error {
				if err != context.DeadlineExceeded {
					return errors.New("want exactly context.DeadlineExceeded")
				}
				return nil
			},
		},
		{
			name: "redirect_loop",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, r.URL.String(), http.StatusTemporaryRedirect)
			}),
			check: isErr(ErrTooManyRedirects),
		},
		{
			name: "invalid_location",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "http://[::1:bad")
				w.WriteHeader(http.StatusTemporaryRedirect)
			}),
			check: contains("Location header not valid URL"),
		},
		{
			name:    "found_without_location",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) }),
			check:   contains("Location header not set"),
		},
		{
			name: "huge_junk_header",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Junk", huge1MB)
				writeOK(w, "application/json", hostileOKBody)
			}),
			check: noErr,
		},
		{
			name: "huge_index_header",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Etcd-Index", strings.Repeat("9", 1<<20))
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, hostileOKBody)
			}),
			check: func(call string, err error) error {
				// Only the keys API reads the index.
				if strings.HasPrefix(call, "keys_") {
					return anyErr(call, err)
				}
				return noErr(call, err)
			},
		},
		{
			name: "headers_over_transport_limit",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for i := range 11 {
					w.Header().Set(fmt.Sprintf("X-Junk-%d", i), huge1MB)
				}
				writeOK(w, "application/json", hostileOKBody)
			}),
			check: contains("exceeded"),
		},
		{
			name:    "malformed_status_line",
			handler: hijackRaw("garbage\r\n\r\n"),
			check:   contains("malformed HTTP"),
		},
		{
			name:    "status_999",
			handler: hijackRaw("HTTP/1.1 999 Weird\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"),
			check:   anyErr,
		},
		{
			name:    "switching_protocols_unasked",
			handler: hijackRaw("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x01garbage"),
			check:   anyErr,
		},
		{
			name:    "negative_content_length",
			handler: hijackRaw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{}"),
			check:   contains("Content-Length"),
		},
		{
			name:    "conflicting_content_lengths",
			handler: hijackRaw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
			check:   contains("Content-Length"),
		},
		{
			name: "informational_then_ok",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				writeOK(w, "application/json", hostileOKBody)
			}),
			check: noErr,
		},
		{
			name: "bad_gzip",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				writeOK(w, "application/json", "this is not gzip")
			}),
			check: contains("gzip"),
		},
		{
			name: "server_error_with_garbage",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write(garbage)
			}),
			check: contains("has no leader"),
		},
		{
			name: "no_content_for_a_read",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			}),
			check: anyErr,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			for _, call := range hostileCalls {
				t.Run(call.name, func(t *testing.T) {
					tr := &http.Transport{}
					defer tr.CloseIdleConnections()
					c, err := New(Config{Endpoints: []string{srv.URL}, Transport: tr, MaxResponseBytes: tc.maxBody})
					if err != nil {
						t.Fatalf("New = %v", err)
					}
					timeout := tc.timeout
					if timeout == 0 {
						timeout = 20 * time.Second
					}
					ctx, cancel := context.WithTimeout(context.Background(), timeout)
					defer cancel()
					// A call that ignores its deadline hangs the test; one
					// that honours it returns the context's error (check).
					err = call.do(ctx, c)
					if problem := tc.check(call.name, err); problem != nil {
						t.Errorf("%s against %s = %T %.300v; %v", call.name, tc.name, err, err, problem)
					}
				})
			}
		})
	}
}

// endlessHandler sends a body that never ends, until the client goes.
type endlessHandler struct{}

func (endlessHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	chunk := []byte(strings.Repeat(`{"action":"get",`, 2048))
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// slowDripHandler sends its body one byte at a time, forever.
type slowDripHandler struct{ every time.Duration }

func (h slowDripHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(h.every)
	defer tick.Stop()
	for {
		if _, err := w.Write([]byte{' '}); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

func TestHostileServer_endlessBodyMemoryBounded(t *testing.T) {
	srv := httptest.NewServer(endlessHandler{})
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	const limit = 1 << 20
	c, err := New(Config{Endpoints: []string{srv.URL}, Transport: tr, MaxResponseBytes: limit})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 5 {
		if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); !errors.Is(err, ErrResponseTooLarge) {
			t.Fatalf("Get = %v, want ErrResponseTooLarge", err)
		}
	}
	runtime.ReadMemStats(&after)
	// Each call may hold up to about twice the limit while its buffer
	// grows; the server side allocates little. Far below what reading
	// without a cap would take in the time the calls ran.
	if got := after.TotalAlloc - before.TotalAlloc; got > 5*8*limit {
		t.Errorf("5 capped calls allocated %d bytes, want at most %d", got, 5*8*limit)
	}
}

func TestHostileServer_droppedConnectionFailsOver(t *testing.T) {
	// A member that drops every connection mid-answer is skipped; the
	// healthy one answers the call.
	dropper := httptest.NewServer(hijackRaw("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"))
	t.Cleanup(dropper.Close)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, "application/json", hostileOKBody)
	}))
	t.Cleanup(healthy.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(Config{Endpoints: []string{dropper.URL, healthy.URL}, Transport: tr})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	for i := range 4 {
		r, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil)
		if err != nil || r.Node == nil || r.Node.Value != "bar" {
			t.Fatalf("Get #%d = %v, %v; want the healthy member's answer", i, r, err)
		}
	}
}

// Ensure the raw helpers produce what they claim, so the table above
// tests the client and not a broken server.
func TestHostileServer_rawAnswersAreRaw(t *testing.T) {
	srv := httptest.NewServer(hijackRaw("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc"))
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("Dial = %v", err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("ReadResponse = %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if string(b) != "abc" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("body = %q, %v; want \"abc\" and io.ErrUnexpectedEOF", b, err)
	}
}
