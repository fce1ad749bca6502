package client

// This file maps v2 permission paths onto v3 key ranges under the layout
// of docs/v3-layout.md, and back (APIv3):
//
//	"/foo/*", "/foo*"  a prefix range over P+"/foo/", P+"/foo"
//	"/foo"             the v3 keys of the node /foo: P+"/foo" and its
//	                   directory marker P+"/foo/", each alone
//
// Writes through KeysAPI read the ancestors of the key they change (as
// keys and as directory markers: keys_v3_state.go), so every grant also
// gives read on the ancestors' v3 keys that its own range does not hold.
// Every write also records its action in the parent directory's marker,
// so a write grant on one node ("/foo") or on a name prefix ("/foo*")
// also gives write on the parent's marker (P+"/" for both); a prefix
// "/foo/*" holds that marker in its own range.
// Those extra grants are single keys spelt as the range [k, k+"\x00"),
// which the library writes for nothing else: that is how GetRole tells
// them from a v2 permission "/foo" (stored with no range end) and leaves
// them out, and how a revoke finds the ones no permission needs any more.

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
)

// v3Range is one v3 permission range: [key, end), or the key alone when
// end is "".
type v3Range struct{ key, end string }

// permBits is a v3 permission type as a set: read, write or both.
type permBits uint8

const (
	permRead permBits = 1 << iota
	permWrite
)

func permBitsOf(t PermissionType) (permBits, error) {
	switch t {
	case ReadPermission:
		return permRead, nil
	case WritePermission:
		return permWrite, nil
	case ReadWritePermission:
		return permRead | permWrite, nil
	}
	return 0, fmt.Errorf("client: invalid permission type %d", t)
}

// v3PermType is etcd's name of b (authpb.Permission.Type).
func (b permBits) v3PermType() string {
	switch b {
	case permRead:
		return "READ"
	case permWrite:
		return "WRITE"
	}
	return "READWRITE"
}

// parsePermBits reads etcd's permType; READ, the zero value, is left out
// of etcd's JSON.
func parsePermBits(s string) (permBits, bool) {
	switch s {
	case "", "READ", "0":
		return permRead, true
	case "WRITE", "1":
		return permWrite, true
	case "READWRITE", "2":
		return permRead | permWrite, true
	}
	return 0, false
}

// isAux reports whether r is one of the extra reads a grant adds.
func (r v3Range) isAux() bool { return r.end != "" && r.end == r.key+"\x00" }

func auxRange(key string) v3Range { return v3Range{key, key + "\x00"} }

// covers reports whether the range holds key.
func (r v3Range) covers(key string) bool {
	if r.end == "" {
		return key == r.key
	}
	return key >= r.key && (r.end == "\x00" || key < r.end)
}

// v2Perm is a parsed v2 permission path: a prefix (ending in "*") or one
// node.
type v2Perm struct {
	path   string // without the "*"; always starts with "/"
	prefix bool
}

func (p v2Perm) String() string {
	if p.prefix {
		return p.path + "*"
	}
	return p.path
}

// parseV2Perm reads a v2 permission path. v3 ranges express a prefix or
// a key, so a "*" anywhere but at the end is refused, as is a prefix that
// is not a cleaned path (no key of the layout could match it). A path
// without a leading "/" gets one, as keys do; "*" alone is "/*".
func parseV2Perm(s string) (v2Perm, error) {
	p := v2Perm{path: s}
	if strings.HasSuffix(s, "*") {
		p.prefix, p.path = true, s[:len(s)-1]
	}
	if strings.Contains(p.path, "*") {
		return v2Perm{}, fmt.Errorf("client: permission %q: etcd's v3 auth grants a key or a prefix, so a \"*\" may only end the path", s)
	}
	if !strings.HasPrefix(p.path, "/") {
		p.path = "/" + p.path
	}
	if !p.prefix {
		p.path = cleanKey(p.path)
		return p, nil
	}
	clean := path.Clean(p.path)
	if strings.HasSuffix(p.path, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p.path {
		return v2Perm{}, fmt.Errorf("client: permission %q: the prefix is not a clean path (%q would be)", s, clean+"*")
	}
	return p, nil
}

// permLayout maps permissions for one V3KeyPrefix.
type permLayout struct{ prefix string }

func (l permLayout) fileKey(k string) string { return l.prefix + k }

func (l permLayout) markerKey(d string) string {
	if d == "/" {
		return l.prefix + "/"
	}
	return l.prefix + d + "/"
}

// ranges returns the v3 ranges of p, and the extra reads (aux) that
// KeysAPI needs besides them to read and write there: the ancestors'
// keys and markers outside p's own ranges.
func (l permLayout) ranges(p v2Perm) (main, aux []v3Range) {
	var dirs []string // directories whose keys and markers are read
	if p.prefix {
		k := l.prefix + p.path
		main = []v3Range{{k, string(prefixEnd([]byte(k)))}}
		d := path.Dir(p.path)
		if strings.HasSuffix(p.path, "/") {
			d = path.Clean(p.path)
		}
		dirs = append(ancestors(d), d)
		if d == "/" {
			dirs = []string{"/"}
		}
	} else {
		if p.path != "/" {
			main = append(main, v3Range{key: l.fileKey(p.path)})
		}
		main = append(main, v3Range{key: l.markerKey(p.path)})
		dirs = ancestors(p.path)
	}
	seen := map[string]bool{}
	add := func(k string) {
		if seen[k] {
			return
		}
		seen[k] = true
		for _, r := range main {
			if r.covers(k) {
				return
			}
		}
		aux = append(aux, auxRange(k))
	}
	for _, d := range dirs {
		if d != "/" {
			add(l.fileKey(d))
		}
		add(l.markerKey(d))
	}
	return main, aux
}

// perm returns the v2 permission path a v3 range stands for; ok is false
// for an extra read and for ranges no v2 path gives (outside the prefix,
// or not a key or prefix of the layout).
func (l permLayout) perm(r v3Range) (p string, ok bool) {
	if r.isAux() || !strings.HasPrefix(r.key, l.prefix+"/") {
		return "", false
	}
	name := r.key[len(l.prefix):]
	switch {
	case r.end == "":
		if name != "/" && strings.HasSuffix(name, "/") {
			name = name[:len(name)-1] // a directory's marker
		}
		return name, true
	case r.end == string(prefixEnd([]byte(r.key))):
		return name + "*", true
	}
	return "", false
}

// v2Permissions turns a role's v3 ranges into v2 permissions, sorted,
// each path once; ranges no v2 path gives are left out.
func (l permLayout) v2Permissions(perms map[v3Range]permBits) Permissions {
	read, write := map[string]bool{}, map[string]bool{}
	for r, b := range perms {
		p, ok := l.perm(r)
		if !ok {
			continue
		}
		if b&permRead != 0 {
			read[p] = true
		}
		if b&permWrite != 0 {
			write[p] = true
		}
	}
	var out Permissions
	out.KV.Read, out.KV.Write = sortedKeys(read), sortedKeys(write)
	return out
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// neededAux returns the extra grants the v2 permissions among perms
// need, with their types: read on every extra range, and also write on
// the marker writtenParent names for a permission with write, where
// every write under it records its action.
func (l permLayout) neededAux(perms map[v3Range]permBits) map[v3Range]permBits {
	need := map[v3Range]permBits{}
	for r, b := range perms {
		if b == 0 {
			continue
		}
		s, ok := l.perm(r)
		if !ok {
			continue
		}
		p, err := parseV2Perm(s)
		if err != nil {
			continue
		}
		_, aux := l.ranges(p)
		for _, a := range aux {
			need[a] |= permRead
		}
		if b&permWrite != 0 {
			if d, ok := writtenParent(p); ok {
				need[auxRange(l.markerKey(d))] |= permWrite
			}
		}
	}
	return need
}

// writtenParent returns the directory whose marker writes under p record
// their action in, when p's own ranges do not hold it: the parent of a
// node ("/a" for "/a/b"), and the directory a name prefix lies in ("/a"
// for "/a/b*", whose nodes "/a/b", "/a/bc", ... are all children of
// "/a"). A prefix ending in "/" holds the markers its writes record in.
func writtenParent(p v2Perm) (string, bool) {
	if strings.HasSuffix(p.path, "/") {
		return "", false // "/" and "/a/": nodes are cleaned, so only prefixes
	}
	return path.Dir(p.path), true
}

// sortRanges orders ranges by key, then end, so calls go out in a fixed
// order.
func sortRanges(rs []v3Range) {
	sort.Slice(rs, func(i, j int) bool {
		if c := bytes.Compare([]byte(rs[i].key), []byte(rs[j].key)); c != 0 {
			return c < 0
		}
		return rs[i].end < rs[j].end
	})
}
