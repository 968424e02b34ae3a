package runtime

import (
	"bytes"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// FieldSpan is one value a caller found at a projecting instance's
// declared path in a record (Record.Fields): the raw JSON value
// Value[Start:End] at declared path Path; Ref is the caller's own name
// for it, passed back to FieldHooks.Check.
type FieldSpan struct {
	Path       int
	Start, End int
	Ref        int
}

// Replacement types a guest sends for a field (docs/abi.md §4b), as
// FieldHooks.Check gets them.
const (
	ReplaceJSON = replJSON // one raw JSON value
	ReplaceText = replText // text, valid UTF-8, written as a JSON string
)

// FieldHooks are for a caller that reads every record itself before the
// guest does (a schema binding, which validates each JSON record and finds
// the declared fields in the same pass): with them in PoolConfig.Fields a
// projecting instance takes each record's fields from Record.Fields
// instead of scanning the record again, and the caller vouches for the
// values a guest writes back.
type FieldHooks interface {
	// Declared is called with the paths each new instance declares in
	// weir_fields (nil: it does not project), before it serves. An error
	// refuses the instance, and so the pool that starts it.
	Declared(paths []string) error
	// Check says whether a replacement of type typ (ReplaceJSON,
	// ReplaceText) for the field named ref keeps the record valid; value
	// is guest memory, valid only during the call. An emit all of whose
	// replacements pass has Emit.Checked set.
	Check(ref int, typ byte, value []byte) bool
}

// Fields is the pool's FieldHooks, nil when it has none.
func (p *Pool) Fields() FieldHooks { return p.cfg.Fields }

// declare tells the pool's hooks which paths the new instance declared.
func (in *instance) declare(m *Module, cfg PoolConfig) error {
	if cfg.Fields == nil {
		return nil
	}
	var paths []string
	if in.proj != nil {
		paths = in.proj.paths
		if in.proj.ins != nil {
			return &Error{Class: ClassGuest, Transform: m.Manifest.ID(), Msg: "init: weir_fields: insertion paths are not served where the host gives the fields (a schema-bound pipeline): declare the paths without them"}
		}
	}
	if err := cfg.Fields.Declared(paths); err != nil {
		return &Error{Class: ClassGuest, Transform: m.Manifest.ID(), Msg: "init: weir_fields: " + err.Error()}
	}
	return nil
}

// recordFields appends record r's fields: the caller's (r.Fields), when
// the pool has FieldHooks, or the scan's.
func (p *projection) recordFields(r Record, transform string) error {
	if p.hooks == nil {
		return p.scanRecord(r.Value, transform)
	}
	if len(p.first) == 1 { // the batch's first record
		p.refs = p.refs[:0]
	}
	last := 0
	for _, s := range r.Fields {
		if s.Start < last || s.End <= s.Start || s.End > len(r.Value) || s.Path < 0 || s.Path >= len(p.paths) {
			p.fields = p.fields[:p.first[len(p.first)-1]]
			p.refs = p.refs[:len(p.fields)]
			return &Error{Class: ClassTrap, Transform: transform, Msg: "host: a given field span is out of order or range"}
		}
		last = s.End
		p.addField(r.Value, s.Path, s.Start, s.End)
		p.refs = append(p.refs, s.Ref)
	}
	return nil
}

// addField appends the value doc[start:end], valid JSON, at path.
func (p *projection) addField(doc []byte, path, start, end int) {
	f := field{path: path, typ: fieldType(doc[start]), start: start, end: end, vstart: start, vend: end}
	if f.typ == typeString {
		f.vstart, f.vend = start+1, end-1
		if raw := doc[start:end]; bytes.IndexByte(raw, '\\') >= 0 {
			f.decoded, f.vstart = true, len(p.decoded)
			p.decoded, _ = jsonpath.AppendUnquoted(p.decoded, raw)
			f.vend = len(p.decoded)
		}
	}
	p.fields = append(p.fields, f)
}

// checked reports whether the caller's hooks vouch for every replacement
// of record idx's emit just read (d.proj.repls), or which they refused.
func (d *decoder) checked(idx int) (ok, refused bool, ref int) {
	p := d.proj
	if p == nil || p.hooks == nil {
		return false, false, 0
	}
	base := p.first[idx]
	for _, r := range p.repls {
		if ref := p.refs[base+r.field]; !p.hooks.Check(ref, r.typ, r.value) {
			return false, true, ref
		}
	}
	return true, false, 0
}
