package client

// This file holds Sync and AutoSync. Though they are methods of the
// Client, they sit above the APIs: they read the member list through the
// members API's calls (members.go), probe the advertised client URLs
// through the cluster layer's request building (cluster.go), and then
// replace the cluster layer's endpoint list. Nothing below calls up into
// them.
//
// Every Sync ends in one syncevent.Decision handed to recordSync: the
// event point where a logger or user hooks attach.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed26e043ee/client/internal/syncevent"
)

// defaultSyncProbeTimeout bounds each probe of an advertised URL. A member
// answers /version at once; an address behind NAT that drops packets
// would otherwise hold Sync until the caller's deadline.
const defaultSyncProbeTimeout = 2 * time.Second

// syncPoint is the part of httpClusterClient that belongs to Sync: the
// observer of its decisions and the probe bound. Its zero value is ready.
type syncPoint struct {
	onSync       atomic.Pointer[func(syncevent.Decision)]
	probeTimeout time.Duration // 0: defaultSyncProbeTimeout
}

func init() {
	syncevent.Register(func(v any, fn func(syncevent.Decision)) bool {
		c, ok := v.(*httpClusterClient)
		if !ok || c == nil {
			return false
		}
		if fn == nil {
			c.onSync.Store(nil)
		} else {
			c.onSync.Store(&fn)
		}
		return true
	})
}

// recordSync is the event point of Sync: it hands d, the decision of a
// Sync that started at start, to Config.Logger and Config.Hooks (observe.go
// logs KeptUnreachable and an unreachable leader as warnings: the cluster
// advertises addresses this client cannot use) and to the observer set
// through syncevent, if any.
func (c *httpClusterClient) recordSync(ctx context.Context, d syncevent.Decision, start time.Time) {
	c.obs.sync(ctx, d, start)
	if fn := c.onSync.Load(); fn != nil {
		(*fn)(d)
	}
}

// listMembers and leaderMember read the membership through the API the
// client speaks.
func (c *httpClusterClient) listMembers(ctx context.Context) ([]Member, error) {
	if c.v3 != nil {
		return v3ListMembers(ctx, c.v3)
	}
	return listMembers(ctx, c)
}

func (c *httpClusterClient) leaderMember(ctx context.Context) (*Member, error) {
	if c.v3 != nil {
		return v3Leader(ctx, c.v3)
	}
	return leaderMember(ctx, c)
}

func (c *httpClusterClient) Sync(ctx context.Context) error {
	start := time.Now()
	var d syncevent.Decision
	err := c.sync(ctx, &d)
	d.Err = err
	d.Endpoints = c.Endpoints()
	c.recordSync(ctx, d, start)
	return err
}

// sync does the work of Sync and notes in d what it decided.
func (c *httpClusterClient) sync(ctx context.Context, d *syncevent.Decision) error {
	ms, err := c.listMembers(ctx)
	if err != nil {
		return err
	}
	var eps []string
	for _, m := range ms {
		eps = append(eps, m.ClientURLs...)
	}
	d.Advertised = eps
	urls, err := parseEndpoints(eps)
	if err != nil {
		return err
	}
	switch c.selectionMode {
	case EndpointSelectionRandom, EndpointSelectionPrioritizeLeader:
	default:
		return fmt.Errorf("client: invalid endpoint selection mode: %d", c.selectionMode)
	}

	cur := c.state.Load()
	var answered map[string]bool // URL → answered its probe; nil: no probe ran
	if sameURLSet(cur.strs, eps) {
		d.Outcome = syncevent.Unchanged
	} else {
		answered, err = c.probeAll(ctx, urls)
		if err != nil {
			d.Outcome = syncevent.Interrupted
			return err
		}
		for _, u := range urls {
			s := u.String()
			if answered[s] && !slices.Contains(d.Reachable, s) {
				d.Reachable = append(d.Reachable, s)
			}
		}
		d.Outcome = syncevent.KeptUnreachable
		if len(d.Reachable) > 0 {
			d.Outcome = syncevent.Adopted
		}
	}

	st := cur
	if d.Outcome == syncevent.Adopted {
		c.mu.Lock()
		if c.state.Load() != cur {
			// SetEndpoints or another Sync came while this one probed;
			// the newer list wins.
			c.mu.Unlock()
			d.Outcome = syncevent.Superseded
			return nil
		}
		st = newState(c.reachableFirst(urls, answered, cur.urls), 0)
		c.state.Store(st)
		c.mu.Unlock()
	}

	if c.selectionMode == EndpointSelectionPrioritizeLeader {
		// The leader is asked over the new list, if one was adopted, so a
		// client whose old endpoints are all gone can still find it.
		return c.pinLeader(ctx, st, answered, d)
	}
	return nil
}

// reachableFirst returns urls in a new slice: those that answered their
// probe first, then the others, each group shuffled. So the pin starts on a
// member the client is known to reach, and the others remain as failover
// targets. When some advertised URL did not answer, the endpoints the
// client had (prev) that are not advertised stay too, after the reachable
// ones: the client reached the cluster through them (a load balancer, a
// tunnel), and without them it would be stranded once the reachable
// members went. c.mu must be held.
func (c *httpClusterClient) reachableFirst(urls []url.URL, answered map[string]bool, prev []url.URL) []url.URL {
	var ok, rest []url.URL
	for _, u := range urls {
		if answered[u.String()] {
			ok = append(ok, u)
		} else {
			rest = append(rest, u)
		}
	}
	c.shuffle(ok)
	c.shuffle(rest)
	if len(rest) == 0 {
		return ok
	}
	for _, p := range prev {
		if !slices.ContainsFunc(urls, func(u url.URL) bool { return u.String() == p.String() }) {
			ok = append(ok, p)
		}
	}
	return append(ok, rest...)
}

// pinLeader asks for the leader and pins its client URL in st. A leader
// URL that did not answer its probe is neither pinned nor added: it would
// replace a working endpoint with one this client cannot reach.
func (c *httpClusterClient) pinLeader(ctx context.Context, st *endpointState, answered map[string]bool, d *syncevent.Decision) error {
	lm, err := c.leaderMember(ctx)
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The caller ended the call: say so, as every call does, so
		// AutoSync stopped by its context returns exactly ctx.Err().
		return ctxErr
	}
	if err != nil || lm == nil || len(lm.ClientURLs) == 0 {
		return ErrNoLeaderEndpoint
	}
	leader := lm.ClientURLs[0]
	d.Leader = leader
	lu, err := url.Parse(leader)
	if err != nil {
		return ErrNoLeaderEndpoint
	}
	i := slices.Index(st.strs, leader)
	ok, known := answered[lu.String()]
	if !known && i < 0 {
		// A URL not in the list (the membership changed between the two
		// calls) must answer before it is added.
		res, err := c.probeAll(ctx, []url.URL{*lu})
		if err != nil {
			return err
		}
		ok, known = res[lu.String()], true
	}
	if known && !ok {
		d.LeaderUnreachable = true
		return nil
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Load() != st {
		return nil // replaced meanwhile by a newer SetEndpoints or Sync
	}
	if i >= 0 {
		st.pinned.Store(int64(i))
	} else {
		c.state.Store(newState(append([]url.URL{*lu}, st.urls...), 0))
	}
	d.LeaderPinned = true
	return nil
}

// probeAll sends GET /version to every distinct URL of urls at once,
// through the same request building, credentials rule and transport as any
// call, and reports which answered: any answer below 500, as a call would
// accept it. Each probe is bounded by the probe timeout (and the header
// timeout, when one is set) within ctx. All probes have ended when it
// returns. If ctx ends meanwhile it returns ctx.Err().
func (c *httpClusterClient) probeAll(ctx context.Context, urls []url.URL) (map[string]bool, error) {
	var uniq []url.URL
	seen := make(map[string]bool, len(urls))
	for _, u := range urls {
		if s := u.String(); !seen[s] {
			seen[s] = true
			uniq = append(uniq, u)
		}
	}
	// The candidates stand in for the endpoints while probed: credentials
	// go to them, and redirects keep credentials only on their hosts.
	st := newState(uniq, 0)

	timeout := c.probeTimeout
	if timeout <= 0 {
		timeout = defaultSyncProbeTimeout
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	ok := make([]bool, len(uniq))
	var wg sync.WaitGroup
	for i := range uniq {
		wg.Go(func() {
			act := &action{method: http.MethodGet, prefix: "/version", op: "version"}
			resp, _, err := c.sendTo(pctx, act, st, i)
			ok[i] = err == nil && resp.StatusCode/100 != 5
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	answered := make(map[string]bool, len(uniq))
	for i := range uniq {
		answered[st.strs[i]] = ok[i]
	}
	return answered, nil
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
			c.obs.autoSyncEnded(ctx, err)
			return err
		}
		select {
		case <-ctx.Done():
			c.obs.autoSyncEnded(ctx, ctx.Err())
			return ctx.Err()
		case <-ticker.C:
		}
	}
}
