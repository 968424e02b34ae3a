package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of objects and arrays: a deeper document is
// a SyntaxError. The scanner keeps one small frame per open container, so
// the bound caps its memory at a few tens of KiB whatever the input.
const MaxDepth = 512

// SyntaxError is malformed JSON at a byte offset.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Path is a compiled field path.
type Path struct {
	text string
	segs []string
	idx  []int // array index of each segment, -1 if not a number
}

// Compile parses a dot-separated path. Segments must be non-empty.
func Compile(path string) (Path, error) {
	segs := strings.Split(path, ".")
	p := Path{text: path, segs: segs, idx: make([]int, len(segs))}
	for i, s := range segs {
		if s == "" {
			return Path{}, fmt.Errorf("jsonpath: path %q has an empty segment", path)
		}
		p.idx[i] = -1
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			p.idx[i] = n
		}
	}
	return p, nil
}

// MustCompile is Compile that panics on a bad path (for constants).
func MustCompile(path string) Path {
	p, err := Compile(path)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the path as written.
func (p Path) String() string { return p.text }

// Get returns the raw JSON of the first value at the path in document
// order. With duplicated keys other parsers may read another one (most keep
// the last): code that must see every reading uses Each.
func (p Path) Get(doc []byte) (raw []byte, found bool, err error) {
	err = p.Each(doc, func(s, e int) {
		if !found {
			raw, found = doc[s:e], true
		}
	})
	return raw, found, err
}

// Each validates the whole document (Validate) and calls fn with the byte
// span [start, end) of every value at the path: every element a wildcard
// matches, and every occurrence of a duplicated key or of a duplicated
// parent, since JSON parsers disagree on which duplicate they keep. A
// container is reported after the values inside it. A path that matches
// nothing is not an error; malformed JSON is, possibly after some calls to
// fn: a caller must then drop whatever it built from them.
func (p Path) Each(doc []byte, fn func(start, end int)) error {
	one := [1]Path{p}
	s := Set{paths: one[:], all: 1}
	return s.Each(doc, func(_, start, end int) { fn(start, end) })
}

// skipWS returns the offset of the first non-whitespace byte at or after
// i. Compact JSON has none: one comparison answers the common case.
func skipWS(doc []byte, i int) int {
	for i < len(doc) && doc[i] <= ' ' && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipScalar returns the offset after the string, number or literal at i.
func skipScalar(doc []byte, i int) (int, error) {
	switch c := doc[i]; {
	case c == '"':
		end, _, err := skipString(doc, i)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(doc, i)
	case c == 't' && hasPrefix(doc[i:], "true"):
		return i + 4, nil
	case c == 'f' && hasPrefix(doc[i:], "false"):
		return i + 5, nil
	case c == 'n' && hasPrefix(doc[i:], "null"):
		return i + 4, nil
	}
	return i, syntaxErr(i, "unexpected %q", doc[i])
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// stringStop marks the bytes that end a run of plain ASCII string content:
// the quote, the backslash, control characters and every non-ASCII byte
// (whose UTF-8 sequence is then checked).
var stringStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// skipString returns the offset after the string starting at the quote at
// i, and whether it holds an escape. The string must be valid RFC 8259 text:
// known escapes, paired surrogates, no raw control character, valid UTF-8
// (no overlong forms, no encoded surrogates). Runs of plain bytes are
// skipped by plainRun; every stop byte takes the exact path below.
func skipString(doc []byte, i int) (end int, escaped bool, err error) {
	j := i + 1
	for {
		j = plainRun(doc, j)
		if j >= len(doc) {
			return len(doc), escaped, syntaxErr(i, "unterminated string")
		}
		switch c := doc[j]; {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			escaped = true
			if j, err = skipEscape(doc, j); err != nil {
				return j, escaped, err
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(doc[j:])
			if r == utf8.RuneError && size == 1 {
				return j, escaped, syntaxErr(j, "invalid UTF-8 in string")
			}
			j += size
		default:
			return j, escaped, syntaxErr(j, "control character in string")
		}
	}
}

// skipNumber checks the JSON number grammar:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func skipNumber(doc []byte, i int) (int, error) {
	j := i
	if doc[j] == '-' {
		j++
	}
	switch {
	case j < len(doc) && doc[j] == '0':
		j++
	case j < len(doc) && doc[j] >= '1' && doc[j] <= '9':
		j = digits(doc, j)
	default:
		return j, syntaxErr(i, "bad number")
	}
	if j < len(doc) && doc[j] == '.' {
		k := digits(doc, j+1)
		if k == j+1 {
			return j, syntaxErr(i, "bad number: no digits after '.'")
		}
		j = k
	}
	if j < len(doc) && (doc[j] == 'e' || doc[j] == 'E') {
		j++
		if j < len(doc) && (doc[j] == '+' || doc[j] == '-') {
			j++
		}
		k := digits(doc, j)
		if k == j {
			return j, syntaxErr(i, "bad number: no exponent digits")
		}
		j = k
	}
	return j, nil
}

// plainNumber returns the offset after the number starting with the digit
// at i if it has no sign and no exponent (the common case), or -1: then
// skipNumber has the answer, or the error.
func plainNumber(doc []byte, i int) int {
	j := i + 1
	if doc[i] != '0' {
		j = digits(doc, j)
	}
	if j < len(doc) && doc[j] == '.' {
		k := digits(doc, j+1)
		if k == j+1 {
			return -1
		}
		j = k
	}
	if j < len(doc) && doc[j]|0x20 == 'e' {
		return -1
	}
	return j
}

func digits(doc []byte, j int) int {
	for j < len(doc) && doc[j] >= '0' && doc[j] <= '9' {
		j++
	}
	return j
}
