package sdktest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// docs are valid JSON documents with what a path scanner gets wrong:
// duplicate keys, escaped keys, whitespace, values that look like keys,
// nesting, every type at the path.
var docs = []string{
	`{"customer":{"email":"a@x","phone":"1"},"items":[{"sku":"s1"},{"sku":2},{"x":{"sku":"no"}}]}`,
	`{"customer":{"email":"a@x"},"customer":{"email":"b@y"}}`,
	`{"customer":{"email":"a@x","email":"dup"}}`,
	`{"cust\u006fmer":{"em\u0061il":"escaped"}}`,
	` { "customer" : { "email" : [ 1 , { "a" : "}" } ] } } `,
	`{"a":"customer.email","customer":{"x":"\"email\":1","email":null}}`,
	`{"items":[[{"sku":1}],{"sku":{"deep":["s"]}},{"sku":true},{"sku":-1.5e3}]}`,
	`[{"customer":{"email":"in an array"}}]`,
	`{"a":{"b":{"c":{}}},"a":[]}`,
	`"customer"`,
	`{}`,
}

var paths = []string{"customer.email", "items.*.sku", "items.0.sku", "a", "*", "a.*.c", "customer"}

func goSpans(t *testing.T, path, doc string) string {
	spans, err := jsonpath.MustCompile(path).Spans([]byte(doc), nil)
	require.NoError(t, err)
	var s []string
	for _, sp := range spans {
		s = append(s, fmt.Sprintf("%d-%d", sp.Start, sp.End))
	}
	return strings.Join(s, ",")
}

func corpus(t *testing.T) [][]byte {
	var in [][]byte
	for _, d := range docs {
		in = append(in, []byte(d))
	}
	return append(in, orders(t)...)
}

func TestPathSpansMatchGo(t *testing.T) {
	in := corpus(t)
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			got := results(t, pool(t, "path:"+path, runtimeDefault), in)
			for i, doc := range in {
				require.Equal(t, goSpans(t, path, string(doc)), got[i], "doc %d %s", i, doc)
			}
		})
	}
}

func TestReplaceMatchesGo(t *testing.T) {
	in := corpus(t)
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			got := results(t, pool(t, "replace:"+path, runtimeDefault), in)
			p := jsonpath.MustCompile(path)
			for i, doc := range in {
				spans, err := p.Spans(doc, nil)
				require.NoError(t, err)
				want := jsonpath.Replace(nil, doc, spans, func(dst, _ []byte) []byte { return append(dst, `"X"`...) })
				require.Equal(t, string(want), got[i], "doc %d", i)
			}
		})
	}
}

// The scanner never reads past a document that ends early, at any cut:
// each prefix fails "bad" or gives spans inside it, and none traps.
func TestPathScannerStopsAtTruncation(t *testing.T) {
	doc := docs[0]
	var in [][]byte
	for n := 1; n < len(doc); n++ {
		in = append(in, []byte(doc[:n]))
	}
	bad := 0
	for i, got := range results(t, pool(t, "path:items.*.sku", runtimeDefault), in) {
		if got == "fail: bad" {
			bad++
			continue
		}
		for _, sp := range strings.Split(got, ",") {
			var start, end int
			if sp == "" {
				continue
			}
			_, err := fmt.Sscanf(sp, "%d-%d", &start, &end)
			require.NoError(t, err, "prefix %q: %s", in[i], got)
			assert.LessOrEqual(t, end, len(in[i]), "prefix %q: %s", in[i], got)
		}
	}
	assert.Positive(t, bad, "no prefix was found malformed")
}

func TestJSONReaderAgreesWithGo(t *testing.T) {
	in := corpus(t)
	for _, bad := range []string{`{"a":}`, `{"a" 1}`, `[1,]`, `{"a":1}x`, `01`, `1.`, `-`, `"\x"`, `"\ud800"`, "\"a\x01\"", `{"a":tru}`, `[`, ``, "\"\xff\""} {
		in = append(in, []byte(bad))
	}
	got := results(t, pool(t, "json", runtimeDefault), in)
	for i, doc := range in {
		// encoding/json takes invalid UTF-8 and lone surrogates; the reader refuses both, as the host does.
		want := json.Valid(doc) && utf8.Valid(doc) && !strings.Contains(string(doc), `\ud800"`)
		assert.Equal(t, want, got[i] == "ok", "%q: %s", doc, got[i])
	}
	assert.Equal(t, "offset 5: want a value", got[len(docs)+len(orders(t))])
}
