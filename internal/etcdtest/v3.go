package etcdtest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// This file holds what the harness asks members that serve no v2 API
// (etcd 3.6 and later), through the v3 JSON gateway that etcd serves on
// its client URL.

// healthy reports whether GET /health answers that the member is healthy,
// which etcd says only once it knows a leader.
func healthy(hc *http.Client, clientURL string) bool {
	var h struct {
		Health string `json:"health"`
	}
	return getJSON(hc, clientURL+"/health", &h) == nil && h.Health == "true"
}

// v3Leader returns the running member that reports itself as leader, or
// nil if none does (yet).
func (c *Cluster) v3Leader(hc *http.Client) *Member {
	for _, ep := range c.Endpoints() {
		var st struct {
			Header struct {
				MemberID string `json:"member_id"`
			} `json:"header"`
			Leader string `json:"leader"`
		}
		if err := postJSON(hc, ep+"/v3/maintenance/status", struct{}{}, &st); err != nil {
			continue
		}
		if st.Leader != "" && st.Leader == st.Header.MemberID {
			if m := c.MemberByClientURL(ep); m != nil && m.Running() {
				return m
			}
		}
	}
	return nil
}

// postJSON posts in as JSON to u and decodes a 200 answer into out.
func postJSON(hc *http.Client, u string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := hc.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	return decodeOK(resp, "POST "+u, out)
}
