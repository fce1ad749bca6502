package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// gateway speaks etcd's v3 JSON gateway directly. The library's APIv3
// KeysAPI makes one transaction per v2 write; a copy of a whole tree needs
// many keys per transaction, and that is all this type adds. It only writes
// the layout of docs/v3-layout.md, which verify then reads back through the
// library.
type gateway struct {
	endpoints []string
	hc        *http.Client
	// user and password log in to a target with v3 auth on (--to-user);
	// token is the simple token the last login got.
	user, password string
	token          string
}

// errNoGateway marks a target that answers 404 without the gateway's JSON.
var errNoGateway = errors.New("the target does not serve etcd's v3 JSON gateway at /v3/ (it needs etcd 3.4 or later with the v3 API)")

// i64 reads the gateway's 64-bit integers, which it sends as strings.
type i64 int64

func (n *i64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*n = i64(v)
	return nil
}

type kv struct {
	Key            []byte `json:"key"`
	Value          []byte `json:"value"`
	CreateRevision i64    `json:"create_revision"`
	ModRevision    i64    `json:"mod_revision"`
	Lease          i64    `json:"lease"`
}

type header struct {
	Revision i64 `json:"revision"`
}

// call posts one request to the first endpoint that answers; a network
// failure moves on to the next one, an answer of etcd does not. With a
// user it logs in first, and once more when etcd no longer takes the
// token (it expired unused, or auth was switched off and on).
func (g *gateway) call(ctx context.Context, what string, req, resp any) error {
	if g.user != "" && g.token == "" {
		if err := g.login(ctx); err != nil {
			return err
		}
	}
	err := g.post(ctx, what, req, resp, g.token)
	if g.user != "" && errors.Is(err, errTokenRefused) {
		if err := g.login(ctx); err != nil {
			return err
		}
		err = g.post(ctx, what, req, resp, g.token)
	}
	return err
}

// errTokenRefused marks etcd's refusal of a call's token itself.
var errTokenRefused = errors.New("etcd refused the auth token")

// login gets a simple token for the user.
func (g *gateway) login(ctx context.Context) error {
	var out struct {
		Token string `json:"token"`
	}
	err := g.post(ctx, "auth/authenticate", struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}{g.user, g.password}, &out, "")
	switch {
	case err != nil && strings.Contains(err.Error(), "authentication is not enabled"):
		g.user = "" // nothing to log in to: calls go without a token
		return nil
	case err != nil:
		return fmt.Errorf("--to-user %s: %w", g.user, err)
	case out.Token == "":
		return fmt.Errorf("--to-user %s: etcd's authenticate answer holds no token", g.user)
	}
	g.token = out.Token
	return nil
}

// post is one call with token ("" for none).
func (g *gateway) post(ctx context.Context, what string, req, resp any, token string) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	var errs []error
	for _, ep := range g.endpoints {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(ep, "/")+"/v3/"+what, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("endpoint %q: %w", ep, err)
		}
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("Authorization", token)
		}
		res, err := g.hc.Do(r)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
			continue
		}
		data, err := io.ReadAll(io.LimitReader(res.Body, 1<<30))
		res.Body.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: reading the answer: %w", ep, err))
			continue
		}
		return decodeAnswer(ep, what, res.StatusCode, data, resp)
	}
	return fmt.Errorf("no target endpoint answered /v3/%s: %w", what, errors.Join(errs...))
}

func decodeAnswer(ep, what string, status int, data []byte, resp any) error {
	if status == http.StatusOK {
		if err := json.Unmarshal(data, resp); err != nil {
			return fmt.Errorf("%s: /v3/%s: answer is not the gateway's JSON: %w", ep, what, err)
		}
		return nil
	}
	var refusal struct {
		Message string `json:"message"`
		Error   string `json:"error"`
		Code    int    `json:"code"`
	}
	if json.Unmarshal(data, &refusal) != nil || (refusal.Message == "" && refusal.Error == "") {
		if status == http.StatusNotFound {
			return fmt.Errorf("%s: %w", ep, errNoGateway)
		}
		return fmt.Errorf("%s: /v3/%s: HTTP %d: %.200s", ep, what, status, data)
	}
	msg := refusal.Message
	if msg == "" {
		msg = refusal.Error
	}
	if strings.Contains(msg, "invalid auth token") {
		return fmt.Errorf("%s: /v3/%s: %w: %s", ep, what, errTokenRefused, msg)
	}
	if strings.Contains(msg, "user name is empty") || strings.Contains(msg, "permission denied") {
		return fmt.Errorf("%s: the target has v3 auth enabled: name a user with --to-user USER:PASSWORD (root, to copy users and roles; one that may read and write under the prefix otherwise): /v3/%s: %s", ep, what, msg)
	}
	return fmt.Errorf("%s: /v3/%s refused (HTTP %d, code %d): %s", ep, what, status, refusal.Code, msg)
}

// prefixEnd is the end of a range over every key starting with p.
func prefixEnd(p string) []byte {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return []byte{0}
}

// rangePrefix returns every key under p, linearizably, in pages, all at
// the revision of the first page.
func (g *gateway) rangePrefix(ctx context.Context, p string) ([]kv, int64, error) {
	const page = 5000
	var out []kv
	var rev int64
	from := []byte(p)
	for {
		req := map[string]any{"key": from, "range_end": prefixEnd(p), "limit": page}
		if rev != 0 {
			req["revision"] = strconv.FormatInt(rev, 10)
		}
		var resp struct {
			Header header `json:"header"`
			Kvs    []kv   `json:"kvs"`
			More   bool   `json:"more"`
		}
		if err := g.call(ctx, "kv/range", req, &resp); err != nil {
			return nil, 0, err
		}
		if rev == 0 {
			rev = int64(resp.Header.Revision)
		}
		out = append(out, resp.Kvs...)
		if !resp.More || len(resp.Kvs) == 0 {
			return out, rev, nil
		}
		from = append(append([]byte{}, resp.Kvs[len(resp.Kvs)-1].Key...), 0)
	}
}

// grant makes a lease of ttl seconds and returns its ID.
func (g *gateway) grant(ctx context.Context, ttl int64) (int64, error) {
	var resp struct {
		ID  i64 `json:"ID"`
		TTL i64 `json:"TTL"`
	}
	if err := g.call(ctx, "lease/grant", map[string]string{"TTL": strconv.FormatInt(ttl, 10)}, &resp); err != nil {
		return 0, err
	}
	if resp.ID == 0 {
		return 0, errors.New("lease/grant answered without a lease ID")
	}
	return int64(resp.ID), nil
}

// put is one key of a batch: written only if it is still as the copy saw
// it (absent when modRev is 0).
type put struct {
	key, value string
	lease      int64
	modRev     int64
}

// putAll writes the batch in one transaction. It reports false when a key
// changed since it was read, writing nothing.
func (g *gateway) putAll(ctx context.Context, batch []put) (rev int64, ok bool, err error) {
	cmps := make([]map[string]any, 0, len(batch))
	ops := make([]map[string]any, 0, len(batch))
	for _, p := range batch {
		k := []byte(p.key)
		if p.modRev == 0 {
			cmps = append(cmps, map[string]any{"key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0"})
		} else {
			cmps = append(cmps, map[string]any{"key": k, "target": "MOD", "result": "EQUAL", "mod_revision": strconv.FormatInt(p.modRev, 10)})
		}
		op := map[string]any{"key": k, "value": []byte(p.value)}
		if p.lease != 0 {
			op["lease"] = strconv.FormatInt(p.lease, 10)
		}
		ops = append(ops, map[string]any{"request_put": op})
	}
	var resp struct {
		Header    header `json:"header"`
		Succeeded bool   `json:"succeeded"`
	}
	if err := g.call(ctx, "kv/txn", map[string]any{"compare": cmps, "success": ops}, &resp); err != nil {
		return 0, false, err
	}
	return int64(resp.Header.Revision), resp.Succeeded, nil
}

// httpClient is the target's HTTP client: the default transport, no
// overall timeout (the command's context bounds every call).
func httpClient() *http.Client { return &http.Client{} }

// deleteAll deletes the keys in one transaction, each only if it was not
// written since modRev.
func (g *gateway) deleteAll(ctx context.Context, batch []put) (bool, error) {
	cmps := make([]map[string]any, 0, len(batch))
	ops := make([]map[string]any, 0, len(batch))
	for _, p := range batch {
		k := []byte(p.key)
		cmps = append(cmps, map[string]any{"key": k, "target": "MOD", "result": "EQUAL", "mod_revision": strconv.FormatInt(p.modRev, 10)})
		ops = append(ops, map[string]any{"request_delete_range": map[string]any{"key": k}})
	}
	var resp struct {
		Succeeded bool `json:"succeeded"`
	}
	if err := g.call(ctx, "kv/txn", map[string]any{"compare": cmps, "success": ops}, &resp); err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}
