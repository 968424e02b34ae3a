package jsonpath

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const order = `{"order_id":"o-1","customer":{"name":"jane","email":"jane@x.com","tags":["a","b"]},` +
	`"items":[{"sku":"S1","price":1.5},{"sku":"S2","price":2}],"note":"say \"hi\"","k\u0065y":true}`

func TestGet(t *testing.T) {
	cases := []struct {
		path, want string
		found      bool
	}{
		{"order_id", `"o-1"`, true},
		{"customer.email", `"jane@x.com"`, true},
		{"customer", `{"name":"jane","email":"jane@x.com","tags":["a","b"]}`, true},
		{"customer.tags.1", `"b"`, true},
		{"items.1.sku", `"S2"`, true},
		{"items.*.price", `1.5`, true},
		{"note", `"say \"hi\""`, true},
		{"key", `true`, true}, // escaped key
		{"customer.phone", "", false},
		{"items.9.sku", "", false},
		{"order_id.x", "", false},
		{"items.x", "", false},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			raw, found, err := MustCompile(c.path).Get([]byte(order))
			require.NoError(t, err)
			assert.Equal(t, c.found, found)
			assert.Equal(t, c.want, string(raw))
		})
	}
}

func TestEachWildcard(t *testing.T) {
	spans, err := MustCompile("items.*.sku").Spans([]byte(order), nil)
	require.NoError(t, err)
	require.Len(t, spans, 2)
	assert.Equal(t, `"S1"`, order[spans[0].Start:spans[0].End])
	assert.Equal(t, `"S2"`, order[spans[1].Start:spans[1].End])
}

func TestMalformed(t *testing.T) {
	for _, doc := range []string{
		``, `   `, `hello`, `{"a":1`, `{"a" 1}`, `{"a":1,}`, `{a:1}`, `{"a":"x}`, `[1,2`,
		`{"a":1}}`, `{"a":tru}`, `{"a":-}`, "{\"a\":\"\x01\"}",
	} {
		t.Run(doc, func(t *testing.T) {
			err := MustCompile("zzz").Each([]byte(doc), func(int, int) {})
			var se *SyntaxError
			require.ErrorAs(t, err, &se, "document %q", doc)
		})
	}
}

func TestDeepNestingIsAnErrorNotACrash(t *testing.T) {
	doc := make([]byte, 0, 20000)
	for i := 0; i < 10000; i++ {
		doc = append(doc, '[')
	}
	err := MustCompile("a").Each(doc, func(int, int) {})
	require.ErrorContains(t, err, "nesting deeper")
}

func TestReplaceAndQuote(t *testing.T) {
	doc := []byte(order)
	spans, err := MustCompile("items.*.sku").Spans(doc, nil)
	require.NoError(t, err)
	out := Replace(nil, doc, spans, func(dst, raw []byte) []byte {
		s, ok := Unquote(raw)
		require.True(t, ok)
		return AppendQuote(dst, "<"+s+">\n\"")
	})
	var v map[string]any
	require.NoError(t, json.Unmarshal(out, &v))
	items := v["items"].([]any)
	assert.Equal(t, "<S1>\n\"", items[0].(map[string]any)["sku"])
	assert.Equal(t, "<S2>\n\"", items[1].(map[string]any)["sku"])
}

func TestUnquoteEscapes(t *testing.T) {
	s, ok := Unquote([]byte(`"a\u00e9\n"`))
	require.True(t, ok)
	assert.Equal(t, "aé\n", s)
	_, ok = Unquote([]byte(`"abc`))
	assert.False(t, ok)
}

func TestCompileRejectsEmptySegments(t *testing.T) {
	_, err := Compile("a..b")
	require.Error(t, err)
}

// FuzzEach checks the scanner never panics, reports only JSON values, and
// agrees with encoding/json on which documents are valid — except where it
// is stricter on purpose: invalid UTF-8, unpaired surrogates, nesting past
// MaxDepth.
func FuzzEach(f *testing.F) {
	f.Add([]byte(order), "customer.email")
	f.Add([]byte(`[1,{"a":[true,null]}]`), "1.a.*")
	f.Add([]byte(`{"a":1,"a":{"a":2}} `), "a")
	f.Add([]byte(`{"\ud83d\ude00":"\u00e9"}`), "*")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		p, err := Compile(path)
		if err != nil {
			return
		}
		err = p.Each(doc, func(s, e int) {
			if !json.Valid(doc[s:e]) {
				t.Fatalf("span %q is not a JSON value", doc[s:e])
			}
		})
		valid := json.Valid(doc)
		if err == nil && !valid {
			t.Fatalf("accepted invalid JSON %q", doc)
		}
		if err != nil && valid && utf8.Valid(doc) && !surrogateEscape(doc) &&
			bytes.Count(doc, []byte("["))+bytes.Count(doc, []byte("{")) <= MaxDepth {
			t.Fatalf("refused valid JSON %q: %v", doc, err)
		}
	})
}

// surrogateEscape reports whether doc may hold a \u escape of a surrogate.
func surrogateEscape(doc []byte) bool {
	for i := 0; i+3 < len(doc); i++ {
		if doc[i] == '\\' && doc[i+1] == 'u' && (doc[i+2] == 'd' || doc[i+2] == 'D') && strings.ContainsRune("89abAB"+"cdefCDEF", rune(doc[i+3])) {
			return true
		}
	}
	return false
}
