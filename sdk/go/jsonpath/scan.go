package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
)

// maxDepth bounds nesting so a hostile document cannot exhaust the stack.
const maxDepth = 512

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
	wild bool
}

// Compile parses a dot-separated path. Segments must be non-empty.
func Compile(path string) (Path, error) {
	segs := strings.Split(path, ".")
	p := Path{text: path, segs: segs}
	for _, s := range segs {
		if s == "" {
			return Path{}, fmt.Errorf("jsonpath: path %q has an empty segment", path)
		}
		p.wild = p.wild || s == "*"
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

// Each calls fn with the byte span [start, end) of every value at the path.
// A path that matches nothing is not an error; malformed JSON met while
// scanning is. Without wildcards, scanning stops at the first match.
func (p Path) Each(doc []byte, fn func(start, end int)) error {
	i := skipWS(doc, 0)
	if i >= len(doc) {
		return syntaxErr(i, "empty document")
	}
	end, done, err := p.walk(doc, i, p.segs, fn, 0)
	if err != nil || done {
		return err
	}
	if j := skipWS(doc, end); j != len(doc) {
		return syntaxErr(j, "unexpected data after the top-level value")
	}
	return nil
}

// Get returns the raw JSON of the first value at the path.
func (p Path) Get(doc []byte) (raw []byte, found bool, err error) {
	err = p.Each(doc, func(s, e int) {
		if !found {
			raw, found = doc[s:e], true
		}
	})
	return raw, found, err
}

// walk scans the value at i, calling fn for matches of segs. It returns the
// offset after the value, or done when a wildcard-free path has matched and
// the rest of the document need not be read.
func (p Path) walk(doc []byte, i int, segs []string, fn func(int, int), depth int) (int, bool, error) {
	if len(segs) == 0 {
		end, err := skipValue(doc, i, depth)
		if err == nil {
			fn(i, end)
		}
		return end, err == nil && !p.wild, err
	}
	if depth > maxDepth {
		return i, false, syntaxErr(i, "nesting deeper than %d", maxDepth)
	}
	switch doc[i] {
	case '{':
		return p.walkObject(doc, i, segs, fn, depth)
	case '[':
		return p.walkArray(doc, i, segs, fn, depth)
	}
	end, err := skipValue(doc, i, depth)
	return end, false, err
}

func (p Path) walkObject(doc []byte, i int, segs []string, fn func(int, int), depth int) (int, bool, error) {
	return members(doc, i, depth, func(ks, ke, v int) (int, bool, error) {
		if segs[0] == "*" || keyEquals(doc[ks:ke], segs[0]) {
			return p.walk(doc, v, segs[1:], fn, depth+1)
		}
		end, err := skipValue(doc, v, depth+1)
		return end, false, err
	})
}

func (p Path) walkArray(doc []byte, i int, segs []string, fn func(int, int), depth int) (int, bool, error) {
	want := -1
	if segs[0] != "*" {
		n, err := strconv.Atoi(segs[0])
		if err != nil || n < 0 {
			end, err := skipValue(doc, i, depth)
			return end, false, err
		}
		want = n
	}
	idx := 0
	return elements(doc, i, depth, func(v int) (int, bool, error) {
		idx++
		if want < 0 || want == idx-1 {
			return p.walk(doc, v, segs[1:], fn, depth+1)
		}
		end, err := skipValue(doc, v, depth+1)
		return end, false, err
	})
}

// members iterates an object's members: each calls visit with the key's
// span (inside the quotes) and the value's offset; visit returns the offset
// after the value.
func members(doc []byte, i, depth int, visit func(ks, ke, v int) (int, bool, error)) (int, bool, error) {
	i = skipWS(doc, i+1)
	if i < len(doc) && doc[i] == '}' {
		return i + 1, false, nil
	}
	for {
		if i >= len(doc) || doc[i] != '"' {
			return i, false, syntaxErr(i, "want a string key")
		}
		ke, err := skipString(doc, i)
		if err != nil {
			return ke, false, err
		}
		j := skipWS(doc, ke)
		if j >= len(doc) || doc[j] != ':' {
			return j, false, syntaxErr(j, "want ':' after key")
		}
		v := skipWS(doc, j+1)
		if v >= len(doc) {
			return v, false, syntaxErr(v, "want a value")
		}
		end, done, err := visit(i+1, ke-1, v)
		if err != nil || done {
			return end, done, err
		}
		i, done, err = next(doc, end, '}')
		if err != nil || done {
			return i, false, err
		}
	}
}

// elements iterates an array's elements, like members.
func elements(doc []byte, i, depth int, visit func(v int) (int, bool, error)) (int, bool, error) {
	i = skipWS(doc, i+1)
	if i < len(doc) && doc[i] == ']' {
		return i + 1, false, nil
	}
	for {
		if i >= len(doc) {
			return i, false, syntaxErr(i, "unterminated array")
		}
		end, done, err := visit(i)
		if err != nil || done {
			return end, done, err
		}
		i, done, err = next(doc, end, ']')
		if err != nil || done {
			return i, false, err
		}
	}
}

// next reads a ',' (returning the offset of the next item) or the closing
// byte (returning the offset after it, with closed=true).
func next(doc []byte, i int, closing byte) (int, bool, error) {
	i = skipWS(doc, i)
	switch {
	case i >= len(doc):
		return i, false, syntaxErr(i, "want ',' or '%c'", closing)
	case doc[i] == ',':
		return skipWS(doc, i+1), false, nil
	case doc[i] == closing:
		return i + 1, true, nil
	}
	return i, false, syntaxErr(i, "want ',' or '%c', got %q", closing, doc[i])
}

// keyEquals compares a raw key (between its quotes) with s.
func keyEquals(raw []byte, s string) bool {
	if len(raw) == len(s) && string(raw) == s {
		return true
	}
	for _, c := range raw {
		if c == '\\' {
			k, ok := Unquote(append(append([]byte{'"'}, raw...), '"'))
			return ok && k == s
		}
	}
	return false
}

func skipWS(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the offset after the well-formed value at i.
func skipValue(doc []byte, i, depth int) (int, error) {
	if i >= len(doc) {
		return i, syntaxErr(i, "want a value")
	}
	if depth > maxDepth {
		return i, syntaxErr(i, "nesting deeper than %d", maxDepth)
	}
	skip := func(v int) (int, bool, error) {
		end, err := skipValue(doc, v, depth+1)
		return end, false, err
	}
	switch c := doc[i]; {
	case c == '"':
		return skipString(doc, i)
	case c == '{':
		end, _, err := members(doc, i, depth, func(_, _, v int) (int, bool, error) { return skip(v) })
		return end, err
	case c == '[':
		end, _, err := elements(doc, i, depth, skip)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(doc, i)
	}
	for _, lit := range []string{"true", "false", "null"} {
		if len(doc)-i >= len(lit) && string(doc[i:i+len(lit)]) == lit {
			return i + len(lit), nil
		}
	}
	return i, syntaxErr(i, "unexpected %q", doc[i])
}

// skipString returns the offset after the string starting at the quote at i.
func skipString(doc []byte, i int) (int, error) {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
			if j < len(doc) && !validEscape(doc, j) {
				return j, syntaxErr(j, "bad escape in string")
			}
		case '"':
			return j + 1, nil
		default:
			if doc[j] < 0x20 {
				return j, syntaxErr(j, "control character in string")
			}
		}
	}
	return len(doc), syntaxErr(i, "unterminated string")
}

// skipNumber checks the JSON number grammar:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func validEscape(doc []byte, j int) bool {
	if strings.IndexByte(`"\\/bfnrt`, doc[j]) >= 0 {
		return true
	}
	if doc[j] != 'u' || len(doc)-j < 5 {
		return false
	}
	for _, c := range doc[j+1 : j+5] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(c)) {
			return false
		}
	}
	return true
}

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
		if k := digits(doc, j+1); k > j+1 {
			j = k
		} else {
			return j, syntaxErr(i, "bad number: no digits after '.'")
		}
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

func digits(doc []byte, j int) int {
	for j < len(doc) && doc[j] >= '0' && doc[j] <= '9' {
		j++
	}
	return j
}
