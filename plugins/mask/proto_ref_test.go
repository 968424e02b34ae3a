package main

// This file is protobuf mode as it was before the compiled plan
// (proto.go): maps by type and field number, every nested message
// re-encoded. It is kept as the reference the plan is tested against
// (TestProtoPlanMatchesReference, FuzzProtoPlanMatchesReference).

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/weirstream/weir/sdk/go/pbwire"
)

// refMaxProtoDepth bounds the nesting of messages the mask walks; deeper is
// refused. The host's schema.max_depth (default 64) normally refuses such a
// record first.
const refMaxProtoDepth = 100

// refProtoMask is protobuf mode: a walk over the record's wire format that
// rewrites what a rule names and, when the pipeline is schema-bound,
// refuses or drops what the schema does not declare, at every depth.
type refProtoMask struct {
	root        *refMsgType  // the input type; nil when unbound
	paths       *refPathNode // configured rules by field-number path
	dropUnknown bool
	scratch     [][]byte // one buffer per depth, reused
}

// refMsgType is a message type's declared fields.
type refMsgType struct {
	name   string
	fields map[uint32]refFieldType
}

type refFieldType struct {
	declared bool // in the bound schema
	wire     int  // its wire type; length-delimited too if packable
	packable bool
	child    *refMsgType // message-typed fields (map entries included)
	text     bool        // string or bytes
	rule     int         // 1 + index of the sensitive field's rule; 0 if none
}

// refPathNode is a trie of configured paths: rule is 1 + the rule's index.
type refPathNode struct {
	children map[uint32]*refPathNode
	rule     int
}

func (m *refMasker) refCompileProto(c Config, bySchema bool) error {
	switch c.UnknownFields {
	case "", "refuse":
	case "drop":
		m.ref.dropUnknown = true
	default:
		return fmt.Errorf("mask: config: unknown_fields: want refuse or drop, got %q", c.UnknownFields)
	}
	m.ref.paths = &refPathNode{}
	for i, r := range m.rules {
		n := m.ref.paths
		for _, num := range r.numbers {
			if n.children[num] == nil {
				if n.children == nil {
					n.children = map[uint32]*refPathNode{}
				}
				n.children[num] = &refPathNode{}
			}
			n = n.children[num]
		}
		if n.rule == 0 {
			n.rule = i + 1 // the first rule for a path applies
		}
	}
	if c.WeirSchema == nil {
		return nil
	}
	if c.WeirSchema.Messages[c.WeirSchema.Input] == nil {
		return fmt.Errorf("mask: weir_schema has no shape for the input type %q: the host is older than this mask (it needs weir_schema.messages)", c.WeirSchema.Input)
	}
	return m.refCompileShapes(c, bySchema)
}

// refCompileShapes links the schema's message types; with bySchema, every
// field marked sensitive gets its rule, so a type masks the same at every
// depth (recursive types included).
func (m *refMasker) refCompileShapes(c Config, bySchema bool) error {
	types := map[string]*refMsgType{}
	for name := range c.WeirSchema.Messages {
		types[name] = &refMsgType{name: name, fields: map[uint32]refFieldType{}}
	}
	names := make([]string, 0, len(types))
	for name := range types {
		names = append(names, name)
	}
	sort.Strings(names) // rules in a stable order
	marked := 0
	for _, name := range names {
		for num, fs := range c.WeirSchema.Messages[name] {
			ft := refFieldType{declared: true, wire: fs.Wire, packable: fs.Packable, child: types[fs.Message], text: fs.Text}
			if fs.Message != "" && ft.child == nil {
				return fmt.Errorf("mask: weir_schema: %s field %d names the unknown type %q", name, num, fs.Message)
			}
			if bySchema && fs.Action != "" {
				r, err := m.sensitiveRule(name, num, fs, c.HMACKey)
				if err != nil {
					return err
				}
				ft.rule = r
				marked++
			}
			types[name].fields[num] = ft
		}
	}
	if bySchema && marked == 0 {
		return errors.New("mask: the bound schema marks no field (weir.options.v1.sensitive) and no fields are configured")
	}
	m.ref.root = types[c.WeirSchema.Input]
	return nil
}

// refApplyProto masks a binary protobuf record in one walk.
func (m *refMasker) refApplyProto(doc []byte) ([]byte, error) {
	out, err := m.refWalk(m.refOut[:0], doc, m.ref.root, m.ref.paths, 0)
	if err != nil {
		return nil, fmt.Errorf("mask: %w", err)
	}
	m.refOut = out
	return out, nil
}

// walk appends message b, rewritten, to dst. t is its type (nil when
// unbound or off the schema) and n its place in the configured paths (nil
// when off them). Every occurrence of a field is visited: a repeated
// field's elements, a singular field written twice (readers keep the last),
// a message written twice (readers merge them).
func (m *refMasker) refWalk(dst, b []byte, t *refMsgType, n *refPathNode, depth int) ([]byte, error) {
	if depth > refMaxProtoDepth {
		return nil, fmt.Errorf("protobuf record nested deeper than %d messages", refMaxProtoDepth)
	}
	for i := 0; i < len(b); {
		f, err := pbwire.Next(b, i)
		if err != nil {
			return nil, fmt.Errorf("payload is not protobuf: %w", err)
		}
		i = f.End
		var ft refFieldType
		if t != nil {
			known := false
			if ft, known = t.fields[f.Num]; !known {
				if m.ref.dropUnknown {
					continue
				}
				return nil, fmt.Errorf("field %d of %s is not in the bound schema: refused, since it could carry PII the mask cannot see (update the schema, or set unknown_fields: drop)", f.Num, t.name)
			}
			if f.Type != ft.wire && !(ft.packable && f.Type == pbwire.Bytes) {
				// protobuf-go would keep it as unknown bytes
				return nil, fmt.Errorf("field %d of %s has wire type %d, declared %d: refused, readers would keep it as an unknown field", f.Num, t.name, f.Type, ft.wire)
			}
		}
		var next *refPathNode
		if n != nil {
			next = n.children[f.Num]
		}
		if dst, err = m.refField(dst, b, f, ft, next, depth); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// field appends one field, rewritten as its rule or its type says.
func (m *refMasker) refField(dst, b []byte, f pbwire.Field, ft refFieldType, n *refPathNode, depth int) ([]byte, error) {
	rule := ft.rule
	if n != nil && n.rule != 0 {
		rule = n.rule
	}
	switch {
	case rule != 0 && ft.declared && !ft.text:
		return dst, nil // marked, but no text to mask: left out, it reads as its default
	case rule != 0:
		if f.Type != pbwire.Bytes {
			return nil, fmt.Errorf("field %d (masked by %s) has wire type %d, not length-delimited: refused, it cannot be masked", f.Num, m.rules[rule-1].Path, f.Type)
		}
		r := &m.rules[rule-1]
		m.text = m.maskText(m.text[:0], r.With, r, b[f.ValStart:f.ValEnd])
		return refAppendBytesField(dst, f.Num, m.text), nil
	case ft.child != nil || (n != nil && n.children != nil):
		if f.Type != pbwire.Bytes {
			if ft.child != nil {
				return nil, fmt.Errorf("field %d of type %s has wire type %d, not length-delimited", f.Num, ft.child.name, f.Type)
			}
			break // unbound: not the message the path goes through, nothing under it
		}
		for len(m.ref.scratch) <= depth {
			m.ref.scratch = append(m.ref.scratch, nil)
		}
		sub, err := m.refWalk(m.ref.scratch[depth][:0], b[f.ValStart:f.ValEnd], ft.child, n, depth+1)
		if err != nil {
			return nil, err
		}
		m.ref.scratch[depth] = sub
		return refAppendBytesField(dst, f.Num, sub), nil
	}
	return append(dst, b[f.Start:f.End]...), nil
}

func refAppendBytesField(dst []byte, num uint32, content []byte) []byte {
	dst = pbwire.AppendVarint(dst, uint64(num)<<3|pbwire.Bytes)
	dst = pbwire.AppendVarint(dst, uint64(len(content)))
	return append(dst, content...)
}

// refMasker is a masker whose protobuf mode is the reference walk.
type refMasker struct {
	*masker
	ref    refProtoMask
	refOut []byte
}

// newRefMasker compiles config as newMasker does, then compiles the
// reference tables over the configured rules (the schema's marked fields
// get their rules again, in the reference's order).
func newRefMasker(config []byte) (*refMasker, error) {
	m, err := newMasker(config)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, err
	}
	bySchema := len(c.Fields) == 0 && c.WeirSchema != nil
	m.rules = m.rules[:len(c.Fields)]
	r := &refMasker{masker: m}
	return r, r.refCompileProto(c, bySchema)
}
