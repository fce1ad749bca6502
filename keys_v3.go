package client

// This file maps the v2 keys API onto etcd's v3 key space (APIv3): the
// layout of docs/v3-layout.md, the v2 errors, and Get. The writes are in
// keys_v3_write.go, the Watcher in watch_v3.go. It sees etcd only through
// the v3Backend interface (v3gateway.go).
//
// Layout, in short: the v2 key K is the v3 key prefix+K with the value
// verbatim; a directory D has one marker key prefix+D+"/" (the root's is
// prefix+"/"), which no v2 key can name, since v2 keys are cleaned paths
// without a trailing slash. A directory's marker records the v2 action
// and key of the last write to one of its direct children, written in
// the same transaction, so a watcher can tell a "create" from a "set".

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"slices"
	"strings"
	"time"
)

// The v2 messages of the errors the mapping gives, as etcd 3.4 words
// them.
var v2ErrorMessages = map[int]string{
	ErrorCodeKeyNotFound:       "Key not found",
	ErrorCodeTestFailed:        "Compare failed",
	ErrorCodeNotFile:           "Not a file",
	ErrorCodeNotDir:            "Not a directory",
	ErrorCodeNodeExist:         "Key already exists",
	ErrorCodeRootROnly:         "Root is read only",
	ErrorCodeDirNotEmpty:       "Directory not empty",
	ErrorCodeEventIndexCleared: "The event in requested index is outdated and cleared",
	ErrorCodeInvalidField:      "Invalid field",
	211:                        "Value provided on refresh",
	212:                        "A TTL must be provided on refresh",
}

func v2Error(code int, cause string, index int64) Error {
	return Error{Code: code, Message: v2ErrorMessages[code], Cause: cause, Index: uint64(index)}
}

// dirMarker is the value of a directory's marker key.
type dirMarker struct {
	// Action and Key name the last write to a direct child made through
	// this package, in the revision of the marker's last change.
	Action string `json:"a,omitempty"`
	Key    string `json:"k,omitempty"`
	// Refresh marks a write that only renewed a TTL, which v2 watchers
	// are not told about.
	Refresh bool `json:"r,omitempty"`
}

type v3KeysAPI struct {
	kv     v3Backend
	prefix string

	// now gives the time expirations are computed from; tests fix it.
	now func() time.Time
}

func newV3KeysAPI(kv v3Backend, prefix string) *v3KeysAPI {
	return &v3KeysAPI{kv: kv, prefix: prefix, now: time.Now}
}

// cleanKey turns a caller's key into the v2 path etcd would use: rooted,
// cleaned, without a trailing slash; "/" is the root.
func cleanKey(key string) string {
	return path.Clean("/" + key)
}

// fileKey is the v3 key of the v2 key k.
func (k *v3KeysAPI) fileKey(key string) []byte { return []byte(k.prefix + key) }

// markerKey is the v3 key of directory d's marker.
func (k *v3KeysAPI) markerKey(dir string) []byte {
	if dir == "/" {
		return []byte(k.prefix + "/")
	}
	return []byte(k.prefix + dir + "/")
}

// prefixEnd is the end of the v3 range of every key starting with p.
func prefixEnd(p []byte) []byte {
	end := slices.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0} // p is all 0xff: to the end of the key space
}

// ancestors returns the directories above key, the root first.
func ancestors(key string) []string {
	if key == "/" {
		return nil
	}
	out := []string{"/"}
	for i := 1; i < len(key); i++ {
		if key[i] == '/' {
			out = append(out, key[:i])
		}
	}
	return out
}

func parentOf(key string) string {
	d := path.Dir(key)
	return d
}

// v3Response starts a Response with the header's index and cluster ID.
func v3Response(action string, h v3Header) *Response {
	return &Response{Action: action, Index: uint64(h.Revision), ClusterID: uitoaHex(h.ClusterID)}
}

func uitoaHex(v uint64) string {
	const digits = "0123456789abcdef"
	if v == 0 {
		return "0"
	}
	var b [16]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[i:])
}

// ttls reads and remembers the remaining lifetime of leases, so a listing
// asks once per lease.
type ttls struct {
	k     *v3KeysAPI
	known map[int64]int64
}

// fill sets n's TTL and Expiration from lease (none when 0 or gone).
// inherited is the lease of the nearest directory above n that has one:
// a node holding that lease took it from the directory, and v2 shows a
// TTL only on the node it was given to.
func (t *ttls) fill(ctx context.Context, n *Node, lease, inherited int64) error {
	if lease == 0 || lease == inherited {
		return nil
	}
	ttl, ok := t.known[lease]
	if !ok {
		var err error
		ttl, _, err = t.k.kv.leaseTimeToLive(ctx, lease)
		if err != nil {
			return err
		}
		if t.known == nil {
			t.known = make(map[int64]int64)
		}
		t.known[lease] = ttl
	}
	if ttl < 0 {
		return nil
	}
	if ttl == 0 {
		// etcd reports a lease about to go as 0; v2 never shows a TTL
		// below 1 for a node still there.
		ttl = 1
	}
	exp := t.k.now().Add(time.Duration(ttl) * time.Second).UTC()
	n.TTL = ttl
	n.Expiration = &exp
	return nil
}

func (k *v3KeysAPI) Get(ctx context.Context, key string, opts *GetOptions) (*Response, error) {
	var o GetOptions
	if opts != nil {
		o = *opts
	}
	key = cleanKey(key)
	ctx = withSubject(ctx, key)
	file, sub, h, err := k.readNode(ctx, key, !o.Quorum)
	if err != nil {
		return nil, err
	}
	t := &ttls{k: k}
	var node *Node
	if file != nil {
		node = &Node{Key: key, Value: string(file.Value), CreatedIndex: uint64(file.CreateRevision), ModifiedIndex: uint64(file.ModRevision)}
		var inherited int64
		if file.Lease != 0 {
			if inherited, err = k.ancestorLease(ctx, key, h.Revision); err != nil {
				return nil, err
			}
		}
		if err := t.fill(ctx, node, file.Lease, inherited); err != nil {
			return nil, err
		}
	} else {
		node, err = k.buildDir(ctx, t, key, sub, o.Recursive, h.Revision)
		if err != nil {
			return nil, err
		}
	}
	if node == nil {
		return nil, k.notFound(ctx, key, h.Revision, nil, nil)
	}
	resp := v3Response("get", h)
	resp.Node = node
	return resp, nil
}

// readNode reads the node key in one request: its v3 key and, apart
// from it, its marker and subtree [key+"/", key+"0"). v3 auth allows a
// read only when the role holds the whole range read, so the two ranges
// are disjoint and hold nothing but the node: a key's file range and a
// directory's prefix are what permissions grant ("/foo/*" gives the
// prefix and the key /foo as an extra read). The root is its subtree
// alone.
//
// A role with the node alone ("/foo": the key and its marker, not the
// subtree) is refused that read; then the two keys are read alone, which
// answers a Get of a key /foo, and "Key not found" when neither exists
// (keys other tools wrote below /foo without a marker are not seen).
// A directory's children stay refused.
func (k *v3KeysAPI) readNode(ctx context.Context, key string, serializable bool) (file *v3KeyValue, sub []v3KeyValue, h v3Header, err error) {
	mk := k.markerKey(key)
	if key == "/" {
		rr, err := k.kv.rangeKeys(ctx, &v3RangeRequest{Key: mk, RangeEnd: prefixEnd(mk), Serializable: serializable})
		if err != nil {
			return nil, nil, v3Header{}, err
		}
		return nil, rr.Kvs, rr.Header, nil
	}
	fk := k.fileKey(key)
	txn := &v3TxnRequest{Success: []v3RequestOp{
		{Range: &v3RangeRequest{Key: fk, Serializable: serializable}},
		{Range: &v3RangeRequest{Key: mk, RangeEnd: prefixEnd(mk), Serializable: serializable}},
	}}
	tr, err := k.kv.txn(ctx, txn, kindRetryable)
	if isPermissionDenied(err) {
		denied := err
		txn.Success[1].Range.RangeEnd = nil
		if tr, err = k.kv.txn(ctx, txn, kindRetryable); err != nil {
			return nil, nil, v3Header{}, err
		}
		if len(tr.Responses) != 2 {
			return nil, nil, v3Header{}, ErrInvalidJSON
		}
		if r := tr.Responses[1].Range; r != nil && len(r.Kvs) > 0 {
			// A directory: listing it needs its subtree.
			return nil, nil, v3Header{}, denied
		}
	}
	if err != nil {
		return nil, nil, v3Header{}, err
	}
	if len(tr.Responses) != 2 {
		return nil, nil, v3Header{}, ErrInvalidJSON
	}
	if r := tr.Responses[0].Range; r != nil && len(r.Kvs) > 0 {
		file = &r.Kvs[0]
	}
	if r := tr.Responses[1].Range; r != nil {
		sub = r.Kvs
	}
	return file, sub, tr.Header, nil
}

// isPermissionDenied reports whether err is etcd's refusal of a request
// the user's roles do not allow (gRPC code 7).
func isPermissionDenied(err error) bool {
	var ge *GatewayError
	return errors.As(err, &ge) && ge.Code == 7
}

// notFound returns the error of a key that is not there, at revision
// rev, as v2 walks the path from the root: "Not a directory" for the
// first component that is a key, else "Key not found" for the first
// component missing. files and markers, when not nil, are the key's
// ancestors (ancestors(key)) as keys and as markers, already read at
// rev.
//
// It reads only the ancestors' keys and markers, each alone (a
// permission on a directory's prefix grants them as extra reads): a
// directory with a marker exists, and so does every directory above a
// key or marker that exists. Only a directory that neither shows (made
// by another tool's keys below it) has its subtree counted.
func (k *v3KeysAPI) notFound(ctx context.Context, key string, rev int64, files, markers []*v3KeyValue) error {
	anc := ancestors(key)
	if len(anc) <= 1 {
		return v2Error(ErrorCodeKeyNotFound, key, rev)
	}
	if files == nil {
		txn := &v3TxnRequest{}
		for _, a := range anc[1:] {
			txn.Success = append(txn.Success,
				v3RequestOp{Range: &v3RangeRequest{Key: k.fileKey(a), Revision: rev}},
				v3RequestOp{Range: &v3RangeRequest{Key: k.markerKey(a), Revision: rev}})
		}
		tr, err := k.kv.txn(ctx, txn, kindRetryable)
		if err != nil {
			return err
		}
		if len(tr.Responses) != len(txn.Success) {
			return ErrInvalidJSON
		}
		first := func(i int) *v3KeyValue {
			if r := tr.Responses[i].Range; r != nil && len(r.Kvs) > 0 {
				return &r.Kvs[0]
			}
			return nil
		}
		files, markers = []*v3KeyValue{nil}, []*v3KeyValue{nil}
		for i := range anc[1:] {
			files = append(files, first(2*i))
			markers = append(markers, first(2*i+1))
		}
	}
	// deepest is the last ancestor known to exist from what was read.
	deepest := 0
	for i := 1; i < len(anc); i++ {
		if markers[i] != nil {
			deepest = i
		}
		if files[i] != nil {
			deepest = max(deepest, i-1)
		}
	}
	for i := 1; i < len(anc); i++ {
		a := anc[i]
		if files[i] != nil {
			return v2Error(ErrorCodeNotDir, a, rev)
		}
		if i <= deepest {
			continue
		}
		mk := k.markerKey(a)
		rr, err := k.kv.rangeKeys(ctx, &v3RangeRequest{Key: mk, RangeEnd: prefixEnd(mk), CountOnly: true, Revision: rev})
		if err != nil {
			return err
		}
		if rr.Count == 0 {
			return v2Error(ErrorCodeKeyNotFound, a, rev)
		}
	}
	return v2Error(ErrorCodeKeyNotFound, key, rev)
}

// ancestorLease returns the lease of the nearest directory above key
// whose marker has one, at revision rev (0: now), or 0.
func (k *v3KeysAPI) ancestorLease(ctx context.Context, key string, rev int64) (int64, error) {
	anc := ancestors(key)
	if len(anc) == 0 {
		return 0, nil
	}
	txn := &v3TxnRequest{}
	for _, a := range anc {
		txn.Success = append(txn.Success, v3RequestOp{Range: &v3RangeRequest{Key: k.markerKey(a), Revision: rev}})
	}
	tr, err := k.kv.txn(ctx, txn, kindRetryable)
	if err != nil {
		return 0, err
	}
	for i := len(tr.Responses) - 1; i >= 0; i-- {
		if r := tr.Responses[i].Range; r != nil && len(r.Kvs) > 0 && r.Kvs[0].Lease != 0 {
			return r.Kvs[0].Lease, nil
		}
	}
	return 0, nil
}

// buildDir builds the node of directory dir from the kvs of its subtree
// (sorted by key, as etcd returns them): its children, and with
// recursive their subtrees too. It returns nil when nothing is there,
// except for the root, which v2 always has. Hidden children (a name
// starting with "_") are left out, as v2 does. rev is the revision kvs
// were read at.
func (k *v3KeysAPI) buildDir(ctx context.Context, t *ttls, dir string, kvs []v3KeyValue, recursive bool, rev int64) (*Node, error) {
	mk := string(k.markerKey(dir))
	root := &Node{Key: dir, Dir: true}
	if dir == "/" {
		root.Key = ""
	}
	found := dir == "/"
	// The leases of the directories' markers, to tell a lease a node
	// took from its directory from one of its own. A directory's marker
	// sorts before everything below it, so it is known in time.
	leases := map[string]int64{}
	top, topKnown := int64(0), false
	inherited := func(d string) (int64, error) {
		for under(d, dir) {
			if l := leases[d]; l != 0 {
				return l, nil
			}
			if d == dir {
				break
			}
			d = parentOf(d)
		}
		if !topKnown {
			var err error
			if top, err = k.ancestorLease(ctx, dir, rev); err != nil {
				return 0, err
			}
			topKnown = true
		}
		return top, nil
	}
	dirs := map[string]*Node{dir: root}
	// dirNode returns the node of directory d below dir, making it and
	// its parents as needed.
	var dirNode func(d string) *Node
	dirNode = func(d string) *Node {
		if n, ok := dirs[d]; ok {
			return n
		}
		n := &Node{Key: d, Dir: true}
		dirs[d] = n
		p := dirNode(parentOf(d))
		if p == root || recursive {
			p.Nodes = append(p.Nodes, n)
		}
		return n
	}
	for i := range kvs {
		kv := &kvs[i]
		raw := string(kv.Key)
		if !strings.HasPrefix(raw, mk) {
			continue // the key itself, or a name like "/a-b"
		}
		found = true
		rel := raw[len(k.prefix):]
		if strings.HasSuffix(rel, "/") {
			// A marker: the directory's indexes and lease.
			d := strings.TrimSuffix(rel, "/")
			if d == "" {
				d = "/"
			}
			leases[d] = kv.Lease
			if d != dir && skipHidden(dir, d) {
				continue
			}
			if d != dir && !recursive && parentOf(d) != dir {
				continue
			}
			n := dirNode(d)
			n.CreatedIndex, n.ModifiedIndex = uint64(kv.CreateRevision), uint64(kv.CreateRevision)
			if d != "/" {
				var inh int64
				if kv.Lease != 0 {
					var err error
					if inh, err = inherited(parentOf(d)); err != nil {
						return nil, err
					}
				}
				if err := t.fill(ctx, n, kv.Lease, inh); err != nil {
					return nil, err
				}
			} else {
				n.CreatedIndex, n.ModifiedIndex = 0, 0
			}
			continue
		}
		if skipHidden(dir, rel) {
			continue
		}
		p := parentOf(rel)
		if p != dir && !recursive {
			// A deeper key only shows that its top directory below dir
			// exists.
			base := strings.TrimSuffix(dir, "/")
			rest := rel[len(base)+1:]
			dirNode(base + "/" + rest[:strings.IndexByte(rest, '/')])
			continue
		}
		n := &Node{Key: rel, Value: string(kv.Value), CreatedIndex: uint64(kv.CreateRevision), ModifiedIndex: uint64(kv.ModRevision)}
		var inh int64
		if kv.Lease != 0 {
			var err error
			if inh, err = inherited(p); err != nil {
				return nil, err
			}
		}
		if err := t.fill(ctx, n, kv.Lease, inh); err != nil {
			return nil, err
		}
		pn := dirNode(p)
		pn.Nodes = append(pn.Nodes, n)
	}
	if !found {
		return nil, nil
	}
	sortNodes(root)
	return root, nil
}

// skipHidden reports whether key, below the listed directory dir, has a
// hidden segment below dir.
func skipHidden(dir, key string) bool {
	rest := strings.TrimPrefix(key, strings.TrimSuffix(dir, "/"))
	return strings.Contains(rest, "/_")
}

// sortNodes orders every directory's children by key; v2 does so for
// sorted listings, and an order is as good as the random one otherwise.
func sortNodes(n *Node) {
	if len(n.Nodes) == 0 {
		n.Nodes = nil
		return
	}
	slices.SortFunc(n.Nodes, func(a, b *Node) int { return strings.Compare(a.Key, b.Key) })
	for _, c := range n.Nodes {
		if c.Dir {
			sortNodes(c)
		}
	}
}

// parseMarker decodes a marker's value; a foreign or empty value is no
// record.
func parseMarker(v []byte) dirMarker {
	var m dirMarker
	if len(v) > 0 {
		_ = json.Unmarshal(v, &m)
	}
	return m
}
