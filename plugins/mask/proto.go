package main

import (
	"errors"
	"fmt"
	"sort"
)

// maxProtoDepth bounds the nesting of messages the mask walks; deeper is
// refused. The host's schema.max_depth (default 64) normally refuses such a
// record first.
const maxProtoDepth = 100

// protoMask is protobuf mode: a walk over the record's wire format that
// rewrites what a rule names and, when the pipeline is schema-bound,
// refuses or drops what the schema does not declare, at every depth.
//
// It is a plan compiled at init (docs/RATIONALE.md, "Why is the mask's
// protobuf mode a compiled plan?"): message types and path nodes are
// indexes into slices, a field is found by its number in a dense table,
// and the walk copies unchanged spans of the record whole, so a record
// costs no map lookup and no allocation.
type protoMask struct {
	types       []msgPlan  // by type id; the input type is 0; none when unbound
	nodes       []pathNode // configured rules by field-number path; the root is 0
	dropUnknown bool
	states      []state // every state the walk reaches; the root is 0 (protoplan.go)
	stateOf     []int32 // state ids by (type id + 1, node id + 1); -1 if unreached
}

// noType and noNode are the ids of "unbound or off the schema" and "off
// the configured paths".
const (
	noType = -1
	noNode = -1
)

// denseFields bounds a type's table indexed by field number; fields
// numbered from it on are in a sorted slice, found by binary search.
const denseFields = 256

// msgPlan is a message type's declared fields.
type msgPlan struct {
	name   string
	dense  []fieldPlan // by number, below denseFields; declared unset for a gap
	sparse []fieldPlan // the rest, by number
}

type fieldPlan struct {
	num      uint32
	declared bool // in the bound schema
	packable bool
	text     bool  // string or bytes
	wire     int   // its wire type; length-delimited too if packable
	child    int32 // message-typed fields' type id (map entries included), or noType
	rule     int32 // 1 + index of the sensitive field's rule; 0 if none
}

// undeclared is the plan of every field when unbound.
var undeclared = fieldPlan{child: noType}

// pathNode is a trie of configured paths: rule is 1 + the rule's index.
type pathNode struct {
	children []pathEdge // few: searched in order
	rule     int32
}

type pathEdge struct {
	num  uint32
	node int32
}

// field returns the plan of field num, or nil if the type does not declare it.
func (t *msgPlan) field(num uint32) *fieldPlan {
	if num < uint32(len(t.dense)) {
		if f := &t.dense[num]; f.declared {
			return f
		}
		return nil
	}
	s := t.sparse
	i := sort.Search(len(s), func(i int) bool { return s[i].num >= num })
	if i < len(s) && s[i].num == num {
		return &s[i]
	}
	return nil
}

// child is the node under n for field num, or noNode.
func (p *protoMask) child(n int32, num uint32) int32 {
	for _, e := range p.nodes[n].children {
		if e.num == num {
			return e.node
		}
	}
	return noNode
}

func (m *masker) compileProto(c Config, bySchema bool) error {
	switch c.UnknownFields {
	case "", "refuse":
	case "drop":
		m.pb.dropUnknown = true
	default:
		return fmt.Errorf("mask: config: unknown_fields: want refuse or drop, got %q", c.UnknownFields)
	}
	m.pb.nodes = []pathNode{{}}
	for i, r := range m.rules {
		n := int32(0)
		for _, num := range r.numbers {
			next := m.pb.child(n, num)
			if next == noNode {
				next = int32(len(m.pb.nodes))
				m.pb.nodes = append(m.pb.nodes, pathNode{})
				m.pb.nodes[n].children = append(m.pb.nodes[n].children, pathEdge{num, next})
			}
			n = next
		}
		if m.pb.nodes[n].rule == 0 {
			m.pb.nodes[n].rule = int32(i + 1) // the first rule for a path applies
		}
	}
	if c.WeirSchema != nil {
		if c.WeirSchema.Messages[c.WeirSchema.Input] == nil {
			return fmt.Errorf("mask: weir_schema has no shape for the input type %q: the host is older than this mask (it needs weir_schema.messages)", c.WeirSchema.Input)
		}
		if err := m.compileShapes(c, bySchema); err != nil {
			return err
		}
	}
	m.pb.compileStates()
	return nil
}

// compileShapes numbers the schema's message types, the input type 0, and
// tables their fields; with bySchema, every field marked sensitive gets
// its rule, so a type masks the same at every depth (recursive types
// included).
func (m *masker) compileShapes(c Config, bySchema bool) error {
	names := make([]string, 0, len(c.WeirSchema.Messages))
	for name := range c.WeirSchema.Messages {
		if name != c.WeirSchema.Input {
			names = append(names, name)
		}
	}
	sort.Strings(names) // rules in a stable order
	names = append([]string{c.WeirSchema.Input}, names...)
	ids := make(map[string]int32, len(names))
	for i, name := range names {
		ids[name] = int32(i)
	}
	m.pb.types = make([]msgPlan, len(names))
	marked := 0
	for i, name := range names {
		shape := c.WeirSchema.Messages[name]
		nums := make([]uint32, 0, len(shape))
		for num := range shape {
			nums = append(nums, num)
		}
		sort.Slice(nums, func(a, b int) bool { return nums[a] < nums[b] })
		var fields []fieldPlan
		for _, num := range nums {
			fs := shape[num]
			f := fieldPlan{num: num, declared: true, wire: fs.Wire, packable: fs.Packable, text: fs.Text, child: noType}
			if fs.Message != "" {
				id, ok := ids[fs.Message]
				if !ok {
					return fmt.Errorf("mask: weir_schema: %s field %d names the unknown type %q", name, num, fs.Message)
				}
				f.child = id
			}
			if bySchema && fs.Action != "" {
				r, err := m.sensitiveRule(name, num, fs, c.HMACKey)
				if err != nil {
					return err
				}
				f.rule = int32(r)
				marked++
			}
			fields = append(fields, f)
		}
		m.pb.types[i] = tableFields(name, fields)
	}
	if bySchema && marked == 0 {
		return errors.New("mask: the bound schema marks no field (weir.options.v1.sensitive) and no fields are configured")
	}
	return nil
}

// tableFields splits fields, sorted by number, into the dense table and
// the sparse rest.
func tableFields(name string, fields []fieldPlan) msgPlan {
	t := msgPlan{name: name}
	split := sort.Search(len(fields), func(i int) bool { return fields[i].num >= denseFields })
	if split > 0 {
		t.dense = make([]fieldPlan, fields[split-1].num+1)
		for _, f := range fields[:split] {
			t.dense[f.num] = f
		}
	}
	t.sparse = fields[split:]
	return t
}

// sensitiveRule adds the rule of a marked field and returns 1 + its index.
func (m *masker) sensitiveRule(typ string, num uint32, fs fieldShape, key string) (int, error) {
	where := fmt.Sprintf("%s field %d (sensitive, %s → %s)", typ, num, fs.Kind, fs.Action)
	f, err := compileAction(where, sensitiveRule(fs.Kind, fs.Action), key)
	if err != nil {
		return 0, err
	}
	f.Path = fmt.Sprintf("%s.%d", typ, num)
	m.rules = append(m.rules, rule{FieldRule: f})
	return len(m.rules), nil
}

// applyProto masks a binary protobuf record in one walk. The result
// aliases an internal buffer that the next call reuses.
func (m *masker) applyProto(doc []byte) ([]byte, error) {
	out, changed, err := m.walk(m.bufs[0][:0], doc, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("mask: %w", err)
	}
	if !changed {
		out = append(out, doc...)
	}
	m.bufs[0] = out
	return out, nil
}
