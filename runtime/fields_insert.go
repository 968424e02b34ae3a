package runtime

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// typeAbsent is the type of an insertion path's field where its key is
// missing from an object its parent path found (docs/abi.md §4b,
// "Insertion paths"): no value, and setting it adds the key.
const typeAbsent = 7

// insertion is a declaration's insertion paths, as the scan uses them.
// The set holds the declared paths (0 to declared-1) and then each
// distinct parent of an insertion path of two segments or more.
type insertion struct {
	set      *jsonpath.Set
	declared int
	children [][]int  // by parent (set index - declared): its insertion paths, increasing
	root     []int    // insertion paths of one segment: their parent is the record
	key      [][]byte // by declared path: `"key":` of an insertion path, nil otherwise
	last     []int    // by declared path: where its latest value in the record starts
}

// parseInsertions reads the optional tail of a weir_fields declaration,
// n:u32 index:u32*n, the declared paths (strictly increasing indices) a
// guest may insert: each must end in a key, not *, and the declared
// paths and the distinct parents together are at most maxFieldPaths.
func parseInsertions(b []byte, compiled []jsonpath.Path) (*insertion, error) {
	le := binary.LittleEndian
	if len(b) < 4 {
		return nil, fmt.Errorf("%d trailing bytes after %d paths: want n:u32 and n insertion path indices", len(b), len(compiled))
	}
	n := le.Uint32(b)
	if uint64(n) > uint64(len(compiled)) || uint64(len(b)) != 4+4*uint64(n) {
		return nil, fmt.Errorf("insertion paths: %d indices in %d bytes, want at most %d indices (one per path) and 4 bytes each", n, len(b)-4, len(compiled))
	}
	ins := &insertion{declared: len(compiled), key: make([][]byte, len(compiled)), last: make([]int, len(compiled))}
	paths, parents := append([]jsonpath.Path(nil), compiled...), map[string]int{}
	prev := -1
	for k := 0; k < int(n); k++ {
		i := int(le.Uint32(b[4+4*k:]))
		if i >= len(compiled) || i <= prev {
			return nil, fmt.Errorf("insertion path index %d: out of order or range (%d paths, previous %d)", i, len(compiled), prev)
		}
		prev = i
		text := compiled[i].String()
		cut := strings.LastIndexByte(text, '.')
		key := text[cut+1:]
		if key == "*" {
			return nil, fmt.Errorf("insertion path %d %q: ends in *, want a key", i, text)
		}
		ins.key[i] = append(jsonpath.AppendQuote(nil, key), ':')
		if cut < 0 {
			ins.root = append(ins.root, i)
			continue
		}
		parent := text[:cut]
		at, ok := parents[parent]
		if !ok {
			at = len(ins.children)
			parents[parent] = at
			ins.children = append(ins.children, nil)
			paths = append(paths, jsonpath.MustCompile(parent)) // a prefix of a valid path
		}
		ins.children[at] = append(ins.children[at], i)
	}
	if len(paths) > maxFieldPaths {
		return nil, fmt.Errorf("%d paths and %d parents of insertion paths, at most %d together", len(compiled), len(paths)-len(compiled), maxFieldPaths)
	}
	var err error
	ins.set, err = jsonpath.NewSet(paths...)
	return ins, err
}

// spans is jsonpath.Set.Spans for a declaration with insertion paths: the
// values at the declared paths, and a zero-width match at the closing
// brace of every object a parent path finds that lacks an insertion
// path's key. Document order, not overlapping: a point inside a matched
// value is left out, as a value inside one is.
func (ins *insertion) spans(doc []byte, dst []jsonpath.Match) ([]jsonpath.Match, error) {
	for i := range ins.last {
		ins.last[i] = -1
	}
	err := ins.set.Each(doc, func(p, start, end int) {
		if p >= ins.declared {
			for _, c := range ins.children[p-ins.declared] {
				dst = ins.absent(dst, doc, c, start, end)
			}
			return
		}
		ins.last[p] = start
		dst = appendValueMatch(dst, p, start, end)
	})
	if err != nil || len(ins.root) == 0 {
		return dst, err
	}
	start := skipSpace(doc, 0)
	end := len(doc)
	for end > start && isSpace(doc[end-1]) {
		end--
	}
	for _, c := range ins.root {
		dst = ins.absent(dst, doc, c, start, end)
	}
	return dst, nil
}

// absent adds insertion path c's point to the object doc[start:end], a
// value of c's parent, unless it is no object, already has c's key (a
// value of c starts inside it: values of one path never nest), or lies
// inside the last match.
func (ins *insertion) absent(dst []jsonpath.Match, doc []byte, c, start, end int) []jsonpath.Match {
	at := end - 1
	if doc[start] != '{' || ins.last[c] >= start {
		return dst
	}
	if n := len(dst); n > 0 && dst[n-1].End > at {
		return dst
	}
	return append(dst, jsonpath.Match{Path: c, Span: jsonpath.Span{Start: at, End: at}})
}

// appendValueMatch is what Set.Spans does with each value.
func appendValueMatch(dst []jsonpath.Match, p, start, end int) []jsonpath.Match {
	n := len(dst)
	if n > 0 && dst[n-1].Start == start && dst[n-1].End == end {
		return dst // the same value at a later path
	}
	for n > 0 && dst[n-1].Start >= start {
		n-- // inside this value, which ends after them (points included)
	}
	return append(dst[:n], jsonpath.Match{Path: p, Span: jsonpath.Span{Start: start, End: end}})
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && isSpace(doc[i]) {
		i++
	}
	return i
}

// needsComma reports whether a key inserted at the closing brace doc[at]
// goes after a comma: unless the object has no member before it, neither
// its own nor one inserted just before (afterInsert).
func needsComma(doc []byte, at int, afterInsert bool) bool {
	if afterInsert {
		return true
	}
	i := at - 1
	for i > 0 && isSpace(doc[i]) {
		i--
	}
	return doc[i] != '{'
}
