package client

// This file holds the byte-level JSON scanner that the generated decoder in
// keys.generated.go is built on. The generator (internal/cmd/keysgen) writes
// only the structural code (which field goes where); every rule about how
// bytes become values lives here.
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

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

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

// isNumberChar is ugorji's set of bytes a number token runs over.
func isNumberChar(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E'
}

// numberRun consumes the run of number bytes at pos (possibly empty, which
// ugorji accepts as an empty number) and returns its bounds. In strict mode
// the run must be a JSON number.
func (s *jsonScanner) numberRun() (from, to int) {
	from = s.pos
	i := from
	for i < len(s.buf) && isNumberChar(s.buf[i]) {
		i++
	}
	s.pos = i
	if s.strict && !isJSONNumber(s.buf[from:i]) {
		s.bad = true
	}
	return from, i
}

// isJSONNumber reports whether b is exactly a number of the JSON grammar.
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i == len(b)
}

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

// numberBytes returns the text of a number value: a number token, or the
// raw content of a string.
func (s *jsonScanner) numberBytes() []byte {
	switch s.next() {
	case '"':
		return s.rawString()
	case 'n':
		s.lit("null")
		return nil
	}
	if s.bad {
		return nil
	}
	from, to := s.numberRun()
	return s.buf[from:to]
}

// shortInt reads the common case of an integer without a sign, fraction
// or exponent and with at most maxDigits digits, which no rule below treats
// differently from its plain value. ok is false (and nothing consumed) for
// anything else.
func (s *jsonScanner) shortInt(maxDigits int) (n uint64, ok bool) {
	buf := s.buf
	from := s.pos
	i := from
	for i < len(buf) && i-from < maxDigits {
		d := buf[i] - '0'
		if d > 9 {
			break
		}
		n = n*10 + uint64(d)
		i++
	}
	if i == from || i == len(buf) || isNumberChar(buf[i]) || buf[from] == '0' && i > from+1 {
		return 0, false
	}
	s.pos = i
	return n, true
}

// u64 decodes an unsigned integer the way ugorji does.
func (s *jsonScanner) u64() uint64 {
	if c := s.next(); c >= '0' && c <= '9' {
		if n, ok := s.shortInt(19); ok {
			return n
		}
	}
	b := s.numberBytes()
	if s.bad {
		return 0
	}
	u, neg, ok := parseInteger(b)
	if neg || !ok {
		s.bad = true
		return 0
	}
	return u
}

// i64 decodes a signed integer the way ugorji does.
func (s *jsonScanner) i64() int64 {
	if c := s.next(); c >= '0' && c <= '9' {
		if n, ok := s.shortInt(18); ok {
			return int64(n)
		}
	}
	b := s.numberBytes()
	if s.bad {
		return 0
	}
	return s.toInt64(b)
}

func (s *jsonScanner) toInt64(b []byte) int64 {
	u, neg, ok := parseInteger(b)
	if !ok || neg && u > 1<<63 || !neg && u >= 1<<63 {
		s.bad = true
		return 0
	}
	if neg {
		return -int64(u)
	}
	return int64(u)
}

// timeValue decodes a time: an RFC 3339 string, or a number of seconds
// since the epoch (in the local zone, as time.Unix gives it).
func (s *jsonScanner) timeValue() time.Time {
	c := s.next()
	if s.bad {
		return time.Time{}
	}
	if c != '"' {
		from, to := s.numberRun()
		if s.bad {
			return time.Time{}
		}
		return time.Unix(s.toInt64(s.buf[from:to]), 0)
	}
	raw := s.rawString()
	if s.bad {
		return time.Time{}
	}
	if t, ok := parseRFC3339UTC(raw); ok {
		return t
	}
	t, err := time.Parse(time.RFC3339Nano, unsafe.String(unsafe.SliceData(raw), len(raw)))
	if err != nil {
		s.bad = true
	}
	return t
}

// parseRFC3339UTC is a fast path for the only form etcd writes,
// YYYY-MM-DDTHH:MM:SS[.fraction]Z, giving exactly what time.Parse gives.
// Anything else (an offset, an out-of-range field) is left to time.Parse.
func parseRFC3339UTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(p []byte) (int, bool) {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	frac := b[19 : len(b)-1]
	if len(frac) > 0 {
		// time.Parse also takes a comma and more than nine digits;
		// leave those to it.
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for k := len(frac) - 1; k < 9; k++ {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
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

// The integer rules below follow ugorji's: digits are read exactly where
// they can be, a decimal point or exponent is accepted when the value is
// still a whole number, and the few cases its fast reader cannot settle go
// through a float. Their quirks (int8 counters, a wrapping multiply) are
// kept on purpose: the results must be the same.

const uint64Cutoff = (1<<64-1)/10 + 1

var pow10u64 = [...]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

var pow10f64 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
	1e20, 1e21, 1e22,
}

// numLimits describes the target of readDecimal: mantBits (0: any),
// exactPow10, exactInts, whether the mantissa cut-off is the uint64 one,
// and the cut-off itself.
type numLimits struct {
	mantBits        uint8
	exactPow10      int8
	exactInts       int8
	cutoffIsUint64  bool
	mantissaCutoff  uint64
	floatExactLimit float64
}

var (
	limitsUint64  = numLimits{0, 19, 0, true, uint64Cutoff, 0}
	limitsFloat64 = numLimits{52, 22, 15, false, 1<<52 - 1, 1e15}
)

type decimalParts struct {
	mantissa uint64
	exp      int8
	neg      bool
	bad      bool
	ok       bool
}

// parseInteger returns the magnitude and sign of b, and whether it is a
// whole number ugorji accepts. An empty b is 0.
func parseInteger(b []byte) (u uint64, neg, ok bool) {
	if len(b) == 0 {
		return 0, false, true
	}
	if b[0] == '-' {
		if len(b) == 1 {
			return 0, false, false
		}
		neg = true
		b = b[1:]
	}
	if u, ok = parseDigits(b); ok {
		return u, neg, true
	}
	r := readDecimal(b, &limitsUint64)
	if !r.ok {
		return 0, neg, false
	}
	u = r.mantissa
	switch {
	case r.exp < 0:
		p := pow10u64[uint8(-r.exp)]
		if u%p == 0 {
			return u / p, neg, true
		}
		f, err := parseFloat64(b)
		if err != nil || !noFraction(math.Float64bits(f)) {
			return 0, neg, false
		}
		return uint64(f), neg, true
	case r.exp > 0:
		u *= pow10u64[uint8(r.exp)]
	}
	return u, neg, true
}

// parseDigits reads plain decimal digits without a leading zero.
func parseDigits(b []byte) (n uint64, ok bool) {
	if len(b) > 1 && b[0] == '0' {
		return 0, false
	}
	for _, c := range b {
		if n >= uint64Cutoff || c < '0' || c > '9' {
			return 0, false
		}
		n1 := n*10 + uint64(c-'0')
		if n1 < n {
			return 0, false
		}
		n = n1
	}
	return n, true
}

func noFraction(bits uint64) bool {
	if bits == 0 {
		return true
	}
	exp := uint64(bits>>52)&0x7FF - 1023
	return exp < 52 && bits<<(12+exp) == 0
}

// readDecimal splits s into mantissa and power of ten when that can be
// done exactly within lim; ok is false otherwise, bad if s is no number.
func readDecimal(s []byte, lim *numLimits) (r decimalParts) {
	n := len(s)
	if n == 0 {
		r.ok = true
		return r
	}
	i := 0
	if s[0] == '-' {
		r.neg = true
		i++
	}
	var nd, ndMant, dp int8
	var sawDot, sawExp bool
	if i+1 < n && s[i] == '0' {
		switch s[i+1] {
		case '.', 'e', 'E':
		default:
			r.bad = true
			return r
		}
	}
loop:
	for ; i < n; i++ {
		switch c := s[i]; c {
		case '.':
			if sawDot {
				r.bad = true
				return r
			}
			sawDot = true
			dp = nd
		case 'e', 'E':
			sawExp = true
			break loop
		case '0':
			if nd == 0 {
				dp--
				continue loop
			}
			nd++
			if r.mantissa < lim.mantissaCutoff {
				r.mantissa *= 10
				ndMant++
			}
		case '1', '2', '3', '4', '5', '6', '7', '8', '9':
			nd++
			switch {
			case lim.cutoffIsUint64 && r.mantissa < uint64Cutoff:
				r.mantissa *= 10
				x := r.mantissa + uint64(c-'0')
				if x < r.mantissa {
					return r
				}
				r.mantissa = x
			case r.mantissa < lim.mantissaCutoff:
				r.mantissa = r.mantissa*10 + uint64(c-'0')
			default:
				return r
			}
			ndMant++
		default:
			r.bad = true
			return r
		}
	}
	if !sawDot {
		dp = nd
	}
	if sawExp {
		i++
		if i < n {
			eneg := false
			if s[i] == '+' {
				i++
			} else if s[i] == '-' {
				i++
				eneg = true
			}
			if i < n {
				if i+2 < n {
					return r
				}
				if s[i] < '0' || s[i] > '9' {
					r.bad = true
					return r
				}
				e := int8(s[i] - '0')
				i++
				if i < n {
					if s[i] < '0' || s[i] > '9' {
						r.bad = true
						return r
					}
					e = e*10 + int8(s[i]-'0')
				}
				if eneg {
					dp -= e
				} else {
					dp += e
				}
			}
		}
	}
	if r.mantissa != 0 {
		r.exp = dp - ndMant
		if r.exp < -lim.exactPow10 || r.exp > lim.exactInts+lim.exactPow10 ||
			lim.mantBits != 0 && r.mantissa>>lim.mantBits != 0 {
			return r
		}
	}
	r.ok = true
	return r
}

// parseFloat64 is ugorji's float reader: exact small cases by hand, the
// rest through strconv.
func parseFloat64(b []byte) (float64, error) {
	r := readDecimal(b, &limitsFloat64)
	if r.bad {
		return 0, strconv.ErrSyntax
	}
	if r.ok {
		f := float64(r.mantissa)
		fail := false
		switch {
		case r.exp < 0:
			f /= pow10f64[-uint8(r.exp)]
		case r.exp > limitsFloat64.exactPow10:
			f *= pow10f64[r.exp-limitsFloat64.exactPow10]
			if f > limitsFloat64.floatExactLimit {
				fail = true
			} else {
				f *= pow10f64[limitsFloat64.exactPow10]
			}
		case r.exp > 0:
			f *= pow10f64[uint8(r.exp)]
		}
		if !fail {
			if r.neg {
				f = -f
			}
			return f, nil
		}
	}
	return strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
}
