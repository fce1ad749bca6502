package client

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed26e043ee/client/internal/testcerts"
)

func newTestTLSConfig() *tls.Config { return &tls.Config{ServerName: "etcd.example"} }

// newHTTPTestServer starts h on a plain httptest server, closed when the
// test ends, and returns its URL.
func newHTTPTestServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestNewTLSConfig(t *testing.T) {
	ca := testcerts.NewCA(t, "ca")
	cl := ca.Client(t, "client")

	cfg, err := NewTLSConfig(cl.CertFile, cl.KeyFile, ca.CAFile)
	require.NoError(t, err)
	assert.Len(t, cfg.Certificates, 1)
	assert.NotNil(t, cfg.RootCAs)

	cfg, err = NewTLSConfig("", "", "")
	require.NoError(t, err)
	assert.Empty(t, cfg.Certificates)
	assert.Nil(t, cfg.RootCAs, "no CA file: the system's roots")

	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	tests := []struct {
		name              string
		cert, key, ca     string
		wantErrSubstrings []string
	}{
		{"cert_without_key", cl.CertFile, "", "", []string{cl.CertFile, "without its key"}},
		{"key_without_cert", "", cl.KeyFile, "", []string{cl.KeyFile, "without its client certificate"}},
		{"missing_cert", "/no/such.pem", cl.KeyFile, "", []string{"/no/such.pem", "no such file"}},
		{"key_of_another", cl.CertFile, ca.Server(t, "other").KeyFile, "", []string{cl.CertFile, "private key does not match"}},
		{"missing_ca", "", "", "/no/ca.pem", []string{"/no/ca.pem", "no such file"}},
		{"ca_not_pem", "", "", notPEM, []string{notPEM, "holds no PEM certificate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := NewTLSConfig(tc.cert, tc.key, tc.ca)
			assert.Nil(t, cfg)
			require.Error(t, err)
			for _, s := range tc.wantErrSubstrings {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

// startTLSServer serves a keys Get over TLS with HTTP/2, from a
// certificate of ca, asking for a client certificate of ca when
// clientAuth.
func startTLSServer(t *testing.T, ca *testcerts.CA, clientAuth bool) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etcd-Index", "5")
		w.Write([]byte(clusterOKGetBody))
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "server").TLS(t)}}
	if clientAuth {
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		srv.TLS.ClientCAs = ca.Pool()
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// tlsClient returns a client with cfg for ep whose own transport's idle
// connections are closed when the test ends, and the protocols of the
// answers it gets.
func tlsClient(t *testing.T, ep string, cfg Config) (KeysAPI, *[]string) {
	t.Helper()
	var protos []string
	cfg.Endpoints = []string{ep}
	cfg.Hooks = &Hooks{Attempt: func(ctx context.Context, _ AttemptInfo) (context.Context, func(AttemptResult)) {
		return ctx, func(r AttemptResult) { protos = append(protos, r.Proto) }
	}}
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.(*httpClusterClient).transport.rt.(*http.Transport).CloseIdleConnections)
	return NewKeysAPI(c), &protos
}

func TestTLS_clientCertificateAndHTTP2(t *testing.T) {
	ca := testcerts.NewCA(t, "ca")
	ep := startTLSServer(t, ca, true)
	cl := ca.Client(t, "client")

	good, err := NewTLSConfig(cl.CertFile, cl.KeyFile, ca.CAFile)
	require.NoError(t, err)
	kapi, protos := tlsClient(t, ep, Config{TLS: good})
	_, err = kapi.Get(context.Background(), "/foo", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"HTTP/2.0"}, *protos, "HTTP/2 stays on with Config.TLS")

	noCert, err := NewTLSConfig("", "", ca.CAFile)
	require.NoError(t, err)
	kapi, _ = tlsClient(t, ep, Config{TLS: noCert})
	_, err = kapi.Get(context.Background(), "/foo", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the member requires a client certificate")

	otherCA := testcerts.NewCA(t, "other")
	wrongCA, err := NewTLSConfig(cl.CertFile, cl.KeyFile, otherCA.CAFile)
	require.NoError(t, err)
	kapi, _ = tlsClient(t, ep, Config{TLS: wrongCA})
	_, err = kapi.Get(context.Background(), "/foo", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not signed by a CA this client trusts")

	strange := otherCA.Client(t, "stranger")
	foreignCert, err := NewTLSConfig(strange.CertFile, strange.KeyFile, ca.CAFile)
	require.NoError(t, err)
	kapi, _ = tlsClient(t, ep, Config{TLS: foreignCert})
	_, err = kapi.Get(context.Background(), "/foo", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the member refused this client's certificate")
}

func TestTLS_plainMember(t *testing.T) {
	ep := newHTTPTestServer(t, http.NotFoundHandler())
	kapi, _ := tlsClient(t, "https"+ep[len("http"):], Config{TLS: &tls.Config{}})
	_, err := kapi.Get(context.Background(), "/foo", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the member does not speak TLS")
}
