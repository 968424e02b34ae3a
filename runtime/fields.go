package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// projection is a projecting instance's declared paths and the scratch its
// batches reuse: after the first batches of a size, scanning, encoding and
// splicing allocate nothing per record but the spliced values themselves.
type projection struct {
	paths []string
	set   *jsonpath.Set
	ins   *insertion // the insertion paths, nil when none are declared

	fields  []field          // every record's fields, record after record
	first   []int            // record i's fields are fields[first[i]:first[i+1]]
	bad     []error          // record i is not JSON: its bad_input failure
	decoded []byte           // the decoded text of strings with escapes
	spans   []jsonpath.Match // one record's matches
	repls   []repl           // one emit's replacements
	values  arena            // the spliced values handed to the host

	hooks FieldHooks // the pool's, when the caller gives the fields (fields_given.go)
	refs  []int      // with hooks: each field's FieldSpan.Ref
}

// arena hands out spliced values from shared chunks, so a batch of
// rewritten records costs a few allocations, not one each. A chunk is
// never reused: every value stays valid as long as whoever holds it
// (a Benthos message) needs it, and a chunk lives as long as its last
// value (at most arenaChunk bytes more than that value).
type arena struct{ free []byte }

// arenaChunk is the size of one chunk: a batch of 64 orders' worth and
// more (one chunk a batch, where 32 KiB took two).
const arenaChunk = 64 << 10

// take returns an empty slice with capacity n of memory nobody else
// holds; appending past n reallocates, so values never overlap.
func (a *arena) take(n int) []byte {
	if n > len(a.free) {
		if n > arenaChunk/4 {
			return make([]byte, 0, n) // large values get their own
		}
		a.free = make([]byte, arenaChunk)
	}
	v := a.free[:0:n]
	a.free = a.free[n:]
	return v
}

// field is one value at a declared path in a record.
type field struct {
	path       int
	typ        byte
	start, end int // the raw JSON value in the record
	// what the guest receives: the record's bytes [vstart, vend), or the
	// projection's decoded bytes when decoded is set
	vstart, vend int
	decoded      bool
}

// Field types of the projected batch (docs/abi.md §4b).
const (
	typeString = 1 + iota
	typeNumber
	typeBool
	typeNull
	typeObject
	typeArray
)

// fieldType is the type of the valid JSON value starting with c.
func fieldType(c byte) byte {
	switch c {
	case '"':
		return typeString
	case 't', 'f':
		return typeBool
	case 'n':
		return typeNull
	case '{':
		return typeObject
	case '[':
		return typeArray
	}
	return typeNumber
}

// of is record i's fields.
func (p *projection) of(i int) []field { return p.fields[p.first[i]:p.first[i+1]] }

// scan finds the fields of every record and returns the exact size of the
// projected batch. A record that is not JSON gets no fields and a
// bad_input failure.
func (p *projection) scan(records []Record, transform string) int {
	p.fields, p.first, p.decoded = p.fields[:0], append(p.first[:0], 0), p.decoded[:0]
	p.bad = p.bad[:0]
	size := 4
	for _, r := range records {
		err := p.recordFields(r, transform)
		p.bad = append(p.bad, err)
		size += 8       // field_count, meta_count
		if err == nil { // a record that is not JSON is sent without metadata
			size += metaBytes(r.Meta) + 8*len(r.Meta)
		}
		for _, f := range p.fields[p.first[len(p.first)-1]:] {
			size += 9 + f.vend - f.vstart
		}
		p.first = append(p.first, len(p.fields))
	}
	return size
}

// scanRecord appends the fields of one record, or returns its failure.
func (p *projection) scanRecord(doc []byte, transform string) error {
	var err error
	if p.ins != nil {
		p.spans, err = p.ins.spans(doc, p.spans[:0])
	} else {
		p.spans, err = p.set.Spans(doc, p.spans[:0])
	}
	if err != nil {
		return notJSON(err, transform)
	}
	for _, m := range p.spans {
		if m.Start == m.End { // an insertion path's missing key: no value
			p.fields = append(p.fields, field{path: m.Path, typ: typeAbsent, start: m.Start, end: m.End, vstart: m.Start, vend: m.End})
			continue
		}
		f := field{path: m.Path, typ: fieldType(doc[m.Start]), start: m.Start, end: m.End, vstart: m.Start, vend: m.End}
		if f.typ == typeString {
			f.vstart, f.vend = m.Start+1, m.End-1
			if raw := doc[m.Start:m.End]; bytes.IndexByte(raw, '\\') >= 0 {
				f.decoded, f.vstart = true, len(p.decoded)
				p.decoded, _ = jsonpath.AppendUnquoted(p.decoded, raw) // validated by the scan
				f.vend = len(p.decoded)
			}
		}
		p.fields = append(p.fields, f)
	}
	return nil
}

// notJSON is the bad_input failure of a record the scan refused.
func notJSON(err error, transform string) error {
	var se *jsonpath.SyntaxError
	msg := err.Error()
	if errors.As(err, &se) {
		msg = fmt.Sprintf("offset %d: %s", se.Offset, se.Msg)
	}
	return &Error{Class: ClassBadInput, Transform: transform, Msg: "record is not JSON: " + msg}
}

// encode writes the projected batch into dst, which must be the size scan
// returned:
//
//	batch  := count:u32 record*count
//	record := field_count:u32 field*field_count meta_count:u32 meta*meta_count
//	field  := path:u32 type:u8 value:bytes
func (p *projection) encode(dst []byte, records []Record) {
	le := binary.LittleEndian
	le.PutUint32(dst, uint32(len(records)))
	pos := 4
	for i, r := range records {
		fs := p.of(i)
		le.PutUint32(dst[pos:], uint32(len(fs)))
		pos += 4
		for _, f := range fs {
			le.PutUint32(dst[pos:], uint32(f.path))
			dst[pos+4] = f.typ
			var v []byte
			if f.decoded { // offsets in p.decoded, which may lie past the record's end
				v = p.decoded[f.vstart:f.vend]
			} else {
				v = r.Value[f.vstart:f.vend]
			}
			le.PutUint32(dst[pos+5:], uint32(len(v)))
			pos += 9 + copy(dst[pos+9:], v)
		}
		meta := r.Meta
		if p.bad[i] != nil {
			meta = nil
		}
		pos = encodeMeta(dst, pos, meta)
	}
}

func encodeMeta(dst []byte, pos int, meta []Meta) int {
	le := binary.LittleEndian
	le.PutUint32(dst[pos:], uint32(len(meta)))
	pos += 4
	for _, m := range meta {
		le.PutUint32(dst[pos:], uint32(len(m.Key)))
		pos += 4 + copy(dst[pos+4:], m.Key)
		le.PutUint32(dst[pos:], uint32(len(m.Value)))
		pos += 4 + copy(dst[pos+4:], m.Value)
	}
	return pos
}

// loadFields calls weir_fields, when the module exports it, and keeps the
// paths it declares: from then on the instance projects.
func (in *instance) loadFields(ctx context.Context, m *Module) error {
	fn := in.mod.ExportedFunction(fieldExports[0].name)
	if fn == nil {
		return nil
	}
	if err := fn.CallWithStack(ctx, in.stack[:]); err != nil {
		return m.classify(ctx, "weir_fields", err)
	}
	out, err := in.result(m, maxFieldsResult)
	if err != nil {
		err.(*Error).Msg = "weir_fields: " + err.(*Error).Msg
		return err
	}
	paths, set, ins, perr := parseFieldPaths(out)
	if perr != nil {
		return &Error{Class: ClassGuest, Transform: m.Manifest.ID(), Msg: "init: weir_fields: " + perr.Error()}
	}
	if set != nil {
		in.proj = &projection{paths: paths, set: set, ins: ins}
		in.processFields = in.mod.ExportedFunction(fieldExports[1].name)
	}
	return nil
}

// processProjected runs one batch through weir_process_fields: the host
// scans every record, sends only the fields, and splices the replacements
// back. Records that are not JSON fail alone with bad_input.
func (in *instance) processProjected(ctx context.Context, m *Module, records []Record, cfg PoolConfig, into *Outcomes) ([]Outcome, error) {
	p := in.proj
	p.hooks = cfg.Fields
	view, err := in.reserve(ctx, m, p.scan(records, m.Manifest.ID()))
	if err != nil {
		return nil, err
	}
	p.encode(view, records)
	in.stack[0] = api.EncodeU32(uint32(len(view)))
	if err := in.processFields.CallWithStack(ctx, in.stack[:]); err != nil {
		return nil, m.classify(ctx, "weir_process_fields", err)
	}
	out, err := in.result(m, cfg.MaxOutputBytes)
	if err != nil {
		return nil, err
	}
	outcomes, err := decodeProjected(out, records, &m.Manifest, cfg.outputLimits(records), p, into, &in.seen)
	if err != nil {
		err.(*Error).Transform = m.Manifest.ID()
		return nil, err
	}
	for i, bad := range p.bad {
		if bad != nil {
			outcomes[i] = Outcome{Err: bad}
		}
	}
	return outcomes, nil
}
