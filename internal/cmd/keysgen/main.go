// Command keysgen writes the JSON decoder for the keys API's Response,
// Node and Nodes types. It reads their definitions (field names, types and
// json tags) from the Go source named by -in and writes -out, a file of the
// same package that defines decodeKeysResponseBody.
//
// The decoder it writes is structural only: for each struct, which field a
// key or array position goes to and how that field's kind is read. The
// byte-level rules live in the hand-written scanner jsonscan.go, so a change
// of field set only needs `go generate`, and a fix of a decoding rule needs
// no regeneration. It uses the standard library only, like the output.
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
	code, err := generate(m, *in)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(fmt.Errorf("writing output: %w", err))
	}
}
