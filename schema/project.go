package schema

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Projection is a set of JSON field paths (docs/abi.md §4b) resolved
// against a codec's type, for a schema-bound JSON stream whose transform
// projects: Check validates each record in place and finds the values at
// the paths in the same pass, CheckValue checks a value written at one of
// them against its field's rules. docs/schemas.md, "Projected JSON streams".
type Projection struct {
	codec *Codec
	root  *pathNode
	refs  []fieldRef
	nodes int // nodes built: bounded by maxPathNodes
}

// Found is one value at a declared path: the raw JSON value
// doc[Start:End], of path Path (the lowest declared path naming it), Ref
// naming its field for CheckValue.
type Found struct {
	Path, Ref  int
	Start, End int
}

// pathNode is one value position the paths lead to: a message's field, a
// list's element. It ends a path (end >= 0), or leads on: to its fields by
// index (a message), to its elements (a list).
type pathNode struct {
	end    int // lowest declared path ending here, or -1
	ref    int // refs index, when end >= 0
	fields []*pathNode
	elems  map[int]*pathNode // a list's elements by index, merged with each
	each   *pathNode         // a list's every element
}

// fieldRef is what a found value is: its field, whether it is one element
// of a list field, how deep it lies (messages above it) and its path as
// written, for errors.
type fieldRef struct {
	f     *fieldPlan
	elem  bool
	depth int
	path  string
}

// maxPathNodes bounds what the paths of one projection may expand to:
// "*" on a message is every field, so a few wildcards on a wide or
// recursive type would otherwise build an exponential tree at load.
const maxPathNodes = 4096

// Project resolves paths (dot-separated JSON names or proto names of
// fields, list indices, "*" for every field or element) against the
// codec's type. A path naming no field, or going on below a scalar, a
// map or a timestamp, is an error naming it. Only types the compiled plan
// takes can be projected (Fast).
func (c *Codec) Project(paths []string) (*Projection, error) {
	if c.plan == nil {
		return nil, fmt.Errorf("schema: %s cannot be projected: the compiled plan does not take it (%s)", c.Type.FullName(), c.slowReason)
	}
	p := &Projection{codec: c, root: &pathNode{end: -1}}
	for i, path := range paths {
		segs := strings.Split(path, ".")
		if err := p.insert(p.root, c.plan, segs, i, 0, ""); err != nil {
			return nil, fmt.Errorf("schema: path %d %q: %w", i, path, err)
		}
	}
	p.root.finish()
	return p, nil
}

// insert adds path i's segments below n, a message of plan pl; written is
// the path so far, depth the messages above.
func (p *Projection) insert(n *pathNode, pl *plan, segs []string, i, depth int, written string) error {
	seg := segs[0]
	if seg == "*" {
		return p.insertEvery(n, pl, segs, i, depth, written)
	}
	f := pl.byKey[seg]
	if f == nil {
		return fmt.Errorf("%s has no field %q (fields: %s)", pl.name, seg, fieldNames(pl))
	}
	return p.insertField(n, pl, f, segs, i, depth, written)
}

// insertEvery adds a path at every field of pl, leaving out those it
// cannot go on below: it fails only if none takes it.
func (p *Projection) insertEvery(n *pathNode, pl *plan, segs []string, i, depth int, written string) error {
	var last error
	took := false
	for k := range pl.fields {
		err := p.insertField(n, pl, &pl.fields[k], segs, i, depth, written)
		var nb *noBelow
		if err != nil && !errors.As(err, &nb) {
			return err
		}
		took, last = took || err == nil, err
	}
	if !took {
		return last
	}
	return nil
}

// noBelow is a path going on below a value that has no fields.
type noBelow struct{ msg string }

func (e *noBelow) Error() string { return e.msg }

func (p *Projection) insertField(n *pathNode, pl *plan, f *fieldPlan, segs []string, i, depth int, written string) error {
	written = join(written, f.name)
	if n.fields == nil {
		n.fields = make([]*pathNode, len(pl.fields))
	}
	child, err := p.node(&n.fields[f.index])
	if err != nil {
		return err
	}
	rest := segs[1:]
	if len(rest) == 0 {
		p.end(child, i, fieldRef{f: f, depth: depth, path: written})
		return nil
	}
	if f.list {
		return p.insertElem(child, f, rest, i, depth, written)
	}
	return p.below(child, f, rest, i, depth, written)
}

// insertElem adds the rest of a path below a list field: an index or "*".
func (p *Projection) insertElem(n *pathNode, f *fieldPlan, segs []string, i, depth int, written string) error {
	var slot **pathNode
	switch k, err := strconv.Atoi(segs[0]); {
	case segs[0] == "*":
		slot = &n.each
	case err == nil && k >= 0:
		if n.elems == nil {
			n.elems = map[int]*pathNode{}
		}
		e := n.elems[k]
		slot = &e
		defer func() { n.elems[k] = e }()
	default:
		return fmt.Errorf("field %s is a list: want an element index or *, got %q", written, segs[0])
	}
	elem, err := p.node(slot)
	if err != nil {
		return err
	}
	written += "[" + segs[0] + "]"
	if len(segs) == 1 {
		p.end(elem, i, fieldRef{f: f, elem: true, depth: depth, path: written})
		return nil
	}
	return p.below(elem, f, segs[1:], i, depth, written)
}

// below goes on into a singular value of field f: only a message (not a
// timestamp, a string in JSON) has fields below it.
func (p *Projection) below(n *pathNode, f *fieldPlan, segs []string, i, depth int, written string) error {
	switch {
	case f.isMap():
		return &noBelow{fmt.Sprintf("field %s is a map: a path may end at it, not go into it", written)}
	case f.msg == nil || f.msg.timestamp:
		return &noBelow{fmt.Sprintf("field %s is a %s: it has no fields below it", written, kindName(f))}
	}
	return p.insert(n, f.msg, segs, i, depth+1, written)
}

// node returns *slot, made if it is nil, counting nodes against the bound.
func (p *Projection) node(slot **pathNode) (*pathNode, error) {
	if *slot != nil {
		return *slot, nil
	}
	if p.nodes++; p.nodes > maxPathNodes {
		return nil, fmt.Errorf("the paths expand to more than %d fields", maxPathNodes)
	}
	*slot = &pathNode{end: -1}
	return *slot, nil
}

// end marks n as the end of path i, unless a lower path ends there.
func (p *Projection) end(n *pathNode, i int, r fieldRef) {
	if n.end >= 0 {
		return // paths are inserted in order: the earlier one names the value
	}
	n.end, n.ref = i, len(p.refs)
	p.refs = append(p.refs, r)
}

// finish merges each list's "every element" into its indexed elements,
// so an element is matched by one node.
func (n *pathNode) finish() {
	if n == nil {
		return
	}
	for _, c := range n.fields {
		c.finish()
	}
	n.each.finish()
	for k, e := range n.elems {
		e.finish()
		n.elems[k] = merge(e, n.each)
	}
}

// merge is the node matching what a or b match (both finished): the
// lower path ends where both end.
func merge(a, b *pathNode) *pathNode {
	if a == nil || b == nil {
		if a == nil {
			return b
		}
		return a
	}
	m := &pathNode{end: a.end, ref: a.ref, each: merge(a.each, b.each)}
	if a.end < 0 || b.end >= 0 && b.end < a.end {
		m.end, m.ref = b.end, b.ref
	}
	m.fields = make([]*pathNode, max(len(a.fields), len(b.fields)))
	for i := range m.fields {
		m.fields[i] = merge(at(a.fields, i), at(b.fields, i))
	}
	for _, k := range unionKeys(a.elems, b.elems) {
		if m.elems == nil {
			m.elems = map[int]*pathNode{}
		}
		m.elems[k] = merge(a.elem(k), b.elem(k))
	}
	return m
}

func at(ns []*pathNode, i int) *pathNode {
	if i < len(ns) {
		return ns[i]
	}
	return nil
}

func unionKeys(a, b map[int]*pathNode) []int {
	var keys []int
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// child is the node of field index i below n, or nil.
func (n *pathNode) child(i int) *pathNode {
	if n == nil || i >= len(n.fields) {
		return nil
	}
	return n.fields[i]
}

// elem is the node of a list's element k, or nil.
func (n *pathNode) elem(k int) *pathNode {
	if n == nil {
		return nil
	}
	if e, ok := n.elems[k]; ok {
		return e
	}
	return n.each
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func fieldNames(pl *plan) string {
	names := make([]string, len(pl.fields))
	for i, f := range pl.fields {
		names[i] = f.name
		if f.jsonKey != f.name {
			names[i] += " (" + f.jsonKey + ")"
		}
	}
	return strings.Join(names, ", ")
}

func kindName(f *fieldPlan) string {
	if f.msg != nil && f.msg.timestamp {
		return "timestamp (a string in JSON)"
	}
	if f.kind == protoreflect.EnumKind {
		return "enum"
	}
	return f.kind.String()
}
