package schema

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kindsValues are JSON values of every shape, valid and not, for every
// field of kinds.v1.Kinds: the differential test tries each on each.
var kindsValues = []string{
	`0`, `1`, `-1`, `"1"`, `"-0"`, `-0`, `1.0`, `1e2`, `1E+2`, `0.5`, `-0.0`, `"abc"`, `null`, `true`, `false`,
	`[]`, `{}`, `""`, `"NaN"`, `"Infinity"`, `"-Infinity"`, `4294967295`, `4294967296`, `-2147483648`,
	`-2147483649`, `2147483647`, `"9223372036854775807"`, `9223372036854775808`, `"18446744073709551615"`,
	`18446744073709551616`, `1e400`, `3.5e38`, `1e-50`, `01`, `"01"`, `" 1"`, `+1`, `.5`, `1.`, `0x10`,
	`"\u00e9t\u00e9"`, `"\ud83d\ude00"`, `"\ud83d"`, `"a\nb\t\"\\\/"`, "\"\xff\"", "\"tab\tinside\"", `"é"`,
	`"YWJj"`, `"YWJ"`, `"YW=="`, `"-_-_"`, `"a b"`, `"YWJj\n"`, `"COLOR_RED"`, `"COLOR_NOPE"`, `2`, `7`,
	`[1,2,3]`, `[1,"2",-3]`, `[null]`, `[true,false]`, `["a","b"]`, `[1.5,"NaN"]`, `["COLOR_BLUE",1]`, `[{}]`,
	`[{"i32":1},{"text":"x"}]`, `[[]]`, `[1,]`, `{"a":1}`, `{"a":"1","b":"2"}`, `{"1":"x","-2":"y"}`,
	`{"007":"x","7":"y"}`, `{"+1":"x"}`, `{"true":{},"false":{"i32":2}}`, `{"a":null}`, `{"1":"YWJj"}`,
	`{"b":1,"a":2,"c":3}`, `{"x":"COLOR_RED","-3":1}`, `{"a":1,"a":2}`, `{"18446744073709551615":""}`,
	`"2025-06-23T12:14:39Z"`, `"2025-06-23T12:14:39.123Z"`, `"2025-06-23T12:14:39.120000Z"`,
	`"2025-06-23T12:14:39+01:00"`, `"2025-02-30T00:00:00Z"`, `"0001-01-01T00:00:00Z"`,
	`"0000-12-31T23:59:59Z"`, `"9999-12-31T23:59:59.999999999Z"`, `"2025-06-23T12:14:39.1234567891Z"`,
	`"2025-06-23t12:14:39z"`, `"1970-01-01T00:00:00Z"`, `"1969-12-31T23:59:59.5Z"`,
	`{"i32":1,"child":{"i64":"5"}}`, `{"camelCaseName":"c"}`, `{"camel_case_name":"c"}`, `{"nope":1}`,
}

var kindsFields = []string{"i32", "i64", "u32", "u64", "s32", "s64", "f32", "f64", "sf32", "sf64", "fl", "db",
	"ok", "text", "raw", "color", "at", "child", "ints", "words", "kids", "reals", "colors", "counts", "names",
	"flags", "blobs", "paints", "camelCaseName", "camel_case_name", "bools", "zigs"}

// validRules passes every rule of kinds.v1.Rules; rulesCases each break
// (or keep) one.
const validRules = `"short":"ab","hexish":"0f","tagged":"t-x!","small":-5,"big":1000,"ratio":1,"known":"COLOR_RED","few":["a"],"mail":"a.b@c-d.e","must":"COLOR_BLUE","nested":{},"some":[1]`

var rulesCases = []string{
	`{` + validRules + `}`,
	`{` + validRules + `,"short":"abcd"}`, `{` + validRules + `,"short":"abcde"}`, `{` + validRules + `,"short":"éééé"}`,
	`{` + validRules + `,"hexish":"0g"}`, `{` + validRules + `,"tagged":"t-!"}`, `{` + validRules + `,"tagged":"t-x"}`,
	`{` + validRules + `,"small":5}`, `{` + validRules + `,"small":4}`, `{` + validRules + `,"small":-6}`,
	`{` + validRules + `,"big":1001}`, `{` + validRules + `,"ratio":0}`, `{` + validRules + `,"ratio":"NaN"}`,
	`{` + validRules + `,"ratio":1.0000001}`, `{` + validRules + `,"known":7}`, `{` + validRules + `,"known":0}`,
	`{` + validRules + `,"few":["a","b","c"]}`, `{` + validRules + `,"mail":"a@b"}`, `{` + validRules + `,"mail":"@b"}`,
	`{` + validRules + `,"mail":"a@-b.c"}`, `{` + validRules + `,"mail":"a@b..c"}`, `{` + validRules + `,"mail":"a b@c"}`,
	`{` + validRules + `,"must":0}`, `{` + validRules + `,"must":null}`, `{` + validRules + `,"nested":null}`,
	`{` + validRules + `,"some":[]}`, `{` + validRules + `,"some":null}`, `{` + validRules + `,"some":[0]}`,
	`{"short":"ab"}`, `{}`,
}

// TestTranscodeKindsDifferential tries every value on every field of
// kinds.v1.Kinds, alone, nested and next to valid rules: the plan agrees
// with protojson/dynamicpb/protovalidate on each, and the binary of
// each accepted record agrees both ways out.
func TestTranscodeKindsDifferential(t *testing.T) {
	c := kindsCodec(t, "kinds.v1.Kinds")
	fast, why := c.Fast()
	require.True(t, fast, why)
	var inputs []string
	for _, f := range kindsFields {
		for _, v := range kindsValues {
			inputs = append(inputs, fmt.Sprintf(`{"%s":%s}`, f, v),
				fmt.Sprintf(`{"child":{"%s":%s},"i32":3}`, f, v),
				fmt.Sprintf(`{"rules":{%s},"%s":%s}`, validRules, f, v))
		}
	}
	for _, r := range rulesCases {
		inputs = append(inputs, `{"rules":`+r+`}`, `{"kids":[{"rules":`+r+`}]}`, `{"flags":{"true":{"rules":`+r+`}}}`)
	}
	accepted, valid := 0, 0
	for _, in := range inputs {
		if _, err := slowJSON(c, []byte(in)); err == nil {
			valid++
		}
		if diffJSON(t, c, []byte(in)) {
			accepted++
			bin, err := c.JSONToBinary([]byte(in))
			require.NoError(t, err)
			require.True(t, diffWire(t, c, bin), "binary of %s took the slow path", in)
		}
	}
	t.Logf("%d of %d inputs are valid, %d took the plan", valid, len(inputs), accepted)
	// The values are chosen for their edge cases: most of the valid ones the
	// plan leaves to protojson are integers written 1e2 or 1.0 and floats in
	// strings.
	assert.Greater(t, accepted, valid*8/10, "the plan takes all but the rare forms of valid input")
}

// TestTranscodeWireMutations truncates and corrupts the binary of valid
// records byte by byte: the plan agrees with dynamicpb on every one (the
// wrong-wire-type check, UTF-8, lengths, repeated singular fields).
func TestTranscodeWireMutations(t *testing.T) {
	c := kindsCodec(t, "kinds.v1.Kinds")
	o := orderCodec(t)
	records := map[*Codec][]string{
		c: {`{"i32":-1,"i64":"-5","u64":"18446744073709551615","s32":-7,"sf64":"-9","fl":1.5,"db":-0.0,"ok":true,"text":"é","raw":"YWJj","color":"COLOR_BLUE","at":"2025-06-23T12:14:39.5Z"}`,
			`{"ints":[1,-2,300],"words":["a",""],"kids":[{"i32":1},{}],"reals":[1.5,"NaN"],"colors":[1,7],"bools":[true,false],"zigs":["-3","4"]}`,
			`{"counts":{"b":"1","a":"0"},"names":{"3":"x","-1":""},"flags":{"true":{"text":"t"},"false":{}},"blobs":{"7":"YQ=="},"paints":{"-2":"COLOR_RED"}}`,
			`{"rules":{` + validRules + `}}`},
		o: {string(ordersCorpus(t)[0]), `{"order_id":"o","currency":"EUR","customer":{"email":"a@b.c"},"notes":{"z":"1","a":"2"}}`},
	}
	for codec, jsons := range records {
		for _, js := range jsons {
			bin, err := codec.JSONToBinary([]byte(js))
			require.NoError(t, err, js)
			require.True(t, diffWire(t, codec, bin), js)
			for i := range bin {
				diffWire(t, codec, bin[:i])
				for _, x := range []byte{0x00, 0x01, 0x02, 0x05, 0x08, 0x80, 0xff} {
					m := append([]byte(nil), bin...)
					m[i] = x
					diffWire(t, codec, m)
				}
			}
			diffWire(t, codec, append(append([]byte(nil), bin...), bin...)) // every singular field twice
		}
	}
}

// TestTranscodeOtherSchemas runs the shipped test schemas: the recursive
// tree (nesting limits) and the mask's Person (maps, bytes, int64).
func TestTranscodeOtherSchemas(t *testing.T) {
	tree := treeCodec(t)
	for _, n := range []int{1, 10, 60, 61, 62, 63, 64, 65, 100} {
		diffWire(t, tree, nestedTree(n))
		js := `{"label":"x"}`
		for i := 0; i < n; i++ {
			js = `{"children":[` + js + `]}`
		}
		diffJSON(t, tree, []byte(js))
	}
	p := personCodec(t)
	fast, why := p.Fast()
	require.True(t, fast, why)
	for _, js := range []string{
		`{"id":"p1","email":"a@x","phones":["1","2"],"friend":{"id":"f","friend":{"email":"deep"}},"kids":[{"id":"k"}],"notes":{"n":"v"},"byid":{"x":{"id":"x"}},"ssn":"123","photo":"AAEC","scores":[1,2]}`,
		`{"ssn":123,"scores":[],"byid":{"x":{}}}`, `{"photo":"AAE"}`, `{"byid":{"x":null}}`,
	} {
		if diffJSON(t, p, []byte(js)) {
			bin, err := p.JSONToBinary([]byte(js))
			require.NoError(t, err)
			require.True(t, diffWire(t, p, bin))
		}
	}
}

// TestTranscodeFallsBackAtLoad: a type with something the plan does not
// implement is left to the plain path whole, and says why.
func TestTranscodeFallsBackAtLoad(t *testing.T) {
	for name, want := range map[string]string{
		"kinds.v1.Uncompiled": "rule ignore", "kinds.v1.Cel": "rule cel", "kinds.v1.Bytes": "BytesRules",
		"kinds.v1.Choice": "oneof",
	} {
		c := kindsCodec(t, name)
		fast, why := c.Fast()
		assert.False(t, fast, name)
		assert.Contains(t, why, want, name)
		_, err := c.JSONToBinary([]byte(`{}`))
		_, slowErr := slowJSON(c, []byte(`{}`))
		assert.Equal(t, slowErr, err, name)
	}
}

// TestEmailMatchesProtovalidate holds the hand-written email check to
// protovalidate's regular expression.
func TestEmailMatchesProtovalidate(t *testing.T) {
	re := regexp.MustCompile("^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
	label := func(n int) string { return string(make([]byte, n)) }
	_ = label
	long := "a" + string(bytesOf('b', 61)) + "c"
	for _, s := range []string{"a@b", "a@b.c", "a.b@c", ".@a", "a@", "@a", "a@@b", "a@b@c", "a@-b", "a@b-", "a@b-c",
		"a@b..c", "a@.b", "a@b.", "a b@c", "é@c", "a@é", "a@" + long, "a@" + long + "d", "!#$%&'*+/=?^_`{|}~-@x",
		"a@b.c\n", "a\n@b", "", "a@b_c", "a@1.2.3", "A@B.C", "a@b,c"} {
		assert.Equal(t, re.MatchString(s), isEmail([]byte(s)), "%q", s)
	}
}

func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

// TestTimestampsMatchTimeParse holds the UTC fast form to time.Parse and
// the writer to protojson's form.
func TestTimestampsMatchTimeParse(t *testing.T) {
	for _, s := range []string{"2025-06-23T12:14:39Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2000-02-29T23:59:59.5Z",
		"1900-02-29T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.000000001Z",
		"2025-13-01T00:00:00Z", "2025-04-31T00:00:00Z", "2025-06-23T24:00:00Z", "2025-06-23T12:60:00Z", "2025-06-23T12:14:60Z",
		"2025-06-23T12:14:39.Z", "2025-06-23T12:14:39.1234567890Z", "2025-06-23T12:14:39.120Z", "2025-06-23 12:14:39Z",
		"+025-06-23T12:14:39Z", "2025-06-23T12:14:39z"} {
		secs, nanos, ok := parseUTC(s)
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok {
			require.NoError(t, err, s)
			assert.Equal(t, want.Unix(), secs, s)
			assert.Equal(t, int32(want.Nanosecond()), nanos, s)
			x := want.UTC().Format("2006-01-02T15:04:05.000000000") // protojson's form
			x = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(x, "000"), "000"), ".000")
			assert.Equal(t, x+"Z", string(appendTimestamp(nil, secs, int64(nanos))), s)
		}
	}
}

// TestTranscodeLargeOutOfOrder: a big map in reverse key order and a
// long list interleaved with another field come out as the plain path
// writes them (the sorts are O(n log n), not insertion sorts).
func TestTranscodeLargeOutOfOrder(t *testing.T) {
	c := kindsCodec(t, "kinds.v1.Kinds")
	var js strings.Builder
	js.WriteString(`{"names":{`)
	for i := 20000; i > 0; i-- {
		fmt.Fprintf(&js, `"%d":"v%d"`, i, i)
		if i > 1 {
			js.WriteByte(',')
		}
	}
	js.WriteString(`}}`)
	require.True(t, diffJSON(t, c, []byte(js.String())))
	var bin []byte
	for i := 0; i < 20000; i++ {
		bin = append(bin, 0xa2, 0x01, 0x01, 'w', 0x98, 0x01, byte(i%100)) // words (20) "w", then one of ints (19), unpacked
	}
	bin = append(bin, 0x08, 0x07) // i32 last
	require.True(t, diffWire(t, c, bin))
}
