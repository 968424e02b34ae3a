package runtime

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// The field-projection exports (docs/abi.md §4b): optional, but a module
// has both or neither.
var fieldExports = [2]struct {
	name string
	sig  wasmbin.FuncType
}{
	{"weir_fields", wasmbin.FuncType{Results: i64}},
	{"weir_process_fields", wasmbin.FuncType{Params: i32, Results: i64}},
}

// Limits of a weir_fields declaration.
const (
	maxFieldPaths     = jsonpath.MaxPaths
	maxFieldPathBytes = 1 << 10
	// maxFieldsResult is the largest well-formed declaration.
	maxFieldsResult = 4 + maxFieldPaths*(4+maxFieldPathBytes)
)

// flagFields marks an EMIT of weir_process_fields that carries field
// replacements; replacement types.
const (
	flagFields = 1 << 3

	replJSON = 0
	replText = 1
)

// checkFieldExports refuses a module with one projection export and not
// the other, or either with the wrong signature.
func checkFieldExports(m *wasmbin.Module) error {
	var has [2]bool
	for i, want := range fieldExports {
		ex, ok := m.Export(want.name)
		if !ok {
			continue
		}
		got, ok := m.FuncType(ex.Index)
		if ex.Kind != wasmbin.KindFunc || !ok || !sameSig(got, want.sig) {
			return refuse("export %q has signature %s, want %s", want.name, sigString(got), sigString(want.sig))
		}
		has[i] = true
	}
	for i, want := range fieldExports {
		if has[1-i] && !has[i] {
			other := fieldExports[1-i].name
			return refuse("module exports %q but not %q %s: field projection needs both (see docs/abi.md §4b)", other, want.name, sigString(want.sig))
		}
	}
	return nil
}

// parseFieldPaths reads a weir_fields declaration, count:u32
// path:string*count, and compiles its paths: at most maxFieldPaths, each
// at most maxFieldPathBytes of UTF-8 and a valid jsonpath, then the
// optional insertion paths (parseInsertions). No paths (or an empty
// result) means the instance does not project.
func parseFieldPaths(b []byte) ([]string, *jsonpath.Set, *insertion, error) {
	if len(b) == 0 {
		return nil, nil, nil, nil
	}
	if len(b) < 4 {
		return nil, nil, nil, fmt.Errorf("truncated: %d bytes, want a u32 count", len(b))
	}
	le := binary.LittleEndian
	count := le.Uint32(b)
	if count > maxFieldPaths {
		return nil, nil, nil, fmt.Errorf("%d paths, at most %d", count, maxFieldPaths)
	}
	paths := make([]string, 0, count)
	compiled := make([]jsonpath.Path, 0, count)
	pos := 4
	for i := 0; i < int(count); i++ {
		if len(b)-pos < 4 {
			return nil, nil, nil, fmt.Errorf("path %d: truncated at byte %d", i, pos)
		}
		n := le.Uint32(b[pos:])
		pos += 4
		if n > maxFieldPathBytes {
			return nil, nil, nil, fmt.Errorf("path %d: %d bytes, at most %d", i, n, maxFieldPathBytes)
		}
		if int(n) > len(b)-pos {
			return nil, nil, nil, fmt.Errorf("path %d: length %d exceeds the %d bytes left", i, n, len(b)-pos)
		}
		p, err := compileFieldPath(i, b[pos:pos+int(n)])
		if err != nil {
			return nil, nil, nil, err
		}
		pos += int(n)
		paths, compiled = append(paths, p.String()), append(compiled, p)
	}
	if count == 0 {
		if pos != len(b) {
			return nil, nil, nil, fmt.Errorf("%d trailing bytes after 0 paths", len(b)-pos)
		}
		return nil, nil, nil, nil
	}
	var ins *insertion
	if pos != len(b) {
		var err error
		if ins, err = parseInsertions(b[pos:], compiled); err != nil {
			return nil, nil, nil, err
		}
	}
	set, err := jsonpath.NewSet(compiled...)
	return paths, set, ins, err
}

func compileFieldPath(i int, raw []byte) (jsonpath.Path, error) {
	if !utf8.Valid(raw) {
		return jsonpath.Path{}, fmt.Errorf("path %d %s: not valid UTF-8", i, excerpt(raw))
	}
	text := string(raw)
	p, err := jsonpath.Compile(text)
	if err != nil {
		why := strings.TrimPrefix(err.Error(), fmt.Sprintf("jsonpath: path %q ", text))
		return p, fmt.Errorf("path %d %s: %s", i, excerpt(raw), why)
	}
	return p, nil
}

// repl is one field replacement of an EMIT, a view into guest memory.
type repl struct {
	field int
	typ   byte
	value []byte
	plain bool // text with nothing to escape: quoted by copying it whole
	// key is `"key":` when the field is an insertion path's missing key,
	// after a comma when comma is set (fields_insert.go)
	key   []byte
	comma bool
}

// fields reads an EMIT's replacements (n:u32 repl*n) of input record idx,
// checks them all, charges the spliced value against the output caps and
// only then builds it, from the original value. n = 0 keeps the value.
func (d *decoder) fields(idx int, in Record) (value []byte, unchanged bool, err error) {
	fs := d.proj.of(idx)
	n, err := d.u32()
	if err != nil {
		return nil, false, err
	}
	if uint64(n) > uint64(len(fs)) {
		return nil, false, d.fail("record %d: %d field replacements, but the record has %d fields", idx, n, len(fs))
	}
	if n == 0 {
		return in.Value, true, d.chargeBytes(idx, len(in.Value))
	}
	size, err := d.replacements(idx, fs, int(n), in.Value)
	if err == nil {
		err = d.chargeBytes(idx, size)
	}
	if err != nil {
		return nil, false, err
	}
	return splice(d.proj.values.take(size), in.Value, fs, d.proj.repls), false, nil
}

// replacements reads and checks n replacements into d.proj.repls and
// returns the size of the spliced value (doc before).
func (d *decoder) replacements(idx int, fs []field, n int, doc []byte) (int, error) {
	d.proj.repls = d.proj.repls[:0]
	size, last := len(doc), -1
	for k := 0; k < n; k++ {
		f, typ, v, ok := d.replacementHead()
		if !ok {
			return 0, d.truncatedReplacement(idx, len(fs), last)
		}
		if uint64(f) >= uint64(len(fs)) || int(f) <= last {
			d.at = d.pos - 9 - len(v) // the field index
			return 0, d.badField(idx, f, len(fs), last)
		}
		last = int(f)
		r, grown, err := d.replacement(idx, last, typ, v)
		if err != nil {
			return 0, err
		}
		if fs[last].typ == typeAbsent {
			grown += d.insert(&r, doc, fs)
		}
		size += grown - (fs[last].end - fs[last].start)
		d.proj.repls = append(d.proj.repls, r)
	}
	return size, nil
}

func (d *decoder) badField(idx int, f uint32, fields, last int) error {
	return d.fail("record %d: field index %d out of order or out of range (%d fields, previous %d)", idx, f, fields, last)
}

// truncatedReplacement is the error of a replacement that does not fit in
// what is left, found by reading it field by field, each read checked.
func (d *decoder) truncatedReplacement(idx, fields, last int) error {
	f, err := d.u32()
	if err != nil {
		return err
	}
	if uint64(f) >= uint64(fields) || int(f) <= last {
		return d.badField(idx, f, fields, last)
	}
	if _, err = d.u8(); err == nil {
		_, err = d.bytes()
	}
	if err == nil { // replacementHead said it does not fit
		err = d.fail("record %d: truncated field replacement", idx)
	}
	return err
}

// replacementHead reads one replacement, field:u32 type:u8 value:bytes,
// with one bounds check for all of it, and leaves d.at at its value's
// length, as the checked reads would. ok is false, and nothing read, when
// it does not fit in what is left.
func (d *decoder) replacementHead() (field uint32, typ byte, v []byte, ok bool) {
	b := d.buf[d.pos:]
	if len(b) < 9 {
		return 0, 0, nil, false
	}
	n := binary.LittleEndian.Uint32(b[5:])
	if uint64(n) > uint64(len(b)-9) {
		return 0, 0, nil, false
	}
	d.at = d.pos + 5
	d.pos += 9 + int(n)
	return binary.LittleEndian.Uint32(b), b[4], b[9 : 9+n], true
}

// replacement checks one replacement's type and value and returns it with
// the size it will take in the document.
func (d *decoder) replacement(idx, field int, typ byte, v []byte) (repl, int, error) {
	r := repl{field: field, typ: typ, value: v}
	switch typ {
	case replText:
		n, ok := quotedText(v)
		if !ok {
			return r, 0, d.fail("record %d: field %d: type 1 (text) replacement %s is not valid UTF-8", idx, field, excerpt(v))
		}
		r.plain = n == len(v)+2
		return r, n, nil
	case replJSON:
		if err := jsonpath.Validate(v); err != nil {
			return r, 0, d.fail("record %d: field %d: type 0 (raw JSON) replacement %s is not one JSON value: %v", idx, field, excerpt(v), err)
		}
		return r, len(v), nil
	}
	return r, 0, d.fail("record %d: field %d: unknown replacement type %d (0 raw JSON, 1 text)", idx, field, typ)
}

// insert makes r, a replacement of an absent field, add its key, and
// returns the bytes that adds.
func (d *decoder) insert(r *repl, doc []byte, fs []field) int {
	f, repls := fs[r.field], d.proj.repls
	after := len(repls) > 0 && fs[repls[len(repls)-1].field].start == f.start
	r.key, r.comma = d.proj.ins.key[f.path], needsComma(doc, f.start, after)
	if r.comma {
		return len(r.key) + 1
	}
	return len(r.key)
}

// splice appends to dst the document doc with each replaced field's raw
// value (fs, in document order, not overlapping) swapped for its
// replacement: text quoted as a JSON string, raw JSON as it is.
func splice(dst, doc []byte, fs []field, repls []repl) []byte {
	prev := 0
	for _, r := range repls {
		f := fs[r.field]
		dst = append(dst, doc[prev:f.start]...)
		if r.key != nil {
			if r.comma {
				dst = append(dst, ',')
			}
			dst = append(dst, r.key...)
		}
		switch {
		case r.plain:
			dst = append(append(append(dst, '"'), r.value...), '"')
		case r.typ == replText:
			dst = appendQuoted(dst, r.value)
		default:
			dst = append(dst, r.value...)
		}
		prev = f.end
	}
	return append(dst, doc[prev:]...)
}

// appendQuoted appends valid UTF-8 v as a JSON string, exactly as
// jsonpath.AppendQuote does (on valid UTF-8 it only escapes ASCII: the
// quote, the backslash and control characters).
func appendQuoted(dst, v []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	plain := textRun(v, 0) // copy the run before the first escape whole
	for plain < len(v) && v[plain] >= utf8.RuneSelf {
		plain = textRun(v, plain+1) // bytes of valid UTF-8 need no escape
	}
	dst = append(dst, v[:plain]...)
	for _, c := range v[plain:] {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// checkFlags refuses unknown EMIT flags, field replacements outside
// weir_process_fields, and a whole value with field replacements.
func (d *decoder) checkFlags(idx int, flags byte) error {
	if flags&flagFields != 0 && d.proj == nil {
		return d.fail("record %d: emit flag bit 3 (field replacements) from weir_process: only weir_process_fields may send them", idx)
	}
	if flags&^(flagValue|flagPort|flagMeta|flagFields) != 0 {
		return d.fail("unknown emit flags 0x%02x", flags)
	}
	if flags&flagValue != 0 && flags&flagFields != 0 {
		return d.fail("record %d: emit flags 0x%02x: a whole value (bit 0) and field replacements (bit 3) exclude each other", idx, flags)
	}
	return nil
}

// decodeProjected is decodeOutput for the reply of weir_process_fields to
// a batch p scanned: EMITs may carry field replacements. into and seen
// are reused as decodeInto reuses them (nil seen: fresh scratch).
func decodeProjected(out []byte, inputs []Record, man *Manifest, lim outputLimits, p *projection, into *Outcomes, seen *[]uint8) ([]Outcome, error) {
	return (&decoder{buf: out, lim: lim, inherited: -1, proj: p}).decode(inputs, man, into, seen)
}
