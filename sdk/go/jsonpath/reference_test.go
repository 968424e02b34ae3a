package jsonpath

import (
	"math/bits"
	"unicode/utf8"
)

// This file keeps the scanner as it was before its fast paths (SWAR string
// runs, the per-depth plan of a Set, the whitespace shortcut), unchanged but
// for the names: the differential tests (FuzzScanAgreesWithReference) hold
// the fast scanner to it. Helpers the fast paths did not touch (skipEscape,
// hex4, appendUnescaped, syntaxErr) are shared.

// refSpans is Set.Spans on the reference scanner.
func (s *Set) refSpans(doc []byte, dst []Match) ([]Match, error) {
	err := s.refEach(doc, func(p, start, end int) {
		n := len(dst)
		if n > 0 && dst[n-1].Start == start && dst[n-1].End == end {
			return
		}
		for n > 0 && dst[n-1].Start >= start {
			n--
		}
		dst = append(dst[:n], Match{p, Span{start, end}})
	})
	return dst, err
}

func (s *Set) refEach(doc []byte, fn func(path, start, end int)) error {
	var buf [32]frame
	stack := buf[:0]
	n := len(doc)
	match := s.all // the paths the value about to be read lies on
	i := refSkipWS(doc, 0)
	if i >= n {
		return syntaxErr(i, "empty document")
	}
	var f *frame
	for {
		// read one value at i
		if i >= n {
			return syntaxErr(i, "want a value")
		}
		var target uint64
		if match != 0 {
			target = s.refEndingAt(match, len(stack))
		}
		if c := doc[i]; c == '{' || c == '[' {
			if len(stack) >= MaxDepth {
				return syntaxErr(i, "nesting deeper than %d", MaxDepth)
			}
			stack = append(stack, frame{kind: c, alive: match &^ target, target: target, start: i})
			f = &stack[len(stack)-1]
			i = refSkipWS(doc, i+1)
			if i < n && doc[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				i++
				goto closed
			}
			goto member
		}
		{
			start := i
			end, err := refSkipScalar(doc, i)
			if err != nil {
				return err
			}
			i = end
			if target != 0 {
				refReport(fn, target, start, end)
			}
		}
		goto after

	closed: // the container on top of the stack ended at i
		f = &stack[len(stack)-1]
		if f.target != 0 {
			refReport(fn, f.target, f.start, i)
		}
		stack = stack[:len(stack)-1]

	after: // a value ended at i: expect ',' or the closing byte
		i = refSkipWS(doc, i)
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
		i = refSkipWS(doc, i+1)

	member: // read the next member's key (objects) and find the paths it is on
		match = 0
		if f.kind == '[' {
			if f.alive != 0 {
				match = s.refMatchIndex(f.alive, len(stack)-1, f.index)
			}
			continue
		}
		if i >= n || doc[i] != '"' {
			return syntaxErr(i, "want a string key")
		}
		ke, escaped, err := refSkipString(doc, i)
		if err != nil {
			return err
		}
		if f.alive != 0 {
			match = s.refMatchKey(f.alive, len(stack)-1, doc[i+1:ke-1], escaped)
		}
		i = refSkipWS(doc, ke)
		if i >= n || doc[i] != ':' {
			return syntaxErr(i, "want ':' after key")
		}
		i = refSkipWS(doc, i+1)
	}
}

// report calls fn once per path in target, lowest index first.
func refReport(fn func(path, start, end int), target uint64, start, end int) {
	for t := target; t != 0; t &= t - 1 {
		fn(bits.TrailingZeros64(t), start, end)
	}
}

// endingAt is the paths of match that end at depth d.
func (s *Set) refEndingAt(match uint64, d int) uint64 {
	var out uint64
	for m := match; m != 0; m &= m - 1 {
		p := bits.TrailingZeros64(m)
		if len(s.paths[p].segs) == d {
			out |= 1 << p
		}
	}
	return out
}

// matchIndex is the paths of alive whose segment seg is "*" or index i.
func (s *Set) refMatchIndex(alive uint64, seg, i int) uint64 {
	var out uint64
	for m := alive; m != 0; m &= m - 1 {
		p := bits.TrailingZeros64(m)
		if s.paths[p].idx[seg] == i || s.paths[p].segs[seg] == "*" {
			out |= 1 << p
		}
	}
	return out
}

// matchKey is the paths of alive whose segment seg is "*" or the key; raw
// is the key between its quotes, decoded first if it holds escapes.
func (s *Set) refMatchKey(alive uint64, seg int, raw []byte, escaped bool) uint64 {
	if escaped {
		var kb [64]byte
		return s.refMatchKey(alive, seg, appendUnescaped(kb[:0], raw), false)
	}
	var out uint64
	for m := alive; m != 0; m &= m - 1 {
		p := bits.TrailingZeros64(m)
		if sg := s.paths[p].segs[seg]; sg == "*" || sg == string(raw) {
			out |= 1 << p
		}
	}
	return out
}
func refSkipWS(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r') {
		i++
	}
	return i
}

// skipScalar returns the offset after the string, number or literal at i.
func refSkipScalar(doc []byte, i int) (int, error) {
	switch c := doc[i]; {
	case c == '"':
		end, _, err := refSkipString(doc, i)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		return refSkipNumber(doc, i)
	case c == 't' && refHasPrefix(doc[i:], "true"):
		return i + 4, nil
	case c == 'f' && refHasPrefix(doc[i:], "false"):
		return i + 5, nil
	case c == 'n' && refHasPrefix(doc[i:], "null"):
		return i + 4, nil
	}
	return i, syntaxErr(i, "unexpected %q", doc[i])
}

func refHasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// refStringStop marks the bytes that end a run of plain ASCII string content:
var refStringStop = func() (t [256]bool) {
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
// (no overlong forms, no encoded surrogates). The inner loop is a single
// table lookup per ASCII byte: in a wasm guest every comparison in it costs.
func refSkipString(doc []byte, i int) (end int, escaped bool, err error) {
	j := i + 1
	for {
		for j < len(doc) && !refStringStop[doc[j]] {
			j++
		}
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
func refSkipNumber(doc []byte, i int) (int, error) {
	j := i
	if doc[j] == '-' {
		j++
	}
	switch {
	case j < len(doc) && doc[j] == '0':
		j++
	case j < len(doc) && doc[j] >= '1' && doc[j] <= '9':
		j = refDigits(doc, j)
	default:
		return j, syntaxErr(i, "bad number")
	}
	if j < len(doc) && doc[j] == '.' {
		k := refDigits(doc, j+1)
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
		k := refDigits(doc, j)
		if k == j {
			return j, syntaxErr(i, "bad number: no exponent digits")
		}
		j = k
	}
	return j, nil
}

func refDigits(doc []byte, j int) int {
	for j < len(doc) && doc[j] >= '0' && doc[j] <= '9' {
		j++
	}
	return j
}
