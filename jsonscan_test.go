package client

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ugorji/go/codec"
)

func TestPlainRun(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	alphabet := []byte{'a', 'Z', ' ', '~', '"', '\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xff, '!', '#', '[', ']'}
	for range 5000 {
		buf := make([]byte, r.IntN(40))
		for i := range buf {
			buf[i] = 'a'
			if r.IntN(8) == 0 {
				buf[i] = alphabet[r.IntN(len(alphabet))]
			}
		}
		from := 0
		if len(buf) > 0 {
			from = r.IntN(len(buf))
		}
		want := from
		for want < len(buf) && buf[want] >= 0x20 && buf[want] != '"' && buf[want] != '\\' {
			want++
		}
		if got := plainRun(buf, from); got != want {
			t.Fatalf("plainRun(%q, %d) = %d, want %d", buf, from, got, want)
		}
	}
}

func TestIsJSONNumber(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "1", "-1", "10", "1.5", "1e5", "1E+5", "1e-5", "0.0", "-0.5e10",
		"", "-", "+1", "01", "1.", ".5", "1e", "1e+", "--1", "1-", "1.5.5", "1ee5", "0x1", "00", "-01",
	} {
		want := json.Valid([]byte(s))
		if got := isJSONNumber([]byte(s)); got != want {
			t.Errorf("isJSONNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestParseRFC3339UTC checks the fast path against time.Parse, which
// decides every case the fast path declines.
func TestParseRFC3339UTC(t *testing.T) {
	inputs := []string{
		"2026-11-23T21:30:00Z", "2026-11-23T21:30:00.1Z", "2026-11-23T21:30:00.123456789Z",
		"2026-01-01T00:00:00.000000001Z", "0000-01-01T00:00:00Z", "9999-12-28T23:59:59Z",
		"2026-11-23T21:30:00.Z", "2026-11-23T21:30:00.1234567891Z", "2026-11-23T21:30:00,5Z",
		"2026-13-01T00:00:00Z", "2026-11-29T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T21:60:00Z",
		"2026-11-23T21:30:60Z", "2026-11-23t21:30:00Z", "2026-11-23T21:30:00z", "2026-11-23T21:30:00+00:00",
		"2026-1-23T21:30:00Z", "2026-11-23T21:30:0aZ", "+026-11-23T21:30:00Z",
	}
	r := rand.New(rand.NewPCG(3, 3))
	for range 2000 {
		ts := time.Unix(r.Int64N(1<<35)-(1<<34), r.Int64N(1e9)).UTC()
		inputs = append(inputs, ts.Format(time.RFC3339Nano))
	}
	for _, in := range inputs {
		got, ok := parseRFC3339UTC([]byte(in))
		if !ok {
			continue
		}
		want, err := time.Parse(time.RFC3339Nano, in)
		if err != nil {
			t.Errorf("parseRFC3339UTC(%q) accepted what time.Parse refuses: %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("parseRFC3339UTC(%q) = %#v, want %#v", in, got, want)
		}
	}
	if _, ok := parseRFC3339UTC([]byte("2026-11-23T21:30:00.123456789Z")); !ok {
		t.Error("parseRFC3339UTC declined etcd's own format")
	}
}

// TestParseInteger compares the integer rules with ugorji decoding a
// number, quoted and not, into uint64 and int64.
func TestParseInteger(t *testing.T) {
	texts := []string{
		"0", "1", "-1", "-0", "1.0", "1.5", "1e3", "1E3", "1e-3", "1e19", "1e20", "99e18", "1e400",
		"18446744073709551615", "18446744073709551616", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "12345678901234567890e-1", "1.8446744073709551615e19",
		"0.000000000000000000000000000000000001e36", "1.0000000000000001", "1.0000000000000000000000001",
		"100000000000000000000000e-23", "5000e-3", "5001e-3", "0.05e2", "1.10e1", "1.11e1", "0e5", "0.0",
		"1e0000000000000000000000000002", "1e+2", "1E-0", "-1e2", "-1.5", "0." + strings.Repeat("0", 130) + "1e131",
		"", ".", "1.", ".5e1", "1.e1", "1e", "-", "--1", "1-", "00012", "+5", "1ee2", "1e2e2", "1..2",
	}
	r := rand.New(rand.NewPCG(5, 5))
	const chars = "0123456789.-+eE"
	for range 3000 {
		b := make([]byte, 1+r.IntN(25))
		for i := range b {
			b[i] = chars[r.IntN(len(chars))]
			if r.IntN(3) > 0 {
				b[i] = chars[r.IntN(10)]
			}
		}
		texts = append(texts, string(b))
	}
	h := new(codec.JsonHandle)
	for _, text := range texts {
		for _, quoted := range []bool{false, true} {
			body := text
			if quoted {
				body = `"` + text + `"`
			} else if !json.Valid([]byte(text)) {
				continue
			}
			var wantU uint64
			errU := codec.NewDecoderBytes([]byte(body), h).Decode(&wantU)
			var wantI int64
			errI := codec.NewDecoderBytes([]byte(body), h).Decode(&wantI)

			s := jsonScanner{buf: []byte(body + ","), strict: false}
			gotU := s.u64()
			if got, want := describeInt(gotU, s.bad), describeInt(wantU, errU != nil); got != want {
				t.Errorf("u64(%s) = %s, want %s (ugorji: %v)", body, got, want, errU)
			}
			s = jsonScanner{buf: []byte(body + ","), strict: false}
			gotI := s.i64()
			if got, want := describeInt(gotI, s.bad), describeInt(wantI, errI != nil); got != want {
				t.Errorf("i64(%s) = %s, want %s (ugorji: %v)", body, got, want, errI)
			}
		}
	}
}

func describeInt[T int64 | uint64](v T, failed bool) string {
	if failed {
		return "error"
	}
	return fmt.Sprint(v)
}

// TestQuotedSlow_arenaChunks decodes strings with escapes across several
// arena chunks: every string must keep its bytes when a later one starts
// a new chunk, and none may be written into buf.
func TestQuotedSlow_arenaChunks(t *testing.T) {
	var body strings.Builder
	var want []string
	for i := range 2000 {
		v := fmt.Sprintf("%d:%s\\n\\u00e9\\\"", i, strings.Repeat("x", i%97))
		body.WriteString(`"` + v + `" `)
		want = append(want, fmt.Sprintf("%d:%s\né\"", i, strings.Repeat("x", i%97)))
	}
	buf := []byte(body.String())
	orig := string(buf)
	s := jsonScanner{buf: buf, strict: true}
	var got []string
	for range want {
		if s.next() != '"' {
			t.Fatalf("next() at %d = %q, want a quote", s.pos, s.buf[s.pos])
		}
		got = append(got, s.quoted())
	}
	if s.bad {
		t.Fatalf("quoted() failed at %d", s.pos)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("string %d = %q, want %q", i, got[i], want[i])
		}
	}
	if string(buf) != orig {
		t.Errorf("quoted() wrote to buf")
	}
}
