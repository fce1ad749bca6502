package client

// This file holds the byte-level JSON scanner that the generated decoder in
// keys.generated.go is built on: its state, the structural tokens, literals
// and skipping unknown values. How it reads strings, numbers and times is
// in jsonscan_string.go, jsonscan_number.go and jsonscan_time.go. The
// generator (internal/cmd/keysgen) writes only the structural code (which
// field goes where); every rule about how bytes become values lives in
// these files.
//
// The reference for those rules is the decoder the original client used:
// github.com/ugorji/go/codec with a default JsonHandle. It is lenient in
// ways plain JSON is not (a number or true where a string is expected, a
// quoted number, an array for a struct, a lone surrogate escape that eats
// the next six bytes), and this scanner reproduces each of them, because a
// body etcd or a proxy sends must decode to the same values it did before.
//
// The scanner runs in one of two modes. In strict mode (the normal one) it
// also rejects everything that is not valid JSON, so a single pass both
// validates and decodes. The one construct where ugorji reads valid JSON
// differently from the JSON grammar (a lone surrogate escape followed by
// a closing quote or an escape within six bytes) sets diverged; the caller
// then checks validity with encoding/json and decodes again in lenient
// mode, which follows ugorji byte for byte. Neither pass writes to the
// body, so the second one reads it as it came.

import "unsafe"

// jsonMaxDepth is ugorji's default nesting limit: decoding fails when the
// number of open decoded containers reaches it. Skipped values do not count.
const jsonMaxDepth = 1024

// jsonScanner walks a JSON body without copying it: strings without
// escapes are views into buf, so the caller hands buf over and must never
// change it afterwards. Strings with escapes are unescaped into arena,
// whose bytes are likewise never written again once a string is cut from
// them. Both kinds of views thus stay valid and immutable for as long as
// anything refers to them: that is what makes unsafe.String sound here.
type jsonScanner struct {
	buf   []byte
	pos   int
	depth int

	// arena holds unescaped strings. It is only ever appended to within
	// its capacity; a full one is replaced, not grown, so the strings cut
	// from it keep their bytes.
	arena []byte

	strict   bool
	bad      bool // the input is rejected
	diverged bool // strict mode cannot follow ugorji on this input; decode again leniently
}

func (s *jsonScanner) fail() { s.bad = true }

// view returns buf[from:to] as a string without copying.
func (s *jsonScanner) view(from, to int) string {
	if to <= from {
		return ""
	}
	return unsafe.String(&s.buf[from], to-from)
}

// next skips whitespace and returns the next byte without consuming it. At
// the end of input it fails and returns 0: ugorji reads past the end there.
func (s *jsonScanner) next() byte {
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		if c > ' ' {
			return c
		}
		// ugorji skips every byte below '!'; JSON only four of them.
		if s.strict && c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			s.bad = true
			return 0
		}
		s.pos++
	}
	s.bad = true
	return 0
}

// lit consumes word, whose first byte is known to be at pos.
func (s *jsonScanner) lit(word string) {
	end := s.pos + len(word)
	if end > len(s.buf) || string(s.buf[s.pos:end]) != word {
		s.bad = true
		return
	}
	s.pos = end
}

// tryNull consumes a null if one comes next.
func (s *jsonScanner) tryNull() bool {
	if s.next() == 'n' {
		s.lit("null")
		return true
	}
	return false
}

// sep consumes the separator c or fails.
func (s *jsonScanner) sep(c byte) {
	if s.next() != c {
		s.bad = true
		return
	}
	s.pos++
}

// more reports whether a container goes on. Like ugorji it stops at either
// closing bracket; the close call then insists on the right one.
func (s *jsonScanner) more() bool {
	if s.bad {
		return false
	}
	c := s.next()
	return c != '}' && c != ']' && !s.bad
}

// open consumes the opening bracket at pos and counts the depth.
func (s *jsonScanner) open() {
	s.pos++
	s.depth++
	if s.depth >= jsonMaxDepth {
		s.bad = true
	}
}

// close consumes the closing bracket c.
func (s *jsonScanner) close(c byte) {
	s.sep(c)
	s.depth--
}

// elemSep consumes what stands before element j of a container opened
// with opener: nothing before the first, then commas, and in an object
// read as a list alternately a comma (before a key) and a colon (before a
// value).
func (s *jsonScanner) elemSep(opener byte, j int) {
	switch {
	case j == 0:
	case opener == '[' || j&1 == 0:
		s.sep(',')
	default:
		s.sep(':')
	}
}

// openList opens a container read as a list: an array, or, as ugorji
// allows, an object read as the list of its keys and values. It returns
// the opening and the matching closing bracket, or fails and returns 0
// for both.
func (s *jsonScanner) openList() (opener, closer byte) {
	switch c := s.next(); c {
	case '[':
		s.open()
		return c, ']'
	case '{':
		s.open()
		return c, '}'
	}
	s.fail()
	return 0, 0
}

// endInput checks that only whitespace follows the top-level value. ugorji
// does not look there; JSON requires it.
func (s *jsonScanner) endInput() {
	if !s.strict {
		return
	}
	for ; s.pos < len(s.buf); s.pos++ {
		switch s.buf[s.pos] {
		case ' ', '\n', '\r', '\t':
		default:
			s.bad = true
			return
		}
	}
}

// boolean decodes true, false or null (false).
func (s *jsonScanner) boolean() bool {
	switch s.next() {
	case 't':
		s.lit("true")
		return true
	case 'f':
		s.lit("false")
	case 'n':
		s.lit("null")
	default:
		s.bad = true
	}
	return false
}

// skip consumes one value of any kind, the way ugorji skips the value of
// an unknown field. Strict mode validates it as JSON.
func (s *jsonScanner) skip() {
	if s.strict {
		s.skipStrict()
		return
	}
	c := s.next()
	if s.bad {
		return
	}
	switch c {
	case 'n':
		s.lit("null")
	case 't':
		s.lit("true")
	case 'f':
		s.lit("false")
	case '"':
		s.pos++
		s.skipLenientString()
	case '{', '[':
		// ugorji only counts brackets here, whatever their kind.
		s.pos++
		for level := 1; level > 0; {
			if s.pos >= len(s.buf) {
				s.bad = true
				return
			}
			c := s.buf[s.pos]
			s.pos++
			switch c {
			case '"':
				s.skipLenientString()
				if s.bad {
					return
				}
			case '{', '[':
				level++
			case '}', ']':
				level--
			}
		}
	default:
		s.numberRun()
	}
}

// skipStrict consumes one JSON value, validating it, without recursion.
func (s *jsonScanner) skipStrict() {
	var stackBuf [32]byte
	stack := stackBuf[:0] // open brackets
	for {
		// A value.
		c := s.next()
		if s.bad {
			return
		}
		switch c {
		case '{', '[':
			s.pos++
			stack = append(stack, c)
			d := s.next()
			if s.bad {
				return
			}
			if c == '{' && d == '}' || c == '[' && d == ']' {
				s.pos++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' {
				s.skipKey()
				if s.bad {
					return
				}
			}
			continue
		case '"':
			s.skipStrictString()
		case 'n':
			s.lit("null")
		case 't':
			s.lit("true")
		case 'f':
			s.lit("false")
		default:
			s.numberRun()
		}
		// After a value: close containers or go on to the next element.
		for {
			if s.bad || len(stack) == 0 {
				return
			}
			d := s.next()
			top := stack[len(stack)-1]
			if d == ',' {
				s.pos++
				if top == '{' {
					s.skipKey()
				}
				break
			}
			if top == '{' && d == '}' || top == '[' && d == ']' {
				s.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			s.bad = true
			return
		}
	}
}

// skipKey consumes an object key and its colon in strict mode.
func (s *jsonScanner) skipKey() {
	if s.next() != '"' {
		s.bad = true
		return
	}
	s.skipStrictString()
	s.sep(':')
}
