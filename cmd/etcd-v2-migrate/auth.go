package main

// This file maps v2 role permissions onto v3 permissions in the layout of
// docs/v3-layout.md. It is a pure function of its input so that it can be
// replaced by the library's own mapping once the library has one.

import (
	"fmt"
	"path"
	"strings"
)

// permType is a v3 permission type as bits, so that two grants of the
// same range merge with |.
type permType int

const (
	permRead      permType = 1
	permWrite     permType = 2
	permReadWrite          = permRead | permWrite
)

// String is the name the v3 gateway uses.
func (p permType) String() string {
	switch p {
	case permRead:
		return "READ"
	case permWrite:
		return "WRITE"
	case permReadWrite:
		return "READWRITE"
	}
	return fmt.Sprintf("permType(%d)", int(p))
}

// v3Perm is one v3 permission: the key alone when end is "", else the
// range [key, end).
type v3Perm struct {
	key, end string
	typ      permType
}

func (p v3Perm) String() string {
	if p.end == "" {
		return fmt.Sprintf("%s %q", p.typ, p.key)
	}
	return fmt.Sprintf("%s [%q, %q)", p.typ, p.key, p.end)
}

// mapPermissions turns a v2 role's read and write patterns into the v3
// permissions of the same keys under prefix p:
//
//   - "/foo/*": the range of every key starting with P+"/foo/", which is
//     the directory's marker and everything below it;
//   - any other pattern ending in "*", such as "/foo*": the range of keys
//     starting with P+"/foo" (the node /foo, its subtree, and its siblings
//     /foobar...), as v2 matched it;
//   - "/foo": the one node, as a key (P+"/foo") and as a directory (its
//     marker P+"/foo/"); "/*" or "*" is the whole tree.
//
// Reads and writes through the library's APIv3 also touch keys outside
// those: every write reads each ancestor directory as a key and as a
// marker (the root's marker included) and compares them in its
// transaction, and it records itself in its parent's marker. So each
// pattern also gets READ on those ancestor keys and markers, and a
// writable pattern WRITE on the marker of the directory its node is in
// (for "/foo/*" that marker is inside the range already). Grants of the
// same key or range merge into one.
func mapPermissions(p string, read, write []string) ([]v3Perm, error) {
	merged := map[[2]string]permType{}
	add := func(key, end string, t permType) { merged[[2]string{key, end}] |= t }
	for _, g := range []struct {
		patterns []string
		t        permType
	}{{read, permRead}, {write, permWrite}} {
		for _, pat := range g.patterns {
			if err := mapPattern(p, pat, g.t, add); err != nil {
				return nil, err
			}
		}
	}
	out := make([]v3Perm, 0, len(merged))
	for k, t := range merged {
		if covered(merged, k[0], k[1], t) {
			continue
		}
		out = append(out, v3Perm{key: k[0], end: k[1], typ: t})
	}
	sortPerms(out)
	return out, nil
}

// covered tells whether the single key (end "") is inside a range of
// merged that grants at least t, so granting it alone adds nothing.
func covered(merged map[[2]string]permType, key, end string, t permType) bool {
	if end != "" {
		return false
	}
	for r, rt := range merged {
		if r[1] != "" && r[0] <= key && key < r[1] && rt&t == t {
			return true
		}
	}
	return false
}

func mapPattern(p, pat string, t permType, add func(key, end string, t permType)) error {
	if pat == "*" {
		pat = "/*"
	}
	if !strings.HasPrefix(pat, "/") {
		return fmt.Errorf("permission %q: a v2 key pattern starts with / (or is *)", pat)
	}
	base, glob := strings.CutSuffix(pat, "*")
	if strings.Contains(base, "*") {
		return fmt.Errorf("permission %q: only a trailing * can be mapped to a v3 range", pat)
	}
	var node string // the v2 node whose ancestors must be readable
	if glob {
		add(p+base, string(prefixEnd(p+base)), t)
		if strings.HasSuffix(base, "/") {
			// "/foo/*": the directory itself is an ancestor of what is
			// granted; its marker is in the range, its key is not.
			node = path.Clean(base)
			if node != "/" {
				add(p+node, "", permRead)
			}
		} else {
			node = path.Clean(base)
			if t&permWrite != 0 {
				add(markerOf(p, path.Dir(node)), "", permWrite)
			}
		}
	} else {
		node = path.Clean(pat)
		add(markerOf(p, node), "", t)
		if node != "/" {
			add(p+node, "", t)
			if t&permWrite != 0 {
				add(markerOf(p, path.Dir(node)), "", permWrite)
			}
		}
	}
	for _, a := range ancestors(node) {
		add(markerOf(p, a), "", permRead)
		if a != "/" {
			add(p+a, "", permRead)
		}
	}
	return nil
}

// markerOf is the v3 key of directory d's marker.
func markerOf(p, d string) string {
	if d == "/" {
		return p + "/"
	}
	return p + d + "/"
}

// ancestors are the directories above the cleaned v2 key k, the root
// first; none for the root itself.
func ancestors(k string) []string {
	if k == "/" {
		return nil
	}
	var out []string
	for d := path.Dir(k); ; d = path.Dir(d) {
		out = append(out, d)
		if d == "/" {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
