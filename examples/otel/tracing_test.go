package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// headerRecorder records the traceparent header of every request.
type headerRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (h *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.seen = append(h.seen, req.Header.Get("Traceparent"))
	h.mu.Unlock()
	return h.base.RoundTrip(req)
}

func newTracedClient(t *testing.T, eps []string) (client.KeysAPI, *tracetest.InMemoryExporter, *headerRecorder, trace.Tracer) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	rec := &headerRecorder{base: tr}
	c, err := client.New(client.Config{
		Endpoints:    eps,
		RoundTripper: &PropagatingTransport{Base: rec},
		Hooks:        TracingHooks(tp.Tracer("test")),
	})
	if err != nil {
		t.Fatal(err)
	}
	return client.NewKeysAPI(c), exp, rec, tp.Tracer("caller")
}

func TestTracingHooks_spanPerCallAndAttempt(t *testing.T) {
	srv, err := clienttest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	kapi, exp, rec, tracer := newTracedClient(t, srv.Endpoints())

	ctx, root := tracer.Start(context.Background(), "caller")
	if _, err := kapi.Set(ctx, "/a", "1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := kapi.Get(ctx, "/a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := kapi.Get(ctx, "/missing", nil); !client.IsKeyNotFound(err) {
		t.Fatalf("Get(/missing) = %v, want key not found", err)
	}
	root.End()

	spans := exp.GetSpans()
	byID := make(map[trace.SpanID]tracetest.SpanStub)
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	var calls, attempts []tracetest.SpanStub
	for _, s := range spans {
		switch s.Name {
		case "etcd keys.set", "etcd keys.get":
			calls = append(calls, s)
		case "etcd request":
			attempts = append(attempts, s)
		}
	}
	if len(calls) != 3 || len(attempts) != 3 {
		t.Fatalf("spans: %d calls, %d requests; want 3 and 3", len(calls), len(attempts))
	}
	for _, c := range calls {
		if c.Parent.SpanID() != root.SpanContext().SpanID() {
			t.Errorf("call span %s has parent %s, want the caller's span", c.Name, c.Parent.SpanID())
		}
		if c.SpanKind != trace.SpanKindClient {
			t.Errorf("call span kind = %v", c.SpanKind)
		}
	}
	// The requests' headers carry each request span's context.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, a := range attempts {
		parent, ok := byID[a.Parent.SpanID()]
		if !ok || (parent.Name != "etcd keys.set" && parent.Name != "etcd keys.get") {
			t.Errorf("request span %d has parent %q, want a call span", i, parent.Name)
		}
		want := "00-" + a.SpanContext.TraceID().String() + "-" + a.SpanContext.SpanID().String() + "-01"
		if rec.seen[i] != want {
			t.Errorf("request %d traceparent = %q, want %q", i, rec.seen[i], want)
		}
	}
	// "key not found" is an answer, not a failed call.
	if calls[2].Status.Code == codes.Error {
		t.Errorf("the call answered 404 is marked as an error: %v", calls[2].Status)
	}
}

func TestTracingHooks_failedCall(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close() // nothing listens there any more: the connection is refused
	kapi, exp, _, _ := newTracedClient(t, []string{dead})

	if _, err := kapi.Get(context.Background(), "/a", nil); err == nil {
		t.Fatal("Get on a dead endpoint succeeded")
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the call's and its request's", len(spans))
	}
	req, call := spans[0], spans[1]
	if req.Parent.SpanID() != call.SpanContext.SpanID() {
		t.Errorf("request span's parent = %s, want the call span %s", req.Parent.SpanID(), call.SpanContext.SpanID())
	}
	for _, s := range spans {
		if s.Status.Code != codes.Error || len(s.Events) == 0 || s.Events[0].Name != "exception" {
			t.Errorf("span %q: status %v, events %v; want an error with the exception recorded", s.Name, s.Status, s.Events)
		}
	}
}
