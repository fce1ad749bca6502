// Command quickstart is the README's quick start: it sets a key, reads it
// back and prints it.
//
// With ETCD_ENDPOINTS set (comma-separated client URLs) it talks to that
// cluster. Without it, it starts an in-process server from package
// clienttest and says so first, so it runs on any machine:
//
//	go run ./examples/quickstart
//	ETCD_ENDPOINTS=http://127.0.0.1:2379 go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

func main() {
	endpoints := strings.Split(os.Getenv("ETCD_ENDPOINTS"), ",")
	if endpoints[0] == "" {
		srv, err := clienttest.Start()
		if err != nil {
			log.Fatal(err)
		}
		defer srv.Close()
		endpoints = srv.Endpoints()
		fmt.Println("ETCD_ENDPOINTS is not set: using an in-process etcd v2 server (clienttest) at", endpoints[0])
	}

	c, err := client.New(client.Config{Endpoints: endpoints})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)

	ctx, cancel := context.WithTimeout(context.Background(), client.DefaultRequestTimeout)
	defer cancel()
	if _, err := kapi.Set(ctx, "/greeting", "hello, etcd", nil); err != nil {
		log.Fatal(err)
	}
	resp, err := kapi.Get(ctx, "/greeting", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s = %q\n", resp.Node.Key, resp.Node.Value)
}
