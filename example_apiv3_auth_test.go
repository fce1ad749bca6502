package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/clienttest"
)

// The v2 auth APIs work on APIv3 too: root sets up a role whose v2
// permission paths become v3 key ranges, and a client with a user's
// credentials authenticates for a token by itself, fetching a new one
// whenever etcd lets the old one expire. As in Example_apiv3, the server
// is clienttest's (its v3 auth is etcd 3.6's); against a real etcd the
// endpoint is "http://127.0.0.1:2379".
func Example_apiv3Auth() {
	srv, err := clienttest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), client.DefaultRequestTimeout)
	defer cancel()
	root, err := client.New(client.Config{
		Endpoints: srv.Endpoints(),
		API:       client.APIv3,
		Username:  "root",
		Password:  "root-password",
	})
	if err != nil {
		log.Fatal(err)
	}
	users, roles := client.NewAuthUserAPI(root), client.NewAuthRoleAPI(root)
	// On APIv3, adding root also creates the role root, as v3 requires.
	if err := users.AddUser(ctx, "root", "root-password"); err != nil {
		log.Fatal(err)
	}
	if err := roles.AddRole(ctx, "app"); err != nil {
		log.Fatal(err)
	}
	// Writes through KeysAPI read first: grant read and write.
	if _, err := roles.GrantRoleKV(ctx, "app", []string{"/app/*"}, client.ReadWritePermission); err != nil {
		log.Fatal(err)
	}
	if err := users.AddUser(ctx, "alice", "alice-password"); err != nil {
		log.Fatal(err)
	}
	if _, err := users.GrantUser(ctx, "alice", []string{"app"}); err != nil {
		log.Fatal(err)
	}
	// The directory /app exists before alice writes below it.
	if _, err := client.NewKeysAPI(root).Set(ctx, "/app", "", &client.SetOptions{Dir: true}); err != nil {
		log.Fatal(err)
	}
	if err := client.NewAuthAPI(root).Enable(ctx); err != nil {
		log.Fatal(err)
	}

	alice, err := client.New(client.Config{
		Endpoints: srv.Endpoints(),
		API:       client.APIv3,
		Username:  "alice",
		Password:  "alice-password",
	})
	if err != nil {
		log.Fatal(err)
	}
	kapi := client.NewKeysAPI(alice)
	if _, err := kapi.Set(ctx, "/app/greeting", "hello", nil); err != nil {
		log.Fatal(err)
	}
	_, err = kapi.Set(ctx, "/elsewhere", "x", nil)
	var e client.Error
	fmt.Println(errors.As(err, &e) && e.Code == client.ErrorCodeUnauthorized)
	// Output:
	// true
}
