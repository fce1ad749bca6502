package clienttest

// This file holds v3 watches: the watchers the v3store hands each
// revision's changes to, and the /v3/watch stream as the gateway serves
// it: a POST whose body carries {"create_request":...},
// {"cancel_request":...} and {"progress_request":{}} messages, answered
// by a chunked body of {"result":...} lines. A watch from a compacted
// revision is created and then canceled with the compact revision; a
// watch from the past first gets every event since, in one message.

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// progressInterval is how often etcd sends a progress notification to a
// watch that asked for them.
const progressInterval = 10 * time.Minute

// progressClock is the progress ticker of one stream. As etcd's, it ticks
// every progressInterval from the stream's start; here it follows the
// Server's time (a Clock's Advance, or the expiry loop's real time). At
// a tick each watch that asked for progress gets a notification, unless
// it was sent events since the tick before.
type progressClock struct{ next time.Time }

// watchQueue holds the messages of one stream that the store has handed
// over and the stream has not written yet. The store appends under its
// own mutex; nothing ever waits on a full queue.
type watchQueue struct {
	mu     sync.Mutex
	msgs   []watchResponse
	signal chan struct{} // one pending wake-up at most
}

func newWatchQueue() *watchQueue { return &watchQueue{signal: make(chan struct{}, 1)} }

func (q *watchQueue) push(m watchResponse) {
	q.mu.Lock()
	q.msgs = append(q.msgs, m)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *watchQueue) take() []watchResponse {
	q.mu.Lock()
	defer q.mu.Unlock()
	msgs := q.msgs
	q.msgs = nil
	return msgs
}

// v3watcher is one watch of a stream.
type v3watcher struct {
	id       int64
	rng      keyRange
	start    int64 // the first revision it reports
	prevKV   bool
	noPut    bool
	noDelete bool
	progress bool
	q        *watchQueue

	// clock is the stream's progress ticker; progressDue (store's mu)
	// says the watch was sent no events since its last tick.
	clock       *progressClock
	progressDue bool
}

// events turns a revision's changes into what the watcher reports.
func (w *v3watcher) events(evs []mvccEvent) []eventJSON {
	var out []eventJSON
	for i := range evs {
		e := &evs[i]
		if !w.rng.contains(e.kv.key) || (e.del && w.noDelete) || (!e.del && w.noPut) {
			continue
		}
		kv := e.kv.json(false)
		ej := eventJSON{Kv: &kv}
		if e.del {
			ej.Type = "DELETE"
		}
		if w.prevKV && e.prev != nil {
			p := e.prev.json(false)
			ej.PrevKv = &p
		}
		out = append(out, ej)
	}
	return out
}

// deliver hands the watcher a new revision; the store's mu is held.
func (w *v3watcher) deliver(rev int64, evs []mvccEvent) {
	if rev < w.start {
		return
	}
	if out := w.events(evs); len(out) > 0 {
		w.q.push(watchResponse{Header: headerJSON{Revision: rev}, WatchID: w.id, Events: out})
		w.progressDue = false
	}
}

// tickProgress runs the progress clocks of every stream up to now.
func (s *v3store) tickProgress(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	due := map[*progressClock]bool{}
	for w := range s.watchers {
		if w.progress && !now.Before(w.clock.next) {
			due[w.clock] = true
		}
	}
	for w := range s.watchers {
		if !w.progress || !due[w.clock] {
			continue
		}
		if w.progressDue {
			w.q.push(watchResponse{Header: headerJSON{Revision: s.rev}, WatchID: w.id})
		}
		w.progressDue = true
	}
	// One tick however far the time jumped, as a time.Ticker drops the
	// ticks its reader missed; the next one is on the stream's beat.
	for c := range due {
		c.next = c.next.Add((now.Sub(c.next)/progressInterval + 1) * progressInterval)
	}
}

// Watch registers w. It returns the current revision and the events of
// the past w asks for; or, for a start before the compaction, the
// compact revision, without registering.
func (s *v3store) Watch(w *v3watcher) (rev int64, past []eventJSON, compacted int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.start > 0 && w.start < s.compactRev {
		return s.rev, nil, s.compactRev
	}
	if w.start == 0 {
		w.start = s.rev + 1
	}
	for _, r := range s.history {
		if r.rev >= w.start {
			past = append(past, w.events(r.events)...)
		}
	}
	s.watchers[w] = struct{}{}
	w.progressDue = len(past) == 0
	return s.rev, past, 0
}

// Unwatch ends w's deliveries.
func (s *v3store) Unwatch(w *v3watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.watchers, w)
}

// serveV3Watch serves one /v3/watch stream until the client leaves or the
// server closes. Messages of the request body are read as they come
// (the stream is full duplex), so watches can be added and canceled on
// an open stream.
func (m *Member) serveV3Watch(w http.ResponseWriter, r *http.Request) {
	s := m.srv
	rc := http.NewResponseController(w)
	rc.EnableFullDuplex() // not every writer can; the requests then come first
	m.mu.Lock()
	dropping := m.dropping
	m.mu.Unlock()

	reqs := make(chan watchRequest)
	done := make(chan struct{})
	defer close(done)
	go func() {
		dec := json.NewDecoder(r.Body)
		for {
			var raw json.RawMessage
			var req watchRequest
			// A message that cannot be read ends the reading of the
			// stream.
			if dec.Decode(&raw) != nil || unmarshalProtoJSON(raw, &req) != nil {
				return
			}
			select {
			case reqs <- req:
			case <-done:
				return
			}
		}
	}()

	q := newWatchQueue()
	watchers := map[int64]*v3watcher{}
	defer func() {
		for _, wt := range watchers {
			s.v3.Unwatch(wt)
		}
	}()
	var nextID int64
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Grpc-Metadata-Content-Type", "application/grpc")
	send := func(msg watchResponse) bool {
		msg.Header = m.v3Header(msg.Header.Revision)
		b, _ := json.Marshal(struct {
			Result watchResponse `json:"result"`
		}{msg})
		w.Write(append(b, '\n'))
		rc.Flush()
		return !dropping // a dropping member cuts the stream after one message
	}
	clock := &progressClock{next: s.now().Add(progressInterval)}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-q.signal:
			for _, msg := range q.take() {
				if watchers[msg.WatchID] == nil {
					continue // canceled since
				}
				if !send(msg) {
					return
				}
			}
		case req := <-reqs:
			switch {
			case req.Create != nil:
				cr := req.Create
				if reason := m.v3WatchRefusal(r, cr); reason != "" {
					if !send(watchResponse{Header: headerJSON{Revision: s.v3.revisionNow()}, WatchID: -1, Created: true, Canceled: true, CancelReason: reason}) {
						return
					}
					continue
				}
				id := int64(cr.WatchID)
				if id == 0 {
					for watchers[nextID] != nil {
						nextID++
					}
					// etcd hands out each id once per stream: a
					// canceled watch's id is not given again.
					id = nextID
					nextID++
				}
				if watchers[id] != nil {
					if !send(watchResponse{Header: headerJSON{Revision: s.v3.revisionNow()}, WatchID: -1, Created: true, Canceled: true,
						CancelReason: "mvcc: duplicate watch ID provided on the WatchStream"}) {
						return
					}
					continue
				}
				wt := &v3watcher{id: id, rng: keyRange{cr.Key, cr.RangeEnd}, start: int64(cr.StartRevision),
					prevKV: cr.PrevKv, progress: cr.ProgressNotify, q: q, clock: clock}
				for _, f := range cr.Filters {
					wt.noPut = wt.noPut || f == filterNoPut
					wt.noDelete = wt.noDelete || f == filterNoDelete
				}
				rev, past, compacted := s.v3.Watch(wt)
				if !send(watchResponse{Header: headerJSON{Revision: rev}, WatchID: id, Created: true}) {
					return
				}
				if compacted != 0 {
					// etcd's answer carries no revision in its header.
					if !send(watchResponse{WatchID: id, Canceled: true, CompactRevision: compacted}) {
						return
					}
					continue
				}
				watchers[id] = wt
				if len(past) > 0 && !send(watchResponse{Header: headerJSON{Revision: rev}, WatchID: id, Events: past}) {
					return
				}
			case req.Cancel != nil:
				id := int64(req.Cancel.WatchID)
				wt := watchers[id]
				if wt == nil {
					continue // etcd says nothing about a watch it does not have
				}
				s.v3.Unwatch(wt)
				delete(watchers, id)
				// Deliveries already queued for it are dropped with it.
				if !send(watchResponse{Header: headerJSON{Revision: s.v3.revisionNow()}, WatchID: id, Canceled: true}) {
					return
				}
			case req.Progress != nil:
				if !send(watchResponse{Header: headerJSON{Revision: s.v3.revisionNow()}, WatchID: -1}) {
					return
				}
			}
		}
	}
}
