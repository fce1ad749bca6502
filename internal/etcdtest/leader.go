package etcdtest

// This file finds a cluster's leader and holds the small JSON helpers the
// harness uses for its own requests to the members.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

type memberJSON struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
}

// Leader returns the current leader, as reported by /v2/members/leader of
// the first running member that knows one (without v2: the member whose
// /v3/maintenance/status names itself leader). It waits up to readyTimeout
// for an election to finish. It uses plain net/http, not the client under
// test.
func (c *Cluster) Leader(t testing.TB) *Member {
	t.Helper()
	hc := c.prober()
	deadline := time.Now().Add(readyTimeout)
	for {
		if !c.v2 {
			if m := c.v3Leader(hc); m != nil {
				return m
			}
		}
		for _, ep := range c.endpointsIfV2() {
			var lj memberJSON
			if err := getJSON(hc, ep+"/v2/members/leader", &lj); err != nil {
				continue
			}
			// A member may still name a leader that was just killed
			// until it notices; only a running one counts.
			for _, u := range lj.ClientURLs {
				if m := c.MemberByClientURL(u); m != nil && m.Running() {
					return m
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcdtest: no leader after %v", readyTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// endpointsIfV2 returns Endpoints for a cluster that serves v2, else none.
func (c *Cluster) endpointsIfV2() []string {
	if !c.v2 {
		return nil
	}
	return c.Endpoints()
}

func getJSON(hc *http.Client, u string, v any) error {
	resp, err := hc.Get(u)
	if err != nil {
		return err
	}
	return decodeOK(resp, "GET "+u, v)
}

// decodeOK reads a 200 answer into v, closing its body; what names the
// request in the error for any other status.
func decodeOK(resp *http.Response, what string, v any) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", what, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}
