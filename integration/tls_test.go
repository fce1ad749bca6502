package integration

// Real etcd serving clients over TLS (--cert-file, --key-file,
// --trusted-ca-file, --client-cert-auth), with certificates this test
// makes: Config.TLS from NewTLSConfig works and speaks HTTP/2, a wrong CA
// or a missing client certificate fails with an error naming the cause,
// and failover works as over plain HTTP.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
	"github.com/seed26e043ee/client/internal/testcerts"
)

type tlsCluster struct {
	*etcdtest.Cluster
	ca     *testcerts.CA
	client testcerts.Pair
}

// startTLSCluster starts n members that serve clients over TLS only to
// holders of a client certificate of the test's CA.
func startTLSCluster(t *testing.T, n int) *tlsCluster {
	t.Helper()
	skipOnStandin(t, "it serves plain HTTP only, without the certificate flags")
	ca := testcerts.NewCA(t, "etcd-ca")
	srv := ca.Server(t, "member")
	cl := ca.Client(t, "client")
	cert := cl.TLS(t)
	cluster := etcdtest.Start(t, n, etcdtest.Options{
		ExtraArgs: []string{
			"--cert-file", srv.CertFile,
			"--key-file", srv.KeyFile,
			"--trusted-ca-file", ca.CAFile,
			"--client-cert-auth",
		},
		ClientTLS: &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{cert}},
	})
	return &tlsCluster{Cluster: cluster, ca: ca, client: cl}
}

// callLog records the end of every call and the protocol of every answer.
type callLog struct {
	mu     sync.Mutex
	calls  []client.CallResult
	protos []string
}

func (l *callLog) hooks() *client.Hooks {
	return &client.Hooks{
		Call: func(ctx context.Context, _ client.CallInfo) (context.Context, func(client.CallResult)) {
			return ctx, func(r client.CallResult) {
				l.mu.Lock()
				defer l.mu.Unlock()
				l.calls = append(l.calls, r)
			}
		},
		Attempt: func(ctx context.Context, _ client.AttemptInfo) (context.Context, func(client.AttemptResult)) {
			return ctx, func(r client.AttemptResult) {
				l.mu.Lock()
				defer l.mu.Unlock()
				if r.Proto != "" {
					l.protos = append(l.protos, r.Proto)
				}
			}
		},
	}
}

func (l *callLog) last() client.CallResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[len(l.calls)-1]
}

// newTLSClient returns a client with Config.TLS built by NewTLSConfig from
// the files, whose idle connections are closed when the test ends.
func newTLSClient(t *testing.T, eps []string, certFile, keyFile, caFile string) (client.KeysAPI, *callLog) {
	t.Helper()
	tc, err := client.NewTLSConfig(certFile, keyFile, caFile)
	require.NoError(t, err)
	var log callLog
	c, err := client.New(client.Config{Endpoints: eps, TLS: tc, Hooks: log.hooks()})
	require.NoError(t, err)
	t.Cleanup(c.(interface{ CloseIdleConnections() }).CloseIdleConnections)
	return client.NewKeysAPI(c), &log
}

func TestTLS_certificates(t *testing.T) {
	cl := startTLSCluster(t, 1)
	eps := cl.Endpoints()
	require.Regexp(t, `^https://127\.0\.0\.1:\d+$`, eps[0])

	t.Run("good", func(t *testing.T) {
		kapi, log := newTLSClient(t, eps, cl.client.CertFile, cl.client.KeyFile, cl.ca.CAFile)
		ctx := ctxFor(t, 10*time.Second)
		_, err := kapi.Set(ctx, "/tls", "ok", nil)
		require.NoError(t, err)
		r, err := kapi.Get(ctx, "/tls", nil)
		require.NoError(t, err)
		assert.Equal(t, "ok", r.Node.Value)
		log.mu.Lock()
		defer log.mu.Unlock()
		assert.Equal(t, []string{"HTTP/2.0", "HTTP/2.0"}, log.protos, "HTTP/2 over TLS")
	})

	t.Run("wrong_CA", func(t *testing.T) {
		other := testcerts.NewCA(t, "other-ca")
		kapi, _ := newTLSClient(t, eps, cl.client.CertFile, cl.client.KeyFile, other.CAFile)
		_, err := kapi.Get(ctxFor(t, 10*time.Second), "/", nil)
		require.Error(t, err)
		var unknown x509.UnknownAuthorityError
		assert.True(t, errors.As(err, &unknown), "%v", err)
		assert.Contains(t, err.Error(), "not signed by a CA this client trusts")
		t.Log(err)
	})

	t.Run("missing_client_certificate", func(t *testing.T) {
		kapi, _ := newTLSClient(t, eps, "", "", cl.ca.CAFile)
		_, err := kapi.Get(ctxFor(t, 10*time.Second), "/", nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "the member requires a client certificate (--client-cert-auth) and this client sent none")
		t.Log(err)
	})

	t.Run("client_certificate_of_another_CA", func(t *testing.T) {
		stranger := testcerts.NewCA(t, "stranger-ca").Client(t, "stranger")
		kapi, _ := newTLSClient(t, eps, stranger.CertFile, stranger.KeyFile, cl.ca.CAFile)
		_, err := kapi.Get(ctxFor(t, 10*time.Second), "/", nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "the member refused this client's certificate")
		t.Log(err)
	})
}

// With three TLS members, killing the pinned one moves the client to
// another, as over plain HTTP.
func TestTLS_failover(t *testing.T) {
	cl := startTLSCluster(t, 3)
	kapi, log := newTLSClient(t, cl.Endpoints(), cl.client.CertFile, cl.client.KeyFile, cl.ca.CAFile)
	ctx := ctxFor(t, 30*time.Second)

	_, err := kapi.Set(ctx, "/failover", "1", nil)
	require.NoError(t, err)
	pinned := cl.MemberByClientURL(log.last().Endpoint)
	require.NotNil(t, pinned, "answered by %q", log.last().Endpoint)
	pinned.Kill(t)

	_, err = kapi.Set(ctx, "/failover", "2", nil)
	require.NoError(t, err)
	after := log.last()
	assert.NotEqual(t, pinned.ClientURL, after.Endpoint)
	assert.True(t, after.PinMoved)
	// The killed member's refusal, then the next member (which may ask
	// for patience with a 5xx while the cluster elects a new leader).
	assert.GreaterOrEqual(t, after.Attempts, 2)

	r, err := kapi.Get(ctx, "/failover", &client.GetOptions{Quorum: true})
	require.NoError(t, err)
	assert.Equal(t, "2", r.Node.Value)
	assert.Equal(t, after.Endpoint, log.last().Endpoint, "the pin stays on the member that answered")
}
