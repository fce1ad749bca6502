package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGenerate_upToDate regenerates the decoder from the repository's
// keys.go and compares it with the committed keys.generated.go, so a
// changed struct or generator without `go generate` fails here too.
func TestGenerate_upToDate(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	in := filepath.Join(root, "keys.go")
	src, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	m, err := loadModel(in, src, "Response")
	if err != nil {
		t.Fatalf("loadModel(keys.go) = %v", err)
	}
	got, err := generate(m, in)
	if err != nil {
		t.Fatalf("generate = %v", err)
	}
	again, err := generate(m, in)
	if err != nil || !bytes.Equal(got, again) {
		t.Fatalf("generate is not deterministic (err %v)", err)
	}
	want, err := os.ReadFile(filepath.Join(root, "keys.generated.go"))
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
	var names []string
	for _, st := range m.Structs {
		for _, f := range st.Fields {
			names = append(names, st.Name+"."+f.GoName+"="+f.JSONName)
		}
	}
	want := "R.A=a R.N=n R.Bare=Bare N.T=t N.Ns=ns N.U=u N.I=i"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("loadModel fields = %q, want %q", got, want)
	}
	if strings.Join(m.Slices, ",") != "L" || strings.Join(m.PtrElems, ",") != "N" || strings.Join(m.TimeNames, ",") != "t" {
		t.Errorf("loadModel = slices %v, pointer elems %v, time names %v; want [L] [N] [t]", m.Slices, m.PtrElems, m.TimeNames)
	}
	if _, err := generate(m, "p.go"); err != nil {
		t.Errorf("generate = %v", err)
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
