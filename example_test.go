package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// The README's quick start, run against an in-process server from package
// clienttest so that it executes under go test.
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
	// Output:
	// /greeting = "hello, etcd"
}

// A missing key is an Error with code 100; IsKeyNotFound tells it apart
// from a failure to reach the cluster.
func ExampleIsKeyNotFound() {
	kapi, stop := exampleKeysAPI()
	defer stop()

	_, err := kapi.Get(context.Background(), "/no/such/key", nil)
	fmt.Println(client.IsKeyNotFound(err))
	var e client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Message)
	}
	// Output:
	// true
	// 100 Key not found
}

// Compare-and-swap: the Set succeeds only while the value is still the one
// read before.
func ExampleKeysAPI_Set_compareAndSwap() {
	kapi, stop := exampleKeysAPI()
	defer stop()
	ctx := context.Background()

	if _, err := kapi.Set(ctx, "/lock", "free", nil); err != nil {
		log.Fatal(err)
	}
	resp, err := kapi.Set(ctx, "/lock", "taken", &client.SetOptions{PrevValue: "free"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Action, resp.PrevNode.Value, "->", resp.Node.Value)

	_, err = kapi.Set(ctx, "/lock", "mine", &client.SetOptions{PrevValue: "free"})
	var e client.Error
	fmt.Println(errors.As(err, &e) && e.Code == client.ErrorCodeTestFailed)
	// Output:
	// compareAndSwap free -> taken
	// true
}

// A Watcher reports each change after the index it starts from.
func ExampleKeysAPI_Watcher() {
	kapi, stop := exampleKeysAPI()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	resp, err := kapi.Set(ctx, "/jobs/1", "queued", nil)
	if err != nil {
		log.Fatal(err)
	}
	w := kapi.Watcher("/jobs", &client.WatcherOptions{AfterIndex: resp.Index, Recursive: true})
	done := make(chan struct{})
	go func() {
		defer close(done)
		kapi.Set(ctx, "/jobs/1", "running", nil)
		kapi.Delete(ctx, "/jobs/1", nil)
	}()
	defer func() { <-done }()
	for range 2 {
		ev, err := w.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Action, ev.Node.Key, ev.Node.Value)
	}
	// Output:
	// set /jobs/1 running
	// delete /jobs/1
}

// exampleKeysAPI starts an in-process server (package clienttest) and
// returns a KeysAPI on it, as the quick start does against real etcd.
func exampleKeysAPI() (client.KeysAPI, func()) {
	srv, err := clienttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New(client.Config{Endpoints: srv.Endpoints()})
	if err != nil {
		log.Fatal(err)
	}
	return client.NewKeysAPI(c), srv.Close
}
