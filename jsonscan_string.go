package client

// This file holds how the scanner reads strings: values and keys decoded
// into Go strings (views into the body where there is no escape, unescaped
// into the arena where there is), raw string content for quoted numbers
// and times, and the string skippers. Escapes follow ugorji, including its
// reading of a lone surrogate; strict mode refuses what JSON refuses.

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// rawString consumes a string whose opening quote is at pos and returns the
// bytes up to the next quote, escapes untouched: ugorji reads quoted
// numbers and times that way. A backslash inside can never parse as either,
// so it fails later in both modes; strict mode also refuses control bytes.
func (s *jsonScanner) rawString() []byte {
	from := s.pos + 1
	rel := bytes.IndexByte(s.buf[from:], '"')
	if rel < 0 {
		s.bad = true
		return nil
	}
	raw := s.buf[from : from+rel]
	s.pos = from + rel + 1
	if s.strict {
		for _, c := range raw {
			if c < ' ' {
				s.bad = true
				break
			}
		}
	}
	return raw
}

// str decodes a value into a string the way ugorji does: a JSON string, or
// the text of true, false or a number. null (possible for object keys,
// which do not go through tryNull) gives "".
func (s *jsonScanner) str() string {
	switch s.next() {
	case '"':
		return s.quoted()
	case 'n':
		s.lit("null")
		return ""
	case 't':
		s.lit("true")
		return "true"
	case 'f':
		s.lit("false")
		return "false"
	}
	if s.bad {
		return ""
	}
	from, to := s.numberRun()
	return s.view(from, to)
}

// key decodes an object key: any value str accepts for ugorji, only a
// string for JSON.
func (s *jsonScanner) key() string {
	if s.next() == '"' {
		return s.quoted()
	}
	if s.strict {
		s.bad = true
		return ""
	}
	return s.str()
}

// plainByte marks the bytes a string copies as they are in strict mode.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainRun returns the index of the first byte from i on that is not
// plain string content: a quote, a backslash or a control byte.
func plainRun(buf []byte, i int) int {
	// Eight bytes at a time while none of them can be special. The test
	// may flag a plain byte next to a special one, never miss one; the
	// byte loop below settles it.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i+8 <= len(buf) {
		x := binary.LittleEndian.Uint64(buf[i:])
		q := x ^ ('"' * ones)
		b := x ^ ('\\' * ones)
		special := ((x - ' '*ones) &^ x) | ((q - ones) &^ q) | ((b - ones) &^ b)
		if special&highs != 0 {
			break
		}
		i += 8
	}
	for i < len(buf) && plainByte[buf[i]] {
		i++
	}
	return i
}

// quoted decodes the JSON string whose opening quote is at pos.
func (s *jsonScanner) quoted() string {
	buf := s.buf
	from := s.pos + 1
	i := plainRun(buf, from)
	if i < len(buf) && buf[i] == '"' {
		s.pos = i + 1
		return s.view(from, i)
	}
	return s.quotedSlow(from, i)
}

// quotedSlow finishes a string that has escapes (or, in lenient mode, raw
// control bytes) from i on, unescaping it into the arena. Unescaping in
// place would save that room but destroy the bytes the lenient second
// pass needs; the arena costs about as much as in-place moves.
func (s *jsonScanner) quotedSlow(from, i int) string {
	buf := s.buf
	start := s.room(len(s.arena), i-from)
	s.arena = append(s.arena, buf[from:i]...)
	for {
		if j := plainRun(buf, i); j > i {
			start = s.room(start, j-i)
			s.arena = append(s.arena, buf[i:j]...)
			i = j
		}
		if i >= len(buf) {
			s.bad = true
			return ""
		}
		c := buf[i]
		switch {
		case c == '"':
			s.pos = i + 1
			str := s.arena[start:]
			if len(str) == 0 {
				return ""
			}
			return unsafe.String(&str[0], len(str))
		case c < ' ' && s.strict:
			s.bad = true
			return ""
		case c != '\\':
			start = s.room(start, 1)
			s.arena = append(s.arena, c)
			i++
			continue
		}
		if i+1 >= len(buf) {
			s.bad = true
			return ""
		}
		e := buf[i+1]
		i += 2
		start = s.room(start, utf8.UTFMax)
		switch e {
		case '"', '\\', '/':
		case '\'':
			if s.strict {
				s.bad = true
				return ""
			}
		case 'b':
			e = '\b'
		case 'f':
			e = '\f'
		case 'n':
			e = '\n'
		case 'r':
			e = '\r'
		case 't':
			e = '\t'
		case 'u':
			var r rune
			r, i = s.slashU(i)
			if s.bad {
				return ""
			}
			s.arena = utf8.AppendRune(s.arena, r)
			continue
		default:
			s.bad = true
			return ""
		}
		s.arena = append(s.arena, e)
	}
}

// room makes space in the arena for n more bytes of the string being
// unescaped there from start, and returns where that string now starts.
// A new chunk is at least twice the last, and the first one an eighth
// of the body still ahead, so a body needs only a few.
func (s *jsonScanner) room(start, n int) int {
	if cap(s.arena)-len(s.arena) >= n {
		return start
	}
	part := s.arena[start:]
	size := max(2*cap(s.arena), len(part)+n, (len(s.buf)-s.pos)/8, 4<<10)
	next := make([]byte, len(part), size)
	copy(next, part)
	s.arena = next
	return 0
}

// slashU decodes the four hex digits of a \u escape at i the way ugorji
// does and returns the rune and the index after what it consumed. A
// surrogate always takes the next six bytes too, whatever they are: a
// following \uXXXX completes it (or yields U+FFFD), anything else is dropped
// and yields U+FFFD.
func (s *jsonScanner) slashU(i int) (rune, int) {
	buf := s.buf
	if i+4 > len(buf) {
		s.bad = true
		return 0, i
	}
	rr, ok := hex4(buf[i : i+4])
	i += 4
	if !ok {
		if s.strict {
			s.bad = true
		}
		return utf8.RuneError, i
	}
	if rr == utf8.RuneError || !utf16.IsSurrogate(rr) {
		return rr, i
	}
	if i+6 > len(buf) {
		s.bad = true
		return 0, i
	}
	next := buf[i : i+6]
	i += 6
	if next[0] == '\\' && next[1] == 'u' {
		lo, ok := hex4(next[2:])
		if !ok {
			if s.strict {
				s.bad = true
			}
			return utf8.RuneError, i
		}
		if lo == utf8.RuneError {
			return utf8.RuneError, i
		}
		return utf16.DecodeRune(rr, lo), i
	}
	if s.strict {
		for _, c := range next {
			switch {
			case c < ' ':
				s.bad = true
			case c == '"' || c == '\\':
				// JSON would end the string or start an escape in
				// the bytes ugorji swallows: the two readings part.
				s.bad = true
				s.diverged = true
			}
		}
	}
	return utf8.RuneError, i
}

// hex4 decodes four hex digits; ok is false if one is not a hex digit.
func hex4(b []byte) (r rune, ok bool) {
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skipLenientString consumes the rest of a string after its opening
// quote, stepping over the byte after each backslash.
func (s *jsonScanner) skipLenientString() {
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		s.pos++
		switch c {
		case '"':
			return
		case '\\':
			s.pos++
		}
	}
	s.bad = true
}

// skipStrictString consumes a JSON string at pos, validating it.
func (s *jsonScanner) skipStrictString() {
	buf := s.buf
	i := s.pos + 1
	for i < len(buf) {
		i = plainRun(buf, i)
		if i >= len(buf) {
			break
		}
		c := buf[i]
		switch c {
		case '"':
			s.pos = i + 1
			return
		case '\\':
			if i+1 >= len(buf) {
				s.bad = true
				return
			}
			switch buf[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(buf) {
					s.bad = true
					return
				}
				if _, ok := hex4(buf[i+2 : i+6]); !ok {
					s.bad = true
					return
				}
				i += 6
			default:
				s.bad = true
				return
			}
		default: // a control byte
			s.bad = true
			return
		}
	}
	s.bad = true
}
