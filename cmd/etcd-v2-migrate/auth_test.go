package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/seed26e043ee/client"
)

func TestMapPermissions(t *testing.T) {
	r, w, rw := permRead, permWrite, permReadWrite
	key := func(k string, t permType) v3Perm { return v3Perm{key: k, typ: t} }
	rng := func(k, e string, t permType) v3Perm { return v3Perm{key: k, end: e, typ: t} }
	for _, tc := range []struct {
		name        string
		prefix      string
		read, write []string
		want        []v3Perm
	}{
		{name: "read a subtree", read: []string{"/foo/*"},
			want: []v3Perm{key("/", r), key("/foo", r), rng("/foo/", "/foo0", r)}},
		{name: "write a subtree: its marker is in the range", write: []string{"/foo/*"},
			want: []v3Perm{key("/", r), key("/foo", r), rng("/foo/", "/foo0", w)}},
		{name: "both merge", read: []string{"/a/b/*"}, write: []string{"/a/b/*"},
			want: []v3Perm{key("/", r), key("/a", r), key("/a/", r), key("/a/b", r), rng("/a/b/", "/a/b0", rw)}},
		{name: "keys inside a granted range are not granted again", read: []string{"/a/*", "/a/b/c"}, write: []string{"/a/b/*"},
			want: []v3Perm{key("/", r), key("/a", r), rng("/a/", "/a0", r), rng("/a/b/", "/a/b0", w)}},
		{name: "one node: key and marker; writes record in the parent's marker", read: []string{"/a/k"}, write: []string{"/a/k"},
			want: []v3Perm{key("/", r), key("/a", r), key("/a/", rw), key("/a/k", rw), key("/a/k/", rw)}},
		{name: "read one top node", read: []string{"/k"},
			want: []v3Perm{key("/", r), key("/k", r), key("/k/", r)}},
		{name: "glob without a slash covers the siblings too", write: []string{"/app*"},
			want: []v3Perm{key("/", rw), rng("/app", "/apq", w)}},
		{name: "everything", read: []string{"*"}, write: []string{"/*"},
			want: []v3Perm{rng("/", "0", rw)}},
		{name: "the root node alone", read: []string{"/"},
			want: []v3Perm{key("/", r)}},
		{name: "prefix", prefix: "/mig", read: []string{"/x/*", "/y"},
			want: []v3Perm{key("/mig/", r), key("/mig/x", r), rng("/mig/x/", "/mig/x0", r), key("/mig/y", r), key("/mig/y/", r)}},
		{name: "unclean patterns are cleaned", read: []string{"/a//b/"},
			want: []v3Perm{key("/", r), key("/a", r), key("/a/", r), key("/a/b", r), key("/a/b/", r)}},
		{name: "none", want: []v3Perm{}},
	} {
		got, err := mapPermissions(tc.prefix, tc.read, tc.write)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got  %v\n want %v", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"foo", "/a*b*", "/*/x", ""} {
		if _, err := mapPermissions("", []string{bad}, nil); err == nil {
			t.Errorf("pattern %q: no error", bad)
		}
	}
}

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
			"app":   {KV: rwPerms([]string{"/app/*"}, nil)},
			"guest": {KV: rwPerms([]string{"/pub/*"}, nil)},
			"root":  {KV: rwPerms([]string{"/*"}, []string{"/*"})},
		},
	}
	want, notes, err := wantAuth(a, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want.users, map[string][]string{"alice": {"app"}, "root": {"root"}}) {
		t.Errorf("users %v", want.users)
	}
	if len(want.roles) != 2 || len(want.roles["root"]) != 0 || len(want.roles["app"]) != 3 {
		t.Errorf("roles %v", want.roles)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "role guest not copied") || !strings.Contains(notes[0], "/pub/*") {
		t.Errorf("notes %q", notes)
	}
	// Without a root user in v2, v3 gets one.
	delete(a.users, "root")
	want, notes, err = wantAuth(a, "")
	if err != nil || !reflect.DeepEqual(want.users["root"], []string{"root"}) || len(notes) != 2 {
		t.Errorf("without root: %v %q %v", want.users, notes, err)
	}
	a.users["bob"] = []string{"nosuch"}
	if _, _, err := wantAuth(a, ""); err == nil || !strings.Contains(err.Error(), "bob has role nosuch") {
		t.Errorf("unknown role: %v", err)
	}
	a.users["bob"] = nil
	a.roles["bad"] = client.Permissions{KV: rwPerms([]string{"nope"}, nil)}
	if _, _, err := wantAuth(a, ""); err == nil || !strings.Contains(err.Error(), "role bad") {
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
	p1 := v3Perm{key: "/a/", end: "/a0", typ: permRead}
	p2 := v3Perm{key: "/", typ: permRead}
	want := &authState{
		users: map[string][]string{"alice": {"app"}, "root": {"root"}},
		roles: map[string][]v3Perm{"app": {p2, p1}, "root": {}},
	}
	// etcd 3.6 gives the root role the whole key space: not a difference.
	same := &authState{
		users: map[string][]string{"alice": {"app"}, "root": {"root"}},
		roles: map[string][]v3Perm{"app": {p2, p1}, "root": {{key: "", end: "\x00", typ: permReadWrite}}},
	}
	if d := compareAuth(want, same); len(d) != 0 {
		t.Errorf("equal states differ: %v", d)
	}
	have := &authState{
		users: map[string][]string{"alice": {"other"}, "eve": nil},
		roles: map[string][]v3Perm{"app": {{key: "/a/", end: "/a0", typ: permReadWrite}, {key: "/x", typ: permRead}}, "other": {}},
	}
	var got []string
	for _, d := range compareAuth(want, have) {
		got = append(got, d.String())
	}
	wantDiffs := []string{
		`role app: missing permission READ "/"`,
		`role app: permission READ ["/a/", "/a0") is READWRITE on the target`,
		`role app: only on the target: permission READ "/x"`,
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
