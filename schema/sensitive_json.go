package schema

import "google.golang.org/protobuf/reflect/protoreflect"

// SensitiveJSON is SensitiveFields with each field's JSON path (proto
// names, "*" for a list's elements: "items.*.name") as its Name, for a
// guest that masks a JSON stream by projection. It reports false when
// paths cannot reach every sensitive value: a recursive type (they lie at
// any depth) or a map on the way (a path does not go into a map).
func SensitiveJSON(md protoreflect.MessageDescriptor) ([]Sensitive, bool) {
	var out []Sensitive
	ok := walkSensitiveJSON(md, "", map[protoreflect.FullName]bool{}, &out)
	return out, ok
}

func walkSensitiveJSON(md protoreflect.MessageDescriptor, prefix string, seen map[protoreflect.FullName]bool, out *[]Sensitive) bool {
	if seen[md.FullName()] {
		return false
	}
	seen[md.FullName()] = true
	defer delete(seen, md.FullName())
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		path := prefix + string(f.Name())
		if f.IsList() {
			path += ".*"
		}
		switch {
		case f.IsMap():
			if hasSensitive(f, seen) {
				return false
			}
		case f.Message() != nil:
			if !walkSensitiveJSON(f.Message(), path+".", seen, out) {
				return false
			}
		case f.Kind() == protoreflect.StringKind:
			if s, ok := sensitiveOption(f); ok {
				*out = append(*out, Sensitive{Name: path, Kind: s[0], Action: s[1]})
			}
		}
	}
	return true
}

// hasSensitive reports whether map field f's values are, or hold, a
// sensitive field (a recursive type counts as holding one).
func hasSensitive(f protoreflect.FieldDescriptor, seen map[protoreflect.FullName]bool) bool {
	v := f.MapValue()
	if v.Message() == nil {
		_, ok := sensitiveOption(f) // a map of strings carries the mark itself
		return ok
	}
	var inner []Sensitive
	return !walkSensitiveJSON(v.Message(), "", seen, &inner) || len(inner) > 0
}
