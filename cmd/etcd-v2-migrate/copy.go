package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"
)

// maxTxnOps is etcd's default --max-txn-ops.
const maxTxnOps = 128

// want is one v3 key the layout needs.
type want struct {
	key, value string
	marker     bool
	owner      string // v2 key whose lease it takes, "" for none
	e          *entry
}

// copyStats is the summary of a copy.
type copyStats struct {
	keys, dirs, ttls, present, expired, overwritten int
	leases, txns, pruned                            int
	index                                           uint64
	revision                                        int64
	foreign                                         []string
}

// layout lists the v3 keys of a v2 tree under prefix p, as
// docs/v3-layout.md places them: a key at P+K with its value, a directory
// as its marker P+D+"/" holding "{}" (a new directory made along the way),
// and the root's marker P+"/".
func layout(t *tree, p string, now time.Time) (ws []want, expired int) {
	ws = append(ws, want{key: p + "/", value: "{}", marker: true})
	gone := map[string]bool{}
	for i := range t.entries {
		e := &t.entries[i]
		if e.owner != "" && gone[e.owner] {
			continue
		}
		if !e.exp.IsZero() && !e.exp.After(now) {
			// Expired since the read: v2 has dropped it too.
			gone[e.key] = true
			expired++
			continue
		}
		w := want{key: p + e.key, value: e.value, owner: e.owner, e: e}
		if e.dir {
			w.key += "/"
			w.value = "{}"
			w.marker = true
		}
		ws = append(ws, w)
	}
	return ws, expired
}

// remaining is the TTL a lease gets now for a node expiring at exp: the
// time left, in whole seconds rounded up, so the copy never outlives the
// original by more than a second.
func remaining(exp, now time.Time) int64 {
	s := int64(math.Ceil(exp.Sub(now).Seconds()))
	return max(s, 1)
}

// copier writes a tree into the target.
type copier struct {
	g         *gateway
	prefix    string
	dryRun    bool
	overwrite bool
	// prune deletes the target's keys under the prefix that the source
	// lacks (follow's repair after the v2 history was cleared).
	prune bool
	out   io.Writer
	now   func() time.Time
}

// errConflict is wrapped by a refusal to overwrite data the copy did not
// write.
var errConflict = errors.New("the target holds different data under the prefix (use --overwrite to replace it)")

func (c *copier) run(ctx context.Context, t *tree) (*copyStats, error) {
	st := &copyStats{index: t.index}
	existing, _, err := c.g.rangePrefix(ctx, c.prefix+"/")
	if err != nil {
		return nil, err
	}
	have := make(map[string]kv, len(existing))
	for _, k := range existing {
		have[string(k.Key)] = k
	}
	ws, expired := layout(t, c.prefix, c.now())
	st.expired = expired
	wanted := make(map[string]bool, len(ws))
	var todo []want
	var diffs []string
	for _, w := range ws {
		wanted[w.key] = true
		old, ok := have[w.key]
		switch {
		case !ok:
			todo = append(todo, w)
		case w.marker || string(old.Value) == w.value:
			// A marker holds the record of the last write; its value is
			// not data. Equal keys were copied before.
			st.present++
		default:
			diffs = append(diffs, fmt.Sprintf("%s: target has %q, source has %q", w.key, clip(old.Value), clip([]byte(w.value))))
			todo = append(todo, w)
		}
	}
	for _, k := range existing {
		if !wanted[string(k.Key)] {
			st.foreign = append(st.foreign, string(k.Key))
		}
	}
	if (len(diffs) > 0 || len(st.foreign) > 0) && !c.overwrite && !c.prune {
		var b strings.Builder
		for _, d := range diffs {
			fmt.Fprintf(&b, "\n  differs: %s", d)
		}
		for _, k := range st.foreign {
			fmt.Fprintf(&b, "\n  not in the source: %q", k)
		}
		return st, fmt.Errorf("%w:%s", errConflict, b.String())
	}
	st.overwritten = len(diffs)
	for _, w := range todo {
		if w.e == nil {
			continue
		}
		if w.e.dir {
			st.dirs++
		} else {
			st.keys++
		}
		if w.e.key == w.owner {
			st.ttls++
		}
	}
	if c.dryRun {
		fmt.Fprintf(c.out, "copy: dry run, %d keys to write\n", len(todo))
		return st, nil
	}
	leases, err := c.grantAll(ctx, t, todo)
	st.leases = len(leases)
	if err != nil {
		return st, err
	}
	total := len(todo)
	var batches [][]put
	for len(todo) > 0 {
		n := min(len(todo), maxTxnOps)
		batch := make([]put, 0, n)
		for _, w := range todo[:n] {
			batch = append(batch, put{key: w.key, value: w.value, lease: leases[w.owner], modRev: int64(have[w.key].ModRevision)})
		}
		batches = append(batches, batch)
		todo = todo[n:]
	}
	// Each transaction's conditions are about its own keys only, so the
	// batches may commit in any order; a few in flight hide the round trips.
	prog := newProgress(c.out, "copy", total, c.now)
	var mu sync.Mutex
	err = parallel(ctx, len(batches), 4, func(ctx context.Context, i int) error {
		batch := batches[i]
		rev, ok, err := c.g.putAll(ctx, batch)
		if err != nil {
			return fmt.Errorf("writing %d keys from %s: %w", len(batch), batch[0].key, err)
		}
		if !ok {
			return fmt.Errorf("a key of the batch from %s changed on the target while copying (another writer under the prefix?); nothing of that batch was written, run again", batch[0].key)
		}
		mu.Lock()
		defer mu.Unlock()
		st.revision = max(st.revision, rev)
		st.txns++
		prog.add(len(batch))
		return nil
	})
	if err != nil {
		return st, err
	}
	prog.done()
	if c.prune {
		var dels []put
		for _, k := range st.foreign {
			dels = append(dels, put{key: k, modRev: int64(have[k].ModRevision)})
		}
		for len(dels) > 0 {
			n := min(len(dels), maxTxnOps)
			ok, err := c.g.deleteAll(ctx, dels[:n])
			if err != nil {
				return st, fmt.Errorf("deleting %d keys the source lacks from %s: %w", n, dels[0].key, err)
			}
			if !ok {
				return st, fmt.Errorf("a key from %s changed on the target while repairing it (another writer under the prefix?)", dels[0].key)
			}
			st.pruned += n
			dels = dels[n:]
		}
	}
	return st, nil
}

// grantAll grants the lease of every node with a TTL among todo and of
// the directories whose leases they take, each with the time its node has
// left, several at a time.
func (c *copier) grantAll(ctx context.Context, t *tree, todo []want) (map[string]int64, error) {
	byKey := make(map[string]*entry, len(t.entries))
	for i := range t.entries {
		byKey[t.entries[i].key] = &t.entries[i]
	}
	var owners []*entry
	seen := map[string]bool{}
	for _, w := range todo {
		if w.owner == "" || seen[w.owner] {
			continue
		}
		seen[w.owner] = true
		o := byKey[w.owner]
		if o == nil {
			return nil, fmt.Errorf("internal error: the lease owner %s of %s is not in the tree", w.owner, w.key)
		}
		owners = append(owners, o)
	}
	ids := make([]int64, len(owners))
	err := parallel(ctx, len(owners), 8, func(ctx context.Context, i int) error {
		id, err := c.g.grant(ctx, remaining(owners[i].exp, c.now()))
		if err != nil {
			return fmt.Errorf("granting the lease of %s: %w", owners[i].key, err)
		}
		ids[i] = id
		return nil
	})
	leases := make(map[string]int64, len(owners))
	for i, o := range owners {
		if ids[i] != 0 {
			leases[o.key] = ids[i]
		}
	}
	return leases, err
}

// parallel runs f(0..n-1) on up to width goroutines and returns the first
// error, after which no new call starts.
func parallel(ctx context.Context, n, width int, f func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(width, n) {
		wg.Go(func() {
			for i := range next {
				if err := f(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
