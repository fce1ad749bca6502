package integration

// The steps of the differential test's scenarios (v3_diff_test.go).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/seed26e043ee/client"
)

func dget(k string, o client.GetOptions) dstep {
	return dstep{what: fmt.Sprintf("Get(%q, %+v)", k, o), call: func(ctx context.Context, s *dside) (*client.Response, error) {
		return s.kapi.Get(ctx, k, &o)
	}}
}

// dset is Set; o.PrevIndex is relative to the base.
func dset(k, v string, o client.SetOptions) dstep {
	return dstep{what: fmt.Sprintf("Set(%q, %q, %+v)", k, v, o), call: func(ctx context.Context, s *dside) (*client.Response, error) {
		o := o
		o.PrevIndex = s.at(o.PrevIndex)
		return s.kapi.Set(ctx, k, v, &o)
	}}
}

func dput(k, v string) dstep { return dset(k, v, client.SetOptions{}) }

func dmkdir(k string) dstep { return dset(k, "", client.SetOptions{Dir: true}) }

func dcreate(k, v string) dstep {
	return dstep{what: fmt.Sprintf("Create(%q, %q)", k, v), call: func(ctx context.Context, s *dside) (*client.Response, error) {
		return s.kapi.Create(ctx, k, v)
	}}
}

func dupdate(k, v string) dstep {
	return dstep{what: fmt.Sprintf("Update(%q, %q)", k, v), call: func(ctx context.Context, s *dside) (*client.Response, error) {
		return s.kapi.Update(ctx, k, v)
	}}
}

func dinorder(dir, v string, ttl time.Duration) dstep {
	return dstep{what: fmt.Sprintf("CreateInOrder(%q, %q, %v)", dir, v, ttl), call: func(ctx context.Context, s *dside) (*client.Response, error) {
		var o *client.CreateInOrderOptions
		if ttl != 0 {
			o = &client.CreateInOrderOptions{TTL: ttl}
		}
		return s.kapi.CreateInOrder(ctx, dir, v, o)
	}}
}

// ddel is Delete; o.PrevIndex is relative to the base.
func ddel(k string, o client.DeleteOptions) dstep {
	return dstep{what: fmt.Sprintf("Delete(%q, %+v)", k, o), call: func(ctx context.Context, s *dside) (*client.Response, error) {
		o := o
		o.PrevIndex = s.at(o.PrevIndex)
		return s.kapi.Delete(ctx, k, &o)
	}}
}

// idx marks a step whose error cause holds indexes.
func idx(st dstep) dstep { st.idxCause = true; return st }

// dwatch makes watcher id on k; after is relative to the base (the base
// itself is 0: "after" counts from the scenario's start, so after 0
// watches everything the scenario writes); fromNow watches from the
// first Next on.
func dwatch(id, k string, recursive bool, after uint64) dstep {
	return dstep{what: "Watcher(" + k + ")", run: func(_ context.Context, s *dside) error {
		s.watchers[id] = s.kapi.Watcher(k, &client.WatcherOptions{Recursive: recursive, AfterIndex: s.base + after})
		return nil
	}}
}

func dwatchNow(id, k string, recursive bool) dstep {
	return dstep{what: "Watcher(" + k + ", from now)", run: func(_ context.Context, s *dside) error {
		s.watchers[id] = s.kapi.Watcher(k, &client.WatcherOptions{Recursive: recursive})
		return nil
	}}
}

// dnext is the watcher's Next; it waits for the event, as long as it
// takes (an expiry included).
func dnext(id string) dstep {
	return dstep{what: "Next(" + id + ")", watch: true, call: func(ctx context.Context, s *dside) (*client.Response, error) {
		return s.watchers[id].Next(ctx)
	}}
}

// dnextAsync starts the watcher's Next and returns once its request is
// in place on the server; dawait collects what it returns.
func dnextAsync(id string) dstep {
	return dstep{what: "start Next(" + id + ")", run: func(ctx context.Context, s *dside) error {
		s.rec.take()
		ch := make(chan outcome, 1)
		s.pending[id] = ch
		go func() {
			r, err := s.watchers[id].Next(ctx)
			ch <- outcome{resp: r, err: err}
		}()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return s.waitAnswered(wctx, 1)
	}}
}

func dawait(id string) dstep {
	return dstep{what: "Next(" + id + ") returns", watch: true, call: func(ctx context.Context, s *dside) (*client.Response, error) {
		select {
		case o := <-s.pending[id]:
			delete(s.pending, id)
			return o.resp, o.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
}

// dchurn writes n times to /churn, four writers at a time.
func dchurn(n int) dstep {
	return dstep{what: fmt.Sprintf("%d writes", n), run: func(ctx context.Context, s *dside) error {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		next := make(chan int)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					if _, err := s.kapi.Set(ctx, "/churn", strconv.Itoa(i), nil); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	feed:
		for i := range n {
			select {
			case next <- i:
			case err := <-errs:
				close(next)
				wg.Wait()
				return err
			case <-ctx.Done():
				break feed
			}
		}
		close(next)
		wg.Wait()
		select {
		case err := <-errs:
			return err
		default:
			return ctx.Err()
		}
	}}
}

// dcompactKeep compacts etcd's v3 history (APIv3 side only) so that the
// last keep revisions stay, as etcd 3.4's v2 API keeps the last 1,000
// events (the oldest kept: the current index less 999).
func dcompactKeep(keep uint64) dstep {
	return dstep{what: fmt.Sprintf("compact all but %d revisions", keep), run: func(ctx context.Context, s *dside) error {
		if !s.v3 {
			return nil
		}
		var cur uint64
		r, err := s.kapi.Get(ctx, "/", &client.GetOptions{Quorum: true})
		var e client.Error
		switch {
		case err == nil:
			cur = r.Index
		case errors.As(err, &e):
			cur = e.Index
		default:
			return err
		}
		body := []byte(`{"revision":"` + strconv.FormatUint(cur-keep+1, 10) + `","physical":true}`)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoints()[0]+"/v3/kv/compaction", bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp, err := probe.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("compaction: status %d", resp.StatusCode)
		}
		return nil
	}}
}
