package weir

import (
	"errors"
	"strings"
	"testing"
)

// OnFieldsBatch sees every record's fields before the handler sees any;
// the handler finds its record's place by Index; an absent field is set
// like any other. An OnFieldsBatch error, or panic, fails every record.
func TestOnFieldsBatch(t *testing.T) {
	saved := projection
	defer func() { fieldsBatchFunc, projection = nil, saved }()
	if err := Project("id", "risk"); err != nil {
		t.Fatal(err)
	}
	if err := Insertable(1); err != nil {
		t.Fatal(err)
	}
	var seen []string
	OnFieldsBatch(func(v *FieldsBatch) error {
		seen = seen[:0]
		for rec := range v.Len() {
			var s string
			for i := range v.Fields(rec) {
				p, typ, val := v.Field(rec, i)
				s += string(rune('0'+p)) + typ.String() + ":" + string(val) + " "
			}
			seen = append(seen, s)
		}
		return nil
	})
	recs := []inRecord{
		{fields: []inField{{0, TypeString, "c-1"}, {1, TypeAbsent, ""}}},
		{fields: []inField{{0, TypeNumber, "42"}}, meta: [][2]string{{"k", "v"}}},
		{},
	}
	var b fieldsBatch
	got := runFields(t, &b, 2, func(r *Fields) error {
		if r.Len() == 2 && r.Type(1) == TypeAbsent {
			return r.SetJSON(1, []byte(`{"i":`+string(rune('0'+r.Index()))+`}`))
		}
		return nil
	}, recs...)
	equalLines(t, seen, "0string:c-1 1absent: ", "0number:42 ", "")
	equalLines(t, got, `0 emit f1/0={"i":0}`, "1 emit", "2 emit")

	for _, f := range []func(*FieldsBatch) error{
		func(*FieldsBatch) error { return errors.New("store down") },
		func(*FieldsBatch) error { panic("store down") },
	} {
		OnFieldsBatch(f)
		out, err := b.process(encodeFieldsBatch(recs...), 2, func(*Fields) error { t.Error("handler ran"); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if msgs := errorEntries(out); len(msgs) != 3 || !strings.Contains(msgs[0], "store down") || msgs[0] != msgs[2] {
			t.Errorf("got %q, want three errors saying store down", msgs)
		}
	}
	OnFieldsBatch(func(*FieldsBatch) error { return nil })
	if _, err := b.process(encodeFieldsBatch(recs...)[:20], 2, func(*Fields) error { return nil }); err == nil {
		t.Error("a truncated batch must fail before the hook")
	}
}

// Insertable appends the insertion tail to the declaration, checked; a
// later Project drops it.
func TestInsertable(t *testing.T) {
	saved := projection
	defer func() { projection = saved }()
	projection.paths = 0
	if err := Insertable(0); !errors.Is(err, errInsertBeforeProject) {
		t.Fatalf("before Project: got %v", err)
	}
	if err := Project("id", "risk"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]int{{2}, {1, 0}, {0, 0}, {-1}} {
		if err := Insertable(bad...); err == nil || !strings.Contains(err.Error(), "want increasing indices below 2") {
			t.Errorf("Insertable(%v): got %v", bad, err)
		}
	}
	if err := Insertable(1); err != nil {
		t.Fatal(err)
	}
	want := "\x02\x00\x00\x00\x02\x00\x00\x00id\x04\x00\x00\x00risk\x01\x00\x00\x00\x01\x00\x00\x00"
	if string(projection.declared) != want {
		t.Fatalf("declaration %q, want %q", projection.declared, want)
	}
	if err := Project("id"); err != nil || len(projection.declared) != 10 {
		t.Fatalf("Project after Insertable: %v, %q", err, projection.declared)
	}
}
