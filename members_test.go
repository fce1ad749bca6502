package client

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMembersAPI_wire checks every row of wire.md's members table against
// what a server below an endpoint path receives.
func TestMembersAPI_wire(t *testing.T) {
	tests := []struct {
		name   string
		call   func(context.Context, MembersAPI) error
		status int
		answer string
		method string
		uri    string
		body   string
		ctype  string
	}{
		{name: "list", status: 200, answer: `{"members":[]}`, method: "GET", uri: "/v2/members",
			call: func(ctx context.Context, m MembersAPI) error { _, err := m.List(ctx); return err }},
		{name: "leader", status: 200, answer: `{"id":"a","name":"n","peerURLs":[],"clientURLs":[]}`, method: "GET", uri: "/v2/members/leader",
			call: func(ctx context.Context, m MembersAPI) error { _, err := m.Leader(ctx); return err }},
		{name: "add", status: 201, answer: `{"id":"b","peerURLs":["http://127.0.0.1:2380"]}`, method: "POST", uri: "/v2/members",
			body: `{"peerURLs":["http://127.0.0.1:2380"]}`, ctype: "application/json",
			call: func(ctx context.Context, m MembersAPI) error {
				_, err := m.Add(ctx, "http://127.0.0.1:2380")
				return err
			}},
		{name: "add_trimmed", status: 201, answer: `{"id":"b"}`, method: "POST", uri: "/v2/members",
			body: `{"peerURLs":["https://127.0.0.1:2380"]}`, ctype: "application/json",
			call: func(ctx context.Context, m MembersAPI) error {
				_, err := m.Add(ctx, "  https://127.0.0.1:2380 ")
				return err
			}},
		{name: "update_sorted_trimmed", status: 204, method: "PUT", uri: "/v2/members/8e9e05c52164694d",
			body: `{"peerURLs":["http://127.0.0.1:1","http://127.0.0.1:2","unix://127.0.0.1:3"]}`, ctype: "application/json",
			call: func(ctx context.Context, m MembersAPI) error {
				return m.Update(ctx, "8e9e05c52164694d", []string{"unix://127.0.0.1:3", " http://127.0.0.1:2", "http://127.0.0.1:1 "})
			}},
		{name: "remove", status: 204, method: "DELETE", uri: "/v2/members/8e9e05c52164694d",
			call: func(ctx context.Context, m MembersAPI) error { return m.Remove(ctx, "8e9e05c52164694d") }},
		// The empty id adds nothing to the path, as path.Join has it in
		// the contract: the request goes to the collection itself.
		{name: "remove_empty_id", status: 204, method: "DELETE", uri: "/v2/members",
			call: func(ctx context.Context, m MembersAPI) error { return m.Remove(ctx, "") }},
		{name: "update_empty_id", status: 204, method: "PUT", uri: "/v2/members",
			body: `{"peerURLs":["http://127.0.0.1:1"]}`, ctype: "application/json",
			call: func(ctx context.Context, m MembersAPI) error {
				return m.Update(ctx, "", []string{"http://127.0.0.1:1"})
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := setup(t)
			s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.answer))
			})
			require.NoError(t, tc.call(context.Background(), NewMembersAPI(c)), "call")
			reqs := s.requests()
			require.Len(t, reqs, 1, "requests the server saw")
			r := reqs[0]
			assert.Equal(t, tc.method, r.Method, "method")
			assert.Equal(t, tc.uri, r.RequestURI, "request URI")
			assert.Equal(t, tc.body, r.Body, "body")
			assert.Equal(t, tc.ctype, r.ContentType, "Content-Type")
		})
	}
}

func membersFake(t *testing.T, replies ...fakeReply) (*fakeTransport, MembersAPI) {
	t.Helper()
	ft := newFakeTransport().on("127.0.0.1:1", replies...)
	return ft, NewMembersAPI(newFakeClient(t, ft, Config{}, "http://127.0.0.1:1"))
}

func TestMembersAPI_List(t *testing.T) {
	tests := []struct {
		name    string
		reply   fakeReply
		want    []Member
		wantErr string
	}{
		{name: "fixture", reply: fakeFixtureReply(t, "members"), want: []Member{{
			ID: "2e1259d415f2a040", Name: "c1",
			PeerURLs: []string{"http://127.0.0.1:23800"}, ClientURLs: []string{"http://127.0.0.1:23790"},
		}}},
		{name: "null_members", reply: fakeJSON(200, `{"members":null}`, ""), want: []Member{}},
		{name: "empty_members", reply: fakeJSON(200, `{"members":[]}`, ""), want: []Member{}},
		{name: "unstarted_member", reply: fakeJSON(200, `{"members":[{"id":"x","peerURLs":["http://127.0.0.1:5"]}]}`, ""),
			want: []Member{{ID: "x", PeerURLs: []string{"http://127.0.0.1:5"}}}},
		{name: "unexpected_404", reply: fakeJSON(404, `{"message":"nope"}`, ""), wantErr: "unexpected status code 404"},
		{name: "unexpected_201", reply: fakeJSON(201, `{"members":[]}`, ""), wantErr: "unexpected status code 201"},
		{name: "garbage", reply: fakeJSON(200, `<html>`, ""), wantErr: ErrInvalidJSON.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, m := membersFake(t, tc.reply)
			got, err := m.List(context.Background())
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || got != nil {
					t.Fatalf("List() = %v, %v, want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("List() = %v", err)
			}
			if got == nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("List() = %#v, want %#v (non-nil)", got, tc.want)
			}
		})
	}
}

func TestMembersAPI_List_statusError(t *testing.T) {
	_, m := membersFake(t, fakeJSON(404, "", ""))
	_, err := m.List(context.Background())
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 404 {
		t.Errorf("List() error = %#v, want *StatusError{Code: 404}", err)
	}
}

func TestMembersAPI_Leader(t *testing.T) {
	_, m := membersFake(t, fakeFixtureReply(t, "leader"))
	got, err := m.Leader(context.Background())
	want := &Member{ID: "2e1259d415f2a040", Name: "c1",
		PeerURLs: []string{"http://127.0.0.1:23800"}, ClientURLs: []string{"http://127.0.0.1:23790"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Leader() = %#v, %v, want %#v", got, err, want)
	}

	for _, tc := range []struct {
		reply   fakeReply
		wantErr string
	}{
		{fakeJSON(404, "", ""), "unexpected status code 404"},
		{fakeJSON(200, "{", ""), ErrInvalidJSON.Error()},
	} {
		_, m := membersFake(t, tc.reply)
		if got, err := m.Leader(context.Background()); err == nil || err.Error() != tc.wantErr || got != nil {
			t.Errorf("Leader() = %v, %v, want error %q", got, err, tc.wantErr)
		}
	}
}

func TestMembersAPI_Add(t *testing.T) {
	tests := []struct {
		name    string
		reply   fakeReply
		want    *Member
		wantErr string
		code    int // MembersError code, when set
	}{
		{name: "created", reply: fakeJSON(201, `{"id":"1a2b","peerURLs":["http://127.0.0.1:2380"]}`, ""),
			want: &Member{ID: "1a2b", PeerURLs: []string{"http://127.0.0.1:2380"}}},
		{name: "conflict_fixture", reply: fakeFixtureReply(t, "member_add_conflict"), wantErr: "membership: peerURL exists", code: 409},
		{name: "ok_is_unexpected", reply: fakeJSON(200, `{"id":"1a2b"}`, ""), wantErr: "unexpected status code 200"},
		{name: "bad_request", reply: fakeJSON(400, `{"message":"bad"}`, ""), wantErr: "unexpected status code 400"},
		{name: "garbage", reply: fakeJSON(201, `not json`, ""), wantErr: ErrInvalidJSON.Error()},
		{name: "conflict_garbage", reply: fakeJSON(409, `conflict`, ""), wantErr: ErrInvalidJSON.Error()},
		{name: "all_members_down", reply: fakeJSON(503, "", ""), wantErr: "client: etcd cluster is unavailable or misconfigured; error #0: client: etcd member http://127.0.0.1:1 has no leader\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, m := membersFake(t, tc.reply)
			got, err := m.Add(context.Background(), "http://127.0.0.1:2380")
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || got != nil {
					t.Fatalf("Add() = %v, %v, want error %q", got, err, tc.wantErr)
				}
				var me *MembersError
				if tc.code != 0 && (!errors.As(err, &me) || me.Code != tc.code) {
					t.Errorf("Add() error = %#v, want *MembersError with code %d", err, tc.code)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Add() = %#v, %v, want %#v", got, err, tc.want)
			}
		})
	}
}

func TestMembersAPI_Update(t *testing.T) {
	tests := []struct {
		name    string
		reply   fakeReply
		wantErr string
	}{
		{name: "no_content", reply: fakeJSON(204, "", "")},
		{name: "not_found", reply: fakeJSON(404, `{"message":"membership: member not found"}`+"\n", ""), wantErr: "membership: member not found"},
		{name: "conflict", reply: fakeJSON(409, `{"message":"membership: peerURL exists"}`, ""), wantErr: "membership: peerURL exists"},
		{name: "ok_is_unexpected", reply: fakeJSON(200, "", ""), wantErr: "unexpected status code 200"},
		{name: "bad_request", reply: fakeJSON(400, `{"message":"x"}`, ""), wantErr: "unexpected status code 400"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, m := membersFake(t, tc.reply)
			err := m.Update(context.Background(), "1a2b", []string{"http://127.0.0.1:2380"})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("Update() = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestMembersAPI_Remove(t *testing.T) {
	tests := []struct {
		name    string
		reply   fakeReply
		wantErr string
	}{
		{name: "no_content", reply: fakeJSON(204, "", "")},
		{name: "gone_counts_as_removed", reply: fakeJSON(410, `{"message":"membership: member removed"}`, "")},
		{name: "not_found", reply: fakeJSON(404, `{"message":"membership: member not found"}`, ""), wantErr: "unexpected status code 404"},
		{name: "ok_is_unexpected", reply: fakeJSON(200, "", ""), wantErr: "unexpected status code 200"},
		{name: "request_error", reply: fakeReply{err: errFakeRefused}, wantErr: "client: etcd cluster is unavailable or misconfigured; error #0: fake: connection refused\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, m := membersFake(t, tc.reply)
			err := m.Remove(context.Background(), "1a2b")
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("Remove() = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestMembersAPI_validation: bad peer URLs fail before anything is sent.
func TestMembersAPI_validation(t *testing.T) {
	bad := []struct {
		name string
		urls []string
	}{
		{"none", nil},
		{"empty_list", []string{}},
		{"empty_string", []string{""}},
		{"no_scheme", []string{"127.0.0.1:2380"}},
		{"ftp_scheme", []string{"ftp://127.0.0.1:2380"}},
		{"no_port", []string{"http://127.0.0.1"}},
		{"path", []string{"http://127.0.0.1:2380/peer"}},
		{"root_path", []string{"http://127.0.0.1:2380/"}},
		{"unparsable", []string{"http://[::1"}},
		{"one_bad_among_good", []string{"http://127.0.0.1:1", "http://127.0.0.1"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			ft, m := membersFake(t, fakeJSON(204, "", ""))
			if err := m.Update(context.Background(), "1a2b", tc.urls); err == nil {
				t.Errorf("Update(%q) = nil, want a validation error", tc.urls)
			}
			if len(tc.urls) == 1 {
				if got, err := m.Add(context.Background(), tc.urls[0]); err == nil {
					t.Errorf("Add(%q) = %v, nil, want a validation error", tc.urls[0], got)
				}
			}
			if n := len(ft.requests()); n != 0 {
				t.Errorf("%d requests sent for invalid peer URLs %q, want 0", n, tc.urls)
			}
		})
	}

	good := []string{"http://127.0.0.1:2380", "https://127.0.0.1:2380", "unix://127.0.0.1:2380", "unixs://127.0.0.1:2380",
		" http://127.0.0.1:2380\t", "http://localhost:1"}
	for _, u := range good {
		ft, m := membersFake(t, fakeJSON(204, "", ""))
		if err := m.Update(context.Background(), "1a2b", []string{u}); err != nil {
			t.Errorf("Update(%q) = %v, want nil", u, err)
		}
		if n := len(ft.requests()); n != 1 {
			t.Errorf("Update(%q) sent %d requests, want 1", u, n)
		}
	}
}
