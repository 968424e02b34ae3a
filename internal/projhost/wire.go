package projhost

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// scan is what the host found in one record: its fields, or why it is not JSON.
type scan struct {
	err     error
	matches []jsonpath.Match
}

func (g *Guest) scan(r Record) scan {
	ms, err := g.set.Spans([]byte(r.Value), nil)
	if err != nil {
		return scan{err: err}
	}
	return scan{matches: ms}
}

// Field types of a projected batch.
const (
	typeString = 1 + iota
	typeNumber
	typeBool
	typeNull
	typeObject
	typeArray
)

func typeOf(raw []byte) byte {
	switch raw[0] {
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

// encode appends record := field_count field* meta_count meta*; a record
// that is not JSON goes with no fields and no metadata.
func (s scan) encode(dst []byte, r Record) []byte {
	if s.err != nil {
		return binary.LittleEndian.AppendUint64(dst, 0)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s.matches)))
	for _, m := range s.matches {
		raw := []byte(r.Value[m.Start:m.End])
		t := typeOf(raw)
		if t == typeString {
			str, _ := jsonpath.Unquote(raw) // validated by the scan
			raw = []byte(str)
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(m.Path))
		dst = appendBytes(append(dst, t), raw)
	}
	return appendMeta(dst, r.Meta)
}

func appendBytes(dst, b []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(dst, uint32(len(b))), b...)
}

func appendMeta(dst []byte, meta map[string]string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(meta)))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		dst = appendBytes(appendBytes(dst, []byte(k)), []byte(meta[k]))
	}
	return dst
}

// decoder reads the guest's bytes; the first error sticks.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("output offset %d: "+format, append([]any{d.off}, args...)...)
	}
}

func (d *decoder) u8() byte {
	if d.err != nil || d.off+1 > len(d.b) {
		d.fail("truncated")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *decoder) u32() uint32 {
	if d.err != nil || d.off+4 > len(d.b) {
		d.fail("truncated")
		return 0
	}
	d.off += 4
	return binary.LittleEndian.Uint32(d.b[d.off-4:])
}

func (d *decoder) bytes() []byte {
	n := int(d.u32())
	if d.err != nil || n > len(d.b)-d.off {
		d.fail("a length of %d runs past the output", n)
		return nil
	}
	d.off += n
	return d.b[d.off-n : d.off]
}

func (d *decoder) end() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d bytes after the last entry", len(d.b)-d.off)
	}
	return d.err
}

// decodeOutput checks the output against §4 and §4b and builds the outcomes.
func decodeOutput(out []byte, records []Record, scans []scan) ([]Outcome, error) {
	d := &decoder{b: out}
	outs := make([]Outcome, len(records))
	state := make([]byte, len(records)) // 0 no entry, 1 EMITs, 2 a DROP or ERROR
	last := 0
	for n := d.u32(); n > 0 && d.err == nil; n-- {
		idx := int(d.u32())
		if idx >= len(records) || idx < last {
			d.fail("entry for record %d after record %d, of %d", idx, last, len(records))
			break
		}
		last = idx
		kind := d.u8()
		if state[idx] == 2 || state[idx] == 1 && kind != 1 {
			d.fail("record %d: a DROP or ERROR must be its only entry", idx)
		}
		state[idx] = 2
		switch kind {
		case 1:
			state[idx] = 1
			if e := d.emit(records[idx], scans[idx]); d.err == nil {
				outs[idx].Out = append(outs[idx].Out, e)
			}
		case 2:
			outs[idx].Out = []Output{}
		case 3:
			outs[idx].Class, outs[idx].Error = "guest_error", string(d.bytes())
		default:
			d.fail("unknown entry kind %d", kind)
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	for i := range records {
		if state[i] == 0 {
			return nil, fmt.Errorf("record %d: guest gave no verdict", i)
		}
		if scans[i].err != nil {
			outs[i] = Outcome{Class: "bad_input", Error: "record is not JSON: " + scans[i].err.Error()}
		}
	}
	return outs, nil
}

func (d *decoder) emit(r Record, s scan) Output {
	flags := d.u8()
	if flags&^0xf != 0 || flags&1 != 0 && flags&8 != 0 {
		d.fail("flags %#x", flags)
		return Output{}
	}
	o := Output{Value: r.Value, Meta: maps.Clone(r.Meta)}
	if o.Meta == nil {
		o.Meta = map[string]string{}
	}
	if flags&1 != 0 {
		o.Value = string(d.bytes())
	}
	if flags&2 != 0 {
		o.Port = string(d.bytes())
	}
	if flags&4 != 0 {
		d.metaOps(o.Meta)
	}
	if flags&8 != 0 {
		o.Value = d.splice(r.Value, s.matches)
	}
	return o
}

func (d *decoder) metaOps(meta map[string]string) {
	for n := d.u32(); n > 0 && d.err == nil; n-- {
		switch op := d.u8(); op {
		case 1:
			k := string(d.bytes())
			meta[k] = string(d.bytes())
		case 2:
			delete(meta, string(d.bytes()))
		default:
			d.fail("unknown meta op %d", op)
		}
	}
}

// splice reads fields := n repl* and rebuilds the document with them.
func (d *decoder) splice(doc string, ms []jsonpath.Match) string {
	n := d.u32()
	if int(n) > len(ms) {
		d.fail("%d replacements for %d fields", n, len(ms))
		return ""
	}
	with := make(map[int][]byte, n)
	next := 0
	for ; n > 0 && d.err == nil; n-- {
		f, t, v := int(d.u32()), d.u8(), d.bytes()
		if f < next || f >= len(ms) {
			d.fail("replacement of field %d: not increasing, or of %d fields", f, len(ms))
			return ""
		}
		next = f + 1
		if err := checkRepl(t, v); err != nil {
			d.fail("field %d: %v", f, err)
			return ""
		}
		if t == 1 {
			v = jsonpath.AppendQuote(nil, string(v))
		}
		with[f] = v
	}
	i := 0
	return string(jsonpath.ReplaceMatches(nil, []byte(doc), ms, func(dst []byte, _ int, raw []byte) []byte {
		defer func() { i++ }()
		if v, ok := with[i]; ok {
			return append(dst, v...)
		}
		return append(dst, raw...)
	}))
}

func checkRepl(t byte, v []byte) error {
	switch t {
	case 0:
		return jsonpath.Validate(v)
	case 1:
		if !utf8.Valid(v) {
			return errors.New("text replacement is not UTF-8")
		}
		return nil
	}
	return fmt.Errorf("replacement type %d", t)
}
