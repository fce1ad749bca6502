package clienttest_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed26e043ee/client/clienttest"
)

// recorderTB records the failures of a check helper without failing the
// real test.
type recorderTB struct {
	testing.TB
	errs []string
}

func (r *recorderTB) Helper() {}
func (r *recorderTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestTreeAndChecks(t *testing.T) {
	srv := clienttest.NewServer(t, clienttest.WithKeys(map[string]string{"/a/b": "1", "/_h": "h", "/d/": ""}))
	v, ok := srv.Get("/a/b")
	assert.True(t, ok)
	assert.Equal(t, "1", v)
	_, ok = srv.Get("/a")
	assert.False(t, ok, "a directory has no value")
	assert.Equal(t, map[string]string{"/a/b": "1", "/_h": "h", "/d/": ""}, srv.Tree())
	assert.Equal(t, "/_h = \"h\"\n/a/b = \"1\"\n/d/ = \"\"\n", srv.Dump())

	srv.CheckGet(t, "/a/b", "1")
	srv.CheckTree(t, map[string]string{"/a/b": "1", "/_h": "h", "/d/": ""})

	rec := &recorderTB{TB: t}
	srv.CheckGet(rec, "/a/b", "2")
	srv.CheckGet(rec, "/nope", "x")
	srv.CheckTree(rec, map[string]string{"/a/b": "2", "/x": "y", "/d/": ""})
	require.Len(t, rec.errs, 3)
	assert.Equal(t, `clienttest: key /a/b = "1", want "2"`, rec.errs[0])
	assert.Contains(t, rec.errs[1], "key /nope: missing")
	assert.Equal(t, "clienttest: the key space differs from the one wanted:\n"+
		"+ /_h = \"h\" (not wanted)\n~ /a/b = \"1\", want \"2\"\n- /x = \"y\" (missing)\n", rec.errs[2])
}

func TestMemberConfigs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close() // free again for the server; a race with another process only fails this test
	srv := clienttest.NewServer(t, clienttest.WithMemberConfigs(
		clienttest.MemberConfig{Name: "alpha", ListenAddr: addr, AdvertiseClientURL: "http://10.0.0.1:2379", PeerURLs: []string{"http://10.0.0.1:2380"}},
		clienttest.MemberConfig{},
	))
	require.Len(t, srv.Members(), 2)
	m := srv.Member(0)
	assert.Equal(t, "http://"+addr, m.URL())
	assert.Equal(t, "http://10.0.0.1:2379", m.AdvertisedURL())
	assert.Equal(t, []string{"http://10.0.0.1:2380"}, m.PeerURLs())
	assert.Equal(t, "alpha", m.Name())
	assert.Equal(t, "m1", srv.Member(1).Name())

	resp, err := http.Get(m.URL() + "/v2/members")
	require.NoError(t, err)
	defer resp.Body.Close()
	var list struct {
		Members []struct {
			Name       string   `json:"name"`
			PeerURLs   []string `json:"peerURLs"`
			ClientURLs []string `json:"clientURLs"`
		} `json:"members"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	var found bool
	for _, x := range list.Members {
		if x.Name == "alpha" {
			found = true
			assert.Equal(t, []string{"http://10.0.0.1:2379"}, x.ClientURLs)
			assert.Equal(t, []string{"http://10.0.0.1:2380"}, x.PeerURLs)
		}
	}
	assert.True(t, found, "alpha in %+v", list.Members)
}

func TestMemberConfigsRefused(t *testing.T) {
	for name, mc := range map[string][]clienttest.MemberConfig{
		"bad_listen":  {{ListenAddr: "nohost"}},
		"bad_peer":    {{PeerURLs: []string{"bad"}}},
		"bad_adv":     {{AdvertiseClientURL: "ftp://x:1"}},
		"shared_peer": {{PeerURLs: []string{"http://127.0.0.1:1"}}, {PeerURLs: []string{"http://127.0.0.1:1"}}},
	} {
		t.Run(name, func(t *testing.T) {
			srv, err := clienttest.Start(clienttest.WithMemberConfigs(mc...))
			if srv != nil {
				srv.Close()
			}
			assert.Error(t, err)
		})
	}
}
