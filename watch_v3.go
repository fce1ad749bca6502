package client

// This file is the v2 Watcher on v3: one watch stream kept open across
// calls of Next, and the translation of v3 events back into v2 actions.
//
// Every write of this package records its v2 action and key in the
// parent directory's marker in the same transaction (keys_v3.go), so the
// events of one revision carry the marker's new value when the parent
// lies in the watched range; otherwise the watcher reads the marker at
// that revision. A DELETE without a record is a lease expiry ("expire")
// when the key had a lease, else a "delete" by another client; a PUT
// without one is a "set" by another client.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
)

func (k *v3KeysAPI) Watcher(key string, opts *WatcherOptions) Watcher {
	w := &v3Watcher{k: k, key: cleanKey(key), conn: new(v3WatchConn)}
	// A v2 caller has no Close to call: a watcher it drops closes its
	// stream when it is collected, so no connection is held for ever.
	runtime.AddCleanup(w, (*v3WatchConn).close, w.conn)
	if opts != nil {
		w.recursive = opts.Recursive
		if opts.AfterIndex > 0 {
			w.next = int64(opts.AfterIndex + 1)
		}
	}
	return w
}

// v3Watcher is the Watcher of an APIv3 KeysAPI. Its stream stays open
// between calls of Next; it is closed when a Next's context ends while
// waiting, on an error, or by Close. Reopening starts after the last
// event returned, so nothing is lost or repeated.
type v3Watcher struct {
	k         *v3KeysAPI
	key       string
	recursive bool
	next      int64 // the revision to start a new stream at; 0: now
	// nexts is, per watch of the stream (watchRanges), the revision to
	// restart it at (0: next). Each watch resumes on its own, since
	// etcd sends the watches of one stream apart.
	nexts []int64
	// split watches the node's key and its marker or subtree as separate
	// watches, because the role may not read the one range that holds
	// them both (see watchRanges).
	split bool
	// skip is the half of a write replacing the watched key by a
	// directory that was already turned into its event with the other
	// half (see halfOfReplacement), when it comes on the other watch.
	skip struct {
		key string
		rev int64
	}

	conn *v3WatchConn

	queue []*Response
}

// v3WatchConn is a watcher's open stream, apart from the watcher so that
// the watcher's cleanup can close it.
type v3WatchConn struct {
	mu     sync.Mutex // guards stream and cancel against Close
	stream v3WatchStream
	// cancel ends the context of the stream, or of the one being opened
	// (stream still nil), so a Close during the opening ends it too.
	cancel context.CancelCauseFunc
}

func (c *v3WatchConn) close() { c.closeWith(errWatcherClosed) }

// errWatcherClosed ends a Next whose stream Close ended while it was
// being opened.
var errWatcherClosed = errors.New("client: the watcher was closed")

// current is the open stream, nil when none is.
func (c *v3WatchConn) current() v3WatchStream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stream
}

// closeWith ends the stream's context with cause, then closes it: the
// cluster client reads errAbandonMember there as a member to move off.
func (c *v3WatchConn) closeWith(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel(cause)
	}
	if c.stream != nil {
		c.stream.Close()
	}
	c.stream, c.cancel = nil, nil
}

// Close ends the watcher's stream, if one is open. A Watcher of an
// APIv3 KeysAPI holds a connection open between calls of Next; call
// Close (through an interface{ Close() error } assertion) when done with
// it, or end the context of a waiting Next; a watcher dropped without
// either closes its stream when the garbage collector takes it. (An
// addition of this package.)
func (w *v3Watcher) Close() error {
	w.conn.close()
	return nil
}

// watchRanges are the watches of the stream. One watch from the node's
// key to the end of its marker (or, recursive, of its subtree) keeps
// every change in revision order; the keys of other nodes it also spans
// (such as "/foo-bar" beside "/foo") are dropped by covers. But v3 auth
// allows a watch only when the role may read its whole range, so when
// etcd refuses that one, the watcher splits it (split): the node's key
// alone and its marker alone, or with recursive its key alone and its
// subtree [key+"/", key+"0"). etcd sends the watches of one stream
// apart, so while split, a catch-up from an old index may give the
// events of the two out of revision order. The root is its marker, or
// its subtree. etcd numbers the watches of a stream from 0 in the order
// they are asked for.
func (w *v3Watcher) watchRanges() []v3WatchCreate {
	k := w.k
	mk := k.markerKey(w.key)
	sub := v3WatchCreate{Key: mk, PrevKv: true}
	if w.recursive {
		sub.RangeEnd = prefixEnd(mk)
	}
	if w.key == "/" {
		return []v3WatchCreate{sub}
	}
	if !w.split {
		end := sub.RangeEnd
		if end == nil {
			end = append([]byte(mk), 0)
		}
		return []v3WatchCreate{{Key: k.fileKey(w.key), RangeEnd: end, PrevKv: true}}
	}
	return []v3WatchCreate{{Key: k.fileKey(w.key), PrevKv: true}, sub}
}

func (w *v3Watcher) open(ctx context.Context) error {
	reqs := w.watchRanges()
	if len(w.nexts) != len(reqs) {
		w.nexts = make([]int64, len(reqs))
	}
	for i := range reqs {
		reqs[i].StartRevision = w.startOf(int64(i))
	}
	// The stream outlives ctx (it stays open between calls of Next), so
	// it gets a context of its own, which ctx ends only while opening.
	// Ending it passes ctx's cause on: a resilient watcher's
	// errAbandonMember then moves the client's pin off a member that
	// holds the opening, as it does for a v2 long poll.
	sctx, cancel := context.WithCancelCause(context.WithoutCancel(withSubject(ctx, w.key)))
	w.conn.mu.Lock()
	w.conn.cancel = cancel
	w.conn.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	s, err := w.k.kv.watch(sctx, reqs)
	stop()
	if err != nil {
		cancel(context.Canceled)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(context.Cause(sctx), errWatcherClosed) {
			return errWatcherClosed
		}
		if !w.split && len(reqs) == 1 && w.key != "/" && isPermissionDenied(err) {
			// The role may read the node but not the range that holds
			// it: watch its parts apart, from where the one watch was.
			w.next, w.nexts, w.split = w.startOf(0), nil, true
			return w.open(ctx)
		}
		return err
	}
	w.conn.mu.Lock()
	defer w.conn.mu.Unlock()
	if sctx.Err() != nil {
		// Close came while the answer was on its way.
		s.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errWatcherClosed
	}
	w.conn.stream, w.conn.cancel = s, cancel
	return nil
}

// startOf is the revision the watch id starts at when (re)opened; 0:
// now.
func (w *v3Watcher) startOf(id int64) int64 {
	if id >= 0 && id < int64(len(w.nexts)) && w.nexts[id] > 0 {
		return w.nexts[id]
	}
	return w.next
}

func (w *v3Watcher) Next(ctx context.Context) (*Response, error) {
	for {
		if len(w.queue) > 0 {
			r := w.queue[0]
			w.queue = w.queue[1:]
			return r, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := w.conn.current()
		if s == nil {
			if err := w.open(ctx); err != nil {
				return nil, err
			}
			if s = w.conn.current(); s == nil {
				return nil, errWatcherClosed // Close came while it opened
			}
		}
		closed := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(closed)
			w.conn.closeWith(context.Cause(ctx))
		})
		msg, err := s.Recv()
		if !stop() {
			// ctx ended and closed the stream under Recv; the close is
			// over before Next returns, so the next call sees it.
			<-closed
			return nil, ctx.Err()
		}
		if err != nil {
			w.Close()
			return nil, err
		}
		if msg.Canceled {
			w.Close()
			if !w.split && w.key != "/" && msg.CompactRevision == 0 && strings.Contains(msg.CancelReason, "permission denied") {
				// As in open, should etcd refuse the watch later on
				// the stream.
				w.next, w.nexts, w.split = w.startOf(0), nil, true
				continue
			}
			if msg.CompactRevision > 0 {
				// v2 gives the current index with the error; etcd's
				// cancel message may carry no header.
				if msg.Header.Revision == 0 {
					h, err := w.k.currentHeader(ctx)
					if err != nil {
						return nil, err
					}
					msg.Header = h
				}
				return nil, Error{
					Code:    ErrorCodeEventIndexCleared,
					Message: v2ErrorMessages[ErrorCodeEventIndexCleared],
					Cause:   fmt.Sprintf("the requested history has been cleared [%d/%d]", msg.CompactRevision, w.startOf(msg.WatchID)),
					Index:   uint64(msg.Header.Revision),
				}
			}
			return nil, fmt.Errorf("client: etcd cancelled the watch: %s", msg.CancelReason)
		}
		if len(msg.Events) == 0 {
			if msg.Created && msg.Header.Revision > 0 && w.startOf(msg.WatchID) == 0 && msg.WatchID >= 0 && msg.WatchID < int64(len(w.nexts)) {
				// A watch from now has seen everything up to its
				// creation: reopened, it goes on from there, not from
				// a later now.
				w.nexts[msg.WatchID] = msg.Header.Revision + 1
			}
			continue
		}
		if err := w.translate(ctx, msg); err != nil {
			return nil, err
		}
	}
}

// translate turns the events of msg, revision by revision, into v2
// responses on the queue.
func (w *v3Watcher) translate(ctx context.Context, msg *v3WatchResponse) error {
	evs := msg.Events
	for len(evs) > 0 {
		rev := evs[0].Kv.ModRevision
		n := 1
		for n < len(evs) && evs[n].Kv.ModRevision == rev {
			n++
		}
		rs, err := w.revision(ctx, msg.Header, rev, evs[:n])
		if err != nil {
			return err
		}
		w.queue = append(w.queue, rs...)
		if id := msg.WatchID; id >= 0 && id < int64(len(w.nexts)) {
			w.nexts[id] = rev + 1
		}
		evs = evs[n:]
	}
	return nil
}

// v2name returns the v2 name of a v3 key of this layout and whether it
// is a directory's marker; ok is false for keys outside the layout.
func (k *v3KeysAPI) v2name(raw []byte) (name string, marker, ok bool) {
	s := string(raw)
	if !strings.HasPrefix(s, k.prefix+"/") {
		return "", false, false
	}
	s = s[len(k.prefix):]
	if strings.HasSuffix(s, "/") {
		if s == "/" {
			return "/", true, true
		}
		return strings.TrimSuffix(s, "/"), true, true
	}
	return s, false, true
}

// covers reports whether a change of the v2 node name is the watcher's.
func (w *v3Watcher) covers(name string) bool {
	if name == w.key {
		return true
	}
	if !w.recursive {
		return false
	}
	return w.key == "/" || strings.HasPrefix(name, w.key+"/")
}

// under reports whether name is op or below it.
func under(name, op string) bool {
	return name == op || op == "/" || strings.HasPrefix(name, op+"/")
}

// revision translates the events of one revision.
func (w *v3Watcher) revision(ctx context.Context, h v3Header, rev int64, evs []v3Event) ([]*Response, error) {
	k := w.k
	type item struct {
		ev     *v3Event
		name   string
		marker bool
	}
	var items []item
	recs := map[string]dirMarker{} // directory -> record written at rev
	for i := range evs {
		e := &evs[i]
		name, marker, ok := k.v2name(e.Kv.Key)
		if !ok {
			continue
		}
		if w.skip.rev == rev && w.skip.key == string(e.Kv.Key) {
			continue // already in the event of its write
		}
		if marker && e.Type != "DELETE" {
			if m := parseMarker(e.Kv.Value); m.Action != "" {
				recs[name] = m
			}
		}
		items = append(items, item{e, name, marker})
	}
	written := make(map[string]bool, len(items)) // the nodes this revision wrote
	for _, it := range items {
		written[it.name] = true
	}
	// The operations of this revision: recorded ones by their key, and
	// unrecorded deletes of directories (an expiry takes the subtree).
	var ops []string
	for _, m := range recs {
		ops = append(ops, m.Key)
	}
	var out []*Response
	done := map[string]bool{}
	for _, it := range items {
		if it.marker && it.ev.Type != "DELETE" && !containsString(ops, it.name) {
			// A record, or a directory made along the way: only a
			// directory made or updated by Set(Dir) is an operation.
			// The watched directory's own record is in its parent's
			// marker, outside the stream, so it is looked up.
			if it.name != w.key {
				continue
			}
			// A marker rewritten because a child was written in this
			// revision records that child: the directory itself was not
			// written, and its parent's marker need not be read.
			if m, ok := recs[it.name]; ok && m.Key != it.name && written[m.Key] {
				continue
			}
			rec, ok, err := w.lookup(ctx, it.name, rev)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			recs[parentOf(it.name)] = rec
			ops = append(ops, it.name)
		}
		op := it.name
		for _, o := range ops {
			if under(it.name, o) {
				op = o
				break
			}
		}
		if done[op] {
			continue
		}
		if op != it.name {
			continue // a node below the operation's own node
		}
		done[op] = true
		if !w.covers(op) {
			continue
		}
		rec, ok := recs[parentOf(op)]
		if !ok || rec.Key != op {
			var err error
			if rec, ok, err = w.lookup(ctx, op, rev); err != nil {
				return nil, err
			}
		}
		if ok && rec.Refresh {
			continue
		}
		ev, marker := it.ev, it.marker
		var replaced *v3Event
		if ev.Type == "DELETE" {
			// A write that replaced a key by a directory (or the
			// reverse) deletes the one and puts the other at once: the
			// put is the write's node, the delete its previous node.
			for _, o := range items {
				if o.name == op && o.ev != ev && o.ev.Type != "DELETE" {
					replaced, ev, marker = ev, o.ev, o.marker
					break
				}
			}
		}
		if replaced == nil && op == w.key && op != "/" && ok {
			var err error
			if ev, replaced, marker, err = w.halfOfReplacement(ctx, rev, ev, marker, rec); err != nil {
				return nil, err
			}
		}
		r, err := w.response(ctx, h, rev, ev, replaced, op, marker, rec, ok)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		if marker && ev.Type == "DELETE" {
			// A directory's delete or expiry covers its subtree.
			ops = append(ops, op)
		}
	}
	return out, nil
}

// halfOfReplacement finds the other half of a write that replaced the
// watched key by a directory (a Set with Dir over a key), which comes on
// the other watch of the stream: e is the DELETE of the key or the PUT
// of a new marker, and the parent's marker recorded rec for the key at
// rev. It reads the missing half (the marker at rev, or the key just
// before rev) and returns the write's event and the replaced one, and
// remembers to skip that half when it arrives. Otherwise it returns e
// as it is.
func (w *v3Watcher) halfOfReplacement(ctx context.Context, rev int64, e *v3Event, marker bool, rec dirMarker) (*v3Event, *v3Event, bool, error) {
	k := w.k
	switch {
	case !marker && e.Type == "DELETE" && rec.Action != "delete" && rec.Action != "compareAndDelete":
		kv, err := w.readAt(ctx, k.markerKey(w.key), rev)
		if err != nil || kv == nil || kv.CreateRevision != rev {
			return e, nil, marker, err
		}
		w.skip.key, w.skip.rev = string(kv.Key), rev
		return &v3Event{Kv: *kv}, e, true, nil
	case marker && e.Type != "DELETE" && e.Kv.CreateRevision == rev:
		kv, err := w.readAt(ctx, k.fileKey(w.key), rev-1)
		if err != nil || kv == nil {
			return e, nil, marker, err
		}
		w.skip.key, w.skip.rev = string(kv.Key), rev
		del := &v3Event{Type: "DELETE", Kv: v3KeyValue{Key: kv.Key, ModRevision: rev}, PrevKv: kv}
		return e, del, marker, nil
	}
	return e, nil, marker, nil
}

// readAt reads key at revision rev; nil when it was not there or the
// revision is compacted.
func (w *v3Watcher) readAt(ctx context.Context, key []byte, rev int64) (*v3KeyValue, error) {
	if rev <= 0 {
		return nil, nil
	}
	rr, err := w.k.kv.rangeKeys(ctx, &v3RangeRequest{Key: key, Revision: rev})
	if err != nil {
		var ge *GatewayError
		if errors.As(err, &ge) && ge.Code == 11 {
			return nil, nil
		}
		return nil, err
	}
	if len(rr.Kvs) == 0 {
		return nil, nil
	}
	return &rr.Kvs[0], nil
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// lookup reads the parent's marker of name at rev: the record of the
// write, when this package made it.
func (w *v3Watcher) lookup(ctx context.Context, name string, rev int64) (dirMarker, bool, error) {
	rr, err := w.k.kv.rangeKeys(ctx, &v3RangeRequest{Key: w.k.markerKey(parentOf(name)), Revision: rev})
	if err != nil {
		var ge *GatewayError
		if errors.As(err, &ge) && ge.Code == 11 {
			// Compacted since: the action cannot be told any more.
			return dirMarker{}, false, nil
		}
		return dirMarker{}, false, err
	}
	if len(rr.Kvs) == 0 || rr.Kvs[0].ModRevision != rev {
		return dirMarker{}, false, nil
	}
	m := parseMarker(rr.Kvs[0].Value)
	return m, m.Key == name, nil
}

// response builds the v2 event of the operation on name.
// replaced, when not nil, is the DELETE of the node of the other kind
// that the write replaced (a key made a directory, or the reverse): the
// previous node.
func (w *v3Watcher) response(ctx context.Context, h v3Header, rev int64, e *v3Event, replaced *v3Event, name string, marker bool, rec dirMarker, recorded bool) (*Response, error) {
	del := e.Type == "DELETE"
	action := rec.Action
	if !recorded {
		switch {
		case del && e.PrevKv != nil && e.PrevKv.Lease != 0:
			action = "expire"
		case del:
			action = "delete"
		default:
			action = "set"
		}
	}
	r := v3Response(action, h)
	n := &Node{Key: name, Dir: marker, ModifiedIndex: uint64(rev)}
	if del {
		if e.PrevKv != nil {
			n.CreatedIndex = uint64(e.PrevKv.CreateRevision)
		}
	} else {
		n.CreatedIndex = uint64(e.Kv.CreateRevision)
		if !marker {
			n.Value = string(e.Kv.Value)
		}
		if e.Kv.Lease != 0 {
			inherited, err := w.k.ancestorLease(ctx, name, 0)
			if err != nil {
				return nil, err
			}
			t := &ttls{k: w.k}
			if err := t.fill(ctx, n, e.Kv.Lease, inherited); err != nil {
				return nil, err
			}
		}
	}
	prevKv, prevMarker := e.PrevKv, marker
	if replaced != nil {
		prevKv, prevMarker = replaced.PrevKv, !marker
	}
	if p := prevKv; p != nil {
		pn := &Node{Key: name, Dir: prevMarker, CreatedIndex: uint64(p.CreateRevision), ModifiedIndex: uint64(p.ModRevision)}
		if prevMarker {
			pn.ModifiedIndex = pn.CreatedIndex
		} else {
			pn.Value = string(p.Value)
		}
		if action == "expire" {
			// The node went when its time ran out: now, as far as
			// this watcher can tell (v2 shows when it was due).
			exp := w.k.now().UTC()
			pn.Expiration = &exp
		}
		r.PrevNode = pn
	}
	r.Node = n
	return r, nil
}
