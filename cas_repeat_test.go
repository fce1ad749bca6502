package client

// Tests of a compare-and-swap sent again after a failure that may have
// applied it: the repeat cannot apply twice, but its refusal may be the
// first attempt's own success, so the call must not answer "Compare
// failed" (a caller's read-modify-write loop would then apply its change
// a second time).

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCASRepeat_v2(t *testing.T) {
	refusal101 := fakeJSON(412, `{"errorCode":101,"message":"Compare failed","cause":"[old != v]","index":8}`, "8")
	refusal100 := fakeJSON(404, `{"errorCode":100,"message":"Key not found","cause":"/k","index":8}`, "8")
	cases := []struct {
		name    string
		first   fakeReply // the pinned member's answer
		second  fakeReply // the next member's
		opts    SetOptions
		unknown bool // the call must end with ErrOutcomeUnknown
		code    int  // else the etcd error code it must end with (0: success)
	}{
		{name: "reset_then_compare_failed", first: fakeReply{err: wrReset()}, second: refusal101, opts: SetOptions{PrevValue: "old"}, unknown: true},
		{name: "reset_then_not_found", first: fakeReply{err: wrReset()}, second: refusal100, opts: SetOptions{PrevIndex: 3}, unknown: true},
		{name: "500_then_compare_failed", first: fakeJSON(500, `{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}`, "6"),
			second: refusal101, opts: SetOptions{PrevIndex: 3}, unknown: true},
		{name: "reset_then_success", first: fakeReply{err: wrReset()}, second: wrOK(), opts: SetOptions{PrevValue: "old"}},
		{name: "never_sent_then_compare_failed", first: fakeReply{err: wrDialRefused()}, second: refusal101, opts: SetOptions{PrevValue: "old"}, code: ErrorCodeTestFailed},
		{name: "answered_compare_failed", first: refusal101, second: wrOK(), opts: SetOptions{PrevValue: "old"}, code: ErrorCodeTestFailed},
		// A plain Set refused after a reset is refused for a reason of its
		// own: it compares nothing, so the refusal is the answer.
		{name: "plain_set_reset_then_not_found", first: fakeReply{err: wrReset()}, second: refusal100, code: ErrorCodeKeyNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTransport().on(wrHost(wrEP1), tc.first).on(wrHost(wrEP2), tc.second)
			c := newFakeClient(t, ft, Config{}, wrEP1, wrEP2)
			_, err := NewKeysAPI(c).Set(context.Background(), "/k", "v", &tc.opts)
			switch {
			case tc.unknown:
				require.ErrorIs(t, err, ErrOutcomeUnknown)
				var e Error
				assert.False(t, errors.As(err, &e), "the refusal of the repeat is named, not matched: %v", err)
				assert.False(t, IsKeyNotFound(err))
				assert.Contains(t, err.Error(), "sent again, it was refused")
			case tc.code != 0:
				var e Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tc.code, e.Code)
				assert.NotErrorIs(t, err, ErrOutcomeUnknown)
			default:
				require.NoError(t, err)
			}
		})
	}
}

// writeTxn reads r's body and reports whether it is a transaction that
// writes, leaving the body readable again.
func writeTxn(t *testing.T, r *http.Request) bool {
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return r.URL.Path == "/v3/kv/txn" && bytes.Contains(b, []byte(`"request_put"`))
}

// applyThenDrop serves each request with g, but breaks the connection of
// a writing transaction after g applied it, before the answer leaves: the
// write applied, its client cannot know.
func applyThenDrop(t *testing.T, g *fakeGateway) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if writeTxn(t, r) {
			g.ServeHTTP(httptest.NewRecorder(), r)
			panic(http.ErrAbortHandler)
		}
		g.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// dropBeforeApply breaks the connection of every writing transaction
// before g sees it.
func dropBeforeApply(t *testing.T, g *fakeGateway) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if writeTxn(t, r) {
			panic(http.ErrAbortHandler)
		}
		g.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCASRepeat_v3(t *testing.T) {
	cases := []struct {
		name    string
		first   func(*testing.T, *fakeGateway) *httptest.Server
		opts    SetOptions
		unknown bool
	}{
		{name: "applied_prevValue", first: applyThenDrop, opts: SetOptions{PrevValue: "old"}, unknown: true},
		{name: "applied_prevIndex", first: applyThenDrop, unknown: true},
		{name: "not_applied_prevValue", first: dropBeforeApply, opts: SetOptions{PrevValue: "old"}},
		{name: "not_applied_prevIndex", first: dropBeforeApply},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, direct := newFakeGateway(t)
			ctx := context.Background()
			setup, err := New(Config{Endpoints: []string{direct.URL}, API: APIv3})
			require.NoError(t, err)
			r, err := NewKeysAPI(setup).Set(ctx, "/k", "old", nil)
			require.NoError(t, err)
			opts := tc.opts
			if opts.PrevValue == "" {
				opts.PrevIndex = r.Node.ModifiedIndex
			}

			flaky := tc.first(t, g)
			eps := []string{flaky.URL, direct.URL}
			c, err := New(Config{Endpoints: eps, API: APIv3})
			require.NoError(t, err)
			fakeForceOrder(t, c.(*httpClusterClient), eps)
			_, err = NewKeysAPI(c).Set(ctx, "/k", "new", &opts)
			if tc.unknown {
				require.ErrorIs(t, err, ErrOutcomeUnknown)
				var e Error
				assert.False(t, errors.As(err, &e), "no Compare failed for a swap that applied: %v", err)
			} else {
				require.NoError(t, err)
			}
			got, err := NewKeysAPI(setup).Get(ctx, "/k", nil)
			require.NoError(t, err)
			assert.Equal(t, "new", got.Node.Value, "the swap applied once, on one member or the other")
		})
	}
}
