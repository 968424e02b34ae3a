package schema

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// sensitiveExtension is the field number of (weir.options.v1.sensitive).
const sensitiveExtension = 51717

// Sensitive is a field marked with (weir.options.v1.sensitive).
type Sensitive struct {
	Path   string `json:"path"`   // field numbers, "3.3"; a map's values are "N.2"
	Name   string `json:"name"`   // field names, "customer.email"
	Kind   string `json:"kind"`   // email, phone, card, secret, free_text, name
	Action string `json:"action"` // redact, last4, email_domain, hmac (the kind's default if unset)
}

var (
	kinds   = []string{"", "email", "phone", "card", "secret", "free_text", "name"}
	actions = []string{"", "redact", "last4", "email_domain", "hmac"}
)

// SensitiveFields lists the string fields of md marked sensitive, through
// nested messages, repeated fields and map values.
func SensitiveFields(md protoreflect.MessageDescriptor) []Sensitive {
	var out []Sensitive
	walkSensitive(md, "", "", map[protoreflect.FullName]bool{}, &out)
	return out
}

func walkSensitive(md protoreflect.MessageDescriptor, num, name string, seen map[protoreflect.FullName]bool, out *[]Sensitive) {
	if seen[md.FullName()] {
		return // recursive types: each message once
	}
	seen[md.FullName()] = true
	defer delete(seen, md.FullName())
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		n, nm := num+strconv.Itoa(int(f.Number())), name+string(f.Name())
		if f.IsMap() {
			f, n = f.MapValue(), n+".2"
			if f.Message() != nil {
				walkSensitive(f.Message(), n+".", nm+"[*].", seen, out)
				continue
			}
			if s, ok := sensitiveOption(fields.Get(i)); ok && f.Kind() == protoreflect.StringKind {
				*out = append(*out, Sensitive{Path: n, Name: nm + "[*]", Kind: s[0], Action: s[1]})
			}
			continue
		}
		if f.Message() != nil {
			walkSensitive(f.Message(), n+".", nm+".", seen, out)
			continue
		}
		if s, ok := sensitiveOption(f); ok && f.Kind() == protoreflect.StringKind {
			*out = append(*out, Sensitive{Path: n, Name: nm, Kind: s[0], Action: s[1]})
		}
	}
}

// sensitiveOption reads the option from the field's raw options, so it
// works without generated code for weir's options.
func sensitiveOption(f protoreflect.FieldDescriptor) ([2]string, bool) {
	opts := f.Options()
	if opts == nil {
		return [2]string{}, false
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(opts)
	if err != nil {
		return [2]string{}, false
	}
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return [2]string{}, false
		}
		raw = raw[n:]
		if num == sensitiveExtension && typ == protowire.BytesType {
			body, m := protowire.ConsumeBytes(raw)
			if m < 0 {
				return [2]string{}, false
			}
			return parseSensitive(body), true
		}
		m := protowire.ConsumeFieldValue(num, typ, raw)
		if m < 0 {
			return [2]string{}, false
		}
		raw = raw[m:]
	}
	return [2]string{}, false
}

func parseSensitive(b []byte) [2]string {
	var s [2]string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		v, m := uint64(0), 0
		if typ == protowire.VarintType {
			v, m = protowire.ConsumeVarint(b)
		} else {
			m = protowire.ConsumeFieldValue(num, typ, b)
		}
		if m < 0 {
			break
		}
		b = b[m:]
		switch {
		case num == 1 && v < uint64(len(kinds)):
			s[0] = kinds[v]
		case num == 2 && v < uint64(len(actions)):
			s[1] = actions[v]
		}
	}
	if s[1] == "" {
		s[1] = defaultAction(s[0])
	}
	return s
}

func defaultAction(kind string) string {
	switch kind {
	case "email":
		return "email_domain"
	case "phone", "card":
		return "last4"
	}
	return "redact"
}

// String lists fields as "customer.email(3.3): email → email_domain".
func (s Sensitive) String() string {
	return strings.Join([]string{s.Name, "(", s.Path, "): ", s.Kind, " → ", s.Action}, "")
}
