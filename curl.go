package client

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sync/atomic"
)

// cURLDebug is read by every request, possibly while another goroutine
// flips it: an atomic keeps that race-free (the original used a plain bool).
var cURLDebug atomic.Bool

// EnablecURLDebug makes every client print each request it is about to
// send to standard error as an equivalent curl command line, for
// debugging. Each line goes to os.Stderr as it is when the line is
// printed, so a program that replaces os.Stderr gets the lines there. Passwords in request bodies are printed as ***. It is safe
// to call while requests are running.
func EnablecURLDebug() { cURLDebug.Store(true) }

// DisablecURLDebug turns off what EnablecURLDebug turned on.
func DisablecURLDebug() { cURLDebug.Store(false) }

// printcURL prints req as a curl command when debugging is on. Reading
// the body consumes it, so it is put back for the real send.
func printcURL(req *http.Request) error {
	if !cURLDebug.Load() {
		return nil
	}
	// Redacted: an endpoint URL may carry user:password.
	cmd := fmt.Sprintf("curl -X %s %s", req.Method, req.URL.Redacted())
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		cmd += fmt.Sprintf(" -d %q", redactPasswords(b))
	}
	// os.Stderr is read at print time, not once at start-up: programs that
	// redirect their logs replace it, and the original printed wherever it
	// pointed then. One Write per line keeps concurrent lines whole. A
	// debug print that cannot be written must not fail the real call.
	os.Stderr.WriteString("cURL Command: " + cmd + "\n")
	return nil
}

var (
	jsonPassword = regexp.MustCompile(`("password"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	formPassword = regexp.MustCompile(`(^|&)(password=)[^&]*`)
)

// redactPasswords hides password values of JSON bodies (the auth API's)
// and form bodies, so debug output can be pasted into a ticket safely.
func redactPasswords(body []byte) []byte {
	body = jsonPassword.ReplaceAll(body, []byte(`${1}"***"`))
	return formPassword.ReplaceAll(body, []byte(`${1}${2}***`))
}
