package main

// This file is the part to copy: Hooks that trace a client's calls with
// OpenTelemetry, and a RoundTripper that puts the trace context into each
// request's headers.

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/seed26e043ee/client"
)

// TracingHooks returns client.Hooks that start a span per call (named
// "etcd " and the operation, like "etcd keys.get") and a child span per
// request of the call, and add a span event for every watch resync and
// Sync decision. The request runs under its span's context, so the
// RoundTripper below (or otelhttp's) propagates it.
func TracingHooks(tracer trace.Tracer) *client.Hooks {
	return &client.Hooks{
		Call: func(ctx context.Context, call client.CallInfo) (context.Context, func(client.CallResult)) {
			ctx, span := tracer.Start(ctx, "etcd "+call.Op,
				trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(
					attribute.String("db.system.name", "etcd"),
					attribute.String("etcd.api", call.API.String()),
					attribute.String("etcd.op", call.Op),
					attribute.String("http.request.method", call.Method),
					attribute.String("etcd.key", call.Key),
				))
			return ctx, func(r client.CallResult) {
				span.SetAttributes(
					attribute.String("etcd.endpoint", r.Endpoint),
					attribute.Int("http.response.status_code", r.Status),
					attribute.Int("etcd.attempts", r.Attempts),
					attribute.Bool("etcd.pin_moved", r.PinMoved),
				)
				endSpan(span, r.Err)
			}
		},
		Attempt: func(ctx context.Context, a client.AttemptInfo) (context.Context, func(client.AttemptResult)) {
			ctx, span := tracer.Start(ctx, "etcd request",
				trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(
					attribute.Int("etcd.attempt", a.Attempt),
					attribute.Int("etcd.round", a.Round),
					attribute.String("etcd.endpoint", a.Endpoint),
					attribute.String("server.address", a.Host),
					attribute.Int("etcd.redirect", a.Redirect),
				))
			return ctx, func(r client.AttemptResult) {
				span.SetAttributes(
					attribute.Int("http.response.status_code", r.Status),
					attribute.String("network.protocol", r.Proto),
				)
				err := r.Err
				if err == nil && r.Status >= 500 {
					span.SetStatus(codes.Error, http.StatusText(r.Status))
				}
				endSpan(span, err)
			}
		},
		WatchResync: func(ctx context.Context, r client.WatchResyncInfo) {
			trace.SpanFromContext(ctx).AddEvent("etcd.watch.resync", trace.WithAttributes(
				attribute.String("etcd.key", r.Key),
				attribute.Int64("etcd.index", int64(r.Index)),
			))
		},
		Sync: func(ctx context.Context, s client.SyncInfo) {
			trace.SpanFromContext(ctx).AddEvent("etcd.sync", trace.WithAttributes(
				attribute.String("etcd.sync.outcome", s.Outcome),
				attribute.StringSlice("etcd.endpoints", s.Endpoints),
			))
		},
	}
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// PropagatingTransport sends requests through Base (http.DefaultTransport
// when nil) with the trace context of the request's context in its
// headers (W3C traceparent by default), so a proxy or gateway in front of
// etcd can join the trace. It is a plain http.RoundTripper: it goes in
// client.Config.RoundTripper.
type PropagatingTransport struct {
	Base       http.RoundTripper
	Propagator propagation.TextMapPropagator // nil: propagation.TraceContext{}
}

// RoundTrip implements http.RoundTripper.
func (t *PropagatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.Propagator
	if p == nil {
		p = propagation.TraceContext{}
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	// A RoundTripper must not change the request it was given.
	r := req.Clone(req.Context())
	p.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
	return base.RoundTrip(r)
}
