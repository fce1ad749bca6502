package client

// Fuzz targets for what a hostile or broken member (or a careless caller)
// controls: the error body of a refused keys call, the answers of the
// members API, and the endpoint and key strings that become URLs. Each
// target checks that nothing panics and that the result keeps the
// documented shape. The seed corpora live in testdata/fuzz/<Target>/;
// `go test` runs them, `go test -fuzz '^FuzzX$'` searches for more.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fuzzStaticTransport answers every request with the same status, headers
// and body, without a network.
type fuzzStaticTransport struct {
	status int
	header http.Header
	body   []byte
}

func (f *fuzzStaticTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode:    f.status,
		Header:        f.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(f.body)),
		ContentLength: int64(len(f.body)),
		Request:       req,
	}, nil
}

func (f *fuzzStaticTransport) CancelRequest(*http.Request) {}

// fuzzSeedFiles adds the captured etcd answers named by globs to the seed
// corpus, so the fuzzer starts from real shapes.
func fuzzSeedFiles(f *testing.F, add func([]byte), globs ...string) {
	f.Helper()
	for _, g := range globs {
		files, err := filepath.Glob(filepath.Join("testdata", "etcd-3.4.23", g))
		if err != nil {
			f.Fatalf("Glob(%q) = %v", g, err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatalf("ReadFile(%q) = %v", name, err)
			}
			add(b)
		}
	}
}

func FuzzUnmarshalFailedKeysResponse(f *testing.F) {
	fuzzSeedFiles(f, func(b []byte) { f.Add(b) },
		"get_missing.json", "watch_cleared.json", "create_exists.json", "cas_fail.json",
		"not_a_file.json", "delete_dir_notempty.json")
	for _, s := range []string{
		"", "null", "{}", "[]", `"x"`, "404 page not found\n",
		`{"errorCode":"100"}`, `{"errorCode":1e400}`, `{"index":-1}`, `{"index":18446744073709551616}`,
		`{"errorCode":401,"message":"\u0000\ud800","cause":null,"index":1}`,
		`{"errorCode":100}{"errorCode":101}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := decodeKeysRefusal(body)
		if err == nil {
			t.Fatalf("decodeKeysRefusal(%q) = nil, want an error", body)
		}
		var e Error
		switch {
		case errors.As(err, &e):
			_ = e.Error()
			// A decoded refusal must classify the same way through
			// wrapping as it does bare.
			wrapped := wrapForFuzz(err)
			if IsKeyNotFound(wrapped) != (e.Code == ErrorCodeKeyNotFound) {
				t.Fatalf("IsKeyNotFound(wrapped %v) disagrees with Code %d", err, e.Code)
			}
			if IsEventIndexCleared(wrapped) != (e.Code == ErrorCodeEventIndexCleared) {
				t.Fatalf("IsEventIndexCleared(wrapped %v) disagrees with Code %d", err, e.Code)
			}
		case err == ErrInvalidJSON:
		default:
			t.Fatalf("unmarshalFailedKeysResponse(%q) = %T %v, want Error or ErrInvalidJSON", body, err, err)
		}
	})
}

func wrapForFuzz(err error) error {
	return &ClusterError{Errors: []error{errors.New("other"), errWrapper{err}}}
}

type errWrapper struct{ err error }

func (w errWrapper) Error() string { return "wrapped: " + w.err.Error() }
func (w errWrapper) Unwrap() error { return w.err }

// fuzzMembersCalls are the members calls FuzzMembersDecode drives, by
// number.
var fuzzMembersCalls = []string{"List", "Leader", "Add", "Update", "Remove"}

func FuzzMembersDecode(f *testing.F) {
	fuzzSeedFiles(f, func(b []byte) {
		for call := range fuzzMembersCalls {
			f.Add(uint8(call), uint16(200), b)
			f.Add(uint8(call), uint16(201), b)
		}
	}, "members.json", "leader.json")
	fuzzSeedFiles(f, func(b []byte) { f.Add(uint8(2), uint16(409), b); f.Add(uint8(3), uint16(404), b) },
		"member_add_conflict.json")
	for _, s := range []string{
		"", "null", "{}", `{"members":null}`, `{"members":[null]}`, `{"members":{}}`,
		`{"members":[{"id":1}]}`, `{"message":7}`, "not json", `{"clientURLs":"x"}`,
	} {
		for call := range fuzzMembersCalls {
			f.Add(uint8(call), uint16(200), []byte(s))
		}
	}
	f.Add(uint8(0), uint16(500), []byte("{}"))
	f.Add(uint8(2), uint16(302), []byte(""))
	f.Add(uint8(4), uint16(410), []byte(""))

	f.Fuzz(func(t *testing.T, call uint8, status uint16, body []byte) {
		code := 100 + int(status)%500
		c, err := New(Config{
			Endpoints: []string{"http://127.0.0.1:1"},
			Transport: &fuzzStaticTransport{
				status: code,
				header: http.Header{"Content-Type": {"application/json"}, "Location": {"http://127.0.0.1:1/x"}},
				body:   body,
			},
			// Keep redirect loops short: the fake redirects to itself.
			CheckRedirect: func(via int) error {
				if via > 2 {
					return ErrTooManyRedirects
				}
				return nil
			},
		})
		if err != nil {
			t.Fatalf("New = %v", err)
		}
		m := NewMembersAPI(c)
		ctx := context.Background()
		name := fuzzMembersCalls[int(call)%len(fuzzMembersCalls)]
		switch name {
		case "List":
			ms, err := m.List(ctx)
			if err == nil && ms == nil {
				t.Fatalf("List with %d %q = nil, nil; want a non-nil slice", code, body)
			}
			checkMembersErr(t, name, code, body, err)
		case "Leader":
			lm, err := m.Leader(ctx)
			if err == nil && lm == nil {
				t.Fatalf("Leader with %d %q = nil, nil", code, body)
			}
			checkMembersErr(t, name, code, body, err)
		case "Add":
			am, err := m.Add(ctx, "http://127.0.0.1:2380")
			if err == nil && am == nil {
				t.Fatalf("Add with %d %q = nil, nil", code, body)
			}
			checkMembersErr(t, name, code, body, err)
		case "Update":
			checkMembersErr(t, name, code, body, m.Update(ctx, "1234", []string{"http://127.0.0.1:2380"}))
		case "Remove":
			checkMembersErr(t, name, code, body, m.Remove(ctx, "1234"))
		}
	})
}

// checkMembersErr fails unless err is nil or one of the documented kinds
// for a members call.
func checkMembersErr(t *testing.T, call string, code int, body []byte, err error) {
	t.Helper()
	if err == nil {
		// Removing a member already removed (410 Gone) succeeds.
		if code/100 != 2 && !(call == "Remove" && code == http.StatusGone) {
			t.Fatalf("%s with status %d %q = nil error, want one", call, code, body)
		}
		return
	}
	_ = err.Error()
	var (
		me *MembersError
		se *StatusError
		ce *ClusterError
	)
	switch {
	case code/100 == 3 && errors.Is(err, ErrTooManyRedirects):
		// The fake redirects to itself until CheckRedirect gives up.
	case errors.Is(err, ErrInvalidJSON):
	case errors.As(err, &me):
		if me.Code != code {
			t.Fatalf("%s with status %d: MembersError.Code = %d", call, code, me.Code)
		}
	case errors.As(err, &se):
		if se.Code != code {
			t.Fatalf("%s with status %d: StatusError.Code = %d", call, code, se.Code)
		}
	case errors.As(err, &ce):
		if code/100 != 5 {
			t.Fatalf("%s with status %d = ClusterError %v, want it only for 5xx", call, code, err)
		}
	default:
		t.Fatalf("%s with status %d %q = %T %v, want a documented error", call, code, body, err, err)
	}
}

func FuzzEndpoints(f *testing.F) {
	for _, s := range [][3]string{
		{"http://127.0.0.1:2379", "/v2/keys", "foo"},
		{"http://127.0.0.1:2379,http://127.0.0.1:22379", "/v2/keys", "/dir/"},
		{"https://[::1]:2379/proxy/", "v2/keys", "../../version"},
		{"unix:///tmp/etcd.sock", "", ""},
		{"http://user:pass@127.0.0.1:1/%2e%2e/", "/", "a%2Fb?c=d#e"},
		{"127.0.0.1:2379", "/v2/keys", "//a//b/./c/.."},
		{"http://127.0.0.1:2379 ", "/v2/keys", "key with space"},
		{"http://[fe80::1%25en0]:2379", "/v2/keys", "\x00\xff"},
		{"", "", "/"},
		{":", "/v2/keys", "."},
		{"http://127.0.0.1:2379\nhttp://127.0.0.1:2379", "x", "y"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, eps, prefix, key string) {
		list := strings.Split(eps, ",")

		checkKeyPath(t, "", prefix, key)
		checkPeerURLs(t, list)

		c, err := New(Config{Endpoints: list, Transport: &fuzzStaticTransport{status: 200, body: []byte(`{"action":"get","node":{"key":"/"}}`)}})
		if err != nil {
			var ue *url.Error
			if !errors.As(err, &ue) {
				t.Fatalf("New(%q) = %T %v, want a *url.Error", list, err, err)
			}
			return
		}
		got := c.Endpoints()
		if len(got) != len(list) {
			t.Fatalf("New(%q).Endpoints() = %q, want %d entries", list, got, len(list))
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), sortedEndpointStrings(t, list)) {
			t.Fatalf("New(%q).Endpoints() = %q, want the parsed endpoints", list, got)
		}
		if err := c.SetEndpoints(nil); err != ErrNoEndpoints {
			t.Fatalf("SetEndpoints(nil) = %v, want ErrNoEndpoints", err)
		}
		if again := c.Endpoints(); len(again) != len(got) {
			t.Fatalf("Endpoints() after a failed SetEndpoints = %q, want %q kept", again, got)
		}
		// What Endpoints returns must be accepted again as it is, except
		// where net/url itself does not round-trip: url.URL.String can
		// escape an IPv6 zone with raw non-UTF-8 bytes into a form
		// url.Parse refuses (testdata/fuzz/FuzzEndpoints/0cb9a9f5bf058f21).
		roundTrips := true
		for _, s := range got {
			if _, err := url.Parse(s); err != nil {
				roundTrips = false
			}
		}
		if roundTrips {
			if err := c.SetEndpoints(got); err != nil {
				t.Fatalf("SetEndpoints(%q) = %v, want nil", got, err)
			}
		}
		for _, s := range list {
			u, _ := url.Parse(s)
			checkKeyPath(t, u.Path, prefix, key)
			for _, act := range []*action{
				getAction(prefix, key, GetOptions{}),
				waitAction(prefix, key, 7, false),
				setAction(prefix, key, key, SetOptions{}),
				membersAction(http.MethodGet, key, nil),
				{method: http.MethodGet, prefix: "/version"},
			} {
				if ru := act.url(u); roundTrips {
					if _, err := url.Parse(ru.String()); err != nil {
						t.Fatalf("request URL %q for endpoint %q and key %q does not parse: %v", ru, s, key, err)
					}
				}
			}
		}
		// A whole call through the cluster client must end in an answer
		// or an error, never a panic, whatever the endpoint looks like.
		_, _ = NewKeysAPIWithPrefix(c, prefix).Get(context.Background(), key, nil)
	})
}

func sortedEndpointStrings(t *testing.T, list []string) []string {
	t.Helper()
	out := make([]string, 0, len(list))
	for _, s := range list {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("url.Parse(%q) = %v after New accepted it", s, err)
		}
		out = append(out, u.String())
	}
	slices.Sort(out)
	return out
}

// checkKeyPath asserts the shape keyPath promises: a clean path, except
// for a kept trailing slash when the joined input had one.
func checkKeyPath(t *testing.T, epPath, prefix, key string) {
	t.Helper()
	p := keyPath(epPath, prefix, key)
	if p == "" {
		t.Fatalf("keyPath(%q, %q, %q) = \"\"", epPath, prefix, key)
	}
	base := strings.TrimSuffix(p, "/")
	if base == "" {
		base = "/"
	}
	if path.Clean(base) != base {
		t.Fatalf("keyPath(%q, %q, %q) = %q, not clean", epPath, prefix, key, p)
	}
	// The empty key adds nothing, not even a separator.
	joined := epPath
	if prefix != "" {
		joined += "/" + prefix
	}
	if key != "" {
		joined += "/" + key
	}
	if path.Clean(joined) != path.Clean(p) && path.Clean("/"+joined) != path.Clean(p) {
		t.Fatalf("keyPath(%q, %q, %q) = %q, want the cleaned join %q", epPath, prefix, key, p, path.Clean(joined))
	}
	wantTrailing := strings.HasSuffix(joined, "/") && base != "/"
	if strings.HasSuffix(p, "/") != wantTrailing && p != "/" {
		t.Fatalf("keyPath(%q, %q, %q) = %q, trailing slash kept = %v, want %v", epPath, prefix, key, p, !wantTrailing, wantTrailing)
	}
}

// checkPeerURLs asserts that normalizePeerURLs either refuses a list or
// returns sorted URLs that it accepts again unchanged.
func checkPeerURLs(t *testing.T, in []string) {
	t.Helper()
	out, err := normalizePeerURLs(in)
	if err != nil {
		return
	}
	if len(out) != len(in) || !slices.IsSorted(out) {
		t.Fatalf("normalizePeerURLs(%q) = %q, want %d sorted URLs", in, out, len(in))
	}
	for _, s := range out {
		u, err := url.Parse(s)
		if err != nil {
			// net/url's own round-trip gap (raw non-UTF-8 bytes in an
			// IPv6 zone, testdata/fuzz/FuzzEndpoints/7ed094502d4daa2a):
			// String escapes them into a form Parse refuses. The server
			// refuses such a peer URL too, so nothing is lost.
			return
		}
		switch u.Scheme {
		case "http", "https", "unix", "unixs":
		default:
			t.Fatalf("normalizePeerURLs(%q) returned %q with scheme %q", in, s, u.Scheme)
		}
	}
	again, err := normalizePeerURLs(out)
	if err != nil || !slices.Equal(again, out) {
		t.Fatalf("normalizePeerURLs(%q) = %q, %v; want %q, nil (idempotent)", out, again, err, out)
	}
}
