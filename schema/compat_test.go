package schema

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// message compiles `syntax; package t;` + body and returns t.M.
func message(t *testing.T, body string) protoreflect.MessageDescriptor {
	dir := t.TempDir()
	src := "syntax = \"proto3\";\npackage t;\n" + body
	require.NoError(t, os.WriteFile(filepath.Join(dir, "m.proto"), []byte(src), 0o644))
	set, err := Compile(context.Background(), []string{dir}, "m.proto")
	require.NoError(t, err)
	md, err := set.Message("t.M")
	require.NoError(t, err)
	return md
}

func TestCompatibilityRules(t *testing.T) {
	cases := []struct {
		name, writer, reader string
		breaks               []string // substrings, one per expected break
	}{
		{"identical", `message M { string a = 1; }`, `message M { string a = 1; }`, nil},
		{"renamed field (same number)", `message M { string a = 1; }`, `message M { string b = 1; }`, nil},
		{"field added by the writer", `message M { string a = 1; int32 b = 2; }`, `message M { string a = 1; }`, nil},
		{"field added by the reader", `message M { string a = 1; }`, `message M { string a = 1; int32 b = 2; }`, nil},
		{"int32 widened to int64", `message M { int32 a = 1; }`, `message M { int64 a = 1; }`, nil},
		{"string read as bytes", `message M { string a = 1; }`, `message M { bytes a = 1; }`, nil},
		{"int64 narrowed to int32", `message M { int64 a = 1; }`, `message M { int32 a = 1; }`, []string{"a(1): type changed: written int64, read int32"}},
		{"string to int64", `message M { string a = 1; }`, `message M { int64 a = 1; }`, []string{"a(1): type changed"}},
		{"singular to repeated", `message M { string a = 1; }`, `message M { repeated string a = 1; }`, []string{"a(1): cardinality changed"}},
		{"sint32 vs int32 (zigzag)", `message M { sint32 a = 1; }`, `message M { int32 a = 1; }`, []string{"type changed"}},
		{"nested message field changed",
			`message M { N n = 1; } message N { string x = 1; }`,
			`message M { N n = 1; } message N { double x = 1; }`, []string{"n(1).x(1): type changed"}},
		{"message replaced by a scalar", `message M { N n = 1; } message N {}`, `message M { string n = 1; }`, []string{"n(1): type changed"}},
		{"enum value renumbered",
			`message M { E e = 1; } enum E { E_0 = 0; RED = 1; }`,
			`message M { E e = 1; } enum E { E_0 = 0; RED = 2; BLUE = 1; }`, []string{"enum value 1 is RED when written, BLUE when read"}},
		{"enum value removed by the reader",
			`message M { E e = 1; } enum E { E_0 = 0; RED = 1; }`,
			`message M { E e = 1; } enum E { E_0 = 0; }`, []string{"RED = 1 is written but unknown to the reader"}},
		{"enum value added by the reader",
			`message M { E e = 1; } enum E { E_0 = 0; }`,
			`message M { E e = 1; } enum E { E_0 = 0; RED = 1; }`, nil},
		{"map value type changed", `message M { map<string, int32> m = 1; }`, `message M { map<string, string> m = 1; }`, []string{"m(1)[value]: type changed"}},
		{"map vs repeated", `message M { map<string, string> m = 1; }`, `message M { repeated string m = 1; }`, []string{"m(1): map"}},
		{"recursive types", `message M { repeated M c = 1; string l = 2; }`, `message M { repeated M c = 1; int32 l = 2; }`, []string{"l(2): type changed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Check(message(t, c.writer), message(t, c.reader))
			require.Len(t, got, len(c.breaks), "%v", got)
			for i, want := range c.breaks {
				assert.Contains(t, got[i].String(), want)
			}
		})
	}
}

func TestBreaksReadAsADiff(t *testing.T) {
	got := Check(message(t, `message M { int64 a = 1; string b = 2; }`), message(t, `message M { int32 a = 1; repeated string b = 2; }`))
	assert.Equal(t, "incompatible schemas:\n  - a(1): type changed: written int64, read int32\n  - b(2): cardinality changed: written string, read repeated string", got.Error())
}

func TestCompileErrorsCarryPositions(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.proto"), []byte("syntax = \"proto3\";\nmessage M {\n  strin a = 1;\n}\n"), 0o644))
	_, err := Compile(context.Background(), []string{dir}, "bad.proto")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.proto:3:3")
}
