package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
)

// maxDepth bounds nesting so a hostile document cannot exhaust memory.
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
	idx  []int // array index of each segment, -1 if not a number
	wild bool
}

// Compile parses a dot-separated path. Segments must be non-empty.
func Compile(path string) (Path, error) {
	segs := strings.Split(path, ".")
	p := Path{text: path, segs: segs, idx: make([]int, len(segs))}
	for i, s := range segs {
		if s == "" {
			return Path{}, fmt.Errorf("jsonpath: path %q has an empty segment", path)
		}
		p.wild = p.wild || s == "*"
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

// Get returns the raw JSON of the first value at the path.
func (p Path) Get(doc []byte) (raw []byte, found bool, err error) {
	err = p.Each(doc, func(s, e int) {
		if !found {
			raw, found = doc[s:e], true
		}
	})
	return raw, found, err
}

// frame is one open object or array.
type frame struct {
	kind   byte // '{' or '['
	onPath bool // its members are compared with the next path segment
	target bool // the container itself is at the path
	start  int
	index  int // element count so far (arrays)
}

// Each calls fn with the byte span [start, end) of every value at the path,
// in document order. A path that matches nothing is not an error; malformed
// JSON met while scanning is. Without wildcards, scanning stops at the first
// match, so the rest of the document is not read (nor validated).
//
// It is one iterative loop with no closures or recursion: function calls
// are expensive in Go's wasm backend, and this is a guest's hot path.
func (p Path) Each(doc []byte, fn func(start, end int)) error {
	var buf [16]frame
	stack := buf[:0]
	n := len(doc)
	match := true // the value about to be read lies on the path
	i := skipWS(doc, 0)
	if i >= n {
		return syntaxErr(i, "empty document")
	}
	var f *frame
	for {
		// read one value at i
		if i >= n {
			return syntaxErr(i, "want a value")
		}
		target := match && len(stack) == len(p.segs)
		if c := doc[i]; c == '{' || c == '[' {
			if len(stack) >= maxDepth {
				return syntaxErr(i, "nesting deeper than %d", maxDepth)
			}
			stack = append(stack, frame{kind: c, onPath: match && len(stack) < len(p.segs), target: target, start: i})
			f = &stack[len(stack)-1]
			i = skipWS(doc, i+1)
			if i < n && doc[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				i++
				goto closed
			}
			goto member
		}
		{
			start := i
			end, err := skipScalar(doc, i)
			if err != nil {
				return err
			}
			i = end
			if target {
				fn(start, end)
				if !p.wild {
					return nil
				}
			}
		}
		goto after

	closed: // the container on top of the stack ended at i
		f = &stack[len(stack)-1]
		if f.target {
			fn(f.start, i)
			if !p.wild {
				return nil
			}
		}
		stack = stack[:len(stack)-1]

	after: // a value ended at i: expect ',' or the closing byte
		i = skipWS(doc, i)
		if len(stack) == 0 {
			if i != n {
				return syntaxErr(i, "unexpected data after the top-level value")
			}
			return nil
		}
		f = &stack[len(stack)-1]
		switch {
		case i >= n:
			return syntaxErr(i, "want ',' or '%c'", f.kind+2)
		case doc[i] == f.kind+2:
			i++
			goto closed
		case doc[i] != ',':
			return syntaxErr(i, "want ',' or '%c', got %q", f.kind+2, doc[i])
		}
		f.index++
		i = skipWS(doc, i+1)

	member: // read the next member's key (objects) and decide whether it is on the path
		seg := len(stack) - 1
		if f.kind == '[' {
			match = f.onPath && (p.idx[seg] == f.index || p.segs[seg] == "*")
			continue
		}
		if i >= n || doc[i] != '"' {
			return syntaxErr(i, "want a string key")
		}
		ke, err := skipString(doc, i)
		if err != nil {
			return err
		}
		match = f.onPath && (p.segs[seg] == "*" || keyEquals(doc[i+1:ke-1], p.segs[seg]))
		i = skipWS(doc, ke)
		if i >= n || doc[i] != ':' {
			return syntaxErr(i, "want ':' after key")
		}
		i = skipWS(doc, i+1)
	}
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

// skipScalar returns the offset after the string, number or literal at i.
func skipScalar(doc []byte, i int) (int, error) {
	switch c := doc[i]; {
	case c == '"':
		return skipString(doc, i)
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

// stringStop marks the bytes that end a run of plain string content.
var stringStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// skipString returns the offset after the string starting at the quote at i.
// The inner loop is a single table lookup per byte: in a wasm guest every
// comparison in it costs.
func skipString(doc []byte, i int) (int, error) {
	j := i + 1
	for {
		for j < len(doc) && !stringStop[doc[j]] {
			j++
		}
		switch {
		case j >= len(doc):
			return len(doc), syntaxErr(i, "unterminated string")
		case doc[j] == '"':
			return j + 1, nil
		case doc[j] == '\\':
			j++
			if j >= len(doc) || !validEscape(doc, j) {
				return j, syntaxErr(j, "bad escape in string")
			}
			j++
		default:
			return j, syntaxErr(j, "control character in string")
		}
	}
}

func validEscape(doc []byte, j int) bool {
	switch doc[j] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if len(doc)-j < 5 {
			return false
		}
		for _, c := range doc[j+1 : j+5] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	return false
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

func digits(doc []byte, j int) int {
	for j < len(doc) && doc[j] >= '0' && doc[j] <= '9' {
		j++
	}
	return j
}
