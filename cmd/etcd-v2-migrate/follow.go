package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/seed26e043ee/client"
)

// follower applies the source's v2 events to the target through the
// library's APIv3 KeysAPI, which keeps the layout and its markers.
type follower struct {
	src    client.KeysAPI
	dst    client.KeysAPI
	repair func(ctx context.Context) (uint64, error) // copy again, pruning; returns the new index
	out    io.Writer
	now    func() time.Time
}

// run follows from index after until ctx ends, which is the normal way
// for it to stop (it then returns nil). It ends with a summary: how much
// it applied and the index to resume from with --after-index.
func (f *follower) run(ctx context.Context, after uint64) (err error) {
	fmt.Fprintf(f.out, "follow: following from v2 index %d\n", after)
	applied, repairs := 0, 0
	defer func() {
		how := "stopped"
		if err != nil {
			how = "failed"
		}
		fmt.Fprintf(f.out, "follow: %s after applying %d changes and %d repairs; everything up to v2 index %d is on the target (resume with --after-index %d)\n", how, applied, repairs, after, after)
	}()
	for {
		w := f.src.Watcher("/", &client.WatcherOptions{AfterIndex: after, Recursive: true})
		for {
			resp, err := w.Next(ctx)
			if ctx.Err() != nil {
				return nil
			}
			var ce client.Error
			if errors.As(err, &ce) && ce.Code == client.ErrorCodeEventIndexCleared {
				fmt.Fprintf(f.out, "follow: v2 history after index %d was cleared (%s); repairing by comparing both trees\n", after, ce.Cause)
				idx, err := f.repair(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("repairing after the v2 history was cleared: %w", err)
				}
				after = idx
				repairs++
				fmt.Fprintf(f.out, "follow: repaired, following from v2 index %d\n", after)
				break
			}
			if err != nil {
				return fmt.Errorf("watching the source: %w", err)
			}
			if err := f.apply(ctx, resp); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("applying %s %s (index %d): %w", resp.Action, resp.Node.Key, resp.Node.ModifiedIndex, err)
			}
			after = resp.Node.ModifiedIndex
			applied++
			fmt.Fprintf(f.out, "follow: %s %s at index %d (lag %d)\n", resp.Action, resp.Node.Key, after, lag(resp.Index, after))
		}
	}
}

func lag(head, applied uint64) uint64 {
	if head > applied {
		return head - applied
	}
	return 0
}

// apply makes the target's node what the event left on the source.
func (f *follower) apply(ctx context.Context, r *client.Response) error {
	n := r.Node
	switch r.Action {
	case "delete", "compareAndDelete", "expire":
		_, err := f.dst.Delete(ctx, n.Key, &client.DeleteOptions{Recursive: true, Dir: n.Dir})
		if client.IsKeyNotFound(err) {
			// Gone already: the lease expired on the target too.
			return nil
		}
		return err
	}
	o := &client.SetOptions{}
	if n.Expiration != nil {
		o.TTL = time.Duration(remaining(*n.Expiration, f.now())) * time.Second
		if !n.Expiration.After(f.now()) {
			return nil // expired since; the expire event follows
		}
	}
	if n.Dir {
		o.Dir = true
		_, err := f.dst.Get(ctx, n.Key, &client.GetOptions{Quorum: true})
		switch {
		case client.IsKeyNotFound(err):
			o.PrevExist = client.PrevNoExist
		case err != nil:
			return err
		default:
			// A directory's TTL changed: update keeps its children.
			o.PrevExist = client.PrevExist
		}
	}
	_, err := f.dst.Set(ctx, n.Key, n.Value, o)
	return err
}
