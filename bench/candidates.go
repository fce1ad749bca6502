package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	ours "github.com/seed26e043ee/client"
	upstream "go.etcd.io/etcd/client/v2"
)

// Getter issues one GET of a fixed key and returns the number of nodes in
// the decoded answer (so every candidate is checked to decode the same
// tree). A Getter is safe for concurrent use.
type Getter func(ctx context.Context) (int, error)

// Candidate is one way of reading a key: a client under test or a
// baseline.
type Candidate struct {
	Name string

	// New returns a Getter for key on the member at endpoint, with its own
	// connection pool.
	New func(endpoint, key string, recursive bool) (Getter, error)
}

// The candidate names, as printed.
const (
	NameOurs      = "ours"
	NameUpstream  = "v2.305.35"
	NamePlain     = "plain"
	NamePlainJSON = "plain+json"
)

// Candidates returns the four candidates. The two clients use their
// default transports (distinct objects), the plain loops one each, so no
// candidate shares connections with another.
func Candidates() []Candidate {
	return []Candidate{
		{Name: NameOurs, New: newOurs},
		{Name: NameUpstream, New: newUpstream},
		{Name: NamePlain, New: func(ep, key string, rec bool) (Getter, error) { return newPlain(ep, key, rec, false) }},
		{Name: NamePlainJSON, New: func(ep, key string, rec bool) (Getter, error) { return newPlain(ep, key, rec, true) }},
	}
}

func newOurs(ep, key string, rec bool) (Getter, error) {
	// The default Config apart from the endpoint: no tuning.
	c, err := ours.New(ours.Config{Endpoints: []string{ep}})
	if err != nil {
		return nil, err
	}
	kAPI := ours.NewKeysAPI(c)
	opts := &ours.GetOptions{Recursive: rec}
	return func(ctx context.Context) (int, error) {
		r, err := kAPI.Get(ctx, key, opts)
		if err != nil {
			return 0, err
		}
		return countOurs(r.Node), nil
	}, nil
}

func countOurs(n *ours.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Nodes {
		c += countOurs(k)
	}
	return c
}

func newUpstream(ep, key string, rec bool) (Getter, error) {
	c, err := upstream.New(upstream.Config{Endpoints: []string{ep}})
	if err != nil {
		return nil, err
	}
	kAPI := upstream.NewKeysAPI(c)
	opts := &upstream.GetOptions{Recursive: rec}
	return func(ctx context.Context) (int, error) {
		r, err := kAPI.Get(ctx, key, opts)
		if err != nil {
			return 0, err
		}
		return countUpstream(r.Node), nil
	}, nil
}

func countUpstream(n *upstream.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Nodes {
		c += countUpstream(k)
	}
	return c
}

// plainNode and plainResponse are what a hand-written caller would decode
// an etcd answer into: the same fields as the clients' types.
type plainNode struct {
	Key           string       `json:"key"`
	Dir           bool         `json:"dir,omitempty"`
	Value         string       `json:"value"`
	Nodes         []*plainNode `json:"nodes"`
	CreatedIndex  uint64       `json:"createdIndex"`
	ModifiedIndex uint64       `json:"modifiedIndex"`
	Expiration    *time.Time   `json:"expiration,omitempty"`
	TTL           int64        `json:"ttl,omitempty"`
}

type plainResponse struct {
	Action    string     `json:"action"`
	Node      *plainNode `json:"node"`
	PrevNode  *plainNode `json:"prevNode"`
	Index     uint64     `json:"-"`
	ClusterID string     `json:"-"`
}

func countPlain(n *plainNode) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Nodes {
		c += countPlain(k)
	}
	return c
}

var errStatus = errors.New("bench: unexpected status")

// newPlain is the baseline: a keep-alive net/http loop sending the very
// request our client sends, with a transport as generous with idle
// connections as ours (the net/http default of 2 per host would make the
// baseline, not the clients, the bottleneck at 16 goroutines). With decode
// it also does the work a client must do with the answer: encoding/json
// into equivalent structs plus the two etcd headers.
func newPlain(ep, key string, rec, decode bool) (Getter, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr}
	u := ep + "/v2/keys" + key + "?quorum=false&recursive=" + strconv.FormatBool(rec) + "&sorted=false"
	return func(ctx context.Context) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return 0, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("%w %d: %s", errStatus, resp.StatusCode, body)
		}
		if !decode {
			return -1, nil
		}
		var r plainResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return 0, err
		}
		if v := resp.Header.Get("X-Etcd-Index"); v != "" {
			if r.Index, err = strconv.ParseUint(v, 10, 64); err != nil {
				return 0, err
			}
		}
		r.ClusterID = resp.Header.Get("X-Etcd-Cluster-Id")
		return countPlain(r.Node), nil
	}, nil
}
