package client

// This file holds what the generated decoder in keys.generated.go runs on
// besides the scanner: the two passes over a body and the slabs its
// values are carved from. None of it depends on the decoded types, so it
// is ordinary code; internal/cmd/keysgen writes only the per-type parts.

import (
	"bytes"
	"encoding/json"
)

// decodeBody runs pass over body, strict first, into *res with the
// semantics of github.com/ugorji/go/codec's JsonHandle, and fails with
// ErrInvalidJSON on anything that is not valid JSON or that ugorji would
// refuse, leaving *res as it was.
//
// The strict pass validates while it decodes. Only when it reports that
// ugorji reads the body differently from JSON (see jsonScanner.diverged)
// is validity checked apart and the body decoded again leniently, from
// the saved *res, since the first pass may have filled part of it.
func decodeBody[T any](body []byte, res *T, pass func(body []byte, res *T, strict bool) (ok, diverged bool)) error {
	saved := *res
	ok, diverged := pass(body, res, true)
	if ok {
		return nil
	}
	if diverged && json.Valid(body) {
		*res = saved
		if ok, _ := pass(body, res, false); ok {
			return nil
		}
	}
	// Leave nothing half-decoded behind.
	*res = saved
	return ErrInvalidJSON
}

// decodeState is the part of a decoder's state every generated decoder
// has: the scanner, and the estimate its slabs are sized by.
type decodeState struct {
	s jsonScanner

	// estimate is the number of '{' in the body, an upper bound of the
	// objects in it and so of the structs and list elements it holds
	// (unless arrays stand for structs). It counts the braces of JSON
	// documents kept as values too, so slabs are sized by slabSize.
	estimate int
}

// start readies d for a pass over body.
func (d *decodeState) start(body []byte, strict bool) {
	d.s = jsonScanner{buf: body, strict: strict}
	d.estimate = bytes.Count(body, []byte{'{'})
}

// firstSlab caps the first slab of each kind: the estimate may count
// many braces of JSON documents in values, and clearing slabs that
// large for nothing would cost more than a second slab.
const firstSlab = 1024

// slabSize returns the size of the next slab of a kind of which made
// elements were handed out so far, limit being the estimate's bound
// on them. After the first, a slab holds what the rest of the body
// would need if it were as dense as the part read so far, plus an
// eighth, and at least as much as all before (so a body denser at its
// end still needs few), but no more than the bound leaves.
func (d *decodeState) slabSize(made, limit int) int {
	if made == 0 {
		return max(min(limit, firstSlab), 1)
	}
	pos := max(d.s.pos, 1)
	ahead := made * (len(d.s.buf) - pos) / pos
	size := max(ahead+ahead/8, made)
	if made < limit {
		size = min(size, limit-made)
	}
	return max(size, 64)
}

// slab hands out zero values of T cut from shared arrays, so that a body
// costs a handful of allocations whatever its size.
type slab[T any] struct {
	free []T // not handed out yet
	made int // length of all arrays made so far
}

// one returns a zero T from the slab; limit bounds how many the body can
// need (see slabSize).
func (sl *slab[T]) one(d *decodeState, limit int) *T {
	if len(sl.free) == 0 {
		sl.refill(d, 1, limit)
	}
	v := &sl.free[0]
	sl.free = sl.free[1:]
	return v
}

// some returns n zero Ts from the slab, with the capacity capped so that
// growing the result never touches a neighbour.
func (sl *slab[T]) some(d *decodeState, n, limit int) []T {
	if len(sl.free) < n {
		sl.refill(d, n, limit)
	}
	out := sl.free[:n:n]
	sl.free = sl.free[n:]
	return out
}

// refill replaces the rest of the slab with a new array of at least n.
func (sl *slab[T]) refill(d *decodeState, n, limit int) {
	size := max(n, d.slabSize(sl.made, limit))
	sl.made += size
	sl.free = make([]T, size)
}

// lists builds lists of *E: the elements of the lists being decoded wait
// on one stack (innermost list last) until their list ends, and each
// list is then cut from a slab at its final length.
type lists[E any] struct {
	stack []*E
	slab  slab[*E]
}

// start readies l for a pass; d must be started.
func (l *lists[E]) start(d *decodeState) {
	l.stack = make([]*E, 0, max(min(d.estimate, firstSlab), 8))
}

// finish returns the list of the elements pushed on the stack from base
// on, and pops them. An empty list is non-nil, as with ugorji.
func (l *lists[E]) finish(d *decodeState, base int) []*E {
	n := len(l.stack) - base
	if n == 0 {
		return []*E{}
	}
	out := l.slab.some(d, n, d.estimate)
	copy(out, l.stack[base:])
	l.stack = l.stack[:base]
	return out
}
