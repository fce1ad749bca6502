package client_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// Hooks count the calls each endpoint answered, per operation, and the
// requests that failed on each: the start of metrics for a dashboard.
func ExampleHooks() {
	srv, err := clienttest.Start() // an in-memory etcd v2 server
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	var (
		mu       sync.Mutex
		answered = make(map[string]int) // "endpoint op" → calls
		failed   = make(map[string]int) // endpoint → failed requests
	)
	hooks := &client.Hooks{
		Call: func(ctx context.Context, call client.CallInfo) (context.Context, func(client.CallResult)) {
			return ctx, func(r client.CallResult) {
				mu.Lock()
				defer mu.Unlock()
				answered[r.Endpoint+" "+call.Op]++
			}
		},
		Attempt: func(ctx context.Context, a client.AttemptInfo) (context.Context, func(client.AttemptResult)) {
			return ctx, func(r client.AttemptResult) {
				if r.Err != nil || r.Status >= 500 {
					mu.Lock()
					defer mu.Unlock()
					failed[a.Endpoint]++
				}
			}
		},
	}
	c, err := client.New(client.Config{Endpoints: srv.Endpoints(), Hooks: hooks})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(c)
	ctx := context.Background()
	kapi.Set(ctx, "/a", "1", nil)
	kapi.Get(ctx, "/a", nil)
	kapi.Get(ctx, "/missing", nil) // answered, with "key not found"

	mu.Lock()
	defer mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(answered)) {
		fmt.Println(strings.Replace(k, srv.Endpoints()[0], "<etcd>", 1), answered[k])
	}
	fmt.Println("failed requests:", len(failed))
	// Output:
	// <etcd> keys.get 2
	// <etcd> keys.set 1
	// failed requests: 0
}

// A logger shows what the client does; at Debug level every request.
func ExampleConfig_logger() {
	srv, err := clienttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		// Times, durations and the server's port vary from run to run.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "duration":
				return slog.Attr{}
			case "endpoint":
				return slog.String("endpoint", "<etcd>")
			}
			return a
		},
	})
	c, err := client.New(client.Config{Endpoints: srv.Endpoints(), Logger: slog.New(h)})
	if err != nil {
		log.Fatal(err)
	}
	client.NewKeysAPI(c).Set(context.Background(), "/a", "1", nil)
	// Output:
	// level=DEBUG msg="etcd request" api=v2 op=keys.set method=PUT key=/a endpoint=<etcd> attempt=1 round=1 status=201 proto=HTTP/1.1
	// level=DEBUG msg="etcd call" api=v2 op=keys.set method=PUT key=/a endpoint=<etcd> status=201 attempts=1
}
