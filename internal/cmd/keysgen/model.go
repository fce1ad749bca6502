package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
)

// kind is how a field is decoded. The template tells kinds apart by
// these names.
type kind string

const (
	kindString    kind = "string"
	kindBool      kind = "bool"
	kindUint64    kind = "uint64"
	kindInt64     kind = "int64"
	kindTimePtr   kind = "time pointer"      // *time.Time
	kindStructPtr kind = "struct pointer"    // *T for a struct T of the model
	kindSlicePtr  kind = "slice of pointers" // a named slice type of *T for a struct T of the model
)

// field is one decoded field of a struct.
type field struct {
	GoName   string
	JSONName string
	Kind     kind
	Elem     string // the struct T for kindStructPtr and kindSlicePtr
	Slice    string // the named slice type for kindSlicePtr
}

// structType is a struct of the model with its decoded fields in source
// order (the order an array form uses).
type structType struct {
	Name   string
	Fields []field
}

// sliceType is a named slice type of pointers to a struct of the model.
type sliceType struct {
	Name string
	Elem string
}

// model is everything the generator needs: the package, the root struct
// and every struct and named slice reachable from it, in a stable order.
type model struct {
	Package   string
	Root      string
	Structs   []*structType // root first, then in order of discovery
	PtrElems  []string      // structs allocated through pointers, in order
	Slices    []sliceType   // named slice types, in order
	TimeNames []string      // json names of *time.Time fields, in order
}

func (m *model) structNamed(name string) *structType {
	for _, st := range m.Structs {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// loadModel parses src and builds the model of root and its dependencies.
func loadModel(filename string, src []byte, root string) (*model, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	specs := map[string]*ast.TypeSpec{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			specs[ts.Name.Name] = ts
		}
	}
	m := &model{Package: f.Name.Name, Root: root}
	seenTime := map[string]bool{}
	queue := []string{root}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if m.structNamed(name) != nil {
			continue
		}
		ts, ok := specs[name]
		if !ok {
			return nil, fmt.Errorf("type %s is not defined in %s", name, filename)
		}
		stx, ok := ts.Type.(*ast.StructType)
		if !ok {
			return nil, fmt.Errorf("type %s is not a struct", name)
		}
		st := &structType{Name: name}
		m.Structs = append(m.Structs, st)
		for _, fl := range stx.Fields.List {
			if len(fl.Names) == 0 {
				return nil, fmt.Errorf("%s: embedded fields are not supported", name)
			}
			jsonName, skip := tagName(fl)
			for _, id := range fl.Names {
				if !id.IsExported() || skip {
					continue
				}
				fd := field{GoName: id.Name, JSONName: jsonName}
				if fd.JSONName == "" {
					fd.JSONName = id.Name
				}
				if err := classify(&fd, fl.Type, specs); err != nil {
					return nil, fmt.Errorf("%s.%s: %w", name, id.Name, err)
				}
				switch fd.Kind {
				case kindStructPtr, kindSlicePtr:
					queue = append(queue, fd.Elem)
					if !contains(m.PtrElems, fd.Elem) {
						m.PtrElems = append(m.PtrElems, fd.Elem)
					}
					if fd.Kind == kindSlicePtr && !m.hasSlice(fd.Slice) {
						m.Slices = append(m.Slices, sliceType{Name: fd.Slice, Elem: fd.Elem})
					}
				case kindTimePtr:
					if !seenTime[fd.JSONName] {
						seenTime[fd.JSONName] = true
						m.TimeNames = append(m.TimeNames, fd.JSONName)
					}
				}
				st.Fields = append(st.Fields, fd)
			}
		}
	}
	return m, nil
}

func (m *model) hasSlice(name string) bool {
	for _, sl := range m.Slices {
		if sl.Name == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// tagName returns the json name of a field and whether the field is left
// out (json:"-").
func tagName(fl *ast.Field) (name string, skip bool) {
	if fl.Tag == nil {
		return "", false
	}
	tag := reflect.StructTag(strings.Trim(fl.Tag.Value, "`"))
	v, ok := tag.Lookup("json")
	if !ok {
		return "", false
	}
	if v == "-" {
		return "", true
	}
	name, _, _ = strings.Cut(v, ",")
	return name, false
}

// classify sets the kind of fd from its type expression.
func classify(fd *field, expr ast.Expr, specs map[string]*ast.TypeSpec) error {
	switch t := expr.(type) {
	case *ast.Ident:
		switch t.Name {
		case "string":
			fd.Kind = kindString
			return nil
		case "bool":
			fd.Kind = kindBool
			return nil
		case "uint64":
			fd.Kind = kindUint64
			return nil
		case "int64":
			fd.Kind = kindInt64
			return nil
		}
		ts, ok := specs[t.Name]
		if !ok {
			return fmt.Errorf("unsupported type %s", t.Name)
		}
		arr, ok := ts.Type.(*ast.ArrayType)
		if !ok || arr.Len != nil {
			return fmt.Errorf("unsupported type %s", t.Name)
		}
		star, ok := arr.Elt.(*ast.StarExpr)
		if !ok {
			return fmt.Errorf("slice type %s: only slices of pointers to structs are supported", t.Name)
		}
		elem, ok := star.X.(*ast.Ident)
		if !ok || !isStruct(specs, elem.Name) {
			return fmt.Errorf("slice type %s: only slices of pointers to structs are supported", t.Name)
		}
		fd.Kind, fd.Elem, fd.Slice = kindSlicePtr, elem.Name, t.Name
		return nil
	case *ast.StarExpr:
		switch x := t.X.(type) {
		case *ast.SelectorExpr:
			if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "time" && x.Sel.Name == "Time" {
				fd.Kind = kindTimePtr
				return nil
			}
		case *ast.Ident:
			if isStruct(specs, x.Name) {
				fd.Kind, fd.Elem = kindStructPtr, x.Name
				return nil
			}
		}
	}
	return fmt.Errorf("unsupported field type %T", expr)
}

func isStruct(specs map[string]*ast.TypeSpec, name string) bool {
	ts, ok := specs[name]
	if !ok {
		return false
	}
	_, ok = ts.Type.(*ast.StructType)
	return ok
}
