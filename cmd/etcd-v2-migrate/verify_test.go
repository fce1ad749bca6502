package main

import (
	"strings"
	"testing"
	"time"
)

func TestDiffTrees(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := &tree{entries: []entry{
		{key: "/a", value: "1"},
		{key: "/d", dir: true},
		{key: "/d/x", value: "x"},
		{key: "/gone", value: "g", exp: now.Add(time.Second), owner: "/gone"},
		{key: "/t", value: "t", exp: now.Add(100 * time.Second), owner: "/t"},
		{key: "/u", value: "u", exp: now.Add(100 * time.Second), owner: "/u"},
		{key: "/w", value: "w"},
	}}
	dst := &tree{entries: []entry{
		{key: "/a", value: "2"},
		{key: "/d", value: "file"},
		{key: "/extra", value: "e"},
		{key: "/t", value: "t", exp: now.Add(90 * time.Second), owner: "/t"},
		{key: "/u", value: "u", exp: now.Add(97 * time.Second), owner: "/u"},
	}}
	got := strings.Join(diffTrees(src, dst, 5*time.Second, now), "\n")
	want := strings.Join([]string{
		`/a: source value "1", target value "2"`,
		`/d: source has a directory, target has a key`,
		`missing on the target: /d/x = "x"`,
		`/t: source expires in 1m40s, target in 1m30s (tolerance 5s)`,
		`missing on the target: /w = "w"`,
		`only on the target: /extra = "e"`,
	}, "\n")
	if got != want {
		t.Errorf("differences:\n%s\nwant:\n%s", got, want)
	}
	if d := diffTrees(src, src, 0, now); len(d) != 0 {
		t.Errorf("a tree differs from itself: %q", d)
	}
}

func TestLayoutDropsExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := &tree{entries: []entry{
		{key: "/s", dir: true, exp: now.Add(-time.Second), owner: "/s"},
		{key: "/s/k", value: "v", owner: "/s"},
		{key: "/t", value: "v", exp: now.Add(1500 * time.Millisecond), owner: "/t"},
	}}
	ws, expired := layout(tr, "/p", now)
	var keys []string
	for _, w := range ws {
		keys = append(keys, w.key+"="+w.value)
	}
	if got := strings.Join(keys, " "); got != "/p/={} /p/t=v" || expired != 1 {
		t.Errorf("layout: %s, %d expired", got, expired)
	}
	if r := remaining(now.Add(1500*time.Millisecond), now); r != 2 {
		t.Errorf("remaining(1.5s) = %d, want 2", r)
	}
	if r := remaining(now.Add(time.Millisecond), now); r != 1 {
		t.Errorf("remaining(1ms) = %d, want 1", r)
	}
}
