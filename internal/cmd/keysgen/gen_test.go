package main

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the root package's directory, which holds keys.go, the
// committed output and the hand-written code the output runs on.
var repoRoot = filepath.Join("..", "..", "..")

// TestGenerate_upToDate regenerates the decoder from the repository's
// keys.go and compares it with the committed keys.generated.go, so a
// changed struct, template or generator without `go generate` fails here
// too. It also checks that the output is stable and gofmt'ed.
func TestGenerate_upToDate(t *testing.T) {
	in := filepath.Join(repoRoot, "keys.go")
	src, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	m, err := loadModel(in, src, "Response")
	if err != nil {
		t.Fatalf("loadModel(keys.go) = %v", err)
	}
	got, err := generate(m, in, defaultNames)
	if err != nil {
		t.Fatalf("generate = %v", err)
	}
	again, err := generate(m, in, defaultNames)
	if err != nil || !bytes.Equal(got, again) {
		t.Fatalf("generate is not deterministic (err %v)", err)
	}
	if formatted, err := format.Source(got); err != nil || !bytes.Equal(formatted, got) {
		t.Errorf("generated code is not gofmt'ed (err %v)", err)
	}
	want, err := os.ReadFile(filepath.Join(repoRoot, "keys.generated.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("keys.generated.go is stale: run `go generate` in the repository root")
	}
	lines := strings.SplitN(string(got), "\n", 3)
	if !regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`).MatchString(lines[0]) {
		t.Errorf("first line = %q, want the standard generated-code header", lines[0])
	}
	if !strings.Contains(lines[1], "go generate") {
		t.Errorf("second line = %q, want the command that regenerates the file", lines[1])
	}
}

// docModel is a model unlike keys.go's: a root with a time and a field
// left out, two slice types, a struct reached both by pointer and through
// a list, and a struct with two times.
const docModel = `package client

import "time"

type Doc struct {
	Title   string     ` + "`json:\"title\"`" + `
	Meta    *Meta      ` + "`json:\"meta\"`" + `
	Items   Items      ` + "`json:\"items\"`" + `
	Created *time.Time ` + "`json:\"created\"`" + `
	Local   int        ` + "`json:\"-\"`" + `
}

type Meta struct {
	Seen  bool       ` + "`json:\"seen\"`" + `
	Count int64      ` + "`json:\"count\"`" + `
	Tags  Tags       ` + "`json:\"tags\"`" + `
	Start *time.Time ` + "`json:\"start\"`" + `
	End   *time.Time ` + "`json:\"end\"`" + `
}

type Item struct {
	ID       uint64 ` + "`json:\"id\"`" + `
	Meta     *Meta  ` + "`json:\"meta\"`" + `
	Children Items  ` + "`json:\"children\"`" + `
}

type Items []*Item

type Tags []*Meta
`

// docDecodeTest runs in the package built from docModel, its generated
// decoder and the repository's hand-written decoder code.
const docDecodeTest = `package client

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// Bodies on which ugorji and encoding/json agree.
func TestDecodeDoc_likeEncodingJSON(t *testing.T) {
	for _, body := range []string{
		` + "`{}`" + `,
		` + "`" + `{"title":"t\u00e9","meta":{"seen":true,"count":-3,"tags":[{"count":1},null,{"seen":false,"tags":[]}],"start":"2026-01-02T03:04:05Z","end":"2026-01-02T03:04:05.5Z"},"items":[{"id":7,"children":[]},{"id":18446744073709551615,"meta":{},"children":[{"id":1},null]}],"created":null,"other":[1,{"x":"y"}]}` + "`" + `,
		` + "`" + `{"items":[],"meta":null,"title":null,"created":"2000-02-29T23:59:59+01:00"}` + "`" + `,
	} {
		var got, want Doc
		if err := decodeDoc([]byte(body), &got); err != nil {
			t.Fatalf("decodeDoc(%s) = %v", body, err)
		}
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeDoc(%s) = %+v, want %+v", body, got, want)
		}
	}
}

// ugorji's leniencies: an array for a struct, a quoted number, a time in
// seconds.
func TestDecodeDoc_arrayForm(t *testing.T) {
	var got Doc
	body := ` + "`" + `["t",[true,"12"],[[3],null],1700000000]` + "`" + `
	if err := decodeDoc([]byte(body), &got); err != nil {
		t.Fatalf("decodeDoc(%s) = %v", body, err)
	}
	created := time.Unix(1700000000, 0)
	want := Doc{Title: "t", Meta: &Meta{Seen: true, Count: 12}, Items: Items{{ID: 3}, nil}, Created: &created}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeDoc(%s) = %+v, want %+v", body, got, want)
	}
}

func TestDecodeDoc_nullAndInvalid(t *testing.T) {
	v := Doc{Title: "keep", Items: Items{}, Local: 5}
	if err := decodeDoc([]byte(` + "`" + `{"title":"x",}` + "`" + `), &v); err != ErrInvalidJSON {
		t.Errorf("decodeDoc(invalid) = %v, want ErrInvalidJSON", err)
	}
	if v.Title != "keep" || v.Items == nil || v.Local != 5 {
		t.Errorf("decodeDoc(invalid) changed the value to %+v", v)
	}
	if err := decodeDoc([]byte(" null "), &v); err != nil {
		t.Fatalf("decodeDoc(null) = %v", err)
	}
	if want := (Doc{Local: 5}); !reflect.DeepEqual(v, want) {
		t.Errorf("decodeDoc(null) = %+v, want %+v (the json:\"-\" field kept)", v, want)
	}
}
`

// TestGenerate_compilesAndDecodes generates the decoder of another model,
// builds it together with the repository's hand-written scanner and
// decoder runtime in a scratch module, and runs tests of its decoding
// there. It shows that the template is complete (what it leaves out
// really is model-independent code that exists) and that the runtime
// needs nothing of the package but ErrInvalidJSON.
func TestGenerate_compilesAndDecodes(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the generated code: %v", err)
	}
	m, err := loadModel("doc.go", []byte(docModel), "Doc")
	if err != nil {
		t.Fatalf("loadModel = %v", err)
	}
	code, err := generate(m, "doc.go", names{Func: "decodeDoc", Decoder: "docDecoder"})
	if err != nil {
		t.Fatalf("generate = %v", err)
	}

	dir := t.TempDir()
	files := map[string]string{
		"go.mod":             "module example.com/keysgencheck\n\ngo " + goVersion(t) + "\n",
		"doc.go":             docModel,
		"doc.generated.go":   string(code),
		"errors.go":          "package client\n\nimport \"errors\"\n\nvar ErrInvalidJSON = errors.New(\"invalid json\")\n",
		"doc_decode_test.go": docDecodeTest,
	}
	runtimeFiles, err := filepath.Glob(filepath.Join(repoRoot, "jsonscan*.go"))
	if err != nil {
		t.Fatal(err)
	}
	runtimeFiles = append(runtimeFiles, filepath.Join(repoRoot, "decode_runtime.go"))
	for _, path := range runtimeFiles {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(path)] = string(b)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(goBin, "test", "-count=1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test of the generated decoder: %v\n%s", err, out)
	}
}

// goVersion is the go directive of the repository's go.mod, so the scratch
// module allows the same language features.
func goVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	match := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(b)
	if match == nil {
		t.Fatal("no go directive in go.mod")
	}
	return string(match[1])
}

func TestGenerate_errors(t *testing.T) {
	m, err := loadModel("doc.go", []byte(docModel), "Doc")
	if err != nil {
		t.Fatalf("loadModel = %v", err)
	}
	if _, err := generate(m, "doc.go", names{Func: "decodeDoc"}); err == nil {
		t.Error("generate without a decoder type name = nil error, want one")
	}
	bad := *m
	bad.Root = "Missing"
	if _, err := generate(&bad, "doc.go", defaultNames); err == nil {
		t.Error("generate with an unknown root = nil error, want one")
	}
	// A kind the template does not know must stop it, not be left out.
	bad = *m
	bad.Structs = []*structType{{Name: "Doc", Fields: []field{{GoName: "F", JSONName: "f", Kind: "float64"}}}}
	if _, err := generate(&bad, "doc.go", defaultNames); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("generate with an unknown kind = %v, want an unknown kind error", err)
	}
}

func TestLoadModel(t *testing.T) {
	const src = `package p

import "time"

type R struct {
	A   string ` + "`json:\"a\"`" + `
	N   *N     ` + "`json:\"n,omitempty\"`" + `
	Skip int   ` + "`json:\"-\"`" + `
	Bare bool
	private string
}

type N struct {
	T  *time.Time ` + "`json:\"t\"`" + `
	Ns L          ` + "`json:\"ns\"`" + `
	U  uint64     ` + "`json:\"u\"`" + `
	I  int64      ` + "`json:\"i\"`" + `
}

type L []*N
`
	m, err := loadModel("p.go", []byte(src), "R")
	if err != nil {
		t.Fatalf("loadModel = %v", err)
	}
	var fields []string
	for _, st := range m.Structs {
		for _, f := range st.Fields {
			fields = append(fields, st.Name+"."+f.GoName+"="+f.JSONName+":"+string(f.Kind))
		}
	}
	want := "R.A=a:string R.N=n:struct pointer R.Bare=Bare:bool N.T=t:time pointer N.Ns=ns:slice of pointers N.U=u:uint64 N.I=i:int64"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("loadModel fields = %q, want %q", got, want)
	}
	if m.Package != "p" || len(m.Slices) != 1 || m.Slices[0] != (sliceType{"L", "N"}) || strings.Join(m.PtrElems, ",") != "N" || strings.Join(m.TimeNames, ",") != "t" {
		t.Errorf("loadModel = package %q, slices %v, pointer elems %v, time names %v; want p [{L N}] [N] [t]", m.Package, m.Slices, m.PtrElems, m.TimeNames)
	}
	code, err := generate(m, "p.go", defaultNames)
	if err != nil {
		t.Fatalf("generate = %v", err)
	}
	if !bytes.Contains(code, []byte("\npackage p\n")) {
		t.Errorf("generate wrote code for another package than the model's:\n%s", code)
	}
}

func TestLoadModel_unsupported(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"float", "package p\ntype R struct{ F float64 }"},
		{"map", "package p\ntype R struct{ M map[string]string }"},
		{"slice_of_values", "package p\ntype R struct{ S S }\ntype S []string"},
		{"embedded", "package p\ntype R struct{ E }\ntype E struct{}"},
		{"missing_root", "package p\ntype X struct{}"},
		{"root_not_struct", "package p\ntype R int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := loadModel("p.go", []byte(tc.src), "R"); err == nil {
				t.Errorf("loadModel(%q) = nil error, want one", tc.src)
			}
		})
	}
}
