package client

// This file holds the scanner's number rules: which bytes make a number
// token, what JSON allows of one, and how ugorji turns a token (or the
// content of a quoted number) into an integer, including its acceptance
// of a fraction or exponent when the value is still whole.

import (
	"math"
	"strconv"
	"unsafe"
)

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
