package client

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Deterministic bodies for the decode benchmarks, shaped like etcd's own
// answers (same field order, same escaping of <, > and &, as Go's encoder
// writes them on the server).

// wireNode mirrors the order in which etcd writes a node's fields.
type wireNode struct {
	Key           string      `json:"key,omitempty"`
	Dir           bool        `json:"dir,omitempty"`
	Value         string      `json:"value,omitempty"`
	Nodes         []*wireNode `json:"nodes,omitempty"`
	Expiration    *time.Time  `json:"expiration,omitempty"`
	TTL           int64       `json:"ttl,omitempty"`
	ModifiedIndex uint64      `json:"modifiedIndex,omitempty"`
	CreatedIndex  uint64      `json:"createdIndex,omitempty"`
}

type wireResponse struct {
	Action   string    `json:"action"`
	Node     *wireNode `json:"node,omitempty"`
	PrevNode *wireNode `json:"prevNode,omitempty"`
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// benchRand is the generators' source: fixed seeds, so every run decodes
// the same bytes.
func benchRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x5eed))
}

var benchBase = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// benchValue returns a value of one of the shapes people store in etcd.
func benchValue(r *rand.Rand, i int) string {
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf(`{"host":"10.0.%d.%d","port":%d,"weight":%d,"meta":{"zone":"eu-west-%d%c","version":"v1.%d.%d"}}`,
			i%256, r.IntN(256), 2000+r.IntN(8000), r.IntN(10), 1+r.IntN(3), 'a'+rune(r.IntN(3)), r.IntN(10), r.IntN(10))
	case 1:
		return fmt.Sprintf("10.1.%d.%d:%d", i%256, r.IntN(256), 2379+r.IntN(3))
	case 2:
		return fmt.Sprintf("owner=équipe-%d <ops@example.com> & notes: ✓ prêt — %d 日本", r.IntN(50), i)
	case 3:
		return strings.Repeat("x", 40+r.IntN(120))
	case 4:
		return fmt.Sprintf("line one\nline two\t%d \"quoted\" back\\slash", i)
	default:
		const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		b := make([]byte, 30+r.IntN(20))
		for k := range b {
			b[k] = alnum[r.IntN(len(alnum))]
		}
		return string(b)
	}
}

// benchLeaf returns a key node; withTTL gives it an expiration and TTL.
func benchLeaf(r *rand.Rand, key string, index uint64, value string, withTTL bool) *wireNode {
	n := &wireNode{Key: key, Value: value, ModifiedIndex: index, CreatedIndex: index - uint64(r.IntN(int(min(index, 5))))}
	if withTTL {
		exp := benchBase.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
		n.Expiration = &exp
		n.TTL = int64(exp.Sub(benchBase) / time.Second)
	}
	return n
}

// smallBody is a directory listing of 20 keys (~4.5 KB).
func smallBody() []byte {
	r := benchRand(1)
	dir := &wireNode{Key: "/services/api", Dir: true, ModifiedIndex: 10, CreatedIndex: 10}
	for i := range 20 {
		dir.Nodes = append(dir.Nodes, benchLeaf(r, fmt.Sprintf("/services/api/instance-%03d", i), uint64(100+i), benchValue(r, i), i%3 == 0))
	}
	return mustMarshal(wireResponse{Action: "get", Node: dir})
}

// manySmallBody is a flat directory of 3,000 short keys (~430 KB).
func manySmallBody() []byte {
	r := benchRand(2)
	dir := &wireNode{Key: "/registry/leases", Dir: true, ModifiedIndex: 3, CreatedIndex: 3}
	for i := range 3000 {
		v := fmt.Sprintf("holder-%06d-%08x", i, r.Uint32())
		dir.Nodes = append(dir.Nodes, benchLeaf(r, fmt.Sprintf("/registry/leases/kube-node-lease-%05d", i), uint64(1000+i), v, i%10 == 0))
	}
	return mustMarshal(wireResponse{Action: "get", Node: dir})
}

// mediumBody is a two-level tree of 600 keys with mixed values.
func mediumBody() []byte {
	r := benchRand(3)
	root := &wireNode{Key: "/config", Dir: true, ModifiedIndex: 2, CreatedIndex: 2}
	idx := uint64(10)
	for d := range 20 {
		sub := &wireNode{Key: fmt.Sprintf("/config/app-%02d", d), Dir: true, ModifiedIndex: idx, CreatedIndex: idx}
		for k := range 30 {
			idx++
			sub.Nodes = append(sub.Nodes, benchLeaf(r, fmt.Sprintf("%s/setting-%02d", sub.Key, k), idx, benchValue(r, k), k%4 == 0))
		}
		root.Nodes = append(root.Nodes, sub)
	}
	return mustMarshal(wireResponse{Action: "get", Node: root})
}

// largeBody is a three-level tree of ~20,000 keys with large values (~6 MB).
func largeBody() []byte {
	r := benchRand(4)
	root := &wireNode{Key: "/big", Dir: true, ModifiedIndex: 2, CreatedIndex: 2}
	idx := uint64(100)
	for a := range 20 {
		da := &wireNode{Key: fmt.Sprintf("/big/region-%02d", a), Dir: true, ModifiedIndex: idx, CreatedIndex: idx}
		for b := range 25 {
			db := &wireNode{Key: fmt.Sprintf("%s/rack-%02d", da.Key, b), Dir: true, ModifiedIndex: idx, CreatedIndex: idx}
			for c := range 40 {
				idx++
				v := benchValue(r, c) + " " + strings.Repeat("payload-", 12+r.IntN(10))
				db.Nodes = append(db.Nodes, benchLeaf(r, fmt.Sprintf("%s/host-%03d", db.Key, c), idx, v, c%5 == 0))
			}
			da.Nodes = append(da.Nodes, db)
		}
		root.Nodes = append(root.Nodes, da)
	}
	return mustMarshal(wireResponse{Action: "get", Node: root})
}

// recursive1000Body is a recursive listing of 1,000 keys in 25 service
// directories, all with TTLs, with escaped and non-ASCII values.
func recursive1000Body() []byte {
	r := benchRand(5)
	root := &wireNode{Key: "/bench1k", Dir: true, ModifiedIndex: 4, CreatedIndex: 4}
	idx := uint64(5)
	for s := range 25 {
		svc := &wireNode{Key: fmt.Sprintf("/bench1k/svc-%02d", s), Dir: true, ModifiedIndex: idx, CreatedIndex: idx}
		for i := range 40 {
			idx++
			svc.Nodes = append(svc.Nodes, benchLeaf(r, fmt.Sprintf("%s/inst-%03d", svc.Key, i), idx, benchValue(r, i), true))
		}
		root.Nodes = append(root.Nodes, svc)
	}
	return mustMarshal(wireResponse{Action: "get", Node: root})
}

type benchBody struct {
	name string
	body []byte
}

// benchBodies returns the benchmark bodies, generated ones first, then the
// captured recursive listing of etcd 3.4.23.
func benchBodies(tb testing.TB) []benchBody {
	tb.Helper()
	captured, err := os.ReadFile(filepath.Join("testdata", "etcd-3.4.23", "get_recursive1000.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return []benchBody{
		{"small", smallBody()},
		{"many_small", manySmallBody()},
		{"medium", mediumBody()},
		{"large", largeBody()},
		{"recursive1000", recursive1000Body()},
		{"etcd_recursive1000", captured},
	}
}

func BenchmarkUnmarshalKeysResponse(b *testing.B) {
	for _, bb := range benchBodies(b) {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.body)))
			var res *Response
			var err error
			for b.Loop() {
				res, err = unmarshalSuccessfulKeysResponse(nil, bb.body)
			}
			if err != nil || res.Node == nil {
				b.Fatalf("unmarshalSuccessfulKeysResponse(%s) = %v, %v", bb.name, res, err)
			}
		})
	}
}

// BenchmarkUnmarshalKeysResponseUgorji decodes the same bodies with the
// reference decoder, for a relative figure.
func BenchmarkUnmarshalKeysResponseUgorji(b *testing.B) {
	for _, bb := range benchBodies(b) {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.body)))
			var res *Response
			var err error
			for b.Loop() {
				res, err = decodeWithUgorji(bb.body)
			}
			if err != nil || res.Node == nil {
				b.Fatalf("ugorji decode of %s = %v, %v", bb.name, res, err)
			}
		})
	}
}

func TestBenchBodies_shape(t *testing.T) {
	for _, tc := range []struct {
		name             string
		body             []byte
		minNodes         int
		minSize, maxSize int
	}{
		{"small", smallBody(), 20, 3 << 10, 7 << 10},
		{"many_small", manySmallBody(), 3000, 350 << 10, 480 << 10},
		{"medium", mediumBody(), 600, 60 << 10, 400 << 10},
		{"large", largeBody(), 20000, 5 << 20, 7 << 20},
		{"recursive1000", recursive1000Body(), 1000, 150 << 10, 600 << 10},
	} {
		res, err := unmarshalSuccessfulKeysResponse(nil, tc.body)
		if err != nil {
			t.Fatalf("%s: unmarshalSuccessfulKeysResponse = %v", tc.name, err)
		}
		n := countNodes(res.Node)
		if n < tc.minNodes || len(tc.body) < tc.minSize || len(tc.body) > tc.maxSize {
			t.Errorf("%s body: %d nodes, %d bytes; want at least %d nodes and %d..%d bytes", tc.name, n, len(tc.body), tc.minNodes, tc.minSize, tc.maxSize)
		}
	}
}

func countNodes(n *Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, ch := range n.Nodes {
		c += countNodes(ch)
	}
	return c
}
