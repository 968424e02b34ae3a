package weir

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// inField and inRecord build a projected input batch the way the host
// writes it (docs/abi.md §4b).
type inField struct {
	path  uint32
	typ   FieldType
	value string
}

type inRecord struct {
	fields []inField
	meta   [][2]string
}

func encodeFieldsBatch(records ...inRecord) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, uint32(len(records)))
	for _, r := range records {
		b = le.AppendUint32(b, uint32(len(r.fields)))
		for _, f := range r.fields {
			b = append(le.AppendUint32(b, f.path), byte(f.typ))
			b = appendString(b, f.value)
		}
		b = le.AppendUint32(b, uint32(len(r.meta)))
		for _, m := range r.meta {
			b = appendString(appendString(b, m[0]), m[1])
		}
	}
	return b
}

// decodeOutput renders an output batch as one line per entry, so tests
// compare what the host would read.
func decodeOutput(t testing.TB, out []byte) []string {
	t.Helper()
	lines, err := readOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func readOutput(out []byte) ([]string, error) {
	d := reader{buf: out}
	n := d.u32()
	var lines []string
	for i := uint32(0); i < n; i++ {
		idx, kind := d.u32(), d.u8()
		line := fmt.Sprintf("%d ", idx)
		switch kind {
		case kindDrop:
			line += "drop"
		case kindError:
			line += "error " + string(d.bytes())
		case kindEmit:
			line += "emit" + decodeEmit(&d)
		default:
			return nil, fmt.Errorf("entry %d: unknown kind %d", i, kind)
		}
		lines = append(lines, line)
	}
	if d.bad || d.left() != 0 {
		return nil, fmt.Errorf("output is malformed or has %d trailing bytes", d.left())
	}
	return lines, nil
}

func decodeEmit(d *reader) string {
	flags := d.u8()
	var s string
	if flags&flagValue != 0 {
		s += " value=" + string(d.bytes())
	}
	if flags&flagPort != 0 {
		s += " port=" + string(d.bytes())
	}
	if flags&flagMeta != 0 {
		for n := d.u32(); n > 0; n-- {
			if d.u8() == opDelete {
				s += " del:" + string(d.bytes())
				continue
			}
			s += " meta:" + string(d.bytes()) + "=" + string(d.bytes())
		}
	}
	if flags&flagFields != 0 {
		for n := d.u32(); n > 0; n-- {
			f, typ := d.u32(), d.u8()
			s += fmt.Sprintf(" f%d/%d=%s", f, typ, d.bytes())
		}
	}
	return s
}

func runFields(t testing.TB, b *fieldsBatch, paths int, h FieldsHandler, records ...inRecord) []string {
	t.Helper()
	out, err := b.process(encodeFieldsBatch(records...), paths, h)
	if err != nil {
		t.Fatal(err)
	}
	return decodeOutput(t, out)
}

func equalLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestFieldsVerdicts(t *testing.T) {
	var b fieldsBatch
	h := func(r *Fields) error {
		switch string(r.Value(0)) {
		case "keep":
		case "set":
			r.SetString(1, "x")
			if err := r.SetJSON(0, []byte(`{"a":1}`)); err != nil {
				return err
			}
		case "drop":
			r.Drop()
		case "error":
			return errors.New("asked to fail")
		case "route":
			r.Route("a", "b")
			r.SetMeta("k", "v")
			r.DeleteMeta("gone")
		case "fanout":
			for i := range 3 {
				r.SetString(1, fmt.Sprint(i))
				r.Emit()
			}
			r.SetString(1, "ignored after the last Emit")
		case "emit-port":
			r.Emit("b")
		case "panic":
			panic("asked to panic")
		}
		return nil
	}
	rec := func(cmd string) inRecord {
		return inRecord{fields: []inField{{0, TypeString, cmd}, {1, TypeNumber, "12"}}}
	}
	equalLines(t, runFields(t, &b, 2, h, rec("keep"), rec("set"), rec("drop"), rec("error"), rec("route"), rec("fanout"), rec("emit-port"), rec("panic")),
		"0 emit",
		"1 emit f0/0={\"a\":1} f1/1=x",
		"2 drop",
		"3 error asked to fail",
		"4 emit port=a meta:k=v del:gone",
		"4 emit port=b meta:k=v del:gone",
		"5 emit f1/1=0",
		"5 emit f1/1=1",
		"5 emit f1/1=2",
		"6 emit port=b",
		"7 error handler panicked: asked to panic",
	)
}

func TestFieldsSetsAreSortedAndTheLastWins(t *testing.T) {
	var b fieldsBatch
	h := func(r *Fields) error {
		r.SetString(2, "c")
		r.SetString(0, "a")
		r.SetString(2, "C")
		r.SetString(1, "b")
		return nil
	}
	three := inRecord{fields: []inField{{0, TypeString, "x"}, {0, TypeString, "y"}, {1, TypeNull, "null"}}}
	equalLines(t, runFields(t, &b, 2, h, three), "0 emit f0/1=a f1/1=b f2/1=C")
}

func TestFieldsReadsWhatTheHostSent(t *testing.T) {
	var b fieldsBatch
	var seen []string
	h := func(r *Fields) error {
		v, ok := r.Meta("k")
		seen = append(seen, fmt.Sprintf("len=%d meta=%q,%v", r.Len(), v, ok))
		for i := range r.Len() {
			seen = append(seen, fmt.Sprintf("path=%d type=%s value=%s", r.Path(i), r.Type(i), r.Value(i)))
		}
		r.SetMeta("k", "new")
		if v, _ := r.Meta("k"); v != "new" {
			return errors.New("SetMeta is not visible to Meta")
		}
		return nil
	}
	runFields(t, &b, 3, h,
		inRecord{fields: []inField{{2, TypeObject, `{"a":"b"}`}, {0, TypeString, "é\n"}}, meta: [][2]string{{"k", "v"}}},
		inRecord{}) // a record the host failed: no fields, no metadata
	equalLines(t, seen,
		`len=2 meta="v",true`,
		`path=2 type=object value={"a":"b"}`,
		"path=0 type=string value=é\n",
		`len=0 meta="",false`)
}

func TestFieldsTextIsAlwaysValidUTF8(t *testing.T) {
	var b fieldsBatch
	h := func(r *Fields) error {
		r.SetString(0, "a\xffb")
		r.SetStringBytes(1, []byte("\xe2\x82"))
		if err := r.SetJSON(2, []byte(`{"a":`)); err == nil {
			return errors.New("SetJSON took a truncated object")
		}
		return nil
	}
	rec := inRecord{fields: []inField{{0, TypeString, ""}, {0, TypeString, ""}, {0, TypeString, ""}}}
	equalLines(t, runFields(t, &b, 1, h, rec), "0 emit f0/1=a\uFFFDb f1/1=\uFFFD\uFFFD")
}

func TestFieldsSetOutOfRangeFailsTheRecord(t *testing.T) {
	var b fieldsBatch
	h := func(r *Fields) error { r.SetString(1, "x"); return nil }
	got := runFields(t, &b, 1, h, inRecord{fields: []inField{{0, TypeString, "a"}}})
	equalLines(t, got, "0 error handler panicked: weir: field index 1 out of range: the record has 1 fields")
}

func TestFieldsRefusesMalformedBatches(t *testing.T) {
	good := encodeFieldsBatch(inRecord{fields: []inField{{0, TypeString, "abc"}}, meta: [][2]string{{"k", "v"}}})
	h := func(*Fields) error { return nil }
	for name, c := range map[string]struct {
		in    []byte
		paths int
		want  error
	}{
		"truncated":          {good[:len(good)-1], 1, errTruncated},
		"huge record count":  {[]byte{0xff, 0xff, 0xff, 0xff}, 1, errTruncated},
		"huge field count":   {[]byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f}, 1, errTruncated},
		"undeclared path":    {encodeFieldsBatch(inRecord{fields: []inField{{1, TypeString, "a"}}}), 1, errBadFields},
		"type 0":             {encodeFieldsBatch(inRecord{fields: []inField{{0, 0, "a"}}}), 1, errBadFields},
		"type 7":             {encodeFieldsBatch(inRecord{fields: []inField{{0, 7, "a"}}}), 1, errBadFields},
		"no paths declared":  {good, 0, errNotProjected},
		"trailing, accepted": {append(good[:len(good):len(good)], 0), 1, nil},
	} {
		t.Run(name, func(t *testing.T) {
			var b fieldsBatch
			_, err := b.process(c.in, c.paths, h)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestFieldsHotPathDoesNotAllocate(t *testing.T) {
	var b fieldsBatch
	in := encodeFieldsBatch(
		inRecord{fields: []inField{{0, TypeString, "jane@x.com"}, {1, TypeString, "+34-555-4701"}}, meta: [][2]string{{"k", "v"}}},
		inRecord{fields: []inField{{0, TypeString, "john@y.org"}}})
	scratch := make([]byte, 0, 64)
	h := func(r *Fields) error {
		for i := range r.Len() {
			scratch = append(append(scratch[:0], "***"...), r.Value(i)[4:]...)
			r.SetStringBytes(i, scratch)
		}
		r.SetMeta("masked", "yes")
		r.Route("a")
		return nil
	}
	mask := func(r *Fields) error { // the direct path
		for i := range r.Len() {
			r.SetStringBytes(i, append(append(r.Scratch(), "***"...), r.Value(i)[4:]...))
		}
		return nil
	}
	for name, h := range map[string]FieldsHandler{"general": h, "direct": mask} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := b.process(in, 2, h); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Fatalf("%s: %v allocations per batch, want 0", name, allocs)
		}
	}
}

func TestProjectChecksItsPaths(t *testing.T) {
	saved := projection
	defer func() { projection = saved }()
	many := make([]string, 65)
	for i := range many {
		many[i] = "a"
	}
	for want, paths := range map[string][]string{
		"no paths given":                nil,
		"65 paths, at most 64":          many,
		`path 1: jsonpath: path "a..b"`: {"a", "a..b"},
		"path 0 is 1025 bytes long":     {strings.Repeat("a", 1025)},
	} {
		if err := Project(paths...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Project(%.40q): got %v, want %q", paths, err, want)
		}
	}
	if err := Project("customer.email", "items.*.sku"); err != nil {
		t.Fatal(err)
	}
	want := "\x02\x00\x00\x00\x0e\x00\x00\x00customer.email\x0b\x00\x00\x00items.*.sku"
	if string(projection.declared) != want || projection.paths != 2 {
		t.Fatalf("weir_fields answer %q (%d paths), want %q", projection.declared, projection.paths, want)
	}
	projection.handler = nil
	if err := checkProjection(); !errors.Is(err, errNoFieldsHandler) {
		t.Fatalf("paths without a handler: got %v", err)
	}
}

// FuzzProcessFields feeds arbitrary bytes to the projected batch decoder:
// it refuses them or decodes them, never panics, and what it answers is a
// well-formed output whose replacements name fields the record has, in
// increasing order.
func FuzzProcessFields(f *testing.F) {
	f.Add(encodeFieldsBatch(inRecord{fields: []inField{{0, TypeString, "set"}, {1, TypeNumber, "12"}}, meta: [][2]string{{"k", "v"}}}))
	f.Add(encodeFieldsBatch(inRecord{}, inRecord{fields: []inField{{2, TypeArray, "[1]"}}}))
	f.Add([]byte{1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		h := func(r *Fields) error {
			for i := r.Len() - 1; i >= 0; i-- { // backwards: the SDK sorts
				if r.Type(i) == TypeString {
					r.SetStringBytes(i, r.Value(i))
				}
			}
			for k := 1; k < len(r.repls); k++ {
				if r.repls[k-1].field >= r.repls[k].field {
					t.Fatalf("replacements out of order: %+v", r.repls)
				}
			}
			if n := len(r.repls); n > 0 && int(r.repls[n-1].field) >= r.Len() {
				t.Fatalf("replacement of field %d of %d", r.repls[n-1].field, r.Len())
			}
			if r.Len() > 1 {
				r.Emit("a")
				r.Emit()
			}
			return nil
		}
		var b fieldsBatch
		out, err := b.process(in, 3, h)
		if err != nil {
			return
		}
		if _, err := readOutput(out); err != nil {
			t.Fatalf("output of %x: %v", in, err)
		}
	})
}
