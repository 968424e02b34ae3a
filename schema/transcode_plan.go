package schema

import (
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// plan is one message type compiled, at load, for the transcoder: its
// fields by JSON key and by number, each with its kind, wire type and
// rules, so converting a record walks bytes and never reflects.
type plan struct {
	name   string
	fields []fieldPlan // declaration order, which is protojson's output order
	byKey  map[string]*fieldPlan
	byNum  map[protowire.Number]*fieldPlan
	// direct is byNum as a slice for the small numbers most fields have.
	direct [maxDirect]*fieldPlan
	// mustSee are the fields whose absence breaks a rule.
	mustSee []*fieldPlan
	// timestamp marks google.protobuf.Timestamp, an RFC 3339 string in JSON.
	timestamp bool
}

// fieldPlan is one field of a plan. A map field is a repeated entry
// message whose key and value are themselves field plans (numbers 1, 2).
type fieldPlan struct {
	index   int    // in plan.fields
	name    string // the proto name: protojson's output key
	jsonKey string
	jsonOut []byte // `"name":`, as the JSON writer starts the field
	// quotedKeys are the keys, quoted, that find this field: its JSON
	// name, and its proto name unless that is another field's JSON name.
	quotedKeys []quotedKey
	num        protowire.Number
	kind       protoreflect.Kind
	wire       protowire.Type
	list       bool
	packed     bool
	msg        *plan // a message field's type
	key, val   *fieldPlan
	enumByName map[string]int32
	enumByNum  map[int32]string
	rules      *fieldRules
	absentBad  bool   // the rules reject the field's zero value, so leaving it out fails
	tag        []byte // the field's tag with its wire type
	packedTag  []byte // the tag of a packed list
}

func (f *fieldPlan) isMap() bool { return f.key != nil }

const maxDirect = 64

// field finds a field by number.
func (p *plan) field(num protowire.Number) *fieldPlan {
	if num >= 0 && num < maxDirect {
		return p.direct[num]
	}
	return p.byNum[num]
}

// fieldByKey finds a field by JSON key, trying first the field declared
// after the previous one: keys mostly come in declaration order.
func (p *plan) fieldByKey(k []byte, prev int) *fieldPlan {
	if next := prev + 1; next < len(p.fields) && string(k) == p.fields[next].jsonKey {
		return &p.fields[next]
	}
	return p.byKey[string(k)]
}

// unsupported is why a type is left to the protojson/dynamicpb path.
type unsupported struct{ why string }

func (u *unsupported) Error() string { return u.why }

func notSupported(format string, args ...any) error {
	return &unsupported{why: fmt.Sprintf(format, args...)}
}

// compilePlan compiles md and every type reachable from it, or says what
// the transcoder does not implement (the codec then uses protojson).
func compilePlan(md protoreflect.MessageDescriptor) (*plan, error) {
	return (&planner{plans: map[protoreflect.FullName]*plan{}}).message(md)
}

type planner struct {
	plans map[protoreflect.FullName]*plan
}

func (pl *planner) message(md protoreflect.MessageDescriptor) (*plan, error) {
	if p, ok := pl.plans[md.FullName()]; ok {
		return p, nil // recursive types share their plan
	}
	if err := supportedMessage(md); err != nil {
		return nil, err
	}
	fields := md.Fields()
	p := &plan{name: string(md.FullName()), fields: make([]fieldPlan, fields.Len()),
		byKey: map[string]*fieldPlan{}, byNum: map[protowire.Number]*fieldPlan{},
		timestamp: md.FullName() == "google.protobuf.Timestamp"}
	pl.plans[md.FullName()] = p
	for i := range p.fields {
		if err := pl.field(&p.fields[i], fields.Get(i), i); err != nil {
			return nil, err
		}
	}
	p.index()
	return p, nil
}

// index builds the lookups: protojson matches the JSON name first, then
// the proto name.
func (p *plan) index() {
	for i := range p.fields {
		f := &p.fields[i]
		p.byNum[f.num] = f
		if f.num < maxDirect {
			p.direct[f.num] = f
		}
		if f.absentBad {
			p.mustSee = append(p.mustSee, f)
		}
	}
	for i := range p.fields {
		p.byKey[p.fields[i].jsonKey] = &p.fields[i]
	}
	for i := range p.fields {
		if _, taken := p.byKey[p.fields[i].name]; !taken {
			p.byKey[p.fields[i].name] = &p.fields[i]
		}
	}
	for i := range p.fields {
		f := &p.fields[i]
		for _, k := range []string{f.jsonKey, f.name} {
			if q := newQuotedKey(k); p.byKey[k] == f && !slices.Contains(f.quotedKeys, q) {
				f.quotedKeys = append(f.quotedKeys, q)
			}
		}
	}
}

// supportedMessage refuses what the transcoder does not implement:
// proto2 and editions semantics (presence, defaults, groups), oneofs and
// the well-known types with a special JSON form other than Timestamp.
func supportedMessage(md protoreflect.MessageDescriptor) error {
	name := md.FullName()
	if md.ParentFile().Package() == "google.protobuf" && name != "google.protobuf.Timestamp" {
		return notSupported("%s has a special JSON form", name)
	}
	if md.ParentFile().Syntax() != protoreflect.Proto3 {
		return notSupported("%s is not proto3", name)
	}
	if md.Oneofs().Len() > 0 {
		return notSupported("%s has a oneof or an optional field", name)
	}
	if md.ExtensionRanges().Len() > 0 {
		return notSupported("%s has extensions", name)
	}
	if messageRules(md) {
		return notSupported("%s has message rules (buf.validate.message)", name)
	}
	return nil
}

func (pl *planner) field(f *fieldPlan, fd protoreflect.FieldDescriptor, i int) error {
	*f = fieldPlan{index: i, name: string(fd.Name()), jsonKey: fd.JSONName(), num: fd.Number(),
		kind: fd.Kind(), wire: wireType(fd.Kind()), list: fd.IsList(), packed: fd.IsPacked()}
	f.jsonOut = append(append([]byte{'"'}, f.name...), '"', ':')
	f.tag = protowire.AppendTag(nil, f.num, f.wire)
	f.packedTag = protowire.AppendTag(nil, f.num, protowire.BytesType)
	var err error
	switch {
	case fd.IsMap():
		err = pl.mapField(f, fd)
	case fd.Kind() == protoreflect.GroupKind:
		err = notSupported("field %s is a group", fd.FullName())
	case fd.Message() != nil:
		f.msg, err = pl.message(fd.Message())
	case fd.Enum() != nil:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			return notSupported("field %s is a NullValue", fd.FullName())
		}
		f.enumByName, f.enumByNum = enumNames(fd.Enum().Values())
	}
	if err != nil {
		return err
	}
	if f.rules, err = compileRules(fd); err != nil {
		return err
	}
	f.absentBad = f.rules.rejectsZero(f)
	return nil
}

func (pl *planner) mapField(f *fieldPlan, fd protoreflect.FieldDescriptor) error {
	f.key, f.val = &fieldPlan{}, &fieldPlan{}
	if err := pl.field(f.key, fd.MapKey(), 0); err != nil {
		return err
	}
	if err := pl.field(f.val, fd.MapValue(), 1); err != nil {
		return err
	}
	if f.key.rules != nil || f.val.rules != nil {
		return notSupported("map %s has rules on its entries", fd.FullName())
	}
	f.list = false
	return nil
}

func enumNames(vs protoreflect.EnumValueDescriptors) (map[string]int32, map[int32]string) {
	byName, byNum := map[string]int32{}, map[int32]string{}
	for i := 0; i < vs.Len(); i++ {
		v := vs.Get(i)
		byName[string(v.Name())] = int32(v.Number())
		if _, dup := byNum[int32(v.Number())]; !dup {
			byNum[int32(v.Number())] = string(v.Name()) // an alias: the first name, as protojson writes
		}
	}
	return byName, byNum
}

func (f *fieldPlan) okString(v []byte) bool {
	r := f.rules
	return r == nil || !(r.required && len(v) == 0) && (r.str == nil || r.str.ok(v))
}

func (f *fieldPlan) okInt(v int64) bool {
	r := f.rules
	return r == nil || !(r.required && v == 0) && (r.num == nil || r.num.okInt(v))
}

func (f *fieldPlan) okUint(v uint64) bool {
	r := f.rules
	return r == nil || !(r.required && v == 0) && (r.num == nil || r.num.okUint(v))
}

func (f *fieldPlan) okFloat(v float64) bool {
	r := f.rules
	return r == nil || !(r.required && v == 0 && !math.Signbit(v)) && (r.num == nil || r.num.okFloat(v))
}

func (f *fieldPlan) okEnum(v int32) bool {
	r := f.rules
	if r == nil {
		return true
	}
	_, defined := f.enumByNum[v]
	return !(r.required && v == 0) && (!r.definedOnly || defined)
}
