package main

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/seed26e043ee/client"
)

func TestParsePasswords(t *testing.T) {
	got, err := parsePasswords("f", strings.NewReader("# comment\n\nalice:s3cret\r\n bob :pass: with colon \n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"alice": "s3cret", "bob": "pass: with colon "}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for in, want := range map[string]string{
		"nocolon-secret\n":    "line 1: not USER:PASSWORD",
		"ok:1\n:secret\n":     "line 2: not USER:PASSWORD",
		"a:x\nb:\n":           "line 2: empty password for b",
		"a:secret\na:other\n": "line 2: a appears twice",
	} {
		_, err := parsePasswords("f", strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "other")) {
			t.Errorf("%q: the error shows a password: %v", in, err)
		}
	}
}

func TestWantAuth(t *testing.T) {
	a := &v2Auth{
		users: map[string][]string{"alice": {"app", "guest"}, "root": {"root"}},
		roles: map[string]client.Permissions{
			"app":   {KV: rwPerms([]string{"/app/*", "*", "/app/*", "x//y"}, []string{"/app/*"})},
			"guest": {KV: rwPerms([]string{"/pub/*"}, nil)},
			"root":  {KV: rwPerms([]string{"/*"}, []string{"/*"})},
		},
	}
	want, notes, err := wantAuth(a)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want.users, map[string][]string{"alice": {"app"}, "root": {"root"}}) {
		t.Errorf("users %v", want.users)
	}
	// The paths as the library's GetRole reports them on APIv3.
	if w := (rolePerms{read: []string{"/*", "/app/*", "/x/y"}, write: []string{"/app/*"}}); len(want.roles) != 2 || !reflect.DeepEqual(want.roles["app"], w) {
		t.Errorf("roles %v", want.roles)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "role guest not copied") || !strings.Contains(notes[0], "/pub/*") {
		t.Errorf("notes %q", notes)
	}
	// Without a root user in v2, v3 gets one.
	delete(a.users, "root")
	want, notes, err = wantAuth(a)
	if err != nil || !reflect.DeepEqual(want.users["root"], []string{"root"}) || len(notes) != 2 {
		t.Errorf("without root: %v %q %v", want.users, notes, err)
	}
	a.users["bob"] = []string{"nosuch"}
	if _, _, err := wantAuth(a); err == nil || !strings.Contains(err.Error(), "bob has role nosuch") {
		t.Errorf("unknown role: %v", err)
	}
	a.users["bob"] = nil
	a.roles["bad"] = client.Permissions{KV: rwPerms(nil, []string{"/a*b*"})}
	if _, _, err := wantAuth(a); err == nil || !strings.Contains(err.Error(), "role bad") || !strings.Contains(err.Error(), "/a*b*") {
		t.Errorf("bad pattern: %v", err)
	}
}

// rwPerms fills the library's unexported read/write lists through JSON's
// shape, which is all the test can reach.
func rwPerms(read, write []string) (p struct {
	Read  []string `json:"read"`
	Write []string `json:"write"`
}) {
	p.Read, p.Write = read, write
	return p
}

func TestCompareAuth(t *testing.T) {
	want := &authState{
		users: map[string][]string{"alice": {"app"}, "root": {"root"}},
		roles: map[string]rolePerms{"app": {read: []string{"/a/*", "/b"}, write: []string{"/a/*"}}, "root": {}},
	}
	// The library shows v3's root role with read and write on "/*": not
	// a difference.
	same := &authState{
		users: map[string][]string{"alice": {"app"}, "root": {"root"}},
		roles: map[string]rolePerms{"app": want.roles["app"], "root": {read: []string{"/*"}, write: []string{"/*"}}},
	}
	if d := compareAuth(want, same); len(d) != 0 {
		t.Errorf("equal states differ: %v", d)
	}
	have := &authState{
		users: map[string][]string{"alice": {"other"}, "eve": nil},
		roles: map[string]rolePerms{"app": {read: []string{"/a/*", "/x"}, write: []string{"/a/*", "/b"}}, "other": {}},
	}
	var got []string
	for _, d := range compareAuth(want, have) {
		got = append(got, d.String())
	}
	wantDiffs := []string{
		`role app: missing read permission on /b`,
		`role app: only on the target: read permission on /x`,
		`role app: only on the target: write permission on /b`,
		`missing on the target: role root`,
		`only on the target: role other`,
		`user alice: missing role app`,
		`user alice: only on the target: role other`,
		`missing on the target: user root`,
		`user root: missing role root`,
		`only on the target: user eve`,
	}
	if !reflect.DeepEqual(got, wantDiffs) {
		t.Errorf("diffs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantDiffs, "\n"))
	}
}

// fakeAuth is the target's auth as the library's interfaces show it,
// recording every call that changes something.
type fakeAuth struct {
	client.AuthUserAPI // nil: the methods syncAuth does not use panic
	client.AuthRoleAPI
	users map[string][]string
	roles map[string]rolePerms
	calls []string
}

func (f *fakeAuth) AddRole(_ context.Context, role string) error {
	f.calls = append(f.calls, "AddRole "+role)
	f.roles[role] = rolePerms{}
	return nil
}

func (f *fakeAuth) GrantRoleKV(_ context.Context, role string, paths []string, pt client.PermissionType) (*client.Role, error) {
	f.calls = append(f.calls, fmt.Sprintf("GrantRoleKV %s %v %d", role, paths, pt))
	r := f.roles[role]
	if pt != client.WritePermission {
		r.read = sortedCopy(append(r.read, paths...))
	}
	if pt != client.ReadPermission {
		r.write = sortedCopy(append(r.write, paths...))
	}
	f.roles[role] = r
	return &client.Role{Role: role}, nil
}

func (f *fakeAuth) addUser(name, how string) error {
	f.calls = append(f.calls, "AddUser "+name+" "+how)
	f.users[name] = nil
	if name == rootName {
		f.users[name] = []string{rootName}
		if _, ok := f.roles[rootName]; !ok {
			f.roles[rootName] = rolePerms{}
		}
	}
	return nil
}

func (f *fakeAuth) AddUser(_ context.Context, name, password string) error {
	return f.addUser(name, "with a password")
}

func (f *fakeAuth) GrantUser(_ context.Context, name string, roles []string) (*client.User, error) {
	f.calls = append(f.calls, fmt.Sprintf("GrantUser %s %v", name, roles))
	f.users[name] = sortedCopy(append(f.users[name], roles...))
	return &client.User{User: name}, nil
}

func (f *fakeAuth) state() *authState {
	st := &authState{users: map[string][]string{}, roles: map[string]rolePerms{}}
	maps.Copy(st.users, f.users)
	maps.Copy(st.roles, f.roles)
	return st
}

func TestSyncAuth(t *testing.T) {
	want, _, err := wantAuth(&v2Auth{
		users: map[string][]string{"alice": {"app", "queue"}, "carol": {"app"}},
		roles: map[string]client.Permissions{
			"app":   {KV: rwPerms([]string{"/big/*", "/cfg/one"}, []string{"/big/d00/*", "/cfg/one"})},
			"queue": {KV: rwPerms([]string{"/queue/*"}, []string{"/queue/*"})},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAuth{users: map[string][]string{}, roles: map[string]rolePerms{}}
	target := &authTarget{users: f, roles: f, addNoPassword: func(_ context.Context, name string) error { return f.addUser(name, "without a password") }}
	ctx := context.Background()
	passwords := map[string]string{"alice": "alicepw", "root": "rootpw"}
	var out strings.Builder
	st, err := syncAuth(ctx, target, want, f.state(), passwords, true, &out)
	if err != nil || len(f.calls) != 0 {
		t.Fatalf("dry run: %v, calls %q", err, f.calls)
	}
	if st.roles != 3 || st.perms != 6 || st.users != 3 || st.grants != 4 || !reflect.DeepEqual(st.noPassword, []string{"carol"}) {
		t.Errorf("dry run counts %+v", st)
	}
	if !strings.Contains(out.String(), "auth: dry run, would grant role app read and write on /cfg/one\n") {
		t.Errorf("dry run output:\n%s", out.String())
	}
	out.Reset()
	if _, err := syncAuth(ctx, target, want, f.state(), passwords, false, &out); err != nil {
		t.Fatal(err)
	}
	wantCalls := []string{
		"AddRole app",
		"GrantRoleKV app [/cfg/one] 2", // both types in one grant
		"GrantRoleKV app [/big/*] 0",
		"GrantRoleKV app [/big/d00/*] 1",
		"AddRole queue",
		"GrantRoleKV queue [/queue/*] 2",
		"AddRole root",
		"AddUser alice with a password",
		"GrantUser alice [app queue]",
		"AddUser carol without a password",
		"GrantUser carol [app]",
		"AddUser root with a password", // which grants root its role
	}
	if !reflect.DeepEqual(f.calls, wantCalls) {
		t.Errorf("calls:\n%s\nwant\n%s\noutput:\n%s", strings.Join(f.calls, "\n"), strings.Join(wantCalls, "\n"), out.String())
	}
	if strings.Contains(out.String(), "pw") {
		t.Errorf("the output shows a password:\n%s", out.String())
	}
	if d := compareAuth(want, f.state()); len(d) != 0 {
		t.Errorf("after the sync: %v", d)
	}
	f.calls = nil
	out.Reset()
	if st, err := syncAuth(ctx, target, want, f.state(), passwords, false, &out); err != nil || len(f.calls) != 0 || !reflect.DeepEqual(*st, authStats{}) {
		t.Errorf("second sync: %+v, %v, calls %q", st, err, f.calls)
	}
	// The users now exist: their passwords are not set again, and the
	// output says so for each one --passwords names.
	for _, u := range []string{"alice", "root"} {
		if want := "auth: user " + u + " exists on the target already: its password there stays as it is"; !strings.Contains(out.String(), want) {
			t.Errorf("second sync output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "carol") {
		t.Errorf("second sync output names carol, whom --passwords does not name:\n%s", out.String())
	}
}
