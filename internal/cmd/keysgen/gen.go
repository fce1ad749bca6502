package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"go/format"
	"path/filepath"
	"text/template"
)

// decoderTemplate is the decoder's source with the model left open. What
// does not depend on the model is ordinary code in the target package
// and is not in it.
//
//go:embed decoder.go.tmpl
var decoderTemplate string

var decoderTmpl = template.Must(template.New("decoder").Funcs(template.FuncMap{
	"zero": zeroOf,
	"fail": func(msg string, v any) (string, error) {
		return "", fmt.Errorf("%s: %v", msg, v)
	},
}).Parse(decoderTemplate))

// names are the identifiers of the generated code that its callers use.
type names struct {
	Func    string // the entry point, func(body []byte, res *Root) error
	Decoder string // the decoder's state type
}

// defaultNames are the names the keys API's callers use.
var defaultNames = names{Func: "decodeKeysResponseBody", Decoder: "keysDecoder"}

// templateData is what the template is executed with.
type templateData struct {
	*model
	names
	Source         string      // base name of the file the model comes from
	RootType       *structType // the root struct
	TimesPerStruct int         // the most time fields of one struct
}

// generate writes the decoder for m, read from the file in, as gofmt'ed
// Go source.
func generate(m *model, in string, n names) ([]byte, error) {
	root := m.structNamed(m.Root)
	if root == nil {
		return nil, fmt.Errorf("root type %s is not in the model", m.Root)
	}
	if n.Func == "" || n.Decoder == "" {
		return nil, errors.New("the names of the entry point and the decoder type must be given")
	}
	data := templateData{
		model:          m,
		names:          n,
		Source:         filepath.Base(in),
		RootType:       root,
		TimesPerStruct: timeFieldsPerStruct(m),
	}
	var buf bytes.Buffer
	if err := decoderTmpl.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("executing the template: %w", err)
	}
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated code: %w\n%s", err, buf.Bytes())
	}
	return out, nil
}

// zeroOf is the Go zero value of f's type, as an expression.
func zeroOf(f field) string {
	switch f.Kind {
	case kindString:
		return `""`
	case kindBool:
		return "false"
	case kindUint64, kindInt64:
		return "0"
	}
	return "nil"
}

// timeFieldsPerStruct is the largest number of time fields of one struct.
func timeFieldsPerStruct(m *model) int {
	most := 0
	for _, st := range m.Structs {
		n := 0
		for _, f := range st.Fields {
			if f.Kind == kindTimePtr {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}
