package jsonpath

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// values lists the raw values Each reports at one path.
func values(t *testing.T, path, doc string) []string {
	t.Helper()
	var out []string
	require.NoError(t, MustCompile(path).Each([]byte(doc), func(s, e int) { out = append(out, doc[s:e]) }))
	return out
}

func TestEachVisitsEveryOccurrence(t *testing.T) {
	cases := []struct {
		name, path, doc string
		want            []string
	}{
		{"duplicate key", "email", `{"email":"a@x","email":"b@y"}`, []string{`"a@x"`, `"b@y"`}},
		{"duplicate parent", "customer.email", `{"customer":{"email":"a@x"},"customer":{"email":"b@y"}}`, []string{`"a@x"`, `"b@y"`}},
		{"escaped key", "email", `{"em\u0061il":"a@x","\u0065\u006d\u0061\u0069\u006c":"b@y"}`, []string{`"a@x"`, `"b@y"`}},
		{"escaped parent", "customer.email", `{"cust\u006fmer":{"email":"a@x"}}`, []string{`"a@x"`}},
		{"escaped slash", "a/b", `{"a\/b":1}`, []string{`1`}},
		{"surrogate pair key", "😀", `{"\ud83d\ude00":1}`, []string{`1`}},
		{"case differs: another key", "email", `{"Email":"a@x","EMAIL":"b@y"}`, nil},
		{"wrong type kept whole", "customer.email", `{"customer":{"email":{"x":"a@x"}}}`, []string{`{"x":"a@x"}`}},
		{"array index and key", "a.0", `{"a":["x","y"],"a":{"0":"z"}}`, []string{`"x"`, `"z"`}},
		{"duplicate through wildcard", "items.*.sku", `{"items":[{"sku":"A","sku":"B"}],"items":[{"sku":"C"}]}`, []string{`"A"`, `"B"`, `"C"`}},
		{"container after its contents", "a", `{"a":{"a":1}}`, []string{`{"a":1}`}},
		{"long escaped key", strings.Repeat("k", 100), `{"` + strings.Repeat(`\u006b`, 100) + `":1}`, []string{`1`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, values(t, c.path, c.doc))
		})
	}
}

func TestGetReadsTheWholeDocument(t *testing.T) {
	_, _, err := MustCompile("a").Get([]byte(`{"a":1} junk`))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "after the top-level value")
}

func TestValidateIsStrict(t *testing.T) {
	bad := map[string]string{
		"trailing object":     `{"a":1}{"a":2}`,
		"trailing junk":       `{"a":1} x`,
		"two values":          `1 2`,
		"lone high surrogate": `{"a":"\ud83d"}`,
		"lone low surrogate":  `{"a":"\ude00"}`,
		"high then non-low":   `{"a":"\ud83d\u0041"}`,
		"surrogate in key":    `{"\ud800":1}`,
		"invalid UTF-8":       "{\"a\":\"\xff\"}",
		"overlong UTF-8":      "{\"a\":\"\xc0\xaf\"}",
		"encoded surrogate":   "{\"a\":\"\xed\xa0\x80\"}",
		"truncated UTF-8":     "{\"a\":\"\xe2\x82\"}",
		"invalid UTF-8 key":   "{\"\xffa\":1}",
		"raw tab":             "{\"a\":\"\t\"}",
		"bad escape":          `{"a":"\x41"}`,
		"short \\u":           `{"a":"\u12"}`,
		"leading zero":        `01`,
		"plus sign":           `+1`,
		"bare dot":            `.5`,
		"hex number":          `0x1`,
		"BOM":                 "\xef\xbb\xbf{}",
		"NaN":                 `NaN`,
		"single quotes":       `{'a':1}`,
		"comment":             `{"a":1 /* x */}`,
		"nested trailing":     `[1]]`,
		"too deep":            strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	}
	for name, doc := range bad {
		t.Run(name, func(t *testing.T) {
			var se *SyntaxError
			require.ErrorAs(t, Validate([]byte(doc)), &se, "%q", doc)
		})
	}
	for _, doc := range []string{
		`{"a":"\ud83d\ude00 é ok \u00e9 \/ \b\f\n\r\t \" \\"}`, "\t {\"a\" : [ 1 , -0.5e+3 , true , null ] } \r\n",
		`"x"`, `0`, `[]`, `{}`, "\"\xef\xbf\xbd\"", // U+FFFD itself is valid
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
	} {
		require.NoError(t, Validate([]byte(doc)), "%q", doc)
		require.True(t, json.Valid([]byte(doc)), "%q", doc)
	}
}

func TestSetSpansOutermostFirstRule(t *testing.T) {
	doc := []byte(`{"c":{"email":"a@x","phone":"1"},"email":"b@y","c":{"email":"c@z"}}`)
	set, err := NewSet(MustCompile("c.email"), MustCompile("*"), MustCompile("email"))
	require.NoError(t, err)
	ms, err := set.Spans(doc, nil)
	require.NoError(t, err)
	var got []string
	for _, m := range ms {
		got = append(got, string(doc[m.Start:m.End])+"@"+set.paths[m.Path].String())
	}
	assert.Equal(t, []string{
		`{"email":"a@x","phone":"1"}@*`, // holds c.email's value: the outer one wins
		`"b@y"@*`,                       // at * and email: the lower index names it
		`{"email":"c@z"}@*`,
	}, got)
}

func TestNewSetBoundsItsPaths(t *testing.T) {
	paths := make([]Path, MaxPaths+1)
	for i := range paths {
		paths[i] = MustCompile("a")
	}
	_, err := NewSet(paths...)
	require.ErrorContains(t, err, "at most 64")
	s, err := NewSet(paths[:MaxPaths]...)
	require.NoError(t, err)
	n := 0
	require.NoError(t, s.Each([]byte(`{"a":1}`), func(int, int, int) { n++ }))
	assert.Equal(t, MaxPaths, n)
}

func TestUnquote(t *testing.T) {
	for raw, want := range map[string]string{
		`"a\u00e9\n"`:      "aé\n",
		`"\ud83d\ude00"`:   "😀",
		`"a\/b"`:           "a/b",
		`"\b\f\r\t\"\\"`:   "\b\f\r\t\"\\",
		`"plain"`:          "plain",
		"\"\xc3\xa9\"":     "é",
		`"\u0000"`:         "\x00",
		`"\uFFFF\uD7FF"`:   "\uffff\ud7ff",
		`"\uDBFF\uDFFF"`:   "\U0010ffff",
		`"x\u0041\u0042"`:  "xAB",
		`"\u0065\u006d"`:   "em",
		`"\u00E9\u00e9"`:   "éé",
		`"tail\\"`:         `tail\`,
		`"\"quoted\""`:     `"quoted"`,
		`"\u2028\u2029"`:   "\u2028\u2029",
		`"\uD800\uDC00"`:   "\U00010000",
		`"\u007f"`:         "\x7f",
		"\"\x7f\"":         "\x7f",
		`"\u0080"`:         "\u0080",
		`"\u07FF\u0800"`:   "\u07ff\u0800",
		`"\uE000\uFFFD"`:   "\ue000\ufffd",
		`"a\\u0041"`:       `a\u0041`,
		`"\\\\"`:           `\\`,
		`"\/\/"`:           "//",
		`"\n\n"`:           "\n\n",
		`""`:               "",
		`"\u0020"`:         " ",
		`"\uABCD"`:         "\uabcd",
		`"mixed é \u00e9"`: "mixed é é",
	} {
		s, ok := Unquote([]byte(raw))
		require.True(t, ok, raw)
		assert.Equal(t, want, s, raw)
		var std string
		require.NoError(t, json.Unmarshal([]byte(raw), &std), raw)
		assert.Equal(t, std, s, "agrees with encoding/json: %s", raw)
	}
	for _, raw := range []string{`"abc`, `"a"b"`, `"\ud800"`, "\"\xff\"", `abc`, `"\x41"`, `"`} {
		_, ok := Unquote([]byte(raw))
		assert.False(t, ok, raw)
	}
}
