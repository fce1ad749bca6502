package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/ugorji/go/codec"
)

// The generated decoder must decode every valid JSON body exactly as
// ugorji's JsonHandle (the decoder of the original client) does, and answer
// ErrInvalidJSON where ugorji fails or the body is not JSON. These tests
// compare the two on fixtures, benchmark bodies, a table of edge cases and
// the fuzz corpus.

// decodeWithUgorji decodes body into a fresh Response the reference way.
func decodeWithUgorji(body []byte) (*Response, error) {
	res := new(Response)
	err := codec.NewDecoderBytes(body, new(codec.JsonHandle)).Decode(res)
	return res, err
}

// checkAgainstUgorji decodes body with both decoders and fails t if the
// results differ where they must not.
func checkAgainstUgorji(t *testing.T, body []byte) {
	t.Helper()
	if err := compareWithUgorji(body); err != nil {
		t.Error(err)
	}
}

// compareWithUgorji returns a description of how our decoding of body
// departs from the contract, or nil.
func compareWithUgorji(body []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unmarshalSuccessfulKeysResponse(%q) panicked: %v", body, r)
		}
	}()
	// The result may alias the body, so the decoder must leave it as it
	// came (and ugorji must see it that way).
	orig := bytes.Clone(body)
	got, gotErr := unmarshalSuccessfulKeysResponse(nil, body)
	if !bytes.Equal(body, orig) {
		return fmt.Errorf("unmarshalSuccessfulKeysResponse(%q) changed the body to %q", orig, body)
	}
	if !json.Valid(body) {
		if gotErr != ErrInvalidJSON {
			return fmt.Errorf("unmarshalSuccessfulKeysResponse(%q) = %v, %v; want ErrInvalidJSON for invalid JSON", body, dumpResponse(got), gotErr)
		}
		return nil
	}
	want, wantErr := decodeWithUgorji(body)
	if wantErr != nil {
		if gotErr != ErrInvalidJSON {
			return fmt.Errorf("unmarshalSuccessfulKeysResponse(%q) = %v, %v; want ErrInvalidJSON as ugorji fails: %v", body, dumpResponse(got), gotErr, wantErr)
		}
		return nil
	}
	if gotErr != nil {
		return fmt.Errorf("unmarshalSuccessfulKeysResponse(%q) = %v; want %v like ugorji", body, gotErr, dumpResponse(want))
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("unmarshalSuccessfulKeysResponse(%q) =\n%v\nwant (ugorji)\n%v", body, dumpResponse(got), dumpResponse(want))
	}
	return nil
}

// dumpResponse prints a Response with its whole tree, telling nil from
// empty lists, for failure messages.
func dumpResponse(r *Response) string {
	if r == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{Action:%q Node:", r.Action)
	dumpNode(&b, r.Node)
	b.WriteString(" PrevNode:")
	dumpNode(&b, r.PrevNode)
	fmt.Fprintf(&b, " Index:%d ClusterID:%q}", r.Index, r.ClusterID)
	return b.String()
}

func dumpNode(b *strings.Builder, n *Node) {
	if n == nil {
		b.WriteString("nil")
		return
	}
	fmt.Fprintf(b, "{Key:%q Dir:%v Value:%q Created:%d Modified:%d TTL:%d", n.Key, n.Dir, n.Value, n.CreatedIndex, n.ModifiedIndex, n.TTL)
	if n.Expiration != nil {
		fmt.Fprintf(b, " Expiration:%s(%v)", n.Expiration.Format(time.RFC3339Nano), n.Expiration.Location())
	}
	switch {
	case n.Nodes == nil:
		b.WriteString(" Nodes:nil")
	default:
		fmt.Fprintf(b, " Nodes(%d):[", len(n.Nodes))
		for i, c := range n.Nodes {
			if i > 0 {
				b.WriteString(",")
			}
			dumpNode(b, c)
		}
		b.WriteString("]")
	}
	b.WriteString("}")
}

// trickyBodies are hand-written edge cases, each named after what it pins.
var trickyBodies = []struct {
	name string
	body string
}{
	{"set", `{"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":7,"createdIndex":7,"expiration":"2026-11-23T21:30:00.123456789Z","ttl":30},"prevNode":{"key":"/foo","value":"old","modifiedIndex":5,"createdIndex":5}}`},
	{"empty_object", `{}`},
	{"top_null", `null`},
	{"top_null_spaces", " \t\r\n null \n"},
	{"top_array_empty", `[]`},
	{"top_array_positional", `["get",{"key":"a"},{"key":"p"}]`},
	{"top_array_extra", `["get",{"key":"a"},{"key":"p"},5,"x",[1],{"a":null}]`},
	{"top_string", `"x"`},
	{"top_number", `5`},
	{"top_true", `true`},
	{"empty_body", ``},
	{"spaces_only", "   "},
	{"whitespace_everywhere", " \n{ \"action\" :\t\"get\" , \"node\"\r\n: { \"key\" : \"/a\" , \"nodes\" : [ { \"key\" : \"/a/b\" } , null ] , \"ttl\" : 5 } } \n"},
	{"nulls_everywhere", `{"action":null,"node":{"key":null,"dir":null,"value":null,"nodes":null,"createdIndex":null,"modifiedIndex":null,"expiration":null,"ttl":null},"prevNode":null}`},
	{"unknown_fields_every_type", `{"s":"x","n":-1.5e-3,"t":true,"f":false,"z":null,"o":{"a":[1,{"b":[[],{}]}],"c":"\"}]"},"a":[[[]],{"x":{}}],"action":"get","node":{"u":{"nodes":[1]},"key":"/k"}}`},
	{"unknown_deep", `{"x":` + strings.Repeat(`[{"a":`, 600) + `1` + strings.Repeat(`}]`, 600) + `,"action":"deep"}`},
	{"case_sensitive", `{"Action":"x","ACTION":"y","Node":{"key":"a"},"node":{"Key":"b","KEY":"c","key":"d"}}`},
	{"escaped_key_name", `{"act\u0069on":"x","n\u006fde":{"k\u0065y":"y"}}`},
	{"json_minus_fields", `{"Index":5,"ClusterID":"x","-":1,"index":7}`},
	{"empty_key", `{"":"x","action":"a"}`},
	{"duplicate_action", `{"action":"a","action":"b"}`},
	{"duplicate_node_merges", `{"node":{"key":"a","value":"b","ttl":5},"node":{"key":"c"}}`},
	{"duplicate_node_after_null", `{"node":{"key":"a","value":"b"},"node":null,"node":{"key":"c"}}`},
	{"duplicate_key_null", `{"node":{"key":"a","key":null,"dir":true,"dir":null,"ttl":3,"ttl":null}}`},
	{"duplicate_nodes_shorter", `{"node":{"nodes":[{"key":"a","value":"x"},{"key":"b"}],"nodes":[{"key":"c"}]}}`},
	{"duplicate_nodes_longer", `{"node":{"nodes":[{"key":"a"}],"nodes":[{"value":"c"},{"key":"d"}]}}`},
	{"duplicate_nodes_empty", `{"node":{"nodes":[{"key":"a"}],"nodes":[]}}`},
	{"duplicate_nodes_null_elem", `{"node":{"nodes":[{"key":"a"}],"nodes":[null]}}`},
	{"duplicate_nodes_three", `{"node":{"nodes":[{"key":"a"},{"key":"b"},{"key":"c"}],"nodes":[{"value":"x"}],"nodes":[{"ttl":1},{"ttl":2},{"ttl":3},{"ttl":4}]}}`},
	{"duplicate_nodes_then_null", `{"node":{"nodes":[{"key":"a"}],"nodes":null,"nodes":[{"value":"v"}]}}`},
	{"duplicate_expiration", `{"node":{"expiration":"2026-11-23T21:30:00Z","expiration":"2027-01-01T00:00:00.5Z"}}`},
	{"duplicate_expiration_null", `{"node":{"expiration":"2026-11-23T21:30:00Z","expiration":null}}`},
	{"duplicate_node_then_null", `{"node":{"key":"a","nodes":[{}]},"node":null}`},
	{"duplicate_prevnode_then_null_then_array", `{"prevNode":{"key":"a"},"prevNode":null,"prevNode":[null,true]}`},
	{"duplicate_nodes_elem_then_null", `{"node":{"nodes":[{"key":"a"},{"key":"b"}],"nodes":[null,{"value":"v"}],"nodes":[{"ttl":1},{},{}]}}`},
	{"nodes_empty", `{"node":{"dir":true,"nodes":[]}}`},
	{"nodes_null", `{"node":{"dir":true,"nodes":null}}`},
	{"nodes_null_element", `{"node":{"nodes":[null,{"key":"x"},null]}}`},
	{"nodes_empty_object", `{"node":{"nodes":{}}}`},
	{"nodes_object", `{"node":{"nodes":{"a":{"key":"x"}}}}`},
	{"nodes_string", `{"node":{"nodes":"x"}}`},
	{"nodes_number", `{"node":{"nodes":5}}`},
	{"nodes_array_of_number", `{"node":{"nodes":[5]}}`},
	{"nodes_array_of_array", `{"node":{"nodes":[[]]}}`},
	{"node_as_array", `{"node":["k",true,"v",[["c"]],1,2,"2026-11-23T21:30:00Z",5]}`},
	{"node_as_array_extra", `{"node":["k",true,"v",[["c"]],1,2,"2026-11-23T21:30:00Z",5,7,{"x":[]}]}`},
	{"node_as_array_nulls", `{"node":["k",null,null,null,null,null,null,null]}`},
	{"node_as_empty_array", `{"node":[]}`},
	{"node_number", `{"node":5}`},
	{"node_string", `{"node":"x"}`},
	{"node_true", `{"node":true}`},
	{"deep_nodes_ok", `{"node":` + strings.Repeat(`{"nodes":[`, 510) + `{"key":"leaf"}` + strings.Repeat(`]}`, 510) + `}`},
	{"deep_nodes_too_deep", `{"node":` + strings.Repeat(`{"nodes":[`, 511) + `{}` + strings.Repeat(`]}`, 511) + `}`},
	{"string_from_number", `{"action":-5.5e3,"node":{"key":5,"value":0}}`},
	{"string_from_bool", `{"action":true,"node":{"key":false}}`},
	{"string_from_array", `{"action":[]}`},
	{"string_from_object", `{"action":{}}`},
	{"bool_from_string", `{"node":{"dir":"true"}}`},
	{"bool_from_number", `{"node":{"dir":1}}`},
	{"bool_false", `{"node":{"dir":false}}`},
	{"escapes_simple", `{"node":{"value":"\"\\\/\b\f\n\r\t"}}`},
	{"escapes_unicode", `{"node":{"value":"\u00e9\u20ac\u0000\u001f\uFFFD\uffff"}}`},
	{"escapes_html", `{"node":{"value":"\u003c\u003e\u0026 <>&"}}`},
	{"surrogate_pair", `{"node":{"value":"\ud83d\ude00 ok"}}`},
	{"surrogate_pair_upper", `{"node":{"value":"\uD83D\uDE00"}}`},
	{"surrogate_high_then_bmp", `{"node":{"value":"\ud83d\u0041B"}}`},
	{"surrogate_low_first", `{"node":{"value":"\udc00\u0041B"}}`},
	{"surrogate_two_high", `{"node":{"value":"\ud800\ud800x"}}`},
	{"surrogate_then_fffd", `{"node":{"value":"\ud800\ufffdx"}}`},
	{"surrogate_lone_eats_six", `{"node":{"value":"\ud800abcdefgh"}}`},
	{"surrogate_lone_eats_utf8", `{"node":{"value":"\ud800éééx"}}`},
	{"surrogate_lone_at_end", `{"node":{"value":"\ud800"}}`},
	{"surrogate_lone_before_quote", `{"node":{"key":"\ud800", "x":"","value":"v"}}`},
	{"surrogate_lone_top", `{"action":"\ud800", "x":"","prevNode":{"key":"v"}}`},
	{"surrogate_lone_then_escape", `{"node":{"value":"\udfff\n1234xy"}}`},
	{"surrogate_lone_then_backslashes", `{"node":{"value":"\ud800\\\"abc"}}`},
	{"surrogate_in_key", `{"\ud83d\ude00":1,"action":"a"}`},
	{"non_ascii_raw", `{"node":{"key":"/ключ","value":"équipe ✓ 日本語 😀"}}`},
	{"invalid_utf8", "{\"node\":{\"key\":\"\xff\xfe\",\"value\":\"a\xc3(b\xed\xa0\x80\"}}"},
	{"invalid_utf8_in_unknown", "{\"x\":\"\xff\",\"action\":\"a\"}"},
	{"control_char_in_string", "{\"action\":\"a\x01b\"}"},
	{"nul_whitespace", "{\x00\"action\":\"x\"}"},
	{"escape_single_quote", `{"action":"\'"}`},
	{"escape_bad", `{"action":"\x"}`},
	{"escape_bad_hex", `{"action":"\u12g4"}`},
	{"escape_short_hex", `{"action":"\u12"}`},
	{"unterminated_string", `{"action":"abc`},
	{"trailing_garbage", `{"action":"a"} x`},
	{"trailing_brace", `{"action":"a"}}`},
	{"trailing_comma_object", `{"action":"a",}`},
	{"trailing_comma_array", `{"node":{"nodes":[{},]}}`},
	{"missing_colon", `{"action" "a"}`},
	{"missing_value", `{"action":}`},
	{"missing_comma", `{"action":"a" "node":null}`},
	{"bare_word", `{"action":get}`},
	{"single_quotes", `{'action':'get'}`},
	{"mismatched_close", `{"node":{"nodes":[}}]}`},
	{"truncated", `{"action":"get","node":{"key":"/a","nodes":[{"key":"/a/b"`},
	{"literal_typo", `{"node":nul}`},
	{"literal_typo_skipped", `{"x":tru,"action":"a"}`},
	{"number_uint_one_point_zero", `{"node":{"createdIndex":1.0}}`},
	{"number_uint_exp", `{"node":{"createdIndex":1e3,"modifiedIndex":1E3}}`},
	{"number_uint_fraction", `{"node":{"createdIndex":1.5}}`},
	{"number_uint_negative", `{"node":{"createdIndex":-1}}`},
	{"number_uint_negative_zero", `{"node":{"createdIndex":-0}}`},
	{"number_uint_max", `{"node":{"createdIndex":18446744073709551615}}`},
	{"number_uint_overflow", `{"node":{"createdIndex":18446744073709551616}}`},
	{"number_uint_big_exp", `{"node":{"createdIndex":1e20}}`},
	{"number_uint_1e19", `{"node":{"createdIndex":1e19}}`},
	{"number_uint_wraps", `{"node":{"createdIndex":99e18}}`},
	{"number_uint_small_exp", `{"node":{"createdIndex":1e-3}}`},
	{"number_uint_exact_fraction", `{"node":{"createdIndex":12345678901234567890e-1,"modifiedIndex":1.8446744073709551615e19}}`},
	{"number_uint_float_rounds", `{"node":{"createdIndex":1.0000000000000001}}`},
	{"number_uint_tiny_mantissa", `{"node":{"createdIndex":0.000000000000000000000000000000000001e36}}`},
	{"number_uint_many_leading_zeros", `{"node":{"createdIndex":0.` + strings.Repeat("0", 130) + `1e131}}`},
	{"number_uint_huge_exp", `{"node":{"createdIndex":1e400}}`},
	{"number_uint_zero_forms", `{"node":{"createdIndex":0.0,"modifiedIndex":0e5}}`},
	{"number_int_negative", `{"node":{"ttl":-1}}`},
	{"number_int_min", `{"node":{"ttl":-9223372036854775808}}`},
	{"number_int_below_min", `{"node":{"ttl":-9223372036854775809}}`},
	{"number_int_max", `{"node":{"ttl":9223372036854775807}}`},
	{"number_int_above_max", `{"node":{"ttl":9223372036854775808}}`},
	{"number_int_float_forms", `{"node":{"ttl":-1.0,"createdIndex":-0}}`},
	{"number_int_neg_exp", `{"node":{"ttl":-1e2}}`},
	{"number_int_fraction", `{"node":{"ttl":-1.5}}`},
	{"number_int_1e19", `{"node":{"ttl":1e19}}`},
	{"number_leading_zero", `{"node":{"ttl":012}}`},
	{"number_plus", `{"node":{"ttl":+1}}`},
	{"number_dot_only", `{"node":{"ttl":1.}}`},
	{"quoted_number", `{"node":{"createdIndex":"5","ttl":"-7"}}`},
	{"quoted_number_empty", `{"node":{"createdIndex":"","ttl":""}}`},
	{"quoted_number_odd", `{"node":{"ttl":"1e","createdIndex":"."}}`},
	{"quoted_number_lenient_forms", `{"node":{"ttl":".5e1","createdIndex":"1.e1","modifiedIndex":"1e+2"}}`},
	{"quoted_number_double_minus", `{"node":{"ttl":"--1"}}`},
	{"quoted_number_double_minus_uint", `{"node":{"createdIndex":"--1"}}`},
	{"quoted_number_spaces", `{"node":{"ttl":" 5"}}`},
	{"quoted_number_escape", `{"node":{"ttl":"\u0035"}}`},
	{"quoted_number_backslash_quote", `{"node":{"ttl":"5\"","key":"k"}}`},
	{"quoted_number_leading_zeros", `{"node":{"ttl":"00012"}}`},
	{"quoted_number_null_word", `{"node":{"createdIndex":"null"}}`},
	{"quoted_number_hardexp", `{"node":{"createdIndex":"1e0000000000000000000000000002"}}`},
	{"quoted_number_big_mantissa", `{"node":{"createdIndex":"100000000000000000000000e-23"}}`},
	{"number_from_bool", `{"node":{"createdIndex":true}}`},
	{"number_from_array", `{"node":{"createdIndex":[]}}`},
	{"number_from_object", `{"node":{"ttl":{}}}`},
	{"time_nanos", `{"node":{"expiration":"2026-11-23T21:30:00.123456789Z"}}`},
	{"time_seconds", `{"node":{"expiration":"2026-11-23T21:30:00Z"}}`},
	{"time_short_fraction", `{"node":{"expiration":"2026-11-23T21:30:00.1Z"}}`},
	{"time_long_fraction", `{"node":{"expiration":"2026-11-23T21:30:00.1234567891Z"}}`},
	{"time_comma_fraction", `{"node":{"expiration":"2026-11-23T21:30:00,5Z"}}`},
	{"time_offset", `{"node":{"expiration":"2026-11-23T21:30:00+01:00"}}`},
	{"time_zero_offset", `{"node":{"expiration":"2026-11-23T21:30:00.1+00:00"}}`},
	{"time_minus_zero_offset", `{"node":{"expiration":"2026-11-23T21:30:00-00:00"}}`},
	{"time_offset_24", `{"node":{"expiration":"2026-11-23T21:30:00+24:00"}}`},
	{"time_end_of_month", `{"node":{"expiration":"2024-02-29T23:59:59Z","ttl":1}}`},
	{"time_day_31", `{"node":{"expiration":"2026-12-31T23:59:59.999999999Z"}}`},
	{"time_feb_30", `{"node":{"expiration":"2026-02-30T21:30:00Z"}}`},
	{"time_hour_24", `{"node":{"expiration":"2026-11-23T24:00:00Z"}}`},
	{"time_leap_second", `{"node":{"expiration":"2026-11-23T21:30:60Z"}}`},
	{"time_lowercase", `{"node":{"expiration":"2026-11-23t21:30:00z"}}`},
	{"time_no_zone", `{"node":{"expiration":"2026-11-23T21:30:00"}}`},
	{"time_space", `{"node":{"expiration":"2026-11-23 21:30:00Z"}}`},
	{"time_dot_no_digits", `{"node":{"expiration":"2026-11-23T21:30:00.Z"}}`},
	{"time_year_0000", `{"node":{"expiration":"0000-01-01T00:00:00Z"}}`},
	{"time_year_10000", `{"node":{"expiration":"10000-11-23T21:30:00Z"}}`},
	{"time_empty", `{"node":{"expiration":""}}`},
	{"time_garbage", `{"node":{"expiration":"x"}}`},
	{"time_escaped", `{"node":{"expiration":"2026-11-23T21:30:00\u005a"}}`},
	{"time_escaped_quote", `{"node":{"expiration":"2026-11-23T21:30:00Z\""}}`},
	{"time_unix_number", `{"node":{"expiration":1700000000}}`},
	{"time_unix_negative", `{"node":{"expiration":-5}}`},
	{"time_unix_exp", `{"node":{"expiration":1e3}}`},
	{"time_unix_fraction", `{"node":{"expiration":1.5}}`},
	{"time_bool", `{"node":{"expiration":true}}`},
	{"time_array", `{"node":{"expiration":[]}}`},
	{"time_object", `{"node":{"expiration":{}}}`},
}

// fixtureBodies returns every captured etcd body of testdata/etcd-3.4.23
// (keys answers and the others: error bodies decode to an empty Response,
// the empty bodies of the auth calls are invalid JSON).
func fixtureBodies(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "etcd-3.4.23", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no fixtures in testdata/etcd-3.4.23")
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// fuzzCorpus returns the byte inputs of the committed corpus of fuzz.
func fuzzCorpus(t testing.TB, fuzz string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", fuzz, "*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseCorpusFile(raw)
		if err != nil {
			t.Fatalf("corpus file %s: %v", p, err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// parseCorpusFile reads a "go test fuzz v1" file holding one []byte.
func parseCorpusFile(raw []byte) ([]byte, error) {
	lines := strings.SplitN(strings.TrimRight(string(raw), "\n"), "\n", 2)
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, fmt.Errorf("not a go test fuzz v1 file")
	}
	v := strings.TrimSpace(lines[1])
	if !strings.HasPrefix(v, "[]byte(") || !strings.HasSuffix(v, ")") {
		return nil, fmt.Errorf("want one []byte value, got %q", v)
	}
	s, err := strconv.Unquote(v[len("[]byte(") : len(v)-1])
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

func TestDecodeKeysResponse_fixtures(t *testing.T) {
	for name, body := range fixtureBodies(t) {
		t.Run(name, func(t *testing.T) {
			checkAgainstUgorji(t, body)
		})
	}
}

func TestDecodeKeysResponse_fixtureContent(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "etcd-3.4.23", "set_ttl.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := unmarshalSuccessfulKeysResponse(nil, body)
	if err != nil {
		t.Fatalf("unmarshalSuccessfulKeysResponse(set_ttl.json) = %v", err)
	}
	exp := time.Date(2026, 11, 23, 22, 48, 38, 988765731, time.UTC)
	want := &Response{Action: "set", Node: &Node{Key: "/tmp", Value: "x", Expiration: &exp, TTL: 300, ModifiedIndex: 5, CreatedIndex: 5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unmarshalSuccessfulKeysResponse(set_ttl.json) = %v, want %v", dumpResponse(got), dumpResponse(want))
	}
}

func TestDecodeKeysResponse_benchBodies(t *testing.T) {
	for _, bb := range benchBodies(t) {
		t.Run(bb.name, func(t *testing.T) {
			checkAgainstUgorji(t, bb.body)
		})
	}
}

func TestDecodeKeysResponse_tricky(t *testing.T) {
	for _, tc := range trickyBodies {
		t.Run(tc.name, func(t *testing.T) {
			checkAgainstUgorji(t, []byte(tc.body))
		})
	}
}

func TestDecodeKeysResponse_fuzzCorpus(t *testing.T) {
	corpus := fuzzCorpus(t, "FuzzDecodeKeysResponse")
	if len(corpus) == 0 {
		t.Fatal("no seed corpus in testdata/fuzz/FuzzDecodeKeysResponse")
	}
	for name, body := range corpus {
		t.Run(name, func(t *testing.T) {
			checkAgainstUgorji(t, body)
		})
	}
}

// TestDecodeKeysResponse_truncations cuts a realistic body at every byte
// and damages it byte by byte: the prefixes and mutants are mostly invalid
// JSON, which must give ErrInvalidJSON, never a panic or a half result.
func TestDecodeKeysResponse_truncations(t *testing.T) {
	body := []byte(trickyBodies[0].body)
	for i := range body {
		checkAgainstUgorji(t, body[:i])
		for _, c := range []byte{'"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'n', '0', 0x01, 0xff} {
			mut := bytes.Clone(body)
			mut[i] = c
			checkAgainstUgorji(t, mut)
		}
	}
}

// TestDecodeKeysResponse_lenientRerun pins the second pass: a lone
// surrogate escape followed by an escape makes ugorji swallow bytes that
// JSON reads as an escape, so the strict pass gives up and the lenient one
// must produce ugorji's result from a clean start.
func TestDecodeKeysResponse_lenientRerun(t *testing.T) {
	for _, tc := range []struct {
		body string
		want *Response
	}{
		{`{"action":"x","node":{"key":"k"},"action":"\ud800\"abcd"}`, &Response{Action: "\uFFFD", Node: &Node{Key: "k"}}},
		{`{"node":{"value":"\ud800\\\"abc","nodes":[{"key":"a"}]}}`, &Response{Node: &Node{Value: "\uFFFDc", Nodes: Nodes{{Key: "a"}}}}},
	} {
		got, err := unmarshalSuccessfulKeysResponse(nil, []byte(tc.body))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("unmarshalSuccessfulKeysResponse(%q) = %v, %v; want %v", tc.body, dumpResponse(got), err, dumpResponse(tc.want))
		}
		checkAgainstUgorji(t, []byte(tc.body))
	}
}

// TestDecodeKeysResponse_leavesHeaderFields checks that the body never
// touches what the headers fill, even a null body, which ugorji would have
// zeroed as a whole.
func TestDecodeKeysResponse_leavesHeaderFields(t *testing.T) {
	for _, body := range []string{`null`, `{"action":"get","Index":3,"ClusterID":"x"}`, `["get"]`} {
		res := &Response{Action: "old", Node: &Node{Key: "/old"}, Index: 42, ClusterID: "cid"}
		if err := decodeKeysResponseBody([]byte(body), res); err != nil {
			t.Fatalf("decodeKeysResponseBody(%q) = %v", body, err)
		}
		if res.Index != 42 || res.ClusterID != "cid" {
			t.Errorf("decodeKeysResponseBody(%q) left Index, ClusterID = %d, %q; want 42, \"cid\"", body, res.Index, res.ClusterID)
		}
	}
}

// TestDecodeKeysResponse_failureLeavesResponse checks that a body that
// fails half way does not leave a half-filled Response.
func TestDecodeKeysResponse_failureLeavesResponse(t *testing.T) {
	for _, body := range []string{`{"action":"get","node":{"key":"/a"},"x":}`, `{"action":"\ud800\"abcd","node":5}`} {
		res := &Response{Action: "old", Index: 1}
		want := *res
		if err := decodeKeysResponseBody([]byte(body), res); err != ErrInvalidJSON {
			t.Fatalf("decodeKeysResponseBody(%q) = %v, want ErrInvalidJSON", body, err)
		}
		if !reflect.DeepEqual(*res, want) {
			t.Errorf("decodeKeysResponseBody(%q) left %v, want %v", body, dumpResponse(res), dumpResponse(&want))
		}
	}
}

// TestDecodeKeysResponse_aliasesBody checks that the decoder uses the body
// it is handed instead of a copy: strings without escapes point into it.
func TestDecodeKeysResponse_aliasesBody(t *testing.T) {
	body := []byte(`{"action":"get","node":{"key":"/a","value":"v\u00e9\n"}}`)
	got, err := unmarshalSuccessfulKeysResponse(nil, body)
	if err != nil {
		t.Fatalf("unmarshalSuccessfulKeysResponse(%q) = %v", body, err)
	}
	if got.Action != "get" || got.Node.Key != "/a" || got.Node.Value != "vé\n" {
		t.Fatalf("unmarshalSuccessfulKeysResponse = %v, want get /a \"vé\\n\"", dumpResponse(got))
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(body)))
	for _, str := range []string{got.Action, got.Node.Key} {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(str))); p < start || p >= start+uintptr(len(body)) {
			t.Errorf("string %q is not in the body: it was copied", str)
		}
	}
}

// TestDecodeKeysResponse_secondPassAfterEscapes checks bodies where the
// strict pass unescapes strings before it meets a lone surrogate that makes
// ugorji's reading part from JSON's: the lenient pass must see the body as
// it came.
func TestDecodeKeysResponse_secondPassAfterEscapes(t *testing.T) {
	for _, body := range []string{
		`{"action":"a\nb\u00e9","node":{"key":"\"k\"","value":"\ud800\"abcd"}}`,
		`{"action":"\u003cx\u003e","node":{"nodes":[{"key":"\/a"},{"key":"b","value":"\uDBFF\\\"abc"}]}}`,
		`{"node":{"value":"x\ty"},"prevNode":{"key":"\ud800\"abcd","value":"\t"}}`,
	} {
		checkAgainstUgorji(t, []byte(body))
	}
}

// TestDecodeKeysResponse_allocs guards the allocation count of the small
// body: the Response, one slab each of nodes, child lists and times, the
// list stack and the arena of unescaped strings. The body itself is not
// copied.
func TestDecodeKeysResponse_allocs(t *testing.T) {
	body := smallBody()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := unmarshalSuccessfulKeysResponse(nil, body); err != nil {
			t.Fatal(err)
		}
	})
	const limit = 6
	if allocs > limit {
		t.Errorf("unmarshalSuccessfulKeysResponse(small body) made %v allocations, want at most %d", allocs, limit)
	}
}

// FuzzDecodeKeysResponse checks, on any input, that the decoder does not
// panic, refuses invalid JSON with ErrInvalidJSON, and decodes valid JSON
// exactly like ugorji.
func FuzzDecodeKeysResponse(f *testing.F) {
	// Big seeds (the deep nesting cases) slow ugorji and the minimizer
	// down more than they add coverage; the table tests cover them.
	for _, tc := range trickyBodies {
		if len(tc.body) <= 1<<10 {
			f.Add([]byte(tc.body))
		}
	}
	for _, b := range fixtureBodies(f) {
		if len(b) <= 1<<10 {
			f.Add(b)
		}
	}
	f.Add(smallBody())
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := compareWithUgorji(body); err != nil {
			t.Error(err)
		}
	})
}
