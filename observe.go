package client

// This file turns what the client does into Config.Logger's records and
// calls of Config.Hooks. The cluster layer, Sync and the resilient watcher
// report to it through the methods of *observer, each of which does
// nothing on a nil observer: a client with neither logger nor hooks pays
// one nil check per report point and allocates nothing for it.
//
// Levels: Debug for every call and request that went well, redirects and
// uneventful Syncs; Info for pin moves, failed calls, adopted endpoint
// lists, abandoned long polls and Syncs cut short; Warn for a member that
// failed (with the cause), a Retry round after every member failed,
// advertised URLs or a leader this client cannot reach, and a watch
// resync. Records carry endpoints with passwords masked, never a request's
// credentials, body or query (a compare-and-swap's query holds the old
// value).

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seed26e043ee/client/internal/syncevent"
)

// observer holds a client's logger and hooks; nil when it has neither.
type observer struct {
	log   *slog.Logger // nil: no records
	hooks Hooks
	api   API // the client's, for records not about one request
}

func newObserver(l *slog.Logger, h *Hooks, api API) *observer {
	o := &observer{log: l, api: api}
	if h != nil {
		o.hooks = *h
	}
	if o.log == nil && o.hooks.Call == nil && o.hooks.Attempt == nil && o.hooks.WatchResync == nil && o.hooks.Sync == nil {
		return nil
	}
	return o
}

// callTrace is what the observer knows about one call in progress. The
// requests of a call are sent one after another, so it needs no lock.
type callTrace struct {
	info     CallInfo
	start    time.Time
	attempts int
	round    int
	endpoint string // masked endpoint of the latest request
	pinMoved bool
}

type callTraceKey struct{}

func traceOf(ctx context.Context) *callTrace {
	ct, _ := ctx.Value(callTraceKey{}).(*callTrace)
	return ct
}

func callInfoOf(act *action) CallInfo {
	if act.foreign != nil {
		return CallInfo{API: act.api, Op: "do"}
	}
	op := act.op
	if op == "" {
		op = act.method
	}
	key := act.name
	if act.api == APIv3 {
		key = act.subject
	}
	return CallInfo{API: act.api, Op: op, Method: act.method, Key: key}
}

// do runs one call through next (the cluster layer's rounds) under the
// observer: it starts the call's hook, puts the call's trace in ctx for
// the report points below, and reports the end.
func (o *observer) do(ctx context.Context, act *action, next func(context.Context, *action) (*http.Response, []byte, error)) (*http.Response, []byte, error) {
	ct := &callTrace{info: callInfoOf(act), start: time.Now(), round: 1}
	ctx = context.WithValue(ctx, callTraceKey{}, ct)
	var done func(CallResult)
	if o.hooks.Call != nil {
		var hctx context.Context
		if hctx, done = o.hooks.Call(ctx, ct.info); hctx != nil {
			ctx = hctx
		}
	}
	resp, body, err := next(ctx, act)
	res := CallResult{Err: err, Attempts: ct.attempts, PinMoved: ct.pinMoved, Duration: time.Since(ct.start)}
	if err == nil {
		res.Endpoint, res.Status = ct.endpoint, resp.StatusCode
	}
	if o.log != nil {
		level, msg := slog.LevelDebug, "etcd call"
		if err != nil && ctx.Err() == nil {
			level, msg = slog.LevelInfo, "etcd call failed"
		}
		if o.log.Enabled(ctx, level) {
			attrs := append(callAttrs(ct.info, make([]slog.Attr, 0, 10)),
				slog.String("endpoint", res.Endpoint),
				slog.Int("status", res.Status),
				slog.Int("attempts", res.Attempts),
				slog.Duration("duration", res.Duration))
			if res.PinMoved {
				attrs = append(attrs, slog.Bool("pin_moved", true))
			}
			if err != nil {
				attrs = append(attrs, errAttr(err))
			}
			o.log.LogAttrs(ctx, level, msg, attrs...)
		}
	}
	if done != nil {
		done(res)
	}
	return resp, body, err
}

func callAttrs(ci CallInfo, attrs []slog.Attr) []slog.Attr {
	attrs = append(attrs, slog.String("api", apiName(ci.API)), slog.String("op", ci.Op))
	if ci.Method != "" {
		attrs = append(attrs, slog.String("method", ci.Method))
	}
	if ci.Key != "" {
		attrs = append(attrs, slog.String("key", ci.Key))
	}
	return attrs
}

// attemptTrace is one request in progress; nil when not observed.
type attemptTrace struct {
	o     *observer
	ct    *callTrace
	info  AttemptInfo
	start time.Time
	done  func(AttemptResult)
}

// startAttempt reports that req, a request of the call in ctx to the
// member at endpoint (hop 0) or a redirect of it, is about to be sent. It
// returns the context to send it under. Requests outside a call (Sync's
// probes) are not reported.
func (o *observer) startAttempt(ctx context.Context, endpoint string, req *http.Request, hop int) (context.Context, *attemptTrace) {
	if o == nil {
		return ctx, nil
	}
	ct := traceOf(ctx)
	if ct == nil {
		return ctx, nil
	}
	ct.attempts++
	ct.endpoint = maskEndpoint(endpoint)
	at := &attemptTrace{o: o, ct: ct, start: time.Now(), info: AttemptInfo{
		Call:     ct.info,
		Attempt:  ct.attempts,
		Round:    ct.round,
		Endpoint: ct.endpoint,
		Host:     req.URL.Host,
		Redirect: hop,
	}}
	if o.hooks.Attempt != nil {
		hctx, done := o.hooks.Attempt(ctx, at.info)
		if hctx != nil {
			ctx = hctx
		}
		at.done = done
	}
	return ctx, at
}

// end reports how the request ended: resp and err as transport.send
// returned them, ctx the caller's context (not the request's).
func (at *attemptTrace) end(ctx context.Context, resp *http.Response, err error) {
	if at == nil {
		return
	}
	res := AttemptResult{Err: err, Duration: time.Since(at.start)}
	if resp != nil {
		res.Status, res.Proto = resp.StatusCode, resp.Proto
	}
	if log := at.o.log; log != nil {
		level, msg := slog.LevelDebug, "etcd request"
		switch {
		case err != nil && ctx.Err() != nil:
			msg = "etcd request ended with the caller's context"
		case err != nil:
			level, msg = slog.LevelWarn, "etcd member failed"
		case res.Status/100 == 5:
			level, msg = slog.LevelWarn, "etcd member answered with a server error"
		case res.Status/100 == 3:
			msg = "etcd member redirected"
		}
		if log.Enabled(ctx, level) {
			attrs := append(callAttrs(at.info.Call, make([]slog.Attr, 0, 14)),
				slog.String("endpoint", at.info.Endpoint),
				slog.Int("attempt", at.info.Attempt),
				slog.Int("round", at.info.Round),
				slog.Duration("duration", res.Duration))
			if at.info.Redirect > 0 {
				attrs = append(attrs, slog.String("host", at.info.Host), slog.Int("redirect", at.info.Redirect))
			}
			if resp != nil {
				attrs = append(attrs, slog.Int("status", res.Status), slog.String("proto", res.Proto))
				if res.Status/100 == 3 {
					attrs = append(attrs, slog.String("location_host", locationHost(resp)))
				}
			}
			if err != nil {
				attrs = append(attrs, errAttr(err))
			}
			log.LogAttrs(ctx, level, msg, attrs...)
		}
	}
	if at.done != nil {
		at.done(res)
	}
}

// locationHost returns the host a redirect points to: never the whole
// Location, whose query may hold a compare-and-swap's value.
func locationHost(resp *http.Response) string {
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return ""
	}
	if loc.Host == "" && resp.Request != nil && resp.Request.URL != nil {
		return resp.Request.URL.Host
	}
	return loc.Host
}

// retrying reports that a round of the call in ctx failed on every member
// and the next one follows after backoff.
func (o *observer) retrying(ctx context.Context, backoff time.Duration, err error) {
	if o == nil {
		return
	}
	ct := traceOf(ctx)
	if ct == nil {
		return
	}
	ct.round++
	if o.log != nil && o.log.Enabled(ctx, slog.LevelWarn) {
		attrs := append(callAttrs(ct.info, make([]slog.Attr, 0, 8)),
			slog.Int("round", ct.round-1),
			slog.Duration("backoff", backoff),
			errAttr(err))
		o.log.LogAttrs(ctx, slog.LevelWarn, "every etcd member failed; retrying", attrs...)
	}
}

// pinMoved reports that the call in ctx moved the pin from one endpoint
// to another, and why.
func (o *observer) pinMoved(ctx context.Context, from, to, why string) {
	if o == nil {
		return
	}
	ct := traceOf(ctx)
	if ct != nil {
		ct.pinMoved = true
	}
	if o.log != nil && o.log.Enabled(ctx, slog.LevelInfo) {
		attrs := make([]slog.Attr, 0, 8)
		if ct != nil {
			attrs = callAttrs(ct.info, attrs)
		}
		attrs = append(attrs,
			slog.String("from", maskEndpoint(from)),
			slog.String("to", maskEndpoint(to)),
			slog.String("reason", why))
		o.log.LogAttrs(ctx, slog.LevelInfo, "etcd client moved its pin", attrs...)
	}
}

// sync reports the Decision of one Sync that started at start.
func (o *observer) sync(ctx context.Context, d syncevent.Decision, start time.Time) {
	if o == nil {
		return
	}
	info := SyncInfo{
		Outcome:           d.Outcome.String(),
		Advertised:        d.Advertised,
		Reachable:         d.Reachable,
		Endpoints:         d.Endpoints,
		Leader:            d.Leader,
		LeaderPinned:      d.LeaderPinned,
		LeaderUnreachable: d.LeaderUnreachable,
		Err:               d.Err,
		Duration:          time.Since(start),
	}
	if o.log != nil {
		level, msg := slog.LevelDebug, "etcd sync"
		switch d.Outcome {
		case syncevent.Adopted:
			level, msg = slog.LevelInfo, "etcd sync adopted the advertised client URLs"
		case syncevent.KeptUnreachable:
			level, msg = slog.LevelWarn, "etcd sync kept the endpoints: no advertised client URL answered this client"
		case syncevent.Interrupted:
			level, msg = slog.LevelInfo, "etcd sync interrupted while probing advertised client URLs"
		case syncevent.Failed:
			level, msg = slog.LevelInfo, "etcd sync failed"
		}
		if d.LeaderUnreachable && level < slog.LevelWarn {
			level, msg = slog.LevelWarn, "etcd sync did not pin the leader: it does not answer this client"
		}
		if o.log.Enabled(ctx, level) {
			attrs := []slog.Attr{
				slog.String("api", apiName(o.api)),
				slog.String("outcome", info.Outcome),
				slog.Any("advertised", maskEndpoints(info.Advertised)),
				slog.Any("endpoints", maskEndpoints(info.Endpoints)),
				slog.Duration("duration", info.Duration),
			}
			if info.Reachable != nil {
				attrs = append(attrs, slog.Any("reachable", maskEndpoints(info.Reachable)))
			}
			if info.Leader != "" {
				attrs = append(attrs, slog.String("leader", maskEndpoint(info.Leader)), slog.Bool("leader_pinned", info.LeaderPinned))
			}
			if d.Err != nil {
				attrs = append(attrs, errAttr(d.Err))
			}
			o.log.LogAttrs(ctx, level, msg, attrs...)
		}
	}
	if o.hooks.Sync != nil {
		o.hooks.Sync(ctx, info)
	}
}

// autoSyncEnded reports why AutoSync returned.
func (o *observer) autoSyncEnded(ctx context.Context, err error) {
	if o == nil || o.log == nil {
		return
	}
	level := slog.LevelInfo
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		level = slog.LevelDebug
	}
	o.log.LogAttrs(ctx, level, "etcd AutoSync stopped", slog.String("api", apiName(o.api)), errAttr(err))
}

// watchResync reports that a resilient watcher returned the key's state
// after cause.
func (o *observer) watchResync(ctx context.Context, info WatchResyncInfo) {
	if o == nil {
		return
	}
	if o.log != nil && o.log.Enabled(ctx, slog.LevelWarn) {
		o.log.LogAttrs(ctx, slog.LevelWarn, "etcd watcher lost track of the events and resynced",
			slog.String("api", apiName(o.api)), slog.String("op", "keys.watch"),
			slog.String("key", info.Key), slog.Bool("recursive", info.Recursive),
			slog.Uint64("index", info.Index), errAttr(info.Cause))
	}
	if o.hooks.WatchResync != nil {
		o.hooks.WatchResync(ctx, info)
	}
}

// pollAbandoned reports that a resilient watcher gave up a long poll that
// outlived maxPoll and sends it again elsewhere.
func (o *observer) pollAbandoned(ctx context.Context, key string, maxPoll time.Duration) {
	if o == nil || o.log == nil {
		return
	}
	o.log.LogAttrs(ctx, slog.LevelInfo, "etcd watcher abandoned a long poll with no answer",
		slog.String("api", apiName(o.api)), slog.String("op", "keys.watch"),
		slog.String("key", key), slog.Duration("max_poll_time", maxPoll))
}

func errAttr(err error) slog.Attr {
	if err == nil {
		return slog.String("err", "")
	}
	return slog.String("err", maskUserinfo(err.Error()))
}

// maskEndpoint masks the password of an endpoint URL, as url.URL.Redacted
// does; most endpoints have none and are returned as they are.
func maskEndpoint(ep string) string {
	if !strings.Contains(ep, "@") {
		return ep
	}
	return maskUserinfo(ep)
}

func maskEndpoints(eps []string) []string {
	out := make([]string, len(eps))
	for i, ep := range eps {
		out[i] = maskEndpoint(ep)
	}
	return out
}

// maskUserinfo replaces the password of every URL in s ("scheme://user:
// password@host") with "xxxxx". Error texts name endpoints, and an
// endpoint may carry credentials.
func maskUserinfo(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			break
		}
		i += 3
		b.WriteString(s[:i])
		s = s[i:]
		end := strings.IndexAny(s, "/?# \"'")
		if end < 0 {
			end = len(s)
		}
		auth := s[:end]
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			if colon := strings.IndexByte(auth[:at], ':'); colon >= 0 {
				b.WriteString(auth[:colon+1])
				b.WriteString("xxxxx")
				b.WriteString(auth[at:])
				s = s[end:]
				continue
			}
		}
		b.WriteString(auth)
		s = s[end:]
	}
	b.WriteString(s)
	return b.String()
}

// apiName is the short name records carry for a: "v2" or "v3".
func apiName(a API) string {
	if a == APIv3 {
		return "v3"
	}
	return "v2"
}
