package schema

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Break is one way data written with one type would be misread by another.
type Break struct {
	Path string // field path in the reading type, with numbers: "customer(3).email(3)"
	Msg  string
}

func (b Break) String() string { return b.Path + ": " + b.Msg }

// Breaks is the readable diff of an incompatible pair.
type Breaks []Break

func (bs Breaks) Error() string {
	lines := make([]string, len(bs))
	for i, b := range bs {
		lines[i] = "  - " + b.String()
	}
	return "incompatible schemas:\n" + strings.Join(lines, "\n")
}

// Check reports what breaks when bytes written as `writer` are read as
// `reader` (the rules are in docs/schemas.md). No breaks means every
// message of writer decodes as reader with the same meaning.
func Check(writer, reader protoreflect.MessageDescriptor) Breaks {
	c := &checker{seen: map[[2]protoreflect.FullName]bool{}}
	c.message(writer, reader, "")
	sort.SliceStable(c.breaks, func(i, j int) bool { return c.breaks[i].Path < c.breaks[j].Path })
	return c.breaks
}

type checker struct {
	breaks Breaks
	seen   map[[2]protoreflect.FullName]bool // recursion guard
}

func (c *checker) add(path, format string, args ...any) {
	c.breaks = append(c.breaks, Break{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) message(w, r protoreflect.MessageDescriptor, prefix string) {
	key := [2]protoreflect.FullName{w.FullName(), r.FullName()}
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	wf, rf := w.Fields(), r.Fields()
	for i := 0; i < rf.Len(); i++ {
		f := rf.Get(i)
		path := fmt.Sprintf("%s%s(%d)", prefix, f.Name(), f.Number())
		g := wf.ByNumber(f.Number())
		if g == nil {
			if f.Cardinality() == protoreflect.Required {
				c.add(path, "required by the reader, never written by the writer")
			}
			continue // the reader sees the default value
		}
		c.field(g, f, path)
	}
}

func (c *checker) field(w, r protoreflect.FieldDescriptor, path string) {
	switch {
	case w.IsMap() != r.IsMap():
		c.add(path, "map %s vs %s", describe(w), describe(r))
		return
	case w.IsMap():
		c.field(w.MapKey(), r.MapKey(), path+"[key]")
		c.field(w.MapValue(), r.MapValue(), path+"[value]")
		return
	case w.IsList() != r.IsList():
		c.add(path, "cardinality changed: written %s, read %s", describe(w), describe(r))
		return
	}
	c.kind(w, r, path)
}

func (c *checker) kind(w, r protoreflect.FieldDescriptor, path string) {
	wk, rk := w.Kind(), r.Kind()
	switch {
	case wk == rk && (wk == protoreflect.MessageKind || wk == protoreflect.GroupKind):
		c.message(w.Message(), r.Message(), path+".")
	case wk == rk && wk == protoreflect.EnumKind:
		c.enum(w.Enum(), r.Enum(), path)
	case wk == rk:
	case compatibleKinds(wk, rk):
	default:
		c.add(path, "type changed: written %s, read %s", describe(w), describe(r))
	}
}

// compatibleKinds are different kinds that read each other's bytes with the
// same meaning for every value the writer can produce.
func compatibleKinds(w, r protoreflect.Kind) bool {
	widen := map[[2]protoreflect.Kind]bool{
		{protoreflect.Int32Kind, protoreflect.Int64Kind}:   true,
		{protoreflect.Uint32Kind, protoreflect.Uint64Kind}: true,
		{protoreflect.Sint32Kind, protoreflect.Sint64Kind}: true,
		{protoreflect.StringKind, protoreflect.BytesKind}:  true,
	}
	return widen[[2]protoreflect.Kind{w, r}]
}

func (c *checker) enum(w, r protoreflect.EnumDescriptor, path string) {
	wv, rv := w.Values(), r.Values()
	for i := 0; i < wv.Len(); i++ {
		v := wv.Get(i)
		got := rv.ByNumber(v.Number())
		switch {
		case got == nil:
			c.add(path, "enum value %s = %d is written but unknown to the reader", v.Name(), v.Number())
		case got.Name() != v.Name():
			c.add(path, "enum value %d is %s when written, %s when read", v.Number(), v.Name(), got.Name())
		}
	}
}

func describe(f protoreflect.FieldDescriptor) string {
	s := f.Kind().String()
	switch {
	case f.IsMap():
		return fmt.Sprintf("map<%s, %s>", describe(f.MapKey()), describe(f.MapValue()))
	case f.Message() != nil:
		s = string(f.Message().FullName())
	case f.Enum() != nil:
		s = string(f.Enum().FullName())
	}
	if f.IsList() {
		return "repeated " + s
	}
	return s
}
