package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// curlBuffer collects what the process writes to os.Stderr while a test
// runs, the way a user would capture it: os.Stderr is swapped for a pipe.
type curlBuffer struct {
	w    *os.File
	old  *os.File
	done chan struct{} // closed when the pipe's reader has seen EOF
	once sync.Once
	buf  bytes.Buffer // written by the reader goroutine until done
}

// finish puts os.Stderr back and waits until everything written to the
// pipe has been read.
func (b *curlBuffer) finish() {
	b.once.Do(func() {
		os.Stderr = b.old
		b.w.Close()
		<-b.done
	})
}

// String ends the capture and returns all that was written.
func (b *curlBuffer) String() string {
	b.finish()
	return b.buf.String()
}

// linesFor returns the printed lines that concern base (a test server's
// URL), so output of requests from other tests cannot confuse a test. It
// ends the capture.
func (b *curlBuffer) linesFor(base string) []string {
	b.finish()
	var out []string
	for _, l := range strings.SplitAfter(b.buf.String(), "\n") {
		if strings.Contains(l, base+"/") {
			out = append(out, l)
		}
	}
	return out
}

// curlCaptureOutput replaces os.Stderr with a pipe until the test ends (or
// linesFor is called) and leaves debugging off afterwards. Tests using it
// must not run in parallel.
func curlCaptureOutput(t *testing.T) *curlBuffer {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("os.Pipe: %v", err)
	}
	b := &curlBuffer{w: w, old: os.Stderr, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		defer r.Close()
		io.Copy(&b.buf, r)
	}()
	os.Stderr = w
	t.Cleanup(func() {
		DisablecURLDebug()
		b.finish()
	})
	return b
}

// setupCURL starts a server that answers keys, members and auth calls
// with plausible successes, and a Client for it.
func setupCURL(t *testing.T) (*testServer, Client) {
	t.Helper()
	s, c := setup(t)
	s.mux.HandleFunc("/v2/keys/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Etcd-Index", "7")
		io.WriteString(w, `{"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":7,"createdIndex":7}}`)
	})
	s.mux.HandleFunc("/v2/members", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"1","name":"","peerURLs":["http://127.0.0.1:2380"],"clientURLs":[]}`)
	})
	s.mux.HandleFunc("/v2/auth/users/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"user":"alice","roles":[]}`)
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
	})
	return s, c
}

// curlFormAction posts a fixed form body, which no API of the package
// sends with a password in it, to check the form redaction end to end.
func curlFormAction(form string) *action {
	return &action{method: http.MethodPost, prefix: "/v2/form", body: form, contentType: formContentType}
}

func TestEnablecURLDebug_output(t *testing.T) {
	cases := []struct {
		name     string
		disabled bool
		call     func(ctx context.Context, c Client) error
		wantCmd  string // after "cURL Command: curl "; {URL} is the endpoint
		wantBody string // what the server must receive
	}{
		{
			name: "GET",
			call: func(ctx context.Context, c Client) error {
				_, err := NewKeysAPI(c).Get(ctx, "/foo", nil)
				return err
			},
			wantCmd: `-X GET {URL}/v2/keys/foo?quorum=false&recursive=false&sorted=false`,
		},
		{
			name: "PUT_form",
			call: func(ctx context.Context, c Client) error {
				_, err := NewKeysAPI(c).Set(ctx, "/foo", `bar "baz"&x=1`, nil)
				return err
			},
			wantCmd:  `-X PUT {URL}/v2/keys/foo -d "value=bar+%22baz%22%26x%3D1"`,
			wantBody: `value=bar+%22baz%22%26x%3D1`,
		},
		{
			name: "POST_json",
			call: func(ctx context.Context, c Client) error {
				_, err := NewMembersAPI(c).Add(ctx, "http://127.0.0.1:2380")
				return err
			},
			wantCmd:  `-X POST {URL}/v2/members -d "{\"peerURLs\":[\"http://127.0.0.1:2380\"]}"`,
			wantBody: `{"peerURLs":["http://127.0.0.1:2380"]}`,
		},
		{
			name:     "PUT_json_password",
			call:     func(ctx context.Context, c Client) error { return NewAuthUserAPI(c).AddUser(ctx, "alice", `s3"cr3t`) },
			wantCmd:  `-X PUT {URL}/v2/auth/users/alice -d "{\"user\":\"alice\",\"password\":\"***\",\"roles\":null}"`,
			wantBody: `{"user":"alice","password":"s3\"cr3t","roles":null}`,
		},
		{
			name: "ChangePassword",
			call: func(ctx context.Context, c Client) error {
				_, err := NewAuthUserAPI(c).ChangePassword(ctx, "alice", "n3w")
				return err
			},
			wantCmd:  `-X PUT {URL}/v2/auth/users/alice -d "{\"user\":\"alice\",\"password\":\"***\",\"roles\":null}"`,
			wantBody: `{"user":"alice","password":"n3w","roles":null}`,
		},
		{
			name: "POST_form_password",
			call: func(ctx context.Context, c Client) error {
				_, _, err := c.Do(ctx, curlFormAction("password=hunter2&user=a&newpassword=keep"))
				return err
			},
			wantCmd:  `-X POST {URL}/v2/form -d "password=***&user=a&newpassword=keep"`,
			wantBody: `password=hunter2&user=a&newpassword=keep`,
		},
		{
			name:     "disabled",
			disabled: true,
			call:     func(ctx context.Context, c Client) error { return NewAuthUserAPI(c).AddUser(ctx, "bob", "pw") },
			wantBody: `{"user":"bob","password":"pw","roles":null}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := curlCaptureOutput(t)
			s, c := setupCURL(t)
			if tc.disabled {
				DisablecURLDebug()
			} else {
				EnablecURLDebug()
			}
			require.NoError(t, tc.call(context.Background(), c), tc.name)
			var want []string
			if tc.wantCmd != "" {
				want = []string{"cURL Command: curl " + strings.ReplaceAll(tc.wantCmd, "{URL}", s.endpoint) + "\n"}
			}
			assert.Equal(t, want, out.linesFor(s.endpoint), "%s printed", tc.name)
			assert.Equal(t, []string{tc.wantBody}, s.bodies(), "%s: server received", tc.name)
		})
	}
}

func TestRedactPasswords(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"user":"a","password":"x","roles":null}`, `{"user":"a","password":"***","roles":null}`},
		{`{"password" : "a\"b\\" , "user":"u"}`, `{"password" : "***" , "user":"u"}`},
		{`{"password":""}`, `{"password":"***"}`},
		{`{"oldpassword":"x","passwords":"y"}`, `{"oldpassword":"x","passwords":"y"}`},
		{`[{"password":"a"},{"password":"b"}]`, `[{"password":"***"},{"password":"***"}]`},
		{`password=x`, `password=***`},
		{`a=1&password=x%26y&b=2`, `a=1&password=***&b=2`},
		{`newpassword=x&mypassword=y`, `newpassword=x&mypassword=y`},
		{`value=password%3Dx`, `value=password%3Dx`},
	}
	for _, tc := range cases {
		if got := string(redactPasswords([]byte(tc.in))); got != tc.want {
			t.Errorf("redactPasswords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestEnablecURLDebug_concurrentToggle flips the switch while requests
// run; under -race it proves the switch is safe, and it checks that every
// body still arrives intact and every printed line is whole.
func TestEnablecURLDebug_concurrentToggle(t *testing.T) {
	out := curlCaptureOutput(t)
	s, c := setupCURL(t)
	kapi := NewKeysAPI(c)

	const workers, perWorker = 4, 25
	stop := make(chan struct{})
	toggled := make(chan struct{})
	go func() {
		defer close(toggled)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				EnablecURLDebug()
			} else {
				DisablecURLDebug()
			}
			time.Sleep(50 * time.Microsecond)
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				v := fmt.Sprintf("w%d-%d", w, i)
				if _, err := kapi.Set(context.Background(), "/k", v, nil); err != nil {
					errs <- fmt.Errorf("Set(%q): %w", v, err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-toggled
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var want []string
	for w := range workers {
		for i := range perWorker {
			want = append(want, fmt.Sprintf("value=w%d-%d", w, i))
		}
	}
	got := s.bodies()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		var missing []string
		for _, w := range want {
			if _, found := slices.BinarySearch(got, w); !found {
				missing = append(missing, w)
			}
		}
		t.Errorf("server received %d bodies, want %d; missing or altered: %q", len(got), len(want), missing)
	}

	line := regexp.MustCompile(`^cURL Command: curl -X PUT ` + regexp.QuoteMeta(s.endpoint) + `/v2/keys/k -d "(value=w\d+-\d+)"\n$`)
	for _, l := range out.linesFor(s.endpoint) {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("printed line %q is not a whole cURL command", l)
			continue
		}
		if _, found := slices.BinarySearch(want, m[1]); !found {
			t.Errorf("printed body %q was never sent", m[1])
		}
	}
}

// TestEnablecURLDebug_stderr checks the real destination: it runs
// TestEnablecURLDebugHelperProcess in a child process and reads the
// child's standard error.
func TestEnablecURLDebug_stderr(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestEnablecURLDebugHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CLIENT_CURL_HELPER_PROCESS=1")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting helper: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.Bytes(), stderr.Bytes())
	}
	want := regexp.MustCompile(`(?m)^cURL Command: curl -X PUT http://127\.0\.0\.1:\d+/proxy/v2/keys/foo -d "value=bar"$`)
	if got := want.FindAllString(stderr.String(), -1); len(got) != 1 {
		t.Errorf("helper stderr = %q, want one line matching %s", stderr.String(), want)
	}
	if strings.Contains(stdout.String(), "cURL Command") {
		t.Errorf("helper stdout = %q, want no cURL output there", stdout.String())
	}
}

// TestEnablecURLDebugHelperProcess is the child of
// TestEnablecURLDebug_stderr; run directly, it does nothing.
func TestEnablecURLDebugHelperProcess(t *testing.T) {
	if os.Getenv("CLIENT_CURL_HELPER_PROCESS") != "1" {
		return
	}
	s, c := setupCURL(t)
	EnablecURLDebug()
	defer DisablecURLDebug()
	_, err := NewKeysAPI(c).Set(context.Background(), "/foo", "bar", nil)
	require.NoError(t, err, "Set")
	require.Equal(t, []string{"value=bar"}, s.bodies(), "server received")
}
