package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// redirectGetAnswer answers like an etcd member does a Get of /foo.
func redirectGetAnswer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Etcd-Index", "9")
	io.WriteString(w, `{"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":9,"createdIndex":9}}`)
}

// setupRedirect starts a server whose handler redirects with status
// code to the Location that location (when not nil) returns for the
// request, or answers like a Get when it returns "".
func setupRedirect(t *testing.T, code int, location func(r *http.Request) string, opts ...setupOption) (*testServer, Client) {
	t.Helper()
	s, c := setup(t, opts...)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if location != nil {
			if loc := location(r); loc != "" {
				w.Header().Set("Location", loc)
				w.WriteHeader(code)
				return
			}
		}
		redirectGetAnswer(w)
	})
	return s, c
}

// redirectCreds are the credentials of the redirect tests' clients.
var redirectCreds = Config{Username: "root", Password: "hunter2"}

// TestCredentialsMayFollow pins net/http's rule for sensitive headers on
// redirects, with the client's endpoints as the initial hosts.
func TestCredentialsMayFollow(t *testing.T) {
	tests := []struct {
		name      string
		endpoints []string
		dest      string
		want      bool
	}{
		{"same_host_and_port", []string{"http://127.0.0.1:2379"}, "http://127.0.0.1:2379/v2/keys/a", true},
		{"same_host_other_port", []string{"http://127.0.0.1:2379"}, "http://127.0.0.1:22379/v2/keys/a", true},
		{"same_host_no_port", []string{"http://etcd.example:2379"}, "http://etcd.example/v2/keys/a", true},
		{"other_scheme_same_host", []string{"http://etcd.example:2379"}, "https://etcd.example:2379/", true},
		{"second_endpoint", []string{"http://a.example:1", "http://b.example:2"}, "http://b.example:3/", true},
		{"subdomain", []string{"http://etcd.example:2379"}, "http://m1.etcd.example:2379/", true},
		{"deep_subdomain", []string{"http://etcd.example:2379"}, "http://x.m1.etcd.example/", true},
		{"parent_domain", []string{"http://m1.etcd.example:2379"}, "http://etcd.example:2379/", false},
		{"sibling", []string{"http://m1.etcd.example:2379"}, "http://m2.etcd.example:2379/", false},
		{"suffix_without_dot", []string{"http://etcd.example"}, "http://evil-etcd.example/", false},
		{"endpoint_as_prefix", []string{"http://etcd.example"}, "http://etcd.example.evil/", false},
		{"other_host", []string{"http://127.0.0.1:2379"}, "http://evil.example:2379/", false},
		{"ip_vs_name", []string{"http://127.0.0.1:2379"}, "http://localhost:2379/", false},
		{"name_vs_ip", []string{"http://localhost:2379"}, "http://127.0.0.1:2379/", false},
		{"other_ip", []string{"http://127.0.0.1:2379"}, "http://127.0.0.2:2379/", false},
		{"ipv6_same_other_port", []string{"http://[::1]:2379"}, "http://[::1]:2380/", true},
		{"ipv6_other", []string{"http://[::1]:2379"}, "http://[::2]:2379/", false},
		{"ipv6_zone_suffix", []string{"http://example:2379"}, "http://[fe80::1%25.example]:2379/", false},
		{"ipv4_endpoint_ipv6_dest", []string{"http://127.0.0.1:2379"}, "http://[::ffff:127.0.0.1]:2379/", false},
		{"upper_case_dest", []string{"http://etcd.example:2379"}, "http://ETCD.EXAMPLE:2379/", false},
		{"upper_case_same_host_port", []string{"http://ETCD.example:2379"}, "http://ETCD.example:2379/", true},
		{"upper_case_subdomain", []string{"http://ETCD.example"}, "http://m1.ETCD.example/", true},
		{"userinfo_ignored", []string{"http://etcd.example:2379"}, "http://root:pw@evil.example/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var eps []*url.URL
			for _, e := range tc.endpoints {
				eps = append(eps, redirectTestURL(t, e))
			}
			if got := credentialsMayFollow(eps, redirectTestURL(t, tc.dest)); got != tc.want {
				t.Errorf("credentialsMayFollow(%q, %q) = %v, want %v", tc.endpoints, tc.dest, got, tc.want)
			}
		})
	}
}

// nameDialer connects every host name of the form NAME.test:PORT to
// 127.0.0.1:PORT, so end-to-end tests can redirect between host names
// without DNS.
func nameDialer(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(strings.ToLower(host), ".test") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// withHost returns base (a test server's URL) with its host name replaced.
func withHost(t *testing.T, base, host string) string {
	t.Helper()
	u := redirectTestURL(t, base)
	u.Host = net.JoinHostPort(host, u.Port())
	return u.String()
}

func TestRedirect_credentialsStayWithEndpoints(t *testing.T) {
	wantAuth := basicAuth("root", "hunter2")
	tests := []struct {
		name string
		// entryHost is the endpoint's host name; target builds the
		// Location from the target server's and the second endpoint's
		// URLs.
		entryHost string
		target    func(t *testing.T, targetURL, other string) string
		wantAuth  bool // whether the redirect target sees the credentials
		hitOther  bool // whether the target is the client's second endpoint
	}{
		{"same_ip_other_port", "127.0.0.1", func(_ *testing.T, a, _ string) string { return a + "/v2/keys/foo" }, true, false},
		{"same_name_other_port", "etcd.test", func(t *testing.T, a, _ string) string { return withHost(t, a, "etcd.test") + "/v2/keys/foo" }, true, false},
		{"subdomain", "etcd.test", func(t *testing.T, a, _ string) string { return withHost(t, a, "m1.etcd.test") + "/v2/keys/foo" }, true, false},
		{"upper_case_host", "etcd.test", func(t *testing.T, a, _ string) string { return withHost(t, a, "ETCD.test") + "/v2/keys/foo" }, false, false},
		{"foreign_host", "etcd.test", func(t *testing.T, a, _ string) string { return withHost(t, a, "evil.test") + "/v2/keys/foo" }, false, false},
		{"name_to_ip", "etcd.test", func(_ *testing.T, a, _ string) string { return a + "/v2/keys/foo" }, false, false},
		{"foreign_host_scheme_relative", "etcd.test", func(t *testing.T, a, _ string) string {
			return strings.TrimPrefix(withHost(t, a, "evil.test"), "http:") + "/steal"
		}, false, false},
		{"foreign_host_with_userinfo", "etcd.test", func(t *testing.T, a, _ string) string {
			return strings.Replace(withHost(t, a, "evil.test"), "http://", "http://root:hunter2@", 1) + "/x"
		}, false, false},
		{"another_endpoint", "etcd.test", func(_ *testing.T, _, o string) string { return o + "/v2/keys/foo" }, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target, _ := setupRedirect(t, 0, nil)
			other, _ := setupRedirect(t, 0, nil)
			otherURL := withHost(t, other.endpoint, "other.test")
			entry, _ := setupRedirect(t, http.StatusTemporaryRedirect, func(*http.Request) string {
				return tc.target(t, target.endpoint, otherURL)
			})
			entryURL := withHost(t, entry.endpoint, tc.entryHost)
			cfg := redirectCreds
			cfg.Endpoints = []string{entryURL, otherURL}
			cfg.Transport = &http.Transport{DialContext: nameDialer}
			c := newTestClient(t, cfg)
			// Pin the redirecting member: the list is shuffled, and the
			// other endpoint is there only for its host to count as the
			// client's own.
			kapi := NewKeysAPI(&pinFirstClient{Client: c, first: entryURL})
			if _, err := kapi.Set(context.Background(), "/foo", "bar", nil); err != nil {
				t.Fatalf("Set = %v", err)
			}
			if got := entry.requests(); len(got) != 1 || got[0].Auth != wantAuth {
				t.Fatalf("entry member saw %+v, want one request with the credentials", got)
			}
			dest := target
			if tc.hitOther {
				dest = other
			}
			got := dest.requests()
			if len(got) != 1 {
				t.Fatalf("redirect target saw %d requests, want 1", len(got))
			}
			if got[0].Method != http.MethodPut || got[0].Body != "value=bar" {
				t.Errorf("redirect target saw %s %q, want the PUT with its body", got[0].Method, got[0].Body)
			}
			if (got[0].Auth != "") != tc.wantAuth {
				t.Errorf("redirect target saw Authorization %q, want present = %v", got[0].Auth, tc.wantAuth)
			}
			if tc.wantAuth && got[0].Auth != wantAuth {
				t.Errorf("redirect target saw Authorization %q, want %q", got[0].Auth, wantAuth)
			}
			if !tc.hitOther && len(other.requests()) != 0 {
				t.Errorf("second endpoint saw %d requests, want none", len(other.requests()))
			}
		})
	}
}

// TestRedirect_credentialsStayDropped follows net/http: once a hop drops
// the credentials, a later hop back to an endpoint does not restore them.
func TestRedirect_credentialsStayDropped(t *testing.T) {
	var entry *testServer
	var hops atomic.Int32
	entry, _ = setupRedirect(t, http.StatusTemporaryRedirect, func(r *http.Request) string {
		if hops.Add(1) == 1 {
			return withHost(t, entry.endpoint, "evil.test") + "/bounce"
		}
		if r.URL.Path == "/bounce" {
			return withHost(t, entry.endpoint, "etcd.test") + "/v2/keys/foo"
		}
		return ""
	})
	cfg := redirectCreds
	cfg.Endpoints = []string{withHost(t, entry.endpoint, "etcd.test")}
	cfg.Transport = &http.Transport{DialContext: nameDialer}
	c := newTestClient(t, cfg)
	if _, err := NewKeysAPI(c).Get(context.Background(), "/foo", nil); err != nil {
		t.Fatalf("Get = %v", err)
	}
	got := entry.requests()
	if len(got) != 3 {
		t.Fatalf("saw %d requests, want 3: %+v", len(got), got)
	}
	if got[0].Auth == "" || got[1].Auth != "" || got[2].Auth != "" {
		t.Errorf("Authorization along the chain = %q, %q, %q; want it on the first request only", got[0].Auth, got[1].Auth, got[2].Auth)
	}
}

// pinFirstClient sends every call to the endpoint first, by setting the
// endpoint list to it plus the others before each call. It exists because
// New shuffles the endpoints and tests need a known entry point while the
// other endpoints still count as the client's own hosts.
type pinFirstClient struct {
	Client
	first string
}

func (p *pinFirstClient) Do(ctx context.Context, act httpAction) (*http.Response, []byte, error) {
	hc := p.Client.(*httpClusterClient)
	st := hc.state.Load()
	for i, s := range st.strs {
		if s == p.first {
			st.pinned.Store(int64(i))
		}
	}
	return p.Client.Do(ctx, act)
}

func TestRedirect_relativeLocation(t *testing.T) {
	tests := []struct {
		name     string
		location string
		wantPath string // below the endpoint path
	}{
		{"absolute_path", testPrefix + "/v2/keys/moved", "/v2/keys/moved"},
		{"relative_path", "moved", "/v2/keys/moved"},
		{"parent", "../other/x", "/v2/other/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hops atomic.Int32
			srv, c := setupRedirect(t, http.StatusTemporaryRedirect, func(*http.Request) string {
				if hops.Add(1) == 1 {
					return tc.location
				}
				return ""
			}, withConfig(redirectCreds))
			if _, err := NewKeysAPI(c).Set(context.Background(), "/foo", "bar", nil); err != nil {
				t.Fatalf("Set = %v", err)
			}
			got := srv.requests()
			if len(got) != 2 {
				t.Fatalf("server saw %d requests, want 2 (the call and its redirect)", len(got))
			}
			second := got[1]
			if second.Path != tc.wantPath {
				t.Errorf("redirected request path = %q, want %q", second.Path, tc.wantPath)
			}
			if second.Method != http.MethodPut || second.Body != "value=bar" {
				t.Errorf("redirected request = %s with body %q, want PUT with value=bar", second.Method, second.Body)
			}
			if second.Auth == "" {
				t.Errorf("redirect to the same host lost the credentials")
			}
		})
	}
}

func TestRedirect_loopsAndBadLocations(t *testing.T) {
	tests := []struct {
		name      string
		location  func(self string) string
		status    int
		check     CheckRedirectFunc
		wantIs    error
		wantText  string
		wantCalls int
	}{
		{"self_loop_default_limit", func(s string) string { return s + "/v2/keys/foo" }, http.StatusTemporaryRedirect, nil, ErrTooManyRedirects, "", 11},
		{"self_loop_hop_cap", func(s string) string { return s + "/v2/keys/foo" }, http.StatusFound, func(int) error { return nil }, ErrTooManyRedirects, "more than 100", 100},
		{"custom_refusal", func(s string) string { return s + "/v2/keys/foo" }, http.StatusMovedPermanently, func(via int) error { return errRedirectRefused }, errRedirectRefused, "", 1},
		{"invalid_location", func(string) string { return "http://[::1" }, http.StatusTemporaryRedirect, nil, nil, "Location header not valid URL: http://[::1", 1},
		{"invalid_escape", func(string) string { return "/v2/keys/%zz" }, http.StatusTemporaryRedirect, nil, nil, "Location header not valid URL", 1},
		{"missing_location", func(string) string { return "" }, http.StatusFound, nil, nil, "Location header not set", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := setup(t, withConfig(Config{CheckRedirect: tc.check}))
			s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				if loc := tc.location(s.endpoint); loc != "" {
					w.Header().Set("Location", loc)
				}
				w.WriteHeader(tc.status)
			})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := NewKeysAPI(c).Get(ctx, "/foo", nil)
			if err == nil {
				t.Fatal("Get = nil error, want one")
			}
			var ce *ClusterError
			if !errors.As(err, &ce) {
				t.Errorf("Get = %T %v, want a *ClusterError", err, err)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("Get = %v, want errors.Is %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("Get = %q, want it to contain %q", err, tc.wantText)
			}
			if got := len(s.requests()); got != tc.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tc.wantCalls)
			}
		})
	}
}

var errRedirectRefused = errors.New("redirects not allowed here")

func TestRedirect_pingPongBetweenHosts(t *testing.T) {
	a, c := setup(t)
	b, _ := setup(t)
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, b.endpoint+r.URL.Path, http.StatusTemporaryRedirect)
	})
	b.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, a.endpoint+r.URL.Path, http.StatusTemporaryRedirect)
	})
	// Create is one-shot: the redirect error comes back bare.
	_, err := NewKeysAPI(c).Create(context.Background(), "/foo", "bar")
	if err != ErrTooManyRedirects {
		t.Fatalf("Create = %v, want ErrTooManyRedirects", err)
	}
	if got := len(a.requests()) + len(b.requests()); got != 11 {
		t.Errorf("servers saw %d requests, want 11", got)
	}
}

// captureCURL turns on cURL debugging and captures os.Stderr for the test.
func captureCURL(t *testing.T) *curlBuffer {
	t.Helper()
	out := curlCaptureOutput(t)
	EnablecURLDebug()
	return out
}

func TestCURL_neverShowsPasswords(t *testing.T) {
	const secret = `Sup3r"se\cret&password=x`
	srv, c := setup(t, withConfig(redirectCreds))
	srv.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"user":"alice","roles":[]}`)
	})
	out := captureCURL(t)
	ctx := context.Background()

	users := NewAuthUserAPI(c)
	if err := users.AddUser(ctx, "alice", secret); err != nil {
		t.Fatalf("AddUser = %v", err)
	}
	if _, err := users.ChangePassword(ctx, "alice", secret); err != nil {
		t.Fatalf("ChangePassword = %v", err)
	}
	// An endpoint URL with credentials in it must not print them either.
	cfg := redirectCreds
	cfg.Endpoints = []string{strings.Replace(srv.endpoint, "http://", "http://alice:"+"pw-in-url"+"@", 1)}
	c2 := newTestClient(t, cfg)
	if _, err := NewKeysAPI(c2).Get(ctx, "/foo", nil); err != nil {
		t.Fatalf("Get = %v", err)
	}
	// A form body with a password field, as a proxy API might take.
	form := &action{method: http.MethodPost, prefix: "/login", body: "user=alice&password=hunter2&x=1", contentType: formContentType}
	req := (&httpClusterClient{}).newRequest(form, redirectTestURL(t, srv.endpoint), nil, false)
	if err := printcURL(req); err != nil {
		t.Fatalf("printcURL = %v", err)
	}
	if b, _ := io.ReadAll(req.Body); string(b) != "user=alice&password=hunter2&x=1" {
		t.Errorf("body after printcURL = %q, want it intact for the real send", b)
	}

	got := out.String()
	if n := strings.Count(got, "cURL Command:"); n != 4 {
		t.Fatalf("cURL output has %d commands, want 4:\n%s", n, got)
	}
	for _, leak := range []string{"Sup3r", "se\\\\cret", "hunter2", "pw-in-url", basicAuth("root", "hunter2")} {
		if strings.Contains(got, leak) {
			t.Errorf("cURL output shows %q:\n%s", leak, got)
		}
	}
	for _, want := range []string{`\"user\":\"alice\"`, "x=1", "/v2/auth/users/alice"} {
		if !strings.Contains(got, want) {
			t.Errorf("cURL output lacks %q (redaction went too far):\n%s", want, got)
		}
	}
	// The server itself got the real password.
	var sawSecret bool
	for _, r := range srv.requests() {
		sawSecret = sawSecret || strings.Contains(r.Body, `Sup3r\"se\\cret`)
	}
	if !sawSecret {
		t.Errorf("server never received the real password: %+v", srv.requests())
	}
}

func redirectTestURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q) = %v", s, err)
	}
	return u
}
