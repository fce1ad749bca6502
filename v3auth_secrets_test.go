package client

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestV3Auth_noSecrets: neither the password nor a token shows in the
// cURL debug lines, the log records, the Hooks' values or the errors of
// an APIv3 client with credentials, re-authentication included. Not
// parallel: it captures os.Stderr.
func TestV3Auth_noSecrets(t *testing.T) {
	out := curlCaptureOutput(t)
	sink, logger := newLogSink()
	var mu sync.Mutex
	var seen strings.Builder
	hooks := &Hooks{
		Call: func(ctx context.Context, ci CallInfo) (context.Context, func(CallResult)) {
			return ctx, func(r CallResult) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(&seen, "%+v %+v %v\n", ci, r, r.Err)
			}
		},
		Attempt: func(ctx context.Context, ai AttemptInfo) (context.Context, func(AttemptResult)) {
			return ctx, func(r AttemptResult) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(&seen, "%+v %+v\n", ai, r)
			}
		},
	}
	g, c := enabledFake(t, Config{Logger: logger, Hooks: hooks})
	EnablecURLDebug()
	ctx := context.Background()
	kv, _ := v3Of(c)
	var errs []error
	_, err := kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")})
	errs = append(errs, err)
	g.revokeTokens()
	_, err = kv.rangeKeys(ctx, &v3RangeRequest{Key: []byte("/x")})
	errs = append(errs, err)
	errs = append(errs, NewAuthUserAPI(c).AddUser(ctx, "bob", "bob-s3cret"))
	_, err = NewAuthUserAPI(c).ChangePassword(ctx, "nobody", "other-s3cret")
	errs = append(errs, err)
	wrong := newV3AuthClient(t, c.Endpoints()[0], Config{Username: "root", Password: "wrong-s3cret", Logger: logger, Hooks: hooks})
	_, err = NewAuthUserAPI(wrong).ListUsers(ctx)
	errs = append(errs, err)
	DisablecURLDebug()
	if g.authCount() != 2 {
		t.Fatalf("authenticates = %d, want 2", g.authCount())
	}

	lines := strings.Join(out.linesFor(c.Endpoints()[0]), "")
	if !strings.Contains(lines, "/v3/auth/authenticate") || !strings.Contains(lines, `\"password\":\"***\"`) || sink.text() == "" {
		t.Fatalf("no cURL line for authenticate:\n%s", lines)
	}
	var errText strings.Builder
	for _, err := range errs {
		fmt.Fprintf(&errText, "%v\n", err)
	}
	mu.Lock()
	hooked := seen.String()
	mu.Unlock()
	for where, text := range map[string]string{"cURL lines": lines, "log records": sink.text(), "hooks": hooked, "errors": errText.String()} {
		for _, secret := range []string{"rootpw", "bob-s3cret", "other-s3cret", "wrong-s3cret", "tok1.1", "tok2.2"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s hold %q:\n%s", where, secret, text)
			}
		}
	}
}
