package schema

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

var (
	orderPaths = []string{"customer.email", "customer.phone", "customer.card", "items.*.sku", "orderId"}
	kindsPaths = []string{"text", "child.i32", "kids.*.text", "ints.0", "camelCaseName", "counts", "at", "kids.1", "child.child"}
)

func projection(t testing.TB, c *Codec, paths []string) *Projection {
	p, err := c.Project(paths)
	require.NoError(t, err)
	return p
}

// TestProjectRefusesPathsNamingNoField: each path must resolve to a field
// of the type, and the error names the path and what is wrong.
func TestProjectRefusesPathsNamingNoField(t *testing.T) {
	c := orderCodec(t)
	for path, want := range map[string]string{
		"customer.emial":       `path 1 "customer.emial": shop.v1.Customer has no field "emial" (fields: id, name, email, phone, card)`,
		"customer.email.local": `field customer.email is a string: it has no fields below it`,
		"notes.vip":            `field notes is a map: a path may end at it, not go into it`,
		"items.first":          `field items is a list: want an element index or *, got "first"`,
		"created_at.seconds":   `field created_at is a timestamp`,
	} {
		_, err := c.Project([]string{"customer.email", path})
		require.Error(t, err, path)
		assert.Contains(t, err.Error(), want, path)
	}
	for _, ok := range [][]string{{"order_id"}, {"orderId"}, {"customer.*"}, {"items.0.qty", "items.*"}, {"notes"}, {"created_at"}} {
		_, err := c.Project(ok)
		assert.NoError(t, err, "%v", ok)
	}
}

// TestProjectBoundsWildcards: "*" on a recursive type cannot make the
// host build an exponential tree at load.
func TestProjectBoundsWildcards(t *testing.T) {
	c := kindsCodec(t, "kinds.v1.Kinds")
	_, err := c.Project([]string{strings.Repeat("*.", 15) + "*"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expand to more than")
}

// TestProjectFindsWhatJSONPathFinds: on the orders corpus (written with
// proto names) the values found are the runtime's own jsonpath spans for
// the same paths.
func TestProjectFindsWhatJSONPathFinds(t *testing.T) {
	c := orderCodec(t)
	paths := []string{"customer.email", "customer.phone", "customer.card", "items.*.sku", "items.1", "shipping"}
	p := projection(t, c, paths)
	compiled := make([]jsonpath.Path, len(paths))
	for i, s := range paths {
		compiled[i] = jsonpath.MustCompile(s)
	}
	set, err := jsonpath.NewSet(compiled...)
	require.NoError(t, err)
	for i, o := range ordersCorpus(t) {
		doc, found, err := p.Check(o, nil)
		require.NoError(t, err, "order %d", i)
		require.Equal(t, string(o), string(doc), "order %d is checked in place", i)
		want, err := set.Spans(o, nil)
		require.NoError(t, err)
		require.Len(t, found, len(want), "order %d", i)
		for k, m := range want {
			assert.Equal(t, [3]int{m.Path, m.Start, m.End}, [3]int{found[k].Path, found[k].Start, found[k].End}, "order %d value %d", i, k)
		}
	}
}

// TestProjectMatchesBothSpellings: protojson takes a field's JSON name and
// its proto name; so does a path, and so does the record.
func TestProjectMatchesBothSpellings(t *testing.T) {
	c := kindsCodec(t, "kinds.v1.Kinds")
	for _, path := range []string{"camelCaseName", "camel_case_name"} {
		p := projection(t, c, []string{path})
		for _, doc := range []string{`{"camelCaseName":"c"}`, `{"camel_case_name":"c"}`} {
			_, found, err := p.Check([]byte(doc), nil)
			require.NoError(t, err)
			require.Len(t, found, 1, "%s in %s", path, doc)
			assert.Equal(t, `"c"`, doc[found[0].Start:found[0].End])
		}
	}
}

// TestProjectCanonicalFallback: a valid record in a form the plan leaves
// to protojson is projected in its canonical JSON.
func TestProjectCanonicalFallback(t *testing.T) {
	c := kindsCodec(t, "kinds.v1.Kinds")
	p := projection(t, c, []string{"text"})
	doc, found, err := p.Check([]byte(`{"i32":1e2,"te\u0078t":"x"}`), nil)
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, `"x"`, string(doc[found[0].Start:found[0].End]))
	assert.Equal(t, `{"i32":100,"text":"x"}`, compact(t, doc))
}

// kindsInputs are the differential inputs of kinds.v1.Kinds.
func kindsInputs() []string {
	var inputs []string
	for _, f := range kindsFields {
		for _, v := range kindsValues {
			inputs = append(inputs, fmt.Sprintf(`{"%s":%s}`, f, v),
				fmt.Sprintf(`{"child":{"%s":%s},"i32":3}`, f, v),
				fmt.Sprintf(`{"kids":[{"text":"a"},{"%s":%s}]}`, f, v),
				fmt.Sprintf(`{"rules":{%s},"%s":%s}`, validRules, f, v))
		}
	}
	for _, r := range rulesCases {
		inputs = append(inputs, `{"rules":`+r+`}`, `{"kids":[{"rules":`+r+`}]}`)
	}
	return inputs
}

// diffCheck holds Check to JSONToBinary on one input: the same acceptance
// and the same error; and what it found lies in the bytes it returned.
func diffCheck(t *testing.T, p *Projection, in []byte) {
	t.Helper()
	_, want := p.codec.JSONToBinary(in)
	doc, found, err := p.Check(in, nil)
	if want != nil {
		require.Error(t, err, "%s", in)
		assert.Equal(t, want.Error(), err.Error(), "%s", in)
		assert.Equal(t, ClassOf(want), ClassOf(err))
		return
	}
	if err != nil && ClassOf(err) == ClassBadInput && len(found) == 0 {
		require.Contains(t, err.Error(), "too deeply nested", "%s", in)
		return
	}
	require.NoError(t, err, "%s", in)
	last := 0
	for _, f := range found {
		require.True(t, f.Start >= last && f.Start < f.End && f.End <= len(doc), "%s: value %+v out of order or range", in, f)
		require.NoError(t, jsonpath.Validate(doc[f.Start:f.End]))
		last = f.End
	}
	assert.Equal(t, len(found), len(found[:len(found):len(found)]))
}

// TestProjectCheckDifferential: Check accepts and refuses exactly what
// JSONToBinary does, with the same error, on every edge-case value of
// every kind and on the orders corpus.
func TestProjectCheckDifferential(t *testing.T) {
	kinds := projection(t, kindsCodec(t, "kinds.v1.Kinds"), kindsPaths)
	for _, in := range kindsInputs() {
		diffCheck(t, kinds, []byte(in))
	}
	orders := projection(t, orderCodec(t), orderPaths)
	for _, o := range ordersCorpus(t) {
		diffCheck(t, orders, o)
	}
}

// FuzzProjectCheck is TestProjectCheckDifferential on any input.
//
//	go test -run XXX -fuzz FuzzProjectCheck -fuzztime 60s ./schema
func FuzzProjectCheck(f *testing.F) {
	kinds := projection(f, kindsCodec(f, "kinds.v1.Kinds"), kindsPaths)
	orders := projection(f, orderCodec(f), orderPaths)
	for i, o := range ordersCorpus(f) {
		if i%128 == 0 {
			f.Add(false, o)
		}
	}
	for i, in := range kindsInputs() {
		if i%7 == 0 {
			f.Add(true, []byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, useKinds bool, in []byte) {
		p := orders
		if useKinds {
			p = kinds
		}
		diffCheck(t, p, in)
	})
}

// TestProjectCheckValue: a value written at a found path is held to its
// field's type and rules, as in a whole record.
func TestProjectCheckValue(t *testing.T) {
	p := projection(t, orderCodec(t), []string{"customer.email", "customer", "items.*.qty", "currency", "created_at"})
	for _, c := range []struct {
		ref  int
		raw  string
		want bool
	}{
		{0, `"***@example.com"`, true}, {0, `"not an email"`, false}, {0, `7`, false}, {0, `null`, false},
		{1, `{"email":"a@b.example"}`, true}, {1, `"***"`, false}, {1, `null`, false}, {1, `{"nope":1}`, false},
		{2, `3`, true}, {2, `0`, false}, {2, `"2"`, true}, {2, `null`, false},
		{3, `"EUR"`, true}, {3, `"EURO"`, false},
		{4, `"2025-06-23T12:14:39Z"`, true}, {4, `"yesterday"`, false}, {4, `null`, true},
	} {
		assert.Equal(t, c.want, p.CheckValue(c.ref, []byte(c.raw)), "%s at %s", c.raw, p.Path(c.ref))
	}
	assert.True(t, p.CheckText(0, []byte("***@example.com")))
	assert.False(t, p.CheckText(0, []byte("***")))
	assert.False(t, p.CheckText(3, []byte("\xff\xfe\xfd")))
	assert.True(t, p.CheckText(4, []byte("2025-06-23T12:14:39Z")))
	assert.False(t, p.CheckValue(99, []byte(`1`)), "an unknown ref is never vouched for")
	assert.Equal(t, "items[*].qty", p.Path(2))
}
