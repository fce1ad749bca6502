package client

// Callers of the original client imported golang.org/x/net/context. That
// package now aliases the standard one, so their code compiles against
// ours unchanged; this file is such a caller.

import (
	"net/http"
	"testing"
	"time"

	//lint:ignore SA1019 deprecated on purpose: this test proves callers still passing x/net contexts compile unchanged
	context "golang.org/x/net/context"
)

func TestXNetContext_drivesAPI(t *testing.T) {
	s, c := setup(t)
	s.mux.HandleFunc("/v2/members", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etcd-Index", "7")
		w.Write([]byte(`{"members":[{"id":"1","name":"n","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"]}]}`))
	})
	s.mux.HandleFunc("/v2/keys/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Etcd-Index", "7")
		switch {
		case r.Method == http.MethodPut:
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":7,"createdIndex":7}}`))
		case r.URL.Query().Get("wait") == "true":
			w.Write([]byte(`{"action":"set","node":{"key":"/foo","value":"baz","modifiedIndex":8,"createdIndex":7}}`))
		default:
			w.Write([]byte(`{"action":"get","node":{"key":"/foo","value":"bar","modifiedIndex":7,"createdIndex":7}}`))
		}
	})

	var ctx context.Context = context.Background()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	kapi := NewKeysAPI(c)
	if r, err := kapi.Set(ctx, "/foo", "bar", nil); err != nil || r.Node.Value != "bar" {
		t.Fatalf("Set = %v, %v, want bar", r, err)
	}
	if r, err := kapi.Get(ctx, "/foo", nil); err != nil || r.Index != 7 {
		t.Fatalf("Get = %v, %v, want index 7", r, err)
	}
	w := kapi.Watcher("/foo", &WatcherOptions{AfterIndex: 7})
	if r, err := w.Next(ctx); err != nil || r.Node.ModifiedIndex != 8 {
		t.Fatalf("Watcher.Next = %v, %v, want the event at 8", r, err)
	}
	ms, err := NewMembersAPI(c).List(ctx)
	if err != nil || len(ms) != 1 || ms[0].Name != "n" {
		t.Fatalf("List = %v, %v, want one member", ms, err)
	}

	// A cancelled x/net context still yields the standard sentinel.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := kapi.Get(cctx, "/foo", nil); err != context.Canceled {
		t.Errorf("Get with a cancelled context = %v, want context.Canceled", err)
	}
}
