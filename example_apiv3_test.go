package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// On etcd 3.6 and later, which serve no v2 API, the same program runs on
// the v3 API when Config.API is APIv3; the KeysAPI, its options, errors
// and watchers stay the same. Here the server is clienttest's, which
// answers etcd's v3 gateway too; against a real etcd the endpoint is
// "http://127.0.0.1:2379".
func Example_apiv3() {
	srv, err := clienttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(client.Config{
		Endpoints: srv.Endpoints(),
		API:       client.APIv3, // the one field; the zero value is APIv2
	})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)

	ctx, cancel := context.WithTimeout(context.Background(), client.DefaultRequestTimeout)
	defer cancel()
	set, err := kapi.Set(ctx, "/config/greeting", "hello, etcd 3.6", nil)
	if err != nil {
		log.Fatal(err) // on a member without /v3/, errors.Is(err, client.ErrNoV3Gateway)
	}

	// A watcher from the write's index sees the next change; on APIv3 it
	// keeps one stream open, which Close ends.
	w := kapi.Watcher("/config", &client.WatcherOptions{AfterIndex: set.Index, Recursive: true})
	defer w.(interface{ Close() error }).Close()
	if _, err := kapi.Set(ctx, "/config/greeting", "hello again", &client.SetOptions{PrevValue: "hello, etcd 3.6"}); err != nil {
		log.Fatal(err)
	}
	ev, err := w.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.Action, ev.Node.Key, ev.Node.Value, ev.PrevNode.Value)
	// Output:
	// compareAndSwap /config/greeting hello again hello, etcd 3.6
}
