package client

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestAddUserWithoutPassword(t *testing.T) {
	g, srv := newFakeAuthGateway(t)
	c := newV3AuthClient(t, srv.URL, Config{})
	ctx := context.Background()
	users := NewAuthUserAPI(c)
	if err := AddUserWithoutPassword(ctx, users, "carol"); err != nil {
		t.Fatalf("AddUserWithoutPassword(carol) = %v", err)
	}
	if err := AddUserWithoutPassword(ctx, users, "root"); err != nil {
		t.Fatalf("AddUserWithoutPassword(root) = %v", err)
	}
	want := []string{
		`auth/user/add {"name":"carol","options":{"no_password":true}}`,
		`auth/user/add {"name":"root","options":{"no_password":true}}`,
		`auth/role/add {"name":"root"}`,
		`auth/user/grant {"user":"root","role":"root"}`,
	}
	if got := g.callLog(); !slices.Equal(got, want) {
		t.Errorf("calls =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := AddUserWithoutPassword(ctx, users, "carol"); !isAuthErr(err, 409, "auth: User carol already exists.") {
		t.Errorf("again = %v", err)
	}
	if err := AddUserWithoutPassword(ctx, users, "a/b"); err == nil {
		t.Error("a bad name was accepted")
	}
	v2, err := New(Config{Endpoints: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	n := len(g.callLog())
	if err := AddUserWithoutPassword(ctx, NewAuthUserAPI(v2), "dave"); err == nil || !strings.Contains(err.Error(), "APIv3") {
		t.Errorf("on APIv2 = %v", err)
	}
	if len(g.callLog()) != n {
		t.Error("on APIv2 it sent a request")
	}
}

func TestV3PermissionPath(t *testing.T) {
	for in, want := range map[string]string{
		"/foo/*": "/foo/*", "/foo*": "/foo*", "/foo": "/foo", "*": "/*", "/*": "/*",
		"foo": "/foo", "/a//b/": "/a/b", "/": "/",
	} {
		if got, err := V3PermissionPath(in); err != nil || got != want {
			t.Errorf("V3PermissionPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/a*b*", "/*/x", "/a/../b*"} {
		if got, err := V3PermissionPath(bad); err == nil {
			t.Errorf("V3PermissionPath(%q) = %q, no error", bad, got)
		}
	}
}
