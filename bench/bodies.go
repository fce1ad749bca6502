// Package bench compares this module's client with the upstream v2 client
// (go.etcd.io/etcd/client/v2 v2.305.35) and a plain net/http loop, through
// their public APIs, against a server replaying canned etcd answers and
// against a real local etcd. It lives in its own module so the library's
// go.mod stays free of the upstream client and its dependencies.
//
// Run everything and print the table with:
//
//	cd bench && go test -run TestCompare -count=1 -timeout 20m -v .
package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// wireNode is a node as etcd 3.4 writes it: the same fields in the same
// order, so the bodies exercise the decoders the way real answers do.
type wireNode struct {
	Key           string      `json:"key,omitempty"`
	Value         *string     `json:"value,omitempty"`
	Dir           bool        `json:"dir,omitempty"`
	Expiration    *time.Time  `json:"expiration,omitempty"`
	TTL           int64       `json:"ttl,omitempty"`
	Nodes         []*wireNode `json:"nodes,omitempty"`
	ModifiedIndex uint64      `json:"modifiedIndex,omitempty"`
	CreatedIndex  uint64      `json:"createdIndex,omitempty"`
}

type wireResponse struct {
	Action string    `json:"action"`
	Node   *wireNode `json:"node,omitempty"`
}

// Body is one canned answer to a recursive GET, with the keys it holds so
// the same tree can be loaded into a real etcd.
type Body struct {
	Name   string
	Key    string // the directory the body lists, like "/small"
	JSON   []byte
	Nodes  int    // nodes in the body, directories included
	Leaves []Leaf // the keys, in order
}

// Leaf is one key of a Body.
type Leaf struct {
	Key   string
	Value string
	TTL   int64 // seconds; 0 means none
}

// bodyGen builds a tree deterministically: the same seed gives the same
// bytes on every machine.
type bodyGen struct {
	rnd   *rand.Rand
	index uint64
	now   time.Time
	nodes int
	leafs []Leaf
}

func newBodyGen(seed uint64) *bodyGen {
	return &bodyGen{
		rnd:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		index: 4,
		now:   time.Date(2026, 11, 24, 21, 47, 42, 390642068, time.UTC),
	}
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (g *bodyGen) alnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.rnd.IntN(len(alnum))]
	}
	return string(b)
}

// value returns one of the kinds of values service registries keep: JSON
// documents (escaped quotes), host:port pairs, tokens, text with non-ASCII
// letters and HTML-escaped characters, and filler of varying length.
func (g *bodyGen) value(i int) string {
	switch i % 5 {
	case 0:
		return fmt.Sprintf(`{"host":"10.0.%d.%d","port":%d,"weight":%d,"meta":{"zone":"us-east-1%c","version":"v1.%d.8"}}`,
			g.rnd.IntN(256), g.rnd.IntN(256), 8000+g.rnd.IntN(1000), 1+g.rnd.IntN(10), 'a'+rune(g.rnd.IntN(3)), g.rnd.IntN(20))
	case 1:
		return fmt.Sprintf("10.0.%d.%d:%d", g.rnd.IntN(256), g.rnd.IntN(256), 2379+g.rnd.IntN(3))
	case 2:
		return g.alnum(30 + g.rnd.IntN(20))
	case 3:
		return fmt.Sprintf("owner=équipe-%d <ops@example.com> & notes: ✓ ready — %d", i%7, g.rnd.IntN(1000))
	default:
		return strings.Repeat("x", 20+g.rnd.IntN(200))
	}
}

func (g *bodyGen) leaf(key, value string, ttl int64) *wireNode {
	g.index++
	g.nodes++
	g.leafs = append(g.leafs, Leaf{Key: key, Value: value, TTL: ttl})
	n := &wireNode{Key: key, Value: &value, ModifiedIndex: g.index, CreatedIndex: g.index}
	if ttl > 0 {
		exp := g.now.Add(time.Duration(ttl)*time.Second + time.Duration(g.rnd.IntN(1e9)))
		n.Expiration = &exp
		n.TTL = ttl
	}
	return n
}

func (g *bodyGen) dir(key string, children []*wireNode) *wireNode {
	g.index++
	g.nodes++
	return &wireNode{Key: key, Dir: true, Nodes: children, ModifiedIndex: g.index, CreatedIndex: g.index}
}

func (g *bodyGen) body(name, key string, root *wireNode) Body {
	b, err := json.Marshal(wireResponse{Action: "get", Node: root})
	if err != nil {
		panic(err) // plain structs always marshal
	}
	return Body{Name: name, Key: key, JSON: b, Nodes: g.nodes, Leaves: g.leafs}
}

// flatBody is a directory of n keys whose values come from value.
func flatBody(name string, seed uint64, n int, value func(g *bodyGen, i int) string) Body {
	g := newBodyGen(seed)
	key := "/" + name
	kids := make([]*wireNode, n)
	for i := range kids {
		var ttl int64
		if i%3 == 0 {
			ttl = 3600
		}
		kids[i] = g.leaf(fmt.Sprintf("%s/key-%05d", key, i), value(g, i), ttl)
	}
	return g.body(name, key, g.dir(key, kids))
}

// treeBody is dirs directories of perDir keys each, like a service
// registry: /name/svc-NN/inst-NNN.
func treeBody(name string, seed uint64, dirs, perDir int, ttlEvery int, value func(g *bodyGen, i int) string) Body {
	g := newBodyGen(seed)
	key := "/" + name
	svcs := make([]*wireNode, dirs)
	for d := range svcs {
		kids := make([]*wireNode, perDir)
		for i := range kids {
			var ttl int64
			if ttlEvery > 0 && (d*perDir+i)%ttlEvery == 0 {
				ttl = 86400
			}
			kids[i] = g.leaf(fmt.Sprintf("%s/svc-%02d/inst-%03d", key, d, i), value(g, d*perDir+i), ttl)
		}
		svcs[d] = g.dir(fmt.Sprintf("%s/svc-%02d", key, d), kids)
	}
	return g.body(name, key, g.dir(key, svcs))
}

// Bodies returns the benchmark answers, each a recursive listing:
//
//   - small: 20 keys, about 4 KB, a typical small directory;
//   - many: 3,000 tiny keys, about 430 KB;
//   - medium: 600 nodes of mixed values, about 100 KB;
//   - large: 3,000 keys of about 2 KB, 6.3 MB;
//   - rec1000: 1,000 keys in 20 directories with TTLs on a third of them,
//     escaped JSON and non-ASCII values, modelled on etcd 3.4.23's answer
//     in the project's captured test data (get_recursive1000.json).
func Bodies() []Body {
	return []Body{
		flatBody("small", 1, 20, func(g *bodyGen, i int) string { return g.alnum(100 + i%40) }),
		flatBody("many", 2, 3000, func(g *bodyGen, i int) string { return g.alnum(40 + i%8) }),
		treeBody("medium", 3, 30, 19, 4, func(g *bodyGen, i int) string { return g.value(i) }),
		flatBody("large", 4, 3000, func(g *bodyGen, i int) string {
			if i%10 == 0 {
				return strings.Repeat(`{"k":"v\n"},`, 170)
			}
			return g.alnum(2000)
		}),
		treeBody("rec1000", 5, 20, 50, 3, func(g *bodyGen, i int) string { return g.value(i) }),
	}
}
