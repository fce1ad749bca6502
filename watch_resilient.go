package client

// This file holds the resilient watcher, an addition of this package: a
// Watcher that survives etcd's bounded event history (error 401, "event
// index cleared") by re-reading the key, and a member that freezes in the
// middle of a long poll by re-issuing the poll elsewhere.

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ActionResync is the Action of a Response that a resilient watcher
// returns after it lost track of the events: it holds the current state
// of the key (the whole subtree when watching recursively), read with
// Get, instead of one event. A caller should replace what it knows of the
// key with that state; later responses are events again. (An addition of
// this package.)
const ActionResync = "resync"

// DefaultMaxPollTime is the longest a resilient watcher waits on one long
// poll when ResilientWatcherOptions.MaxPollTime is zero.
const DefaultMaxPollTime = time.Minute

// ResilientWatcherOptions tune NewResilientWatcher. A nil pointer means
// the zero value. (An addition of this package.)
type ResilientWatcherOptions struct {
	// AfterIndex is the index after which events are wanted, as in
	// WatcherOptions. Zero means "from now on".
	AfterIndex uint64

	// Recursive also reports changes of keys below a directory, and makes
	// a resync read the whole subtree.
	Recursive bool

	// MaxPollTime bounds one long poll. When it passes without an
	// answer, the poll is abandoned and sent again, from the same index,
	// to the next endpoint: a member that froze (for example a stopped
	// process or a partition that swallows packets) never answers, and
	// etcd sends nothing while a watched key stays quiet, so a time limit
	// is the only way to notice. Re-issuing a poll on a healthy member
	// costs one request and loses no event. Zero means
	// DefaultMaxPollTime; a negative value means no limit.
	MaxPollTime time.Duration
}

// NewResilientWatcher returns a Watcher for key that, unlike
// [KeysAPI].Watcher, keeps going where a plain watcher fails for good:
//
//   - When etcd has already dropped the events the watcher needs (it keeps
//     only the last 1,000), the plain watcher's Next fails with error 401
//     (see [IsEventIndexCleared]) on every call. The resilient watcher
//     instead reads the key with Get (recursively when watching
//     recursively), returns that state as a Response with Action
//     [ActionResync], and continues with the events after the index of
//     that read. A resync for a key that does not exist has a nil Node.
//   - A long poll with no answer within MaxPollTime is sent again to the
//     next endpoint, so a frozen member stalls the watch for at most that
//     long. (Moving to the next endpoint needs kapi to work through a
//     Client returned by New; over another Client the poll is re-issued
//     wherever that Client sends it.)
//
// Every other error is returned as the plain watcher returns it, and Next
// can be called again after one. Next returns ctx.Err() once ctx is done.
// Like any Watcher, it is meant for one goroutine at a time, but for
// Close: on APIv3 it holds its watch stream open between calls of Next,
// and a Close (through an interface{ Close() error } assertion, from any
// goroutine) ends that stream and a Next waiting on it. opts may be nil.
// (An addition of this package.)
func NewResilientWatcher(kapi KeysAPI, key string, opts *ResilientWatcherOptions) Watcher {
	w := &resilientWatcher{kapi: kapi, key: key, maxPoll: DefaultMaxPollTime}
	if opts != nil {
		w.afterIndex = opts.AfterIndex
		w.recursive = opts.Recursive
		switch {
		case opts.MaxPollTime > 0:
			w.maxPoll = opts.MaxPollTime
		case opts.MaxPollTime < 0:
			w.maxPoll = 0
		}
	}
	return w
}

type resilientWatcher struct {
	kapi       KeysAPI
	key        string
	recursive  bool
	maxPoll    time.Duration // 0: unbounded
	afterIndex uint64        // where the next inner watcher starts

	// inner does the long polls; it is replaced after a resync. Its own
	// index survives abandoned polls, since a failed Next leaves it as it
	// was. mu guards it against a Close from another goroutine.
	mu    sync.Mutex
	inner Watcher
}

func (w *resilientWatcher) Next(ctx context.Context) (*Response, error) {
	for {
		w.mu.Lock()
		if w.inner == nil {
			w.inner = w.kapi.Watcher(w.key, &WatcherOptions{AfterIndex: w.afterIndex, Recursive: w.recursive})
		}
		inner := w.inner
		w.mu.Unlock()
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if w.maxPoll > 0 {
			// errAbandonMember tells the cluster client to move its pin
			// off the member that held the poll, so the next poll goes
			// to the next endpoint.
			pollCtx, cancel = context.WithTimeoutCause(ctx, w.maxPoll, errAbandonMember)
		}
		r, err := inner.Next(pollCtx)
		stalled := errors.Is(context.Cause(pollCtx), errAbandonMember)
		cancel()
		if err == nil {
			return r, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if stalled {
			w.observer().pollAbandoned(ctx, w.key, w.maxPoll)
			continue
		}
		if IsEventIndexCleared(err) {
			return w.resync(ctx, err)
		}
		return nil, err
	}
}

// Close ends the stream the current inner watcher holds open, if it
// holds one (a Watcher of an APIv3 KeysAPI does; see its Close); a later
// Next opens a new one. Reach it through an interface{ Close() error }
// assertion. (An addition of this package.)
func (w *resilientWatcher) Close() error {
	w.mu.Lock()
	inner := w.inner
	w.mu.Unlock()
	if c, ok := inner.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// observer returns the Logger and Hooks of the client under kapi, when
// kapi is this package's over a Client made by New; nil otherwise.
func (w *resilientWatcher) observer() *observer {
	if k, ok := w.kapi.(*httpKeysAPI); ok {
		if c, ok := k.client.(*httpClusterClient); ok {
			return c.obs
		}
	}
	return nil
}

// resync reads the key's current state after cause and restarts the watch
// right after the index of that read, so no event after the state is
// missed.
func (w *resilientWatcher) resync(ctx context.Context, cause error) (*Response, error) {
	res := &Response{Action: ActionResync}
	r, err := w.kapi.Get(ctx, w.key, &GetOptions{Recursive: w.recursive})
	switch {
	case err == nil:
		res.Node, res.Index, res.ClusterID = r.Node, r.Index, r.ClusterID
	case IsKeyNotFound(err):
		// etcd's "key not found" carries the index it answered at.
		res.Index = etcdErrorIndex(err)
	default:
		return nil, err
	}
	w.afterIndex = res.Index
	w.Close()
	w.mu.Lock()
	w.inner = nil
	w.mu.Unlock()
	w.observer().watchResync(ctx, WatchResyncInfo{Key: w.key, Recursive: w.recursive, Index: res.Index, Cause: cause})
	return res, nil
}

// etcdErrorIndex returns the Index of the etcd Error in err's chain, given
// as a value or a pointer; 0 if there is none.
func etcdErrorIndex(err error) uint64 {
	e, _ := asEtcdError(err)
	return e.Index
}
