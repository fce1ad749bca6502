package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/seed26e043ee/client"
)

// entry is one node of a v2 tree, flattened: the root is not one.
type entry struct {
	key   string // v2 path
	dir   bool
	value string
	// exp is when the node expires on its own TTL; zero without one.
	exp time.Time
	ttl int64
	// owner is the key of the nearest node (itself or a directory above
	// it) with a TTL: the node goes when the owner expires.
	owner string
}

// tree is a flattened v2 key space, sorted so that a directory comes
// before everything in it.
type tree struct {
	index   uint64
	entries []entry
}

// readOnlyTransport refuses anything but GET, so nothing this command
// does can write to the v2 side, whatever the code above it asks.
type readOnlyTransport struct{ next http.RoundTripper }

func (t readOnlyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet {
		return nil, fmt.Errorf("etcd-v2-migrate never writes to the source: refused %s %s", r.Method, r.URL.Path)
	}
	return t.next.RoundTrip(r)
}

// newSource is a v2 client that can only read.
func newSource(o *options) (client.Client, error) {
	return client.New(client.Config{
		Endpoints:    o.from,
		Username:     o.fromUser,
		Password:     o.fromPassword,
		RoundTripper: readOnlyTransport{http.DefaultTransport},
	})
}

// newTarget is the library's APIv3 client on the target, for reading it
// back as a v2 tree and for its users and roles; with --to-user it logs
// in as that user.
func newTarget(o *options) (client.Client, error) {
	return client.New(client.Config{Endpoints: o.to, API: client.APIv3, V3KeyPrefix: o.prefix, Username: o.toUser, Password: o.toPassword})
}

// readTree reads the whole tree at one index (a recursive quorum Get is a
// single read of the store) plus the hidden subtrees named, which v2
// leaves out of listings.
func readTree(ctx context.Context, kapi client.KeysAPI, hidden []string) (*tree, error) {
	resp, err := kapi.Get(ctx, "/", &client.GetOptions{Recursive: true, Sort: true, Quorum: true})
	if err != nil {
		return nil, err
	}
	t := &tree{index: resp.Index}
	seen := map[string]bool{}
	var walk func(n *client.Node, owner string)
	walk = func(n *client.Node, owner string) {
		if n.Expiration != nil || n.TTL != 0 {
			owner = n.Key
		}
		if n.Key != "/" && n.Key != "" && !seen[n.Key] {
			seen[n.Key] = true
			e := entry{key: n.Key, dir: n.Dir, value: n.Value, ttl: n.TTL, owner: owner}
			if n.Expiration != nil {
				e.exp = *n.Expiration
			}
			t.entries = append(t.entries, e)
		}
		for _, c := range n.Nodes {
			walk(c, owner)
		}
	}
	walk(resp.Node, "")
	for _, h := range hidden {
		r, err := kapi.Get(ctx, h, &client.GetOptions{Recursive: true, Sort: true, Quorum: true})
		if client.IsKeyNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading hidden %s: %w", h, err)
		}
		// The directories above a hidden node come from the listing; its
		// owner is found among them.
		owner := ""
		for _, e := range t.entries {
			if e.exp != (time.Time{}) && isBelow(r.Node.Key, e.key) {
				owner = e.key
			}
		}
		walk(r.Node, owner)
	}
	sort.Slice(t.entries, func(i, j int) bool { return t.entries[i].key < t.entries[j].key })
	return t, nil
}

// isBelow tells whether k lies in directory d.
func isBelow(k, d string) bool {
	return len(k) > len(d) && k[:len(d)] == d && k[len(d)] == '/'
}

// explain turns the library's errors into what to do about them.
func explain(side string, endpoints []string, err error) error {
	switch {
	case errors.Is(err, client.ErrV2NotServed):
		return fmt.Errorf("%s %v serves no v2 API (etcd 3.6+, or 3.4/3.5 without --enable-v2): nothing to migrate from there: %w", side, endpoints, err)
	case errors.Is(err, client.ErrNoV3Gateway):
		return fmt.Errorf("%s %v serves no v3 API: %w", side, endpoints, err)
	}
	var ke client.Error
	if errors.As(err, &ke) && ke.Code == client.ErrorCodeUnauthorized {
		return fmt.Errorf("%s %v refused access (v2 auth is on): give a user allowed to read the whole tree with --from-user USER:PASSWORD: %w", side, endpoints, err)
	}
	var ce *client.ClusterError
	if errors.As(err, &ce) {
		return fmt.Errorf("%s %v unreachable: %w", side, endpoints, err)
	}
	return fmt.Errorf("%s %v: %w", side, endpoints, err)
}
