package etcdtest

import (
	"encoding/base64"
	"net/http"
	"testing"
)

// TestV3Gateway starts a member of the selected etcd (ETCD_BIN or
// ETCDTEST_VERSION; CI runs it with 3.6.16 and 3.7.3, which serve no v2)
// and checks what the harness and the coming v3 tests rely on: /version,
// the leader, a put and a range through the JSON gateway under /v3/, and
// that v2 is served exactly when ServesV2 says so.
func TestV3Gateway(t *testing.T) {
	f, err := Locate()
	if err != nil {
		missing(t, err)
	}
	c := Start(t, 1, Options{Version: f.Version})
	m := c.Members[0]
	if c.bin != f.Path {
		t.Errorf("Start(Options{Version: %q}) runs %s, want %s", f.Version, c.bin, f.Path)
	}

	var v struct {
		Server string `json:"etcdserver"`
	}
	if err := getJSON(probeClient, m.ClientURL+"/version", &v); err != nil || v.Server != f.Version {
		t.Errorf("GET /version = %+v, %v; want etcdserver %q", v, err, f.Version)
	}
	if got := c.Leader(t); got != m {
		t.Errorf("Leader() = %s, want %s", got.Name, m.Name)
	}

	b64 := base64.StdEncoding.EncodeToString
	key, value := b64([]byte("smoke/"+f.Version)), b64([]byte("v3 works"))
	var put struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	if err := postJSON(probeClient, m.ClientURL+"/v3/kv/put", map[string]string{"key": key, "value": value}, &put); err != nil || put.Header.Revision == "" {
		t.Fatalf("POST /v3/kv/put = %+v, %v; want a revision", put, err)
	}
	var rng struct {
		KVs []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"kvs"`
		Count string `json:"count"`
	}
	if err := postJSON(probeClient, m.ClientURL+"/v3/kv/range", map[string]string{"key": key}, &rng); err != nil {
		t.Fatalf("POST /v3/kv/range: %v", err)
	}
	if len(rng.KVs) != 1 || rng.KVs[0].Key != key || rng.KVs[0].Value != value || rng.Count != "1" {
		t.Errorf("POST /v3/kv/range = %+v, want the one key put, with value %q", rng, value)
	}

	code, _, err := get(t, m.ClientURL+"/v2/keys/")
	if err != nil {
		t.Fatalf("GET /v2/keys/: %v", err)
	}
	if served := code == http.StatusOK; served != f.ServesV2() {
		t.Errorf("GET /v2/keys/ = %d on etcd %s; ServesV2() = %v", code, f.Version, f.ServesV2())
	}
}
