package runtime

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// insertDecl is a declaration of paths with the given insertion indices.
func insertDecl(paths []string, inserts ...uint32) out {
	b := out{}.u32(uint32(len(paths)))
	for _, p := range paths {
		b = b.str(p)
	}
	b = b.u32(uint32(len(inserts)))
	for _, i := range inserts {
		b = b.u32(i)
	}
	return b
}

func newInsertProjection(t testing.TB, paths []string, inserts ...uint32) *projection {
	t.Helper()
	ps, set, ins, err := parseFieldPaths(insertDecl(paths, inserts...))
	require.NoError(t, err)
	require.NotNil(t, ins)
	return &projection{paths: ps, set: set, ins: ins}
}

// insertAll scans doc and answers: every field of type absent set to raw
// JSON value, every other field kept. It returns the fields as the guest
// saw them (path:type) and the spliced value.
func insertAll(t *testing.T, p *projection, doc, value string) (seen []string, got string) {
	t.Helper()
	recs := []Record{{Value: []byte(doc)}}
	p.scan(recs, "t")
	require.NoError(t, p.bad[0])
	reply := out{}.u32(1).u32(0).u8(kindEmit).u8(flagFields)
	var repls out
	n := 0
	for i, f := range p.of(0) {
		seen = append(seen, p.paths[f.path]+":"+string('0'+f.typ))
		if f.typ == typeAbsent {
			repls = repls.u32(uint32(i)).u8(replJSON).str(value)
			n++
		}
	}
	reply = append(reply.u32(uint32(n)), repls...)
	o, err := decodeProjected(reply, recs, &Manifest{}, PoolConfig{}.withDefaults().outputLimits(recs), p, &Outcomes{}, nil)
	require.NoError(t, err)
	return seen, string(o[0].Emits[0].Value)
}

// TestInsertionPaths: an insertion path's key missing from an object its
// parent path finds arrives as a field of type absent; setting it adds
// the key at the end of that object (a comma where needed), every
// occurrence of the parent, several insertions at one place in path
// order; where the key exists it is an ordinary field, replaced, never
// duplicated; a parent that is no object, or a point inside another
// matched value, gives no field.
func TestInsertionPaths(t *testing.T) {
	for _, c := range []struct {
		paths   []string
		inserts []uint32
		doc     string
		seen    []string
		want    string
	}{
		{[]string{"id", "risk"}, []uint32{1}, `{"id":"c-1"}`, []string{"id:1", "risk:7"}, `{"id":"c-1","risk":1}`},
		{[]string{"risk"}, []uint32{0}, ` { } `, []string{"risk:7"}, ` { "risk":1} `},
		{[]string{"risk"}, []uint32{0}, `{"risk":{"old":true}}`, []string{"risk:5"}, `{"risk":{"old":true}}`},
		{[]string{"a", "b"}, []uint32{0, 1}, "{\n}", []string{"a:7", "b:7"}, "{\n\"a\":1,\"b\":1}"},
		{[]string{"c.risk"}, []uint32{0}, `{"c":{"id":1},"c":{},"c":[],"c":{"risk":2}}`, []string{"c.risk:7", "c.risk:7", "c.risk:2"}, `{"c":{"id":1,"risk":1},"c":{"risk":1},"c":[],"c":{"risk":2}}`},
		{[]string{"items.*.x"}, []uint32{0}, `{"items":[{"x":0},{"y":1},2]}`, []string{"items.*.x:2", "items.*.x:7"}, `{"items":[{"x":0},{"y":1,"x":1},2]}`},
		{[]string{"c", "c.risk"}, []uint32{1}, `{"c":{"id":1}}`, []string{"c:5"}, `{"c":{"id":1}}`},
		{[]string{"c.risk"}, []uint32{0}, `[{"c":{}}]`, nil, `[{"c":{}}]`},
		{[]string{"k\"ey"}, []uint32{0}, `{}`, []string{"k\"ey:7"}, `{"k\"ey":1}`},
	} {
		p := newInsertProjection(t, c.paths, c.inserts...)
		seen, got := insertAll(t, p, c.doc, "1")
		assert.Equal(t, c.seen, seen, c.doc)
		assert.Equal(t, c.want, got, c.doc)
		assert.True(t, json.Valid([]byte(got)), got)
	}
}

// TestInsertedText: a text replacement of an absent field is quoted; its
// exact size is what the output caps are charged.
func TestInsertedText(t *testing.T) {
	p := newInsertProjection(t, []string{"id", "note"}, 1)
	recs := []Record{{Value: []byte(`{"id":1}`)}}
	p.scan(recs, "t")
	reply := out{}.u32(1).u32(0).u8(kindEmit).u8(flagFields).u32(1).u32(1).u8(replText).str("a\"b")
	lim := PoolConfig{}.withDefaults().outputLimits(recs)
	o, err := decodeProjected(reply, recs, &Manifest{}, lim, p, &Outcomes{}, nil)
	require.NoError(t, err)
	want := `{"id":1,"note":"a\"b"}`
	assert.Equal(t, want, string(o[0].Emits[0].Value))

	lim.expandedBytes = len(want) - 1
	_, err = decodeProjected(reply, recs, &Manifest{}, lim, p, &Outcomes{}, nil)
	require.Equal(t, ClassBadOutput, ClassOf(err), "%v", err)
}

// TestInsertionDeclarationRefused: a malformed tail fails the load naming
// what is wrong; a declaration without one has no insertion paths.
func TestInsertionDeclarationRefused(t *testing.T) {
	two := []string{"a", "b.c"}
	for decl, want := range map[string]string{
		string(insertDecl(two, 1, 0)):                        "insertion path index 0: out of order or range (2 paths, previous 1)",
		string(insertDecl(two, 2)):                           "insertion path index 2: out of order or range",
		string(insertDecl(two, 0, 1, 1)):                     "insertion paths: 3 indices",
		string(insertDecl([]string{"a.*"}, 0)):               `insertion path 0 "a.*": ends in *, want a key`,
		string(insertDecl(two)[:len(insertDecl(two))-2]):     "2 trailing bytes after 2 paths",
		string(append(insertDecl(two, 1), 0)):                "insertion paths: 1 indices in 5 bytes",
		string(out{}.u32(0).u32(0)):                          "4 trailing bytes after 0 paths",
		string(insertDecl(manyPaths(63), 0, 1)):              "63 paths and 2 parents of insertion paths, at most 64 together",
		string(insertDecl([]string{"a"}, 0xffffffff)):        "insertion path index 4294967295",
		string(out{}.u32(1).str("a").u32(0xffffffff).u32(0)): "insertion paths: 4294967295 indices",
	} {
		_, _, _, err := parseFieldPaths([]byte(decl))
		require.ErrorContains(t, err, want)
	}
	_, _, ins, err := parseFieldPaths(insertDecl(two))
	require.NoError(t, err)
	require.NotNil(t, ins) // an empty tail is allowed and inserts nothing
	_, _, ins, err = parseFieldPaths(insertDecl(two)[:len(insertDecl(two))-4])
	require.NoError(t, err)
	require.Nil(t, ins)
}

func manyPaths(n int) []string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = string(rune('a'+i%26)) + "." + string(rune('a'+i/26))
	}
	return ps
}

// FuzzInsertion: whatever the record and the guest's answer, a projection
// with insertion paths either fails the batch bad_output or yields values
// within the charged bytes, valid JSON when the record was.
func FuzzInsertion(f *testing.F) {
	f.Add(`{"a":{"x":1},"b":[{}]}`, []byte(out{}.u32(1).u32(0).u8(1).u8(8).u32(1).u32(0).u8(0).str(`{"k":1}`)))
	f.Add(`{}`, []byte(out{}.u32(1).u32(0).u8(1).u8(8).u32(2).u32(0).u8(1).str("z").u32(1).u8(0).str("[]")))
	f.Fuzz(func(t *testing.T, doc string, reply []byte) {
		p := newInsertProjection(t, []string{"a.y", "b.*.z", "top", "a"}, 0, 1, 2)
		recs := []Record{{Value: []byte(doc)}}
		p.scan(recs, "t")
		lim := PoolConfig{}.withDefaults().outputLimits(recs)
		lim.expandedBytes = 1 << 16
		o, err := decodeProjected(reply, recs, &Manifest{}, lim, p, &Outcomes{}, nil)
		if err != nil {
			require.Equal(t, ClassBadOutput, ClassOf(err), "%v", err)
			return
		}
		total := 0
		for _, e := range o[0].Emits {
			total += len(e.Value)
			if p.bad[0] == nil && !json.Valid(e.Value) {
				require.True(t, bytes.Contains(reply, e.Value), "spliced %q is not JSON", e.Value)
			}
		}
		require.LessOrEqual(t, total, lim.expandedBytes)
	})
}
