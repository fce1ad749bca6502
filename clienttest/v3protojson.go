package clienttest

// This file reads the request messages of the v3 gateway the way etcd
// 3.6's gateway does: encoding/json takes the first JSON value of the body
// (the rest is never looked at), and protojson, with unknown fields
// discarded, maps that value onto the message. Fields go by their proto
// name or their lowerCamel JSON name, 64-bit integers come as numbers or
// strings, bytes as base64, enums by name or number, a field given twice
// or a second member of a oneof is refused, and every refusal carries
// protojson's words with the line and column of the offending token, as a
// client sees them in the gateway's 400.
//
// The request structs say what they hold with a tag,
// `pb:"proto_name"` or `pb:"proto_name,oneof=pkg.Message.oneof_name"`;
// the Go type tells the proto kind: jint int64, juint uint64, jbytes
// bytes, bool, string, a type with enumNames an enum, a struct (or a
// pointer to one) a message, a slice a repeated field, and a pointer to a
// scalar a member of a oneof, whose presence matters.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// decodeGatewayBody reads body into v, which points to a request struct,
// as the gateway does. empty reports a body with no JSON value in it,
// which the gateway takes as an empty request.
func decodeGatewayBody(body []byte, v any) (empty bool, err error) {
	var raw json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		return false, err
	}
	return false, unmarshalProtoJSON(raw, v)
}

// unmarshalProtoJSON maps one JSON value onto the request struct v points
// to, with protojson's rules and refusals. The value is valid JSON
// already: encoding/json has read it.
func unmarshalProtoJSON(raw []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("clienttest: cannot decode a request into %T", v)
	}
	d := &pjDecoder{b: raw}
	if err := d.message(rv.Elem()); err != nil {
		return err
	}
	if tok := d.read(); tok.kind != pjEOF {
		return d.unexpected(tok)
	}
	return nil
}

// Token kinds.
const (
	pjEOF    = 0
	pjString = '"'
	pjNumber = '0'
	pjBool   = 'b'
	pjNull   = 'n'
	// pjBadUTF8 is a string that is not UTF-8, which protojson's reader
	// refuses wherever it stands.
	pjBadUTF8 = 'x'
)

type pjToken struct {
	kind byte // '{', '}', '[', ']' or one of the kinds above
	pos  int  // offset in the value
	raw  []byte
}

// pjDecoder walks a JSON value that encoding/json has checked, token by
// token, keeping each token's offset for the error texts.
type pjDecoder struct {
	b []byte
	i int
}

// read returns the next token. Separators carry nothing the walk needs
// once the syntax is known to be right, so they are skipped like blanks.
func (d *pjDecoder) read() pjToken {
	for d.i < len(d.b) && strings.IndexByte(" \t\r\n,:", d.b[d.i]) >= 0 {
		d.i++
	}
	start := d.i
	if start >= len(d.b) {
		return pjToken{kind: pjEOF, pos: start}
	}
	c := d.b[start]
	switch c {
	case '{', '}', '[', ']':
		d.i++
		return pjToken{kind: c, pos: start, raw: d.b[start:d.i]}
	case '"':
		d.i++
		for d.i < len(d.b) && d.b[d.i] != '"' {
			if d.b[d.i] == '\\' {
				d.i++
			}
			d.i++
		}
		d.i = min(d.i+1, len(d.b))
		tok := pjToken{kind: pjString, pos: start, raw: d.b[start:d.i]}
		if !utf8.Valid(tok.raw) {
			tok.kind = pjBadUTF8
		}
		return tok
	}
	for d.i < len(d.b) && strings.IndexByte(" \t\r\n,:]}", d.b[d.i]) < 0 {
		d.i++
	}
	tok := pjToken{kind: pjNumber, pos: start, raw: d.b[start:d.i]}
	switch c {
	case 't', 'f':
		tok.kind = pjBool
	case 'n':
		tok.kind = pjNull
	}
	return tok
}

func (d *pjDecoder) peek() pjToken {
	i := d.i
	tok := d.read()
	d.i = i
	return tok
}

// position is protojson's line and column of offset pos: columns count
// runes from 1.
func (d *pjDecoder) position(pos int) (int, int) {
	b := d.b[:pos]
	line := bytes.Count(b, []byte("\n")) + 1
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return line, utf8.RuneCount(b) + 1
}

func (d *pjDecoder) errorAt(pos int, format string, args ...any) error {
	line, col := d.position(pos)
	return fmt.Errorf("proto: (line %d:%d): %s", line, col, fmt.Sprintf(format, args...))
}

func (d *pjDecoder) unexpected(tok pjToken) error {
	line, col := d.position(tok.pos)
	switch tok.kind {
	case pjEOF:
		return fmt.Errorf("proto: syntax error (line %d:%d): unexpected EOF", line, col)
	case pjBadUTF8:
		return fmt.Errorf("proto: syntax error (line %d:%d): invalid UTF-8 in string", line, col)
	}
	return fmt.Errorf("proto: syntax error (line %d:%d): unexpected token %s", line, col, tok.raw)
}

// skipValue passes over the value of an unknown field, whatever it holds.
func (d *pjDecoder) skipValue() error {
	depth := 0
	for {
		tok := d.read()
		switch tok.kind {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case pjEOF, pjBadUTF8:
			return d.unexpected(tok)
		}
		if depth <= 0 {
			return nil
		}
	}
}

// pjField is one field of a request struct.
type pjField struct {
	index int
	proto string
	json  string
	oneof string // the oneof's full name, for a member of one
}

var pjFieldCache sync.Map // reflect.Type → []pjField

func pjFields(t reflect.Type) []pjField {
	if fs, ok := pjFieldCache.Load(t); ok {
		return fs.([]pjField)
	}
	var fs []pjField
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("pb")
		if tag == "" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := pjField{index: i, proto: name, json: protoJSONName(name)}
		f.oneof, _ = strings.CutPrefix(opts, "oneof=")
		fs = append(fs, f)
	}
	pjFieldCache.Store(t, fs)
	return fs
}

// protoJSONName is protoc's JSON name of a field: each underscore dropped
// and the letter after it upper-cased.
func protoJSONName(name string) string {
	var sb strings.Builder
	up := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_':
			up = true
			continue
		case up && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		up = false
		sb.WriteByte(c)
	}
	return sb.String()
}

// lookupField finds a field by its JSON name, then by its proto name, as
// protojson does.
func lookupField(fs []pjField, name string) *pjField {
	for i := range fs {
		if fs[i].json == name {
			return &fs[i]
		}
	}
	for i := range fs {
		if fs[i].proto == name {
			return &fs[i]
		}
	}
	return nil
}

// message reads an object into the struct v.
func (d *pjDecoder) message(v reflect.Value) error {
	tok := d.read()
	if tok.kind != '{' {
		return d.unexpected(tok)
	}
	fs := pjFields(v.Type())
	seen := map[int]bool{}
	oneofs := map[string]bool{}
	for {
		tok := d.read()
		switch tok.kind {
		case '}':
			return nil
		case pjString:
		default:
			return d.unexpected(tok)
		}
		var name string
		if err := json.Unmarshal(tok.raw, &name); err != nil {
			return d.unexpected(tok)
		}
		f := lookupField(fs, name)
		if f == nil {
			// etcd's gateway discards fields it does not know.
			if err := d.skipValue(); err != nil {
				return err
			}
			continue
		}
		if seen[f.index] {
			return d.errorAt(tok.pos, "duplicate field %s", tok.raw)
		}
		seen[f.index] = true
		if d.peek().kind == pjNull {
			// null leaves a field unset, a oneof's member included.
			d.read()
			continue
		}
		fv := v.Field(f.index)
		if fv.Kind() == reflect.Slice && fv.Type() != jbytesType {
			if err := d.list(fv, f); err != nil {
				return err
			}
			continue
		}
		if f.oneof != "" {
			if oneofs[f.oneof] {
				return d.errorAt(tok.pos, "error parsing %s, oneof %s is already set", tok.raw, f.oneof)
			}
			oneofs[f.oneof] = true
		}
		if err := d.singular(fv, f); err != nil {
			return err
		}
	}
}

// list reads an array into the slice fv.
func (d *pjDecoder) list(fv reflect.Value, f *pjField) error {
	tok := d.read()
	if tok.kind != '[' {
		return d.unexpected(tok)
	}
	elem := fv.Type().Elem()
	for {
		if d.peek().kind == ']' {
			d.read()
			return nil
		}
		e := reflect.New(elem).Elem()
		set, err := d.value(e, f)
		if err != nil {
			return err
		}
		if set {
			fv.Set(reflect.Append(fv, e))
		}
	}
}

// singular reads the value of a field that is not repeated into fv; a
// pointer is given a value only when the JSON sets one.
func (d *pjDecoder) singular(fv reflect.Value, f *pjField) error {
	if fv.Kind() != reflect.Pointer {
		_, err := d.value(fv, f)
		return err
	}
	e := reflect.New(fv.Type().Elem())
	set, err := d.value(e.Elem(), f)
	if err == nil && set {
		fv.Set(e)
	}
	return err
}

// value reads one value into v, a message or a scalar. It tells whether
// v was given one: an enum name protojson does not know leaves it unset.
func (d *pjDecoder) value(v reflect.Value, f *pjField) (bool, error) {
	if v.Kind() == reflect.Struct {
		return true, d.message(v)
	}
	if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct {
		e := reflect.New(v.Type().Elem())
		if err := d.message(e.Elem()); err != nil {
			return false, err
		}
		v.Set(e)
		return true, nil
	}
	tok := d.read()
	if tok.kind == pjBadUTF8 || tok.kind == pjEOF {
		return false, d.unexpected(tok)
	}
	kind, set, ok := scalarInto(v, tok)
	if !ok {
		return false, d.errorAt(tok.pos, "invalid value for %s field %s: %s", kind, f.json, tok.raw)
	}
	return set, nil
}

// pjEnum is a request enum: its value names, by number.
type pjEnum interface{ enumNames() []string }

var (
	jintType   = reflect.TypeFor[jint]()
	juintType  = reflect.TypeFor[juint]()
	jbytesType = reflect.TypeFor[jbytes]()
	enumType   = reflect.TypeFor[pjEnum]()
)

// scalarInto sets v from tok as protojson reads a scalar of v's kind. It
// returns the proto kind's name, whether v was set, and whether tok was
// a value of that kind at all.
func scalarInto(v reflect.Value, tok pjToken) (string, bool, bool) {
	t := v.Type()
	switch {
	case t == jintType:
		s, ok := intText(tok)
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil {
			return "int64", false, false
		}
		v.SetInt(n)
	case t == juintType:
		s, ok := intText(tok)
		n, err := strconv.ParseUint(s, 10, 64)
		if !ok || err != nil {
			return "uint64", false, false
		}
		v.SetUint(n)
	case t == jbytesType:
		b, ok := bytesValue(tok)
		if !ok {
			return "bytes", false, false
		}
		v.SetBytes(b)
	case t.Implements(enumType):
		n, set, ok := enumValue(tok, v.Interface().(pjEnum).enumNames())
		if !ok {
			return "enum", false, false
		}
		if !set {
			return "enum", false, true
		}
		v.SetInt(n)
	case t.Kind() == reflect.Bool:
		if tok.kind != pjBool {
			return "bool", false, false
		}
		v.SetBool(tok.raw[0] == 't')
	case t.Kind() == reflect.String:
		var s string
		if tok.kind != pjString || json.Unmarshal(tok.raw, &s) != nil {
			return "string", false, false
		}
		v.SetString(s)
	default:
		return t.Kind().String(), false, false
	}
	return "", true, true
}

// stringValue is the text of a string token.
func stringValue(tok pjToken) (string, bool) {
	var s string
	if tok.kind != pjString || json.Unmarshal(tok.raw, &s) != nil {
		return "", false
	}
	return s, true
}

var jsonNumber = regexp.MustCompile(`^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$`)

// intText is the decimal text of an integer given as a JSON number or as
// a string holding one. As in protojson, a fraction or an exponent is
// fine when the number is still whole (1.0, 1e2), and a string must not
// be padded with blanks.
func intText(tok pjToken) (string, bool) {
	text := string(tok.raw)
	if tok.kind == pjString {
		s, ok := stringValue(tok)
		if !ok || strings.TrimSpace(s) != s {
			return "", false
		}
		text = s
	} else if tok.kind != pjNumber {
		return "", false
	}
	m := jsonNumber.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	neg, intp, frac := m[1], strings.TrimLeft(m[2], "0"), strings.TrimRight(m[3], "0")
	if intp == "" && frac == "" {
		return "0", true
	}
	exp := 0
	if m[4] != "" {
		e, err := strconv.ParseInt(m[4], 10, 32)
		if err != nil {
			return "", false
		}
		exp = int(e)
	}
	var digits string
	if exp >= 0 {
		// The fraction's digits move into the integer part; any left
		// over make it no integer.
		if len(frac) > exp || len(intp)+exp > 20 {
			return "", false
		}
		digits = intp + frac + strings.Repeat("0", exp-len(frac))
	} else {
		cut := len(intp) + exp
		if len(frac) > 0 || cut < 0 || strings.Trim(intp[cut:], "0") != "" {
			return "", false
		}
		digits = intp[:cut]
	}
	if digits == "" {
		digits = "0"
	}
	return neg + digits, true
}

// bytesValue decodes base64, standard or URL-safe, padded or not.
func bytesValue(tok pjToken) ([]byte, bool) {
	s, ok := stringValue(tok)
	if !ok {
		return nil, false
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, false
	}
	if b == nil {
		b = []byte{}
	}
	return b, true
}

// enumValue reads an enum by name or number. A name it does not know
// leaves the field unset (set false): the gateway discards what it does
// not know.
func enumValue(tok pjToken, names []string) (n int64, set, ok bool) {
	switch tok.kind {
	case pjString:
		s, ok := stringValue(tok)
		if !ok {
			return 0, false, false
		}
		for i, name := range names {
			if name == s {
				return int64(i), true, true
			}
		}
		return 0, false, true
	case pjNumber:
		s, ok := intText(tok)
		if !ok {
			return 0, false, false
		}
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return 0, false, false
		}
		return v, true, true
	}
	return 0, false, false
}
