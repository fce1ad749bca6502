package client

// This file holds how the scanner reads a time, as ugorji does: an RFC 3339
// string or a number of seconds since the epoch, with a fast path for the
// one layout etcd writes.

import (
	"time"
	"unsafe"
)

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
