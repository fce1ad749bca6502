// Command keysgen writes the JSON decoder for the keys API's Response,
// Node and Nodes types. It reads their definitions (field names, types and
// json tags) from the Go source named by -in and writes -out, a file of the
// same package that defines decodeKeysResponseBody.
//
// The decoder it writes holds only what depends on those types: for each
// struct, which field a key or array position goes to and how that field's
// kind is read, and the slabs of each type. It is executed from the
// template decoder.go.tmpl. Everything else is ordinary code of the target
// package: the byte-level rules in the scanner (jsonscan*.go), the passes
// over a body and the slab allocation (decode_runtime.go). So a change of
// field set only needs `go generate`, and a fix of a decoding rule or a
// tuning of the slabs needs no regeneration. It uses the standard library
// only, like the output.
//
// Usage (from the //go:generate line in keys.go):
//
//	go run ./internal/cmd/keysgen -in keys.go -out keys.generated.go
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
)

func main() {
	in := flag.String("in", "keys.go", "Go source file that defines the types")
	out := flag.String("out", "keys.generated.go", "file to write")
	root := flag.String("root", "Response", "struct type the body decodes into")
	fn := flag.String("func", defaultNames.Func, "name of the decoding function to write")
	decoder := flag.String("decoder", defaultNames.Decoder, "name of the decoder state type to write")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("keysgen: ")

	src, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	m, err := loadModel(*in, src, *root)
	if err != nil {
		log.Fatal(err)
	}
	code, err := generate(m, *in, names{Func: *fn, Decoder: *decoder})
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(fmt.Errorf("writing output: %w", err))
	}
}
