package integration

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/seed26e043ee/client"
	"github.com/seed26e043ee/client/internal/etcdtest"
)

// TestAuth walks the v2 auth life cycle on one real member: a root user,
// auth enabled, the guest role stripped of its access, a user limited to a
// prefix by a role, grants and revocations, a password change, and auth
// disabled again.
func TestAuth(t *testing.T) {
	t.Parallel()
	cl := etcdtest.Start(t, 1)
	ctx := ctxFor(t, 60*time.Second)

	anon, _ := newClient(t, cl, client.Config{})
	root, _ := newClient(t, cl, client.Config{Username: "root", Password: "rootpw"})
	users := client.NewAuthUserAPI(root)
	roles := client.NewAuthRoleAPI(root)
	anonKeys := client.NewKeysAPI(anon)
	rootKeys := client.NewKeysAPI(root)

	// Auth is off: no credentials are needed, so the anonymous client can
	// create root.
	if err := client.NewAuthUserAPI(anon).AddUser(ctx, "root", "rootpw"); err != nil {
		t.Fatalf("AddUser(root) = %v", err)
	}
	u, err := users.GetUser(ctx, "root")
	if err != nil || u.User != "root" || !slices.Equal(u.Roles, []string{"root"}) {
		t.Fatalf("GetUser(root) = %+v, %v; want root with role root", u, err)
	}
	if err := client.NewAuthAPI(anon).Enable(ctx); err != nil {
		t.Fatalf("Enable() = %v", err)
	}

	// The guest role keeps full access after Enable; take it away so that
	// the anonymous client is really shut out.
	if _, err := roles.RevokeRoleKV(ctx, "guest", []string{"/*"}, client.ReadWritePermission); err != nil {
		t.Fatalf("RevokeRoleKV(guest, /*) = %v", err)
	}
	if _, err := anonKeys.Set(ctx, "/app/x", "v", nil); errorCode(err) != client.ErrorCodeUnauthorized {
		t.Fatalf("anonymous Set(/app/x) = %v, want code %d", err, client.ErrorCodeUnauthorized)
	}
	if _, err := anonKeys.Get(ctx, "/", nil); errorCode(err) != client.ErrorCodeUnauthorized {
		t.Errorf("anonymous Get(/) = %v, want code %d", err, client.ErrorCodeUnauthorized)
	}
	// The auth API refuses in its own shape, a 401 with only a message
	// (not the keys API's errorCode 110 body), on 3.4 and 3.5 alike.
	if _, err := client.NewAuthUserAPI(anon).ListUsers(ctx); !isAuthRefusal(err) {
		t.Errorf("anonymous ListUsers() = %v, want a 401 *AuthError", err)
	}

	if err := roles.AddRole(ctx, "app"); err != nil {
		t.Fatalf("AddRole(app) = %v", err)
	}
	r, err := roles.GrantRoleKV(ctx, "app", []string{"/app/*"}, client.ReadWritePermission)
	if err != nil || !slices.Equal(r.Permissions.KV.Read, []string{"/app/*"}) || !slices.Equal(r.Permissions.KV.Write, []string{"/app/*"}) {
		t.Fatalf("GrantRoleKV(app, /app/*) = %+v, %v; want read and write on /app/*", r, err)
	}
	if r, err := roles.GetRole(ctx, "app"); err != nil || r.Role != "app" || !slices.Equal(r.Permissions.KV.Write, []string{"/app/*"}) {
		t.Errorf("GetRole(app) = %+v, %v; want write on /app/*", r, err)
	}
	if err := users.AddUser(ctx, "alice", "alicepw"); err != nil {
		t.Fatalf("AddUser(alice) = %v", err)
	}
	u, err = users.GrantUser(ctx, "alice", []string{"app"})
	if err != nil || !slices.Equal(u.Roles, []string{"app"}) {
		t.Fatalf("GrantUser(alice, app) = %+v, %v; want roles [app]", u, err)
	}

	alice, _ := newClient(t, cl, client.Config{Username: "alice", Password: "alicepw"})
	aliceKeys := client.NewKeysAPI(alice)
	if _, err := aliceKeys.Set(ctx, "/app/x", "by-alice", nil); err != nil {
		t.Fatalf("alice Set(/app/x) = %v", err)
	}
	if resp, err := aliceKeys.Get(ctx, "/app/x", nil); err != nil || resp.Node.Value != "by-alice" {
		t.Errorf("alice Get(/app/x) = %+v, %v; want by-alice", resp, err)
	}
	if _, err := aliceKeys.Set(ctx, "/other", "v", nil); errorCode(err) != client.ErrorCodeUnauthorized {
		t.Errorf("alice Set(/other) = %v, want code %d", err, client.ErrorCodeUnauthorized)
	}
	if _, err := rootKeys.Set(ctx, "/other", "by-root", nil); err != nil {
		t.Errorf("root Set(/other) = %v", err)
	}
	if _, err := client.NewAuthUserAPI(alice).ListUsers(ctx); !isAuthRefusal(err) {
		t.Errorf("alice ListUsers() = %v, want a 401 *AuthError (only root manages auth)", err)
	}

	u, err = users.RevokeUser(ctx, "alice", []string{"app"})
	if err != nil || len(u.Roles) != 0 {
		t.Fatalf("RevokeUser(alice, app) = %+v, %v; want no roles", u, err)
	}
	if _, err := aliceKeys.Set(ctx, "/app/y", "v", nil); errorCode(err) != client.ErrorCodeUnauthorized {
		t.Errorf("alice Set(/app/y) after revoke = %v, want code %d", err, client.ErrorCodeUnauthorized)
	}
	if _, err := users.GrantUser(ctx, "alice", []string{"app"}); err != nil {
		t.Fatalf("GrantUser(alice, app) again = %v", err)
	}
	if _, err := aliceKeys.Set(ctx, "/app/y", "v", nil); err != nil {
		t.Errorf("alice Set(/app/y) after grant = %v", err)
	}
	r, err = roles.RevokeRoleKV(ctx, "app", []string{"/app/*"}, client.WritePermission)
	if err != nil || len(r.Permissions.KV.Write) != 0 || !slices.Equal(r.Permissions.KV.Read, []string{"/app/*"}) {
		t.Fatalf("RevokeRoleKV(app, write) = %+v, %v; want read only", r, err)
	}
	if _, err := aliceKeys.Set(ctx, "/app/z", "v", nil); errorCode(err) != client.ErrorCodeUnauthorized {
		t.Errorf("alice Set(/app/z) on a read-only role = %v, want code %d", err, client.ErrorCodeUnauthorized)
	}
	if _, err := aliceKeys.Get(ctx, "/app/x", nil); err != nil {
		t.Errorf("alice Get(/app/x) on a read-only role = %v", err)
	}

	if _, err := users.ChangePassword(ctx, "alice", "newpw"); err != nil {
		t.Fatalf("ChangePassword(alice) = %v", err)
	}
	if _, err := aliceKeys.Get(ctx, "/app/x", nil); errorCode(err) != client.ErrorCodeUnauthorized {
		t.Errorf("Get with alice's old password = %v, want code %d", err, client.ErrorCodeUnauthorized)
	}
	alice2, _ := newClient(t, cl, client.Config{Username: "alice", Password: "newpw"})
	if _, err := client.NewKeysAPI(alice2).Get(ctx, "/app/x", nil); err != nil {
		t.Errorf("Get with alice's new password = %v", err)
	}

	names, err := users.ListUsers(ctx)
	if err != nil || !slices.Equal(sortedCopy(names), []string{"alice", "root"}) {
		t.Errorf("ListUsers() = %v, %v; want alice and root", names, err)
	}
	names, err = roles.ListRoles(ctx)
	if err != nil || !slices.Equal(sortedCopy(names), []string{"app", "guest", "root"}) {
		t.Errorf("ListRoles() = %v, %v; want app, guest and root", names, err)
	}

	notFound := []struct {
		name string
		err  func() error
		is   func(error) bool
	}{
		{"GetUser", func() error { _, err := users.GetUser(ctx, "nobody"); return err }, client.IsUserNotFound},
		{"RemoveUser", func() error { return users.RemoveUser(ctx, "nobody") }, client.IsUserNotFound},
		{"GrantUser", func() error { _, err := users.GrantUser(ctx, "nobody", []string{"app"}); return err }, client.IsUserNotFound},
		{"GetRole", func() error { _, err := roles.GetRole(ctx, "nope"); return err }, client.IsRoleNotFound},
		{"RemoveRole", func() error { return roles.RemoveRole(ctx, "nope") }, client.IsRoleNotFound},
	}
	for _, tc := range notFound {
		t.Run("not_found_"+tc.name, func(t *testing.T) {
			err := tc.err()
			var ae *client.AuthError
			if !tc.is(err) || !errors.As(err, &ae) {
				t.Errorf("%s of a missing name = %v, want an *AuthError recognised as not found", tc.name, err)
			}
		})
	}
	if _, err := users.GetUser(ctx, "alice"); client.IsUserNotFound(err) || client.IsRoleNotFound(err) {
		t.Errorf("GetUser(alice) = %v, want no not-found error", err)
	}

	if err := users.RemoveUser(ctx, "alice"); err != nil {
		t.Errorf("RemoveUser(alice) = %v", err)
	}
	if err := roles.RemoveRole(ctx, "app"); err != nil {
		t.Errorf("RemoveRole(app) = %v", err)
	}
	if err := client.NewAuthAPI(root).Disable(ctx); err != nil {
		t.Fatalf("Disable() = %v", err)
	}
	if resp, err := anonKeys.Get(ctx, "/other", nil); err != nil || resp.Node.Value != "by-root" {
		t.Errorf("anonymous Get(/other) after Disable = %+v, %v; want by-root", resp, err)
	}
}

// isAuthRefusal reports whether err is the auth API's answer to missing or
// insufficient credentials.
func isAuthRefusal(err error) bool {
	var ae *client.AuthError
	return errors.As(err, &ae) && ae.Code == 401 && ae.Message == "Insufficient credentials"
}
