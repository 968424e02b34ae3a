package schema

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// fieldRules are the buf.validate rules of one field the transcoder
// evaluates itself: the standard rules with a plain meaning. A field with
// any other rule (CEL, ignore, well-known formats but email, predefined
// extensions) makes its type fall back to protovalidate, decided at load.
//
// A compiled rule may be stricter than protovalidate but never laxer: a
// record it rejects is handed to the protovalidate path, which has the
// last word and writes the error.
type fieldRules struct {
	required           bool
	minItems, maxItems *uint64
	str                *stringRules
	num                *numberRules
	definedOnly        bool
}

type stringRules struct {
	minLen, maxLen, minBytes, maxBytes *uint64
	prefix, suffix, contains           *string
	pattern                            *regexp.Regexp
	email                              bool
}

// numberRules hold the bounds as float64 for floats and as int64 or
// uint64 for integers (by the field's kind).
type numberRules struct {
	lo, hi         *float64
	loI, hiI       *int64
	loU, hiU       *uint64
	loOpen, hiOpen bool // gt / lt rather than gte / lte
}

var (
	stringRuleNames = set("min_len", "max_len", "len", "min_bytes", "max_bytes", "len_bytes",
		"prefix", "suffix", "contains", "pattern", "email", "example")
	numberRuleNames = set("gt", "gte", "lt", "lte", "example")
)

func set(names ...string) map[protoreflect.Name]bool {
	m := map[protoreflect.Name]bool{}
	for _, n := range names {
		m[protoreflect.Name(n)] = true
	}
	return m
}

// readRules returns the field's buf.validate rules, or nil. Options from
// protocompile carry the extension as unknown bytes until re-read with
// the generated types registered (compile.go imports them).
func readRules(fd protoreflect.FieldDescriptor) (*validate.FieldRules, error) {
	opts, ok := fd.Options().(*descriptorpb.FieldOptions)
	if !ok || opts == nil {
		return nil, nil
	}
	raw, err := proto.Marshal(opts)
	if err != nil {
		return nil, err
	}
	again := &descriptorpb.FieldOptions{}
	if err := (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(raw, again); err != nil {
		return nil, err
	}
	if !proto.HasExtension(again, validate.E_Field) {
		return nil, nil
	}
	return proto.GetExtension(again, validate.E_Field).(*validate.FieldRules), nil
}

func compileRules(fd protoreflect.FieldDescriptor) (*fieldRules, error) {
	fr, err := readRules(fd)
	if err != nil || fr == nil {
		return nil, err
	}
	out := &fieldRules{}
	var typed protoreflect.Message
	var bad error
	fr.ProtoReflect().Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.Name() == "required":
			out.required = v.Bool()
		case f.ContainingOneof() != nil && f.ContainingOneof().Name() == "type" && f.Message() != nil:
			typed = v.Message()
		default:
			bad = notSupported("field %s: rule %s", fd.FullName(), f.Name())
		}
		return bad == nil
	})
	if bad != nil {
		return nil, bad
	}
	if typed != nil {
		if err := out.typed(fd, typed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// typed compiles the rules of the field's type (string, int32, …).
func (r *fieldRules) typed(fd protoreflect.FieldDescriptor, m protoreflect.Message) error {
	if len(m.GetUnknown()) > 0 {
		return notSupported("field %s: predefined rules", fd.FullName())
	}
	name := m.Descriptor().Name()
	switch {
	case name == "RepeatedRules" && fd.IsList():
		return r.repeated(fd, m)
	case name == "StringRules" && !fd.IsList() && fd.Kind() == protoreflect.StringKind:
		return r.strings(fd, m)
	case name == "EnumRules" && !fd.IsList():
		return r.enumRules(fd, m)
	case isNumberRules(name) && !fd.IsList():
		return r.numbers(fd, m)
	}
	return notSupported("field %s: %s", fd.FullName(), name)
}

func isNumberRules(name protoreflect.Name) bool {
	switch name {
	case "Int32Rules", "Int64Rules", "SInt32Rules", "SInt64Rules", "SFixed32Rules", "SFixed64Rules",
		"UInt32Rules", "UInt64Rules", "Fixed32Rules", "Fixed64Rules", "FloatRules", "DoubleRules":
		return true
	}
	return false
}

func (r *fieldRules) repeated(fd protoreflect.FieldDescriptor, m protoreflect.Message) error {
	var bad error
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		n := v.Uint()
		switch f.Name() {
		case "min_items":
			r.minItems = &n
		case "max_items":
			r.maxItems = &n
		default:
			bad = notSupported("field %s: repeated rule %s", fd.FullName(), f.Name())
		}
		return bad == nil
	})
	return bad
}

func (r *fieldRules) enumRules(fd protoreflect.FieldDescriptor, m protoreflect.Message) error {
	var bad error
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.Name() == "defined_only" && v.Bool():
			r.definedOnly = true
		case f.Name() != "example":
			bad = notSupported("field %s: enum rule %s", fd.FullName(), f.Name())
		}
		return bad == nil
	})
	return bad
}

func (r *fieldRules) strings(fd protoreflect.FieldDescriptor, m protoreflect.Message) error {
	s := &stringRules{}
	r.str = s
	var bad error
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if f.IsExtension() || !stringRuleNames[f.Name()] {
			bad = notSupported("field %s: string rule %s", fd.FullName(), f.Name())
			return false
		}
		bad = s.set(f.Name(), v)
		if bad != nil {
			bad = notSupported("field %s: string rule %s: %v", fd.FullName(), f.Name(), bad)
		}
		return bad == nil
	})
	return bad
}

func (s *stringRules) set(name protoreflect.Name, v protoreflect.Value) error {
	n, str := uint64(0), ""
	switch name {
	case "pattern", "prefix", "suffix", "contains":
		str = v.String()
	case "email":
		if !v.Bool() {
			return notSupported("email = false")
		}
	case "example":
	default:
		n = v.Uint()
	}
	var err error
	switch name {
	case "min_len":
		s.minLen = &n
	case "max_len":
		s.maxLen = &n
	case "len":
		s.minLen, s.maxLen = &n, &n
	case "min_bytes":
		s.minBytes = &n
	case "max_bytes":
		s.maxBytes = &n
	case "len_bytes":
		s.minBytes, s.maxBytes = &n, &n
	case "prefix":
		s.prefix = &str
	case "suffix":
		s.suffix = &str
	case "contains":
		s.contains = &str
	case "pattern":
		s.pattern, err = regexp.Compile(str)
	case "email":
		s.email = true
	}
	return err
}

func (r *fieldRules) numbers(fd protoreflect.FieldDescriptor, m protoreflect.Message) error {
	n := &numberRules{}
	r.num = n
	var bad error
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if f.IsExtension() || !numberRuleNames[f.Name()] {
			bad = notSupported("field %s: number rule %s", fd.FullName(), f.Name())
			return false
		}
		n.set(f.Name(), v, fd.Kind())
		return true
	})
	if bad == nil && n.crossed() {
		bad = notSupported("field %s: an exclusive range (lower bound above the upper)", fd.FullName())
	}
	return bad
}

func (n *numberRules) set(name protoreflect.Name, v protoreflect.Value, k protoreflect.Kind) {
	if name == "example" {
		return
	}
	lower := name == "gt" || name == "gte"
	open := name == "gt" || name == "lt"
	switch numberClass(k) {
	case classFloat:
		f := v.Float()
		if lower {
			n.lo, n.loOpen = &f, open
		} else {
			n.hi, n.hiOpen = &f, open
		}
	case classSigned:
		i := v.Int()
		if lower {
			n.loI, n.loOpen = &i, open
		} else {
			n.hiI, n.hiOpen = &i, open
		}
	default:
		u := v.Uint()
		if lower {
			n.loU, n.loOpen = &u, open
		} else {
			n.hiU, n.hiOpen = &u, open
		}
	}
}

// crossed reports a lower bound at or above the upper one, which
// protovalidate reads as "outside the range": left to it.
func (n *numberRules) crossed() bool {
	switch {
	case n.lo != nil && n.hi != nil:
		return *n.lo >= *n.hi
	case n.loI != nil && n.hiI != nil:
		return *n.loI >= *n.hiI
	case n.loU != nil && n.hiU != nil:
		return *n.loU >= *n.hiU
	}
	return false
}

type numClass int

const (
	classSigned numClass = iota
	classUnsigned
	classFloat
)

func numberClass(k protoreflect.Kind) numClass {
	switch k {
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return classFloat
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
		return classUnsigned
	}
	return classSigned
}

// rejectsZero reports whether the rules fail on the field's zero value,
// which is what an absent field of a proto3 message holds.
func (r *fieldRules) rejectsZero(f *fieldPlan) bool {
	switch {
	case r == nil:
		return false
	case r.required:
		return true
	case f.list || f.isMap():
		return r.items(0)
	case r.str != nil:
		return !r.str.ok(nil)
	case r.num != nil:
		return !r.num.okInt(0) || !r.num.okUint(0) || !r.num.okFloat(0)
	case r.definedOnly:
		_, defined := f.enumByNum[0]
		return !defined
	}
	return false
}

func (r *fieldRules) items(n int) bool {
	return (r.minItems != nil && uint64(n) < *r.minItems) || (r.maxItems != nil && uint64(n) > *r.maxItems)
}

// ok reports whether s passes (s is valid UTF-8: both decoders check).
func (s *stringRules) ok(v []byte) bool {
	if s.minBytes != nil && uint64(len(v)) < *s.minBytes || s.maxBytes != nil && uint64(len(v)) > *s.maxBytes {
		return false
	}
	if s.minLen != nil || s.maxLen != nil {
		n := uint64(utf8.RuneCount(v))
		if s.minLen != nil && n < *s.minLen || s.maxLen != nil && n > *s.maxLen {
			return false
		}
	}
	switch {
	case s.prefix != nil && !bytes.HasPrefix(v, []byte(*s.prefix)),
		s.suffix != nil && !bytes.HasSuffix(v, []byte(*s.suffix)),
		s.contains != nil && !bytes.Contains(v, []byte(*s.contains)),
		s.email && !isEmail(v),
		s.pattern != nil && !s.pattern.Match(v):
		return false
	}
	return true
}

func (n *numberRules) okInt(v int64) bool {
	if n.loI != nil && (v < *n.loI || n.loOpen && v == *n.loI) {
		return false
	}
	return n.hiI == nil || v < *n.hiI || !n.hiOpen && v == *n.hiI
}

func (n *numberRules) okUint(v uint64) bool {
	if n.loU != nil && (v < *n.loU || n.loOpen && v == *n.loU) {
		return false
	}
	return n.hiU == nil || v < *n.hiU || !n.hiOpen && v == *n.hiU
}

// okFloat is stricter than protovalidate on NaN: rejected whenever a bound
// is set, and protovalidate decides.
func (n *numberRules) okFloat(v float64) bool {
	if (n.lo != nil || n.hi != nil) && math.IsNaN(v) {
		return false
	}
	if n.lo != nil && (v < *n.lo || n.loOpen && v == *n.lo) {
		return false
	}
	return n.hi == nil || v < *n.hi || !n.hiOpen && v == *n.hi
}

// isEmail matches protovalidate's email rule (a hand-written form of its
// regular expression, checked against it in the tests): a local part of
// atext characters and dots, "@", and dot-separated host labels of 1–63
// letters, digits and inner hyphens.
func isEmail(s []byte) bool {
	at := bytes.IndexByte(s, '@')
	if at <= 0 {
		return false
	}
	for i := 0; i < at; i++ {
		if !isEmailLocal(s[i]) {
			return false
		}
	}
	host := s[at+1:]
	for {
		dot := bytes.IndexByte(host, '.')
		label := host
		if dot >= 0 {
			label = host[:dot]
		}
		if !isHostLabel(label) {
			return false
		}
		if dot < 0 {
			return true
		}
		host = host[dot+1:]
	}
}

func isEmailLocal(c byte) bool {
	return isAlnum(c) || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
}

func isHostLabel(l []byte) bool {
	if len(l) == 0 || len(l) > 63 || !isAlnum(l[0]) || !isAlnum(l[len(l)-1]) {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !isAlnum(l[i]) && l[i] != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
