package clienttest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIntText(t *testing.T) {
	for _, tc := range []struct {
		tok  pjToken
		want string
		ok   bool
	}{
		{pjToken{kind: pjNumber, raw: []byte("12")}, "12", true},
		{pjToken{kind: pjNumber, raw: []byte("-7")}, "-7", true},
		{pjToken{kind: pjNumber, raw: []byte("1.0")}, "1", true},
		{pjToken{kind: pjNumber, raw: []byte("1e2")}, "100", true},
		{pjToken{kind: pjNumber, raw: []byte("1.5E+1")}, "15", true},
		{pjToken{kind: pjNumber, raw: []byte("100e-2")}, "1", true},
		{pjToken{kind: pjNumber, raw: []byte("0.0")}, "0", true},
		{pjToken{kind: pjNumber, raw: []byte("1.5")}, "", false},
		{pjToken{kind: pjNumber, raw: []byte("150e-2")}, "", false},
		{pjToken{kind: pjNumber, raw: []byte("1e30")}, "", false},
		{pjToken{kind: pjString, raw: []byte(`"42"`)}, "42", true},
		{pjToken{kind: pjString, raw: []byte(`"4.2e1"`)}, "42", true},
		{pjToken{kind: pjString, raw: []byte(`" 42"`)}, "", false},
		{pjToken{kind: pjString, raw: []byte(`"many"`)}, "", false},
		{pjToken{kind: pjString, raw: []byte(`"01"`)}, "", false},
		{pjToken{kind: pjBool, raw: []byte("true")}, "", false},
	} {
		got, ok := intText(tc.tok)
		assert.Equal(t, tc.ok, ok, "%s", tc.tok.raw)
		assert.Equal(t, tc.want, got, "%s", tc.tok.raw)
	}
}

func TestProtoJSONNames(t *testing.T) {
	assert.Equal(t, "rangeEnd", protoJSONName("range_end"))
	assert.Equal(t, "minModRevision", protoJSONName("min_mod_revision"))
	assert.Equal(t, "ID", protoJSONName("ID"))
	assert.Equal(t, "peerURLs", protoJSONName("peerURLs"))
}

func TestDecodeGatewayBody(t *testing.T) {
	t.Run("both names, enums, unknown fields, trailing text", func(t *testing.T) {
		var r rangeRequest
		empty, err := decodeGatewayBody([]byte(` {"key":"YQ","rangeEnd":"Yg==","sort_order":2,"sortTarget":"MOD","nosuch":{"a":[1,{"b":"}"}]},"limit":"3"} {"key":1} junk`), &r)
		require.NoError(t, err)
		assert.False(t, empty)
		assert.Equal(t, "a", string(r.Key))
		assert.Equal(t, "b", string(r.RangeEnd))
		assert.Equal(t, sortDescend, r.SortOrder)
		assert.Equal(t, sortByMod, r.SortTarget)
		assert.Equal(t, jint(3), r.Limit)
	})
	t.Run("empty bodies", func(t *testing.T) {
		for _, b := range []string{"", " \n\t"} {
			var r putRequest
			empty, err := decodeGatewayBody([]byte(b), &r)
			require.NoError(t, err)
			assert.True(t, empty, "%q", b)
		}
	})
	t.Run("unknown enum names and nulls leave fields unset", func(t *testing.T) {
		var w watchRequest
		require.NoError(t, unmarshalProtoJSON([]byte(`{"create_request":{"key":null,"filters":["NODELETE","SIDEWAYS",0],"watchId":"7"},"cancel_request":null}`), &w))
		require.NotNil(t, w.Create)
		assert.Nil(t, w.Cancel)
		assert.Nil(t, w.Create.Key)
		assert.Equal(t, []filterType{filterNoDelete, filterNoPut}, w.Create.Filters)
		assert.Equal(t, jint(7), w.Create.WatchID)

		var c v3Compare
		require.NoError(t, unmarshalProtoJSON([]byte(`{"version":null,"mod_revision":"4","target":"COLOUR"}`), &c))
		assert.Nil(t, c.Version)
		require.NotNil(t, c.ModRevision)
		assert.Equal(t, jint(4), *c.ModRevision)
		assert.Equal(t, cmpVersion, c.Target)
	})
	for _, tc := range []struct {
		name, body, want string
		v                any
	}{
		{"json syntax", `{"key":`, "unexpected EOF", &putRequest{}},
		{"null document", `null`, "proto: syntax error (line 1:1): unexpected token null", &putRequest{}},
		{"array document", `[]`, "proto: syntax error (line 1:1): unexpected token [", &txnRequest{}},
		{"duplicate by two names", `{"prevKv":true,"prev_kv":false}`, `proto: (line 1:16): duplicate field "prev_kv"`, &putRequest{}},
		{"bool as a string", `{"count_only":"true"}`, `proto: (line 1:15): invalid value for bool field countOnly: "true"`, &rangeRequest{}},
		{"line and column", "{\n  \"key\": \"YQ==\",\n  \"limit\": 1.5\n}", `proto: (line 3:12): invalid value for int64 field limit: 1.5`, &rangeRequest{}},
		{"uint64 negative", `{"ID":-1}`, `proto: (line 1:7): invalid value for uint64 field ID: -1`, &memberRemoveRequest{}},
		{"enum out of int32", `{"sort_order":4294967296}`, `proto: (line 1:15): invalid value for enum field sortOrder: 4294967296`, &rangeRequest{}},
		{"string list item", `{"peerURLs":["http://a",1]}`, `proto: (line 1:25): invalid value for string field peerURLs: 1`, &memberAddRequest{}},
		{"message given a number", `{"success":[{"request_put":5}]}`, `proto: syntax error (line 1:28): unexpected token 5`, &txnRequest{}},
		{"list given an object", `{"compare":{}}`, `proto: syntax error (line 1:12): unexpected token {`, &txnRequest{}},
		{"second oneof member", `{"compare":[{"key":"YQ==","version":"1","mod_revision":"2"}]}`,
			`proto: (line 1:41): error parsing "mod_revision", oneof etcdserverpb.Compare.target_union is already set`, &txnRequest{}},
		{"second op in a request op", `{"success":[{"request_put":{},"requestRange":{}}]}`,
			`proto: (line 1:31): error parsing "requestRange", oneof etcdserverpb.RequestOp.request is already set`, &txnRequest{}},
		{"a field of another request", `{"ID":"5","keys":"yes","ID":"6"}`, `proto: (line 1:24): duplicate field "ID"`, &leaseIDRequest{}},
		{"columns count runes", `{"nosuch":"é","key":"é"}`, `proto: (line 1:21): invalid value for bytes field key: "é"`, &putRequest{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeGatewayBody([]byte(tc.body), tc.v)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}
