package client

// This file holds Sync and AutoSync. Though they are methods of the
// Client, they sit above the APIs: they read the member list through the
// members API's calls (members.go) and then replace the cluster layer's
// endpoint list. Nothing below calls up into them.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"
)

func (c *httpClusterClient) Sync(ctx context.Context) error {
	ms, err := listMembers(ctx, c)
	if err != nil {
		return err
	}
	var eps []string
	for _, m := range ms {
		eps = append(eps, m.ClientURLs...)
	}
	urls, err := parseEndpoints(eps)
	if err != nil {
		return err
	}

	switch c.selectionMode {
	case EndpointSelectionRandom:
		c.mu.Lock()
		defer c.mu.Unlock()
		if cur := c.state.Load(); cur != nil && sameURLSet(cur.strs, eps) {
			return nil
		}
		c.shuffle(urls)
		c.state.Store(newState(urls, 0))
		return nil
	case EndpointSelectionPrioritizeLeader:
		// The leader is asked over the new list, so a client whose old
		// endpoints are all gone can still find it.
		c.mu.Lock()
		c.shuffle(urls)
		st := newState(urls, 0)
		c.state.Store(st)
		c.mu.Unlock()

		lm, err := leaderMember(ctx, c)
		if err != nil || lm == nil || len(lm.ClientURLs) == 0 {
			return ErrNoLeaderEndpoint
		}
		leader := lm.ClientURLs[0]
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.state.Load() != st {
			return nil // replaced meanwhile by a newer SetEndpoints or Sync
		}
		if i := slices.Index(st.strs, leader); i >= 0 {
			st.pinned.Store(int64(i))
			return nil
		}
		lu, err := url.Parse(leader)
		if err != nil {
			return ErrNoLeaderEndpoint
		}
		c.state.Store(newState(append([]url.URL{*lu}, urls...), 0))
		return nil
	default:
		return fmt.Errorf("client: invalid endpoint selection mode: %d", c.selectionMode)
	}
}

func sameURLSet(a, b []string) bool {
	sa := slices.Sorted(slices.Values(a))
	sb := slices.Sorted(slices.Values(b))
	return slices.Equal(slices.Compact(sa), slices.Compact(sb))
}

func (c *httpClusterClient) AutoSync(ctx context.Context, interval time.Duration) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := c.Sync(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}
