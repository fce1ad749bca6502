package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
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
	leases, txns                                    int
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
	out       io.Writer
	now       func() time.Time
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
	if (len(diffs) > 0 || len(st.foreign) > 0) && !c.overwrite {
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
	prog := newProgress(c.out, "copy", len(todo), c.now)
	leases := map[string]int64{}
	byKey := make(map[string]*entry, len(t.entries))
	for i := range t.entries {
		byKey[t.entries[i].key] = &t.entries[i]
	}
	for len(todo) > 0 {
		n := min(len(todo), maxTxnOps)
		batch := make([]put, 0, n)
		for _, w := range todo[:n] {
			p := put{key: w.key, value: w.value, modRev: int64(have[w.key].ModRevision)}
			if w.owner != "" && !c.dryRun {
				id, ok := leases[w.owner]
				if !ok {
					owner := byKey[w.owner]
					if owner == nil {
						return st, fmt.Errorf("internal error: the lease owner %s of %s is not in the tree", w.owner, w.key)
					}
					id, err = c.g.grant(ctx, remaining(owner.exp, c.now()))
					if err != nil {
						return st, fmt.Errorf("granting the lease of %s: %w", w.owner, err)
					}
					leases[w.owner] = id
					st.leases++
				}
				p.lease = id
			}
			batch = append(batch, p)
			if w.e != nil {
				if w.e.dir {
					st.dirs++
				} else {
					st.keys++
				}
				if w.e.key == w.owner {
					st.ttls++
				}
			}
		}
		if !c.dryRun {
			rev, ok, err := c.g.putAll(ctx, batch)
			if err != nil {
				return st, fmt.Errorf("writing %d keys from %s: %w", n, batch[0].key, err)
			}
			if !ok {
				return st, fmt.Errorf("a key of the batch from %s changed on the target while copying (another writer under the prefix?); nothing of that batch was written, run again", batch[0].key)
			}
			st.revision = rev
			st.txns++
		}
		prog.add(n)
		todo = todo[n:]
	}
	prog.done()
	return st, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
