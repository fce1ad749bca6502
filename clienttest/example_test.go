package clienttest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// A test would call clienttest.NewServer(t); a main, or an example, uses
// Start and Close. The server answers like etcd, errors included.
func Example() {
	srv, err := clienttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := client.New(client.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)
	ctx := context.Background()

	_, err = kapi.Get(ctx, "/missing", nil)
	fmt.Println(err)
	_, err = kapi.Create(ctx, "/once", "1")
	fmt.Println(err)
	_, err = kapi.Create(ctx, "/once", "2")
	fmt.Println(err)
	// Output:
	// 100: Key not found (/missing) [3]
	// <nil>
	// 105: Key already exists (/once) [4]
}

// A manual clock makes TTLs testable without sleeping.
func ExampleClock() {
	clock := clienttest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, err := clienttest.Start(clienttest.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(client.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)
	ctx := context.Background()

	set, err := kapi.Set(ctx, "/lease", "mine", &client.SetOptions{TTL: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("expires", set.Node.Expiration.Format(time.RFC3339), "ttl", set.Node.TTL)

	clock.Advance(time.Minute)
	ev, err := kapi.Watcher("/lease", &client.WatcherOptions{AfterIndex: set.Index}).Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.Action, ev.Node.Key, ev.PrevNode.Value)
	// Output:
	// expires 2030-01-01T00:01:00Z ttl 60
	// expire /lease mine
}

// Members can be made to fail; a client with several endpoints moves on to
// a healthy one.
func ExampleMember_Fail() {
	srv, err := clienttest.Start(clienttest.WithMembers(3), clienttest.WithKeys(map[string]string{"/k": "v"}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.Member(0).Fail(http.StatusServiceUnavailable)
	srv.Member(1).Freeze()
	defer srv.Member(1).Thaw()

	// The frozen member never answers, so the client gives up on it after
	// HeaderTimeoutPerRequest; a healthy member answers well within it,
	// even on a busy machine.
	c, err := client.New(client.Config{Endpoints: srv.Endpoints(), HeaderTimeoutPerRequest: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.NewKeysAPI(c).Get(context.Background(), "/k", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Node.Value)
	// Output:
	// v
}

// Pre-loaded keys are there before the first request; a key ending in "/"
// is a directory.
func ExampleWithKeys() {
	srv, err := clienttest.Start(clienttest.WithKeys(map[string]string{
		"/config/port": "8080",
		"/config/host": "example.org",
		"/queue/":      "",
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(client.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.NewKeysAPI(c).Get(context.Background(), "/", &client.GetOptions{Recursive: true, Sort: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range resp.Node.Nodes {
		fmt.Println(n.Key, n.Dir, len(n.Nodes))
	}
	// Output:
	// /config true 2
	// /queue true 0
}

// A program built on API: client.APIv3 is tested the same way: the server
// also answers etcd's v3 JSON gateway, with leases on the manual clock.
func Example_apiv3() {
	clock := clienttest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, err := clienttest.Start(clienttest.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(client.Config{Endpoints: srv.Endpoints(), API: client.APIv3})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)
	ctx := context.Background()

	if _, err := kapi.Set(ctx, "/config/port", "8080", nil); err != nil {
		log.Fatal(err)
	}
	lock, err := kapi.Create(ctx, "/lock", "me")
	if err != nil {
		log.Fatal(err)
	}
	_, err = kapi.Create(ctx, "/lock", "you")
	fmt.Println(client.IsKeyNotFound(err), err.(client.Error).Code == client.ErrorCodeNodeExist)

	if _, err := kapi.Set(ctx, "/session", "alive", &client.SetOptions{TTL: 10 * time.Second}); err != nil {
		log.Fatal(err)
	}
	w := kapi.Watcher("/session", &client.WatcherOptions{AfterIndex: lock.Index})
	// An APIv3 Watcher keeps its stream open between calls of Next;
	// Close ends it.
	defer w.(interface{ Close() error }).Close()
	ev, err := w.Next(ctx) // the Set itself
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.Action, ev.Node.Value, ev.Node.TTL)
	clock.Advance(10 * time.Second)
	ev, err = w.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.Action, ev.PrevNode.Value)

	resp, err := kapi.Get(ctx, "/config/port", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Node.Key, resp.Node.Value)
	// Output:
	// false true
	// set alive 10
	// expire alive
	// /config/port 8080
}
