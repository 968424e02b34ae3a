package jsonpath

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// MaxPaths is how many paths one Set scans together (a bit each in a word).
const MaxPaths = 64

// Set is paths scanned together: one pass over a document validates it
// and finds the values at all of them.
type Set struct {
	paths  []Path
	all    uint64  // one bit per path
	levels []level // by depth (plan); nil for Path.Each's one-path set
}

// NewSet groups up to MaxPaths paths; path i is reported as index i.
func NewSet(paths ...Path) (*Set, error) {
	if len(paths) > MaxPaths {
		return nil, fmt.Errorf("jsonpath: %d paths in one set, at most %d", len(paths), MaxPaths)
	}
	s := &Set{paths: paths, levels: plan(paths)}
	if len(paths) > 0 {
		s.all = ^uint64(0) >> (MaxPaths - len(paths))
	}
	return s, nil
}

// Match is a value at path Paths[Path] of a Set.
type Match struct {
	Path int
	Span
}

// Validate checks that doc is exactly one JSON value per RFC 8259, with
// nothing but whitespace around it: see Set.Each for what is checked.
func Validate(doc []byte) error {
	var none Set
	return none.Each(doc, nil)
}

// Spans returns what to rewrite to change every value at the set's paths:
// one Match per value, in document order, not overlapping. A value inside
// another matched value is left out (rewriting the outer one covers it);
// a value at several paths is named by the lowest path index.
func (s *Set) Spans(doc []byte, dst []Match) ([]Match, error) {
	err := s.Each(doc, func(p, start, end int) {
		n := len(dst)
		if n > 0 && dst[n-1].Start == start && dst[n-1].End == end {
			return // the same value at a later path
		}
		for n > 0 && dst[n-1].Start >= start {
			n-- // inside this value, which ends after them
		}
		dst = append(dst[:n], Match{p, Span{start, end}})
	})
	return dst, err
}

// frame is one open object or array.
type frame struct {
	kind   byte   // '{' or '['
	alive  uint64 // paths its members are compared with (segment len(stack)-1)
	target uint64 // paths at which the container itself is
	start  int
	index  int // element count so far (arrays)
}

// Each validates the whole document and calls fn(path, start, end) for
// every value at every path, in the order values end (a container after
// the values inside it; a value at several paths once per path, lowest
// index first). Every occurrence counts: each element a wildcard matches,
// each duplicate of a key and of any parent — JSON parsers disagree on
// which duplicate they keep, so a rewrite must reach them all.
//
// The document must be exactly one value with only whitespace around it;
// strings must use RFC 8259 escapes, pair their \u surrogates, hold no raw
// control character and be valid UTF-8; numbers follow the grammar;
// nesting stops at MaxDepth. Anything else is a *SyntaxError, possibly
// after some calls to fn: a caller must then drop what it built from them.
// Keys are compared decoded ("em\u0061il" is the key email) and exactly:
// JSON keys are case-sensitive, and no Unicode normalization is applied.
//
// It is one iterative loop with no closures or recursion: function calls
// are expensive in Go's wasm backend, and this is a guest's hot path. Off
// the paths it only validates: no key is compared.
func (s *Set) Each(doc []byte, fn func(path, start, end int)) error {
	var buf [8]frame // dead containers push none (skipDead): the depth of the paths is enough
	stack := buf[:0]
	n := len(doc)
	match := s.all // the paths the value about to be read lies on
	i := skipWS(doc, 0)
	if i >= n {
		return syntaxErr(i, "empty document")
	}
	var f *frame
	invalid := false // skipDead found an error: the rest is scanned the exact way
	for {
		// read one value at i
		if i >= n {
			return syntaxErr(i, "want a value")
		}
		var target uint64
		if match != 0 {
			target = s.endingAt(match, len(stack))
		}
		if c := doc[i]; c == '{' || c == '[' {
			if len(stack) >= MaxDepth {
				return syntaxErr(i, "nesting deeper than %d", MaxDepth)
			}
			if match&^target == 0 && !invalid { // no path goes inside: validate it, and on
				if end := skipDead(doc, i, len(stack)); end >= 0 {
					if target != 0 {
						report(fn, target, i, end)
					}
					i = end
					goto after
				}
				invalid = true // the exact path below finds the error: once, not again per level inside
			}
			stack = append(stack, frame{kind: c, alive: match &^ target, target: target, start: i})
			f = &stack[len(stack)-1]
			i = skipWS(doc, i+1)
			if i < n && doc[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				i++
				goto closed
			}
			goto member
		}
		{
			start, end := i, -1
			if doc[i] == '"' { // plainRun and its closing quote, inlined by hand (as below): the hot path
				j := i + 1
				for ; j <= n-8; j += 8 {
					if w := stops(binary.LittleEndian.Uint64(doc[j:])); w != 0 {
						j += bits.TrailingZeros64(w) >> 3
						break
					}
				}
				if j+8 > n {
					j = plainTail(doc, j)
				}
				if j < n && doc[j] == '"' {
					end = j + 1
				}
			}
			if c := doc[i]; end < 0 && c >= '0' && c <= '9' {
				end = plainNumber(doc, i)
			}
			if end < 0 { // not a plain string or number: the exact path
				var err error
				if end, err = skipScalar(doc, i); err != nil {
					return err
				}
			}
			i = end
			if target != 0 {
				report(fn, target, start, end)
			}
		}
		goto after

	closed: // the container on top of the stack ended at i
		f = &stack[len(stack)-1]
		if f.target != 0 {
			report(fn, f.target, f.start, i)
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

	member: // read the next member's key (objects) and find the paths it is on
		match = 0
		if f.kind == '[' {
			if f.alive != 0 {
				match = s.matchIndex(f.alive, len(stack)-1, f.index)
			}
			continue
		}
		if i >= n || doc[i] != '"' {
			return syntaxErr(i, "want a string key")
		}
		ke, escaped := -1, false
		j := i + 1
		for ; j <= n-8; j += 8 {
			if w := stops(binary.LittleEndian.Uint64(doc[j:])); w != 0 {
				j += bits.TrailingZeros64(w) >> 3
				break
			}
		}
		if j+8 > n {
			j = plainTail(doc, j)
		}
		if j < n && doc[j] == '"' {
			ke = j + 1
		}
		if ke < 0 {
			var err error
			if ke, escaped, err = skipString(doc, i); err != nil {
				return err
			}
		}
		if f.alive != 0 && (escaped || s.mayMatch(len(stack)-1, ke-i-2)) {
			match = s.matchKey(f.alive, len(stack)-1, doc[i+1:ke-1], escaped)
		}
		i = skipWS(doc, ke)
		if i >= n || doc[i] != ':' {
			return syntaxErr(i, "want ':' after key")
		}
		i = skipWS(doc, i+1)
	}
}

// report calls fn once per path in target, lowest index first.
func report(fn func(path, start, end int), target uint64, start, end int) {
	for t := target; t != 0; t &= t - 1 {
		fn(bits.TrailingZeros64(t), start, end)
	}
}

// endingAtEach is endingAt without a plan: one test per path.
func (s *Set) endingAtEach(match uint64, d int) uint64 {
	var out uint64
	for m := match; m != 0; m &= m - 1 {
		p := bits.TrailingZeros64(m)
		if len(s.paths[p].segs) == d {
			out |= 1 << p
		}
	}
	return out
}

// matchIndexEach is matchIndex without a plan.
func (s *Set) matchIndexEach(alive uint64, seg, i int) uint64 {
	var out uint64
	for m := alive; m != 0; m &= m - 1 {
		p := bits.TrailingZeros64(m)
		if s.paths[p].idx[seg] == i || s.paths[p].segs[seg] == "*" {
			out |= 1 << p
		}
	}
	return out
}

// matchKeyEach is matchKey without a plan; key is decoded.
func (s *Set) matchKeyEach(alive uint64, seg int, key []byte) uint64 {
	var out uint64
	for m := alive; m != 0; m &= m - 1 {
		p := bits.TrailingZeros64(m)
		if sg := s.paths[p].segs[seg]; sg == "*" || sg == string(key) {
			out |= 1 << p
		}
	}
	return out
}
