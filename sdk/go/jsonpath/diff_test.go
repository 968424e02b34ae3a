package jsonpath

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// call is one fn call of Set.Each.
type call struct{ path, start, end int }

// calls records every call Each makes, and its error.
func calls(each func([]byte, func(int, int, int)) error, doc []byte) ([]call, error) {
	var cs []call
	err := each(doc, func(p, s, e int) { cs = append(cs, call{p, s, e}) })
	return cs, err
}

// sameErr reports whether two scan errors are the same: both nil, or
// syntax errors at the same offset with the same message.
func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	sa, oka := a.(*SyntaxError)
	sb, okb := b.(*SyntaxError)
	return oka && okb && *sa == *sb
}

// compileSet compiles "|"-separated paths, skipping bad ones, at most MaxPaths.
func compileSet(spec string) *Set {
	var paths []Path
	for _, s := range strings.Split(spec, "|") {
		if p, err := Compile(s); err == nil && len(paths) < MaxPaths {
			paths = append(paths, p)
		}
	}
	set, _ := NewSet(paths...)
	return set
}

// checkAgainstReference holds the fast scanner to the reference one on doc:
// the same calls of Each (path, start, end, in order), the same Spans, the
// same error (offset and message), for the set and for each path alone,
// and the same answer of skipString at every quote.
func checkAgainstReference(t *testing.T, set *Set, doc []byte) {
	t.Helper()
	got, gerr := calls(set.Each, doc)
	want, werr := calls(set.refEach, doc)
	if !sameErr(gerr, werr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("Each(%q):\n got %v %v\nwant %v %v", doc, got, gerr, want, werr)
	}
	gs, gerr := set.Spans(doc, nil)
	ws, werr := set.refSpans(doc, nil)
	if !sameErr(gerr, werr) || !reflect.DeepEqual(gs, ws) {
		t.Fatalf("Spans(%q):\n got %v %v\nwant %v %v", doc, gs, gerr, ws, werr)
	}
	for i, p := range set.paths {
		one := &Set{paths: set.paths[i : i+1], all: 1}
		got, gerr := calls(one.Each, doc) // no plan: the per-path loops
		want, werr := calls(one.refEach, doc)
		if !sameErr(gerr, werr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("path %q Each(%q):\n got %v %v\nwant %v %v", p, doc, got, gerr, want, werr)
		}
	}
	for i := range doc {
		if doc[i] != '"' {
			continue
		}
		ge, gx, gerr := skipString(doc, i)
		we, wx, werr := refSkipString(doc, i)
		if ge != we || gx != wx || !sameErr(gerr, werr) {
			t.Fatalf("skipString(%q, %d) = %d %v %v, want %d %v %v", doc, i, ge, gx, gerr, we, wx, werr)
		}
	}
}

// checkValidity holds the scanner to encoding/json on which documents are
// valid, but where it is stricter on purpose (see FuzzEach).
func checkValidity(t *testing.T, doc []byte) {
	t.Helper()
	err := Validate(doc)
	valid := json.Valid(doc)
	if err == nil && !valid {
		t.Fatalf("accepted invalid JSON %q", doc)
	}
	if err != nil && valid && utf8.Valid(doc) && !surrogateEscape(doc) &&
		bytes.Count(doc, []byte("["))+bytes.Count(doc, []byte("{")) <= MaxDepth {
		t.Fatalf("refused valid JSON %q: %v", doc, err)
	}
}

// trickyDocs are the cases a fast path is most likely to get wrong: stop
// bytes at every position of an 8-byte word, escapes and surrogates across
// word boundaries, invalid UTF-8, deep nesting, duplicates, wildcards.
func trickyDocs() []string {
	docs := []string{
		order,
		`{"a":1,"a":{"a":2},"a":[{"a":3}]}`,
		`{"customer":{"email":"a@x","email":"b@y"},"customer":{"card":"4"}}`,
		`{"em\u0061il":"x","\u0065mail":{"email":"y"}}`,
		`{"\ud83d\ude00":"\u00e9","a":"\ud83d"}`,
		`{"a":"\ud83d\u0041"}`, `{"a":"\uDBFF\uDFFF"}`, `{"a":"\u12"}`, `{"a":"\x"}`,
		"{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xe2\x82\"}",
		"{\"a\":\"\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9\"}", "{\"\xffkey\":1}",
		"{\"a\":\"\x7f\x00\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"\x1f\"}",
		`[0,-0,1.5e+3,-1E-2,0.0,1e5,12345678901234567890]`, `[01]`, `[1.]`, `[1e]`, `[-]`, `[.5]`,
		`{"items":[{"sku":"A","price":1},{"sku":"B"}],"items":{"0":{"sku":"C"}}}`,
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		strings.Repeat(`{"a":`, 40) + `"deep"` + strings.Repeat("}", 40),
		` { "a" : [ true , false , null ] } `, "\t\r\n{}\n", `{"a":1}x`, `{"a":1`, `"unterminated`,
		`{"` + strings.Repeat("k", 100) + `":"` + strings.Repeat("v", 100) + `"}`,
		`{"` + strings.Repeat(`\u006b`, 30) + `":1}`,
		// plain numbers (plainNumber) and the ones it leaves to skipNumber
		`[0.5E+1,2.5e-3,7,0,10.25]`, `[1.5e]`, `[2.]`, `[0.x]`, `[00]`, `[1.2.3]`, `[9`, `{"a":12`, `{"a":0.5`, `[1e`, `[3E`,
		// key lengths around the plan's length filter (mayMatch): 62 to 64 bytes and longer
		`{"` + k62 + `":1,"` + k62 + `x":2,"` + k62 + `xy":3,"` + k62 + `xyz":4,"` + k62 + `xyz` + k62 + `":5}`,
		`{"` + k62 + `xy":{"` + k62 + `xyz":{"a":1}},"` + k62 + `x\u0079":6}`,
		// containers no path reaches into (skipDead), valid and not
		`{"x":[1e5,-2,0.5E-1,{"k\u0041":"v\n"},true,null,[]],"a":1}`,
		` {"x" : { "y" : [ 1 , 2 ] , "z" : "\ud83d\ude00" } , "a" : 2 } `,
		"{\"x\":{\"y\":[1,\t{}\r\n]},\"a\":3}",
		`{"x":[1.]}`, `{"x":{"y":1,}}`, `{"x":[1,]}`, `{"x":{"y" 1}}`, `{"x":{"y":}}`, `{"x":{1:2}}`,
		`{"x":[}`, `{"x":{]}`, `{"x":[tru]}`, `{"x":[01]}`, `{"x":[-]}`, `{"x":{"y":1}`, `{"x":[[[`,
		"{\"x\":[\"\x01\"]}", "{\"x\":[\"\xff\"]}", `{"x":{"\q":1}}`, `{"x":["ab`, `{"x":[0.5e]}`, `{"x":[1]]}`,
		`{"x":{"y":1}}, `, `{"x":[1 2]}`, `{"x":{"y":1 "z":2}}`,
		`{"x":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`,
		`{"x":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`,
		strings.Repeat(`{"x":`, MaxDepth-1) + `[]` + strings.Repeat("}", MaxDepth-1),
		`{"x":` + strings.Repeat(`[1,`, 300) + `x` + strings.Repeat("]", 300) + `}`, // an error deep in a dead container
	}
	// a stop byte at each offset of a word, in keys and in values
	for k := 0; k < 17; k++ {
		pad := strings.Repeat("x", k)
		for _, stop := range []string{`\"`, `\\`, `\n`, `\u00e9`, "\xc3\xa9", "\x01", "\xff", `"`, `\ud83d\ude00`} {
			docs = append(docs, `{"`+pad+stop+`":"`+pad+stop+pad+`"}`)
		}
	}
	return docs
}

// k62 is a 62-byte key: with one to three more bytes it crosses the
// length filter's last exact bit (63).
const k62 = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"

const trickyPaths = "customer.email|customer.phone|customer.card|a|a.a|*|*.*|items.*.sku|items.0.sku|a.0|em\u0061il|0|1|" +
	k62 + "x|" + k62 + "xy." + k62 + "xyz.a|" + k62 + "xyz" + k62

func TestScanAgreesWithReference(t *testing.T) {
	set := compileSet(trickyPaths)
	for i, doc := range trickyDocs() {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			checkAgainstReference(t, set, []byte(doc))
			checkValidity(t, []byte(doc))
		})
	}
	for _, doc := range orders(t) {
		checkAgainstReference(t, maskSet(t), doc)
		checkAgainstReference(t, set, doc)
	}
}

// FuzzScanAgreesWithReference: go test -run - -fuzz FuzzScanAgreesWithReference ./sdk/go/jsonpath
func FuzzScanAgreesWithReference(f *testing.F) {
	for _, doc := range trickyDocs() {
		f.Add([]byte(doc), trickyPaths)
	}
	for i, doc := range orders(f) {
		if i%50 == 0 {
			f.Add(doc, "customer.email|customer.phone|customer.card")
			f.Add(doc, "items.*.sku|customer|*")
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte, spec string) {
		checkAgainstReference(t, compileSet(spec), doc)
		checkValidity(t, doc)
	})
}
