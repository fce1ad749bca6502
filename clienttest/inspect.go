package clienttest

// This file gives tests direct access to the key space, without a client
// and without moving any index: reading a key or the whole tree, and check
// helpers that fail the test with a readable difference.

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Get returns the value of key, and false if there is no such key or it is
// a directory. Hidden keys (a name starting with "_") are found too.
func (s *Server) Get(key string) (string, bool) {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	n, err := st.lookup(cleanPath(key))
	if err != nil || n.dir {
		return "", false
	}
	return n.value, true
}

// Tree returns every key and directory below the root in WithKeys' form:
// a key maps to its value, a directory to "" under its path with a
// trailing "/". Only empty directories are listed, since the keys under a
// directory already name it. Hidden keys are included.
func (s *Server) Tree() map[string]string {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[string]string)
	var walk func(n *node)
	walk = func(n *node) {
		if !n.dir {
			out[n.path] = n.value
			return
		}
		if len(n.children) == 0 && n != st.root {
			out[n.path+"/"] = ""
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(st.root)
	return out
}

// Dump returns Tree as text, one "key = value" line per entry in key
// order, values quoted as Go strings: for a test's log.
func (s *Server) Dump() string {
	return formatTree(s.Tree())
}

func formatTree(tree map[string]string) string {
	keys := sortedKeys(tree)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %q\n", k, tree[k])
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CheckGet fails the test (without stopping it) unless key holds want.
func (s *Server) CheckGet(t testing.TB, key, want string) {
	t.Helper()
	got, ok := s.Get(key)
	switch {
	case !ok:
		t.Errorf("clienttest: key %s: missing (or a directory), want %q\nthe tree:\n%s", key, want, s.Dump())
	case got != want:
		t.Errorf("clienttest: key %s = %q, want %q", key, got, want)
	}
}

// CheckTree fails the test (without stopping it) unless Tree equals want,
// listing every difference: "-" for an entry missing, "+" for one not
// wanted, "~" for a different value.
func (s *Server) CheckTree(t testing.TB, want map[string]string) {
	t.Helper()
	if d := treeDiff(s.Tree(), want); d != "" {
		t.Errorf("clienttest: the key space differs from the one wanted:\n%s", d)
	}
}

// treeDiff lists the differences between got and want in key order, or
// returns "" if there are none.
func treeDiff(got, want map[string]string) string {
	all := make(map[string]string, len(got)+len(want))
	for k := range got {
		all[k] = ""
	}
	for k := range want {
		all[k] = ""
	}
	var b strings.Builder
	for _, k := range sortedKeys(all) {
		g, inGot := got[k]
		w, inWant := want[k]
		switch {
		case !inGot:
			fmt.Fprintf(&b, "- %s = %q (missing)\n", k, w)
		case !inWant:
			fmt.Fprintf(&b, "+ %s = %q (not wanted)\n", k, g)
		case g != w:
			fmt.Fprintf(&b, "~ %s = %q, want %q\n", k, g, w)
		}
	}
	return b.String()
}
