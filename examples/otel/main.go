// Command otel traces an etcd client's calls with OpenTelemetry: a span
// per call and a child span per request, through client.Hooks, with the
// trace context propagated in each request's headers.
//
// With ETCD_ENDPOINTS set (comma-separated client URLs) it talks to that
// cluster; without it, to an in-process server from package clienttest.
// It prints the spans it recorded:
//
//	go run .
//	ETCD_ENDPOINTS=http://127.0.0.1:2379 go run .
//
// This is its own module, so that the client itself stays
// standard-library-only.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

func main() {
	endpoints := strings.Split(os.Getenv("ETCD_ENDPOINTS"), ",")
	if endpoints[0] == "" {
		srv, err := clienttest.Start()
		if err != nil {
			log.Fatal(err)
		}
		defer srv.Close()
		endpoints = srv.Endpoints()
		fmt.Println("no ETCD_ENDPOINTS: using an in-process server")
	}

	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := client.New(client.Config{
		Endpoints:    endpoints,
		RoundTripper: &PropagatingTransport{Base: tr},
		Hooks:        TracingHooks(tp.Tracer("github.com/seed26e043ee/client/examples/otel")),
	})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)

	ctx, root := tp.Tracer("example").Start(context.Background(), "work")
	if _, err := kapi.Set(ctx, "/otel/greeting", "hello", nil); err != nil {
		log.Fatal(err)
	}
	if _, err := kapi.Get(ctx, "/otel/greeting", nil); err != nil {
		log.Fatal(err)
	}
	root.End()

	for _, s := range exp.GetSpans() {
		fmt.Printf("%s span=%s parent=%s %s\n", s.SpanContext.TraceID(), s.SpanContext.SpanID(), s.Parent.SpanID(), s.Name)
	}
}
