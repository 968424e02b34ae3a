package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// fuzzConfig covers the actions and path shapes: nested keys, a top-level
// key, a wildcard through an array, an index, and overlapping paths
// (testdata/fuzz_config.json; the C mask's tests use it too).
var fuzzConfig = string(must(os.ReadFile("testdata/fuzz_config.json")))

// leakCases are the reproductions and their relatives: each must
// come out masked at every occurrence, or be refused. One Go-quoted string
// a line in testdata/leak_cases.txt (the C mask's tests use them too).
var leakCases = readQuoted("testdata/leak_cases.txt")

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func readQuoted(path string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(must(os.ReadFile(path)))), "\n") {
		s, err := strconv.Unquote(line)
		if err != nil {
			panic(fmt.Sprintf("%s: %q: %v", path, line, err))
		}
		out = append(out, s)
	}
	return out
}

func FuzzMask(f *testing.F) {
	for _, c := range append(leakCases, escapedCases...) {
		f.Add([]byte(c))
	}
	data, err := os.ReadFile("../../bench/testdata/orders-1k.jsonl")
	require.NoError(f, err)
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if i%64 == 0 {
			f.Add(line)
		}
	}
	m, err := newMasker([]byte(fuzzConfig))
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, in []byte) {
		sameAsFullValue(t, m, in) // the projected path: same bytes, or both refuse
		out, err := m.apply(in)
		if err != nil {
			return // refused: the host flags the record
		}
		out = bytes.Clone(out)
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		assertMasked(t, m, in, out)
		again, err := m.apply(out)
		require.NoError(t, err, "masking its own output %q", out)
		assertMasked(t, m, out, bytes.Clone(again))
	})
}

// TestLeakCases pins what the reproductions become: masked at
// every occurrence, or refused (an error the host flags as the record's).
func TestLeakCases(t *testing.T) {
	m, err := newMasker([]byte(fuzzConfig))
	require.NoError(t, err)
	const refused = "refused"
	for in, want := range map[string]string{
		`{"email":"a@x","email":"b@y"}`:                           `{"email":"<M>","email":"<M>"}`,
		`{"customer":{"email":"a@x"},"customer":{"email":"b@y"}}`: `{"customer":{"email":"***@x"},"customer":{"email":"***@y"}}`,
		`{"em\u0061il":"a@x","email":"b@y"}`:                      `{"em\u0061il":"<M>","email":"<M>"}`,
		`{"email":"a@x"}{"email":"b@y"}`:                          refused,
		`{"email":"a@x"} trailing`:                                refused,
		`{"email":{"address":"a@x"}}`:                             `{"email":"<M>"}`,
		`{"email":12345678}`:                                      `{"email":"<M>"}`,
		`{"customer":{"email":{"x":"a@x"}}}`:                      refused, // action email cannot mask an object
		`{"items":[{"sku":"A"}],"items":[{"sku":"B"}]}`:           `{"items":[{"sku":"h:` + hmacHex("A") + `"}],"items":[{"sku":"h:` + hmacHex("B") + `"}]}`,
		`{"email":"a@x","Email":"b@y"}`:                           `{"email":"<M>","Email":"b@y"}`, // another key: JSON keys are case-sensitive
		`{"email":"\ud83d"}`:                                      refused,
		"{\"email\":\"\xff\"}":                                    refused,
		`{"email":null}`:                                          `{"email":null}`,
	} {
		out, err := m.apply([]byte(in))
		if want == refused {
			require.Error(t, err, in)
			continue
		}
		require.NoError(t, err, in)
		require.Equal(t, want, string(out), in)
	}
	for _, c := range leakCases {
		if out, err := m.apply([]byte(c)); err == nil {
			assertMasked(t, m, []byte(c), bytes.Clone(out))
		}
	}
}

func hmacHex(s string) string {
	mac := hmac.New(sha256.New, []byte("k"))
	mac.Write([]byte(s))
	return hex.EncodeToString(mac.Sum(nil))
}

// assertMasked reads out as any JSON parser could — every occurrence of
// every key, so first-wins and last-wins readers alike — and fails on a
// value at a rule's path that is not what the rule writes.
func assertMasked(t *testing.T, m *masker, in, out []byte) {
	t.Helper()
	for _, r := range m.rules {
		vals, err := allValues(out, strings.Split(r.Path, "."))
		if err != nil {
			t.Fatalf("output %q of %q is not JSON: %v", out, in, err)
		}
		for _, v := range vals {
			if !masked(r, v) {
				t.Fatalf("%s: value %#v in the clear in %q (input %q)", r.Path, v, out, in)
			}
		}
	}
}

// masked reports whether v is something rule r writes (or null).
func masked(r rule, v any) bool {
	s, ok := v.(string)
	switch {
	case v == nil:
		return true
	case !ok:
		return false // a number, boolean or container left as it came
	case r.Action == "redact":
		return s == r.With
	case r.Action == "last":
		return strings.HasPrefix(s, r.With) && utf8.RuneCountInString(s)-utf8.RuneCountInString(r.With) <= r.Keep
	case r.Action == "email":
		rest, ok := strings.CutPrefix(s, r.With)
		return ok && (rest == "" || rest[0] == '@' && strings.Count(rest, "@") == 1)
	case r.Action == "hmac":
		rest, ok := strings.CutPrefix(s, r.With)
		return ok && len(rest) == 64
	}
	return false
}

// allValues is the reference reader: encoding/json's tokenizer walks the
// whole document and every value at path is collected, duplicates and
// duplicated parents included. Containers at the path are collected as
// map/slice markers. Numeric segments match array indexes and object keys.
func allValues(doc []byte, path []string) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var out []any
	if err := collect(dec, nil, path, &out); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, strconv.ErrSyntax // more than one value
	}
	return out, nil
}

func collect(dec *json.Decoder, at, path []string, out *[]any) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	here := onPath(at, path)
	switch tok {
	case json.Delim('{'):
		if here {
			*out = append(*out, map[string]any{})
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			if err := collect(dec, append(at, k.(string)), path, out); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		if here {
			*out = append(*out, []any{})
		}
		for i := 0; dec.More(); i++ {
			if err := collect(dec, append(at, strconv.Itoa(i)), path, out); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	default:
		if here {
			*out = append(*out, tok)
		}
	}
	return err
}

func onPath(at, path []string) bool {
	if len(at) != len(path) {
		return false
	}
	for i, s := range path {
		if s != "*" && s != at[i] {
			return false
		}
	}
	return true
}
