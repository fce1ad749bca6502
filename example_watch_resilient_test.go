package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// A resilient watcher on a quiet key outlives etcd's 1,000-event history:
// after many writes elsewhere it hands over the key's current state as a
// resync, then goes on with events.
func ExampleNewResilientWatcher() {
	srv, err := clienttest.Start() // an in-memory etcd v2 server
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := client.New(client.Config{Endpoints: srv.Endpoints(), Transport: tr})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)
	ctx := context.Background()

	r, err := kapi.Set(ctx, "/config", "v1", nil)
	if err != nil {
		log.Fatal(err)
	}
	w := client.NewResilientWatcher(kapi, "/config", &client.ResilientWatcherOptions{AfterIndex: r.Index})

	// While the caller is busy, 1,500 writes to other keys push the
	// watcher's position out of etcd's history.
	for i := range 1500 {
		if _, err := kapi.Set(ctx, fmt.Sprintf("/jobs/%d", i), "queued", nil); err != nil {
			log.Fatal(err)
		}
	}

	for _, value := range []string{"", "v2"} {
		if value != "" {
			if _, err := kapi.Set(ctx, "/config", value, nil); err != nil {
				log.Fatal(err)
			}
		}
		ev, err := w.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if ev.Action == client.ActionResync {
			fmt.Println("resync: /config is", ev.Node.Value)
			continue
		}
		fmt.Println(ev.Action, ev.Node.Key, ev.Node.Value)
	}
	// Output:
	// resync: /config is v1
	// set /config v2
}
