package weir

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// fieldOps are what the random handlers do to a record, one op at a time.
var fieldOps = []string{"set", "set", "set", "scratch", "again", "back", "json", "bad-utf8", "drop", "route", "meta", "emit", "error", "panic"}

// script is a random handler: ops applied in order, each to a field.
type script struct {
	ops    []string
	fields []int
}

func (s script) run(r *Fields, general bool) error {
	if general {
		r.undirect() // what the first op other than an in-order Set does
	}
	for k, op := range s.ops {
		i := s.fields[k] % max(r.Len(), 1)
		if r.Len() == 0 && op != "drop" && op != "route" && op != "meta" && op != "emit" && op != "error" {
			continue
		}
		switch op {
		case "set":
			r.SetString(i, fmt.Sprint("v", k))
		case "scratch":
			r.SetStringBytes(i, append(append(r.Scratch(), "s"...), r.Value(i)...))
		case "again":
			r.SetString(i, "again")
			r.SetString(i, "again2")
		case "back":
			r.SetString(r.Len()-1, "last")
			r.SetString(0, "first")
		case "json":
			if err := r.SetJSON(i, []byte(`[1,{"a":null}]`)); err != nil {
				return err
			}
		case "bad-utf8":
			r.SetStringBytes(i, append(r.Scratch(), "a\xffb\xe2\x82"...))
		case "drop":
			r.Drop()
		case "route":
			r.Route("a")
		case "meta":
			r.SetMeta("k", fmt.Sprint(k))
		case "emit":
			r.Emit("b")
		case "error":
			return fmt.Errorf("op %d", k)
		case "panic":
			panic(fmt.Sprint("op ", k))
		}
	}
	return nil
}

// TestFieldsDirectMatchesGeneral: the direct path (replacements written
// straight into the output) and the general one (the arena, encoded
// after the handler) give the same bytes for random handlers on random
// records, on state reused across batches.
func TestFieldsDirectMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var direct, general fieldsBatch
	for round := 0; round < 400; round++ {
		records := make([]inRecord, rng.IntN(12))
		scripts := make([]script, len(records))
		for i := range records {
			for range rng.IntN(5) {
				records[i].fields = append(records[i].fields, inField{uint32(rng.IntN(3)), FieldType(1 + rng.IntN(6)), strings.Repeat("x", rng.IntN(20))})
			}
			for range rng.IntN(3) {
				s := &scripts[i]
				s.ops = append(s.ops, fieldOps[rng.IntN(len(fieldOps))])
				s.fields = append(s.fields, rng.IntN(5))
			}
			if rng.IntN(3) > 0 { // mostly masks: in-order sets only
				scripts[i] = script{}
				for j := range records[i].fields {
					if rng.IntN(2) == 0 {
						scripts[i].ops = append(scripts[i].ops, "scratch")
						scripts[i].fields = append(scripts[i].fields, j)
					}
				}
			}
		}
		in := encodeFieldsBatch(records...)
		handler := func(general bool) FieldsHandler {
			n := 0
			return func(r *Fields) error {
				n++
				return scripts[n-1].run(r, general)
			}
		}
		want, err := general.process(in, 3, handler(true))
		if err != nil {
			t.Fatal(err)
		}
		want = bytes.Clone(want)
		got, err := direct.process(in, 3, handler(false))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d, scripts %v:\ndirect  %q\ngeneral %q", round, scripts, decodeOutput(t, got), decodeOutput(t, want))
		}
		decodeOutput(t, got) // well-formed
	}
}

// TestFieldsScratchIsUsedInPlace: text built on Scratch is the field's
// new text on both paths, and a later Set does not disturb an earlier one.
func TestFieldsScratchIsUsedInPlace(t *testing.T) {
	var b fieldsBatch
	h := func(r *Fields) error {
		if string(r.Value(0)) == "general" {
			r.SetMeta("k", "v")
		}
		for i := range r.Len() {
			r.SetStringBytes(i, append(append(r.Scratch(), "***"...), r.Value(i)[len(r.Value(i))-2:]...))
		}
		return nil
	}
	rec := func(v string) inRecord {
		return inRecord{fields: []inField{{0, TypeString, v}, {0, TypeString, "4701"}, {0, TypeNumber, "12345"}}}
	}
	equalLines(t, runFields(t, &b, 1, h, rec("direct"), rec("general")),
		"0 emit f0/1=***ct f1/1=***01 f2/1=***45",
		"1 emit meta:k=v f0/1=***al f1/1=***01 f2/1=***45")
}

// TestFieldsASCIICheckMatchesUTF8: the SDK's word-at-a-time ASCII check
// lets through exactly the valid text, at every length and position of a
// non-ASCII byte, and fixes the rest as the byte-by-byte path does.
func TestFieldsASCIICheckMatchesUTF8(t *testing.T) {
	var b fieldsBatch
	for n := 0; n <= 20; n++ {
		for at := -1; at < n; at++ {
			for _, c := range []string{"\xff", "é"} {
				text := []byte(strings.Repeat("a", n))
				if at >= 0 {
					text = append(text[:at:at], append([]byte(c), text[at+1:]...)...)
				}
				want := string(appendValidUTF8Bytes(nil, text))
				if utf8.Valid(text) && want != string(text) {
					t.Fatalf("the reference changed valid text %q", text)
				}
				for _, set := range []func(r *Fields){
					func(r *Fields) { r.SetStringBytes(0, text) },
					func(r *Fields) { r.SetString(0, string(text)) },
				} {
					got := runFields(t, &b, 1, func(r *Fields) error { set(r); return nil }, inRecord{fields: []inField{{0, TypeString, ""}}})
					equalLines(t, got, "0 emit f0/1="+want)
				}
			}
		}
	}
}
