package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run(t.Context(), []string{"--version"}, &out, io.Discard); code != 0 {
		t.Fatalf("--version exit %d", code)
	}
	if !strings.HasPrefix(out.String(), "etcd Version: 3.4.23-clienttest\n") {
		t.Errorf("--version printed %q", out.String())
	}
}

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "a", "--initial-cluster", "a=http://127.0.0.1:1,b=http://127.0.0.1:2"}, "cannot form a cluster"},
		{[]string{"--enable-v2=false"}, "always serves the v2 API"},
		{[]string{"--auth-token=jwt,pub-key=x"}, "simple tokens only"},
		{[]string{"--auth-token-ttl=0"}, "at least a second"},
		{[]string{"--auth-token-ttl=-1"}, "invalid value"},
		{[]string{"--listen-client-urls", "http://127.0.0.1:1,http://127.0.0.1:2"}, "exactly one URL"},
		{[]string{"--listen-client-urls", "https://127.0.0.1:1"}, "only http"},
		{[]string{"--no-such-flag"}, "not defined"},
		{[]string{"--initial-cluster", "nonsense"}, "not name=peerURL"},
	} {
		var errOut bytes.Buffer
		if code := run(t.Context(), tc.args, io.Discard, &errOut); code == 0 {
			t.Errorf("%q: exit 0, want a refusal", tc.args)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%q: stderr %q, want it to say %q", tc.args, errOut.String(), tc.want)
		}
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServes starts the command as etcdtest would, reads a key and stops
// it by cancelling, as SIGTERM does.
func TestServes(t *testing.T) {
	addr, peer := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	var errOut bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{
			"--name", "n1", "--data-dir", t.TempDir(),
			"--listen-client-urls", "http://" + addr, "--advertise-client-urls", "http://" + addr,
			"--listen-peer-urls", "http://" + peer, "--initial-advertise-peer-urls", "http://" + peer,
			"--initial-cluster", "n1=http://" + peer, "--enable-v2=true", "--heartbeat-interval", "100",
		}, io.Discard, &errOut)
	}()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	var resp *http.Response
	var err error
	for range 200 {
		if resp, err = hc.Get("http://" + addr + "/v2/members"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling for the listener: nothing to wait on
	}
	if err != nil {
		t.Fatalf("the stand-in never answered: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"name":"n1"`) || !strings.Contains(string(body), `"peerURLs":["http://`+peer+`"]`) {
		t.Errorf("members = %s", body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after cancel", code)
	}
	for _, want := range []string{"ignoring --data-dir", "ignoring --heartbeat-interval"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr %q lacks %q", errOut.String(), want)
		}
	}
}
