package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// router is a compiled config. Per record it gathers which conditions
// hold (a bit each) from the values at its paths, then takes the first
// matching rule's target, or every matching rule's (mode all). Nothing is
// allocated per record.
type router struct {
	paths   []string // distinct, in order of first use: path i is declared as i
	conds   []cond
	byPath  [][]int // the conditions reading path i
	bounds  uint64  // paths some condition's range reads a bound from
	rules   []rule
	all     bool
	deflt   target
	project bool // declare the paths to the host (fields); else scan the value
	set     *jsonpath.Set

	rec record
}

// rule holds when (hits ^ neg) & want == want.
type rule struct {
	want, neg uint64
	target
}

// target is where a record goes: dropped, kept on the default port
// (no ports), or routed to ports.
type target struct {
	drop  bool
	ports []string
}

// record is the per-record state, reset by begin.
type record struct {
	hits       uint64    // conditions that hold so far
	extSet     uint64    // conditions with a path bound that saw a value
	ext        []float64 // per condition: the value to compare with the bound
	bSet       uint64    // bound paths that had a number
	bmin, bmax []float64 // per path: the least and greatest number there
	ports      []string  // mode all: the ports of the matching rules
	doc        []byte    // scan: the value being scanned
	text       []byte    // scan: an escaped string, decoded
	each       func(path, start, end int)
}

// verdict is what the router does to a record: weir.Record and
// weir.Fields both have it.
type verdict interface {
	Route(ports ...string)
	Drop()
}

// newRouter compiles a config; errors name the rule and condition.
func newRouter(raw []byte) (*router, error) {
	c, err := parseConfig(raw)
	if err != nil {
		return nil, err
	}
	rt := &router{all: c.Mode == "all", project: c.Projection == nil || *c.Projection}
	if rt.deflt, err = compileTarget([]string{c.Default}); err != nil {
		return nil, fmt.Errorf("route: config: default: %w", err)
	}
	for i, rc := range c.Rules {
		if err := rt.addRule(rc); err != nil {
			return nil, fmt.Errorf("route: config: rule %d: %w", i, err)
		}
	}
	return rt, rt.plan()
}

func (rt *router) addRule(rc RuleConfig) error {
	var r rule
	var err error
	if r.target, err = compileTarget(rc.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	for j, cc := range rc.When {
		if len(rt.conds) == maxConds {
			return fmt.Errorf("when.%d: more than %d conditions in all rules", j, maxConds)
		}
		c, err := compileCond(cc, rt.pathIndex)
		if err != nil {
			return fmt.Errorf("when.%d: %w", j, err)
		}
		bit := uint64(1) << len(rt.conds)
		r.want |= bit
		if c.negate {
			r.neg |= bit
		}
		rt.conds = append(rt.conds, c)
	}
	rt.rules = append(rt.rules, r)
	return nil
}

// compileTarget reads a rule's to: "drop" alone, or port names ("" is
// the default port), each once.
func compileTarget(to []string) (target, error) {
	switch {
	case len(to) == 0:
		return target{}, errors.New("no target: give a port name, \"drop\" or \"\" (the default port)")
	case len(to) == 1 && to[0] == Drop:
		return target{drop: true}, nil
	case len(to) == 1 && to[0] == "":
		return target{}, nil
	}
	for i, p := range to {
		if p == Drop {
			return target{}, fmt.Errorf("%d: \"drop\" must be the only target", i)
		}
		if err := checkTarget(p); err != nil {
			return target{}, fmt.Errorf("%d: %w", i, err)
		}
		for _, q := range to[:i] {
			if q == p {
				return target{}, fmt.Errorf("%d: port %q given twice", i, p)
			}
		}
	}
	return target{ports: to}, nil
}

// pathIndex interns a path, checking it compiles.
func (rt *router) pathIndex(p string) (int, error) {
	for i, q := range rt.paths {
		if q == p {
			return i, nil
		}
	}
	if _, err := jsonpath.Compile(p); err != nil {
		return 0, fmt.Errorf("path %q: %w", p, err)
	}
	if len(rt.paths) == jsonpath.MaxPaths {
		return 0, fmt.Errorf("path %q: more than %d distinct paths", p, jsonpath.MaxPaths)
	}
	rt.paths = append(rt.paths, p)
	return len(rt.paths) - 1, nil
}

// plan indexes the conditions by path and sizes the per-record state.
// Paths that could meet in one value make the host report only the
// outer value (docs/abi.md §4b), so then the router scans whole values;
// so it does with no paths at all (the host only projects declared ones).
func (rt *router) plan() error {
	rt.byPath = make([][]int, len(rt.paths))
	for i, c := range rt.conds {
		rt.byPath[c.path] = append(rt.byPath[c.path], i)
		if c.bpath >= 0 {
			rt.bounds |= 1 << c.bpath
		}
	}
	if len(rt.paths) == 0 || rt.overlapping() {
		rt.project = false
	}
	paths := make([]jsonpath.Path, len(rt.paths))
	for i, p := range rt.paths {
		paths[i] = jsonpath.MustCompile(p)
	}
	var err error
	rt.set, err = jsonpath.NewSet(paths...)
	rt.rec.ext = make([]float64, len(rt.conds))
	rt.rec.bmin = make([]float64, len(rt.paths))
	rt.rec.bmax = make([]float64, len(rt.paths))
	rt.rec.each = rt.scanned
	return err
}

// overlapping reports whether two paths could match one value or a value
// and one inside it.
func (rt *router) overlapping() bool {
	for i := range rt.paths {
		for j := range i {
			if mayMeet(strings.Split(rt.paths[i], "."), strings.Split(rt.paths[j], ".")) {
				return true
			}
		}
	}
	return false
}

func mayMeet(a, b []string) bool {
	for k := range min(len(a), len(b)) {
		if a[k] != b[k] && a[k] != "*" && b[k] != "*" && !sameIndex(a[k], b[k]) {
			return false
		}
	}
	return true
}

// sameIndex: "0" and "00" both match element 0 of an array.
func sameIndex(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	return errA == nil && errB == nil && x >= 0 && x == y
}

func (rt *router) begin() {
	rt.rec.hits, rt.rec.extSet, rt.rec.bSet = 0, 0, 0
}

// value takes one value at path p into account.
func (rt *router) value(p int, typ weir.FieldType, v []byte) {
	if rt.bounds>>p&1 == 1 {
		rt.bound(p, typ, v)
	}
	for _, ci := range rt.byPath[p] {
		c := &rt.conds[ci]
		if c.bpath < 0 && rt.rec.hits>>ci&1 == 1 || !c.match(typ, v) {
			continue
		}
		if c.bpath < 0 {
			rt.rec.hits |= 1 << ci
			continue
		}
		f, _ := number(typ, v)
		rt.extreme(ci, c, f)
	}
}

// bound records the least and greatest number at path p.
func (rt *router) bound(p int, typ weir.FieldType, v []byte) {
	f, ok := number(typ, v)
	switch {
	case !ok:
	case rt.rec.bSet>>p&1 == 0:
		rt.rec.bmin[p], rt.rec.bmax[p] = f, f
		rt.rec.bSet |= 1 << p
	default:
		rt.rec.bmin[p], rt.rec.bmax[p] = math.Min(rt.rec.bmin[p], f), math.Max(rt.rec.bmax[p], f)
	}
}

// extreme keeps, of a path-bounded condition's values, the one most
// likely to meet the bound: the greatest for gt/gte, the least for
// lt/lte. The condition holds when some value meets some bound, so
// comparing these two extremes decides it.
func (rt *router) extreme(ci int, c *cond, f float64) {
	bit := uint64(1) << ci
	e := &rt.rec.ext[ci]
	switch {
	case rt.rec.extSet&bit == 0:
		*e = f
		rt.rec.extSet |= bit
	case c.bop == "gt" || c.bop == "gte":
		*e = math.Max(*e, f)
	default:
		*e = math.Min(*e, f)
	}
}

// finish decides the path-bounded conditions and returns the hits.
func (rt *router) finish() uint64 {
	for ci := range rt.conds {
		c := &rt.conds[ci]
		if c.bpath < 0 || rt.rec.extSet>>ci&1 == 0 || rt.rec.bSet>>c.bpath&1 == 0 {
			continue
		}
		if boundHolds(c.bop, rt.rec.ext[ci], rt.rec.bmin[c.bpath], rt.rec.bmax[c.bpath]) {
			rt.rec.hits |= 1 << ci
		}
	}
	return rt.rec.hits
}

func boundHolds(op string, v, lo, hi float64) bool {
	switch op {
	case "gt":
		return v > lo
	case "gte":
		return v >= lo
	case "lt":
		return v < hi
	}
	return v <= hi
}

// decide applies the rules to the record.
func (rt *router) decide(v verdict) {
	hits := rt.finish()
	if !rt.all {
		for i := range rt.rules {
			if rt.rules[i].holds(hits) {
				rt.rules[i].apply(v)
				return
			}
		}
		rt.deflt.apply(v)
		return
	}
	rt.decideAll(v, hits)
}

// decideAll sends a copy to every matching rule's ports, each port once;
// rules whose target is drop add none, so a record only they match is
// dropped.
func (rt *router) decideAll(v verdict, hits uint64) {
	ports, matched := rt.rec.ports[:0], false
	for i := range rt.rules {
		r := &rt.rules[i]
		if !r.holds(hits) {
			continue
		}
		matched = true
		if !r.drop && len(r.ports) == 0 {
			ports = addPort(ports, "")
		}
		for _, p := range r.ports {
			ports = addPort(ports, p)
		}
	}
	rt.rec.ports = ports
	switch {
	case !matched:
		rt.deflt.apply(v)
	case len(ports) == 0:
		v.Drop()
	case len(ports) == 1 && ports[0] == "":
	default:
		v.Route(ports...)
	}
}

func addPort(ports []string, p string) []string {
	for _, q := range ports {
		if q == p {
			return ports
		}
	}
	return append(ports, p)
}

func (r *rule) holds(hits uint64) bool { return (hits^r.neg)&r.want == r.want }

func (t *target) apply(v verdict) {
	switch {
	case t.drop:
		v.Drop()
	case len(t.ports) > 0:
		v.Route(t.ports...)
	}
}

// fields routes a projected record: the host found the values.
func (rt *router) fields(r *weir.Fields) error {
	rt.begin()
	for i := range r.Len() {
		p, typ, v := r.Field(i)
		rt.value(p, typ, v)
	}
	rt.decide(r)
	return nil
}

// scan routes a whole record, finding the values itself; a value that is
// not JSON fails the record.
func (rt *router) scan(r *weir.Record) error {
	rt.begin()
	rt.rec.doc = r.Value()
	err := rt.set.Each(rt.rec.doc, rt.rec.each)
	rt.rec.doc = nil
	if err != nil {
		return fmt.Errorf("route: record is not JSON: %w", err)
	}
	rt.decide(r)
	return nil
}

// scanned is the scan's callback: one raw value at path p.
func (rt *router) scanned(p, start, end int) {
	raw := rt.rec.doc[start:end]
	switch raw[0] {
	case '"':
		text := raw[1 : len(raw)-1]
		if bytes.IndexByte(text, '\\') >= 0 {
			rt.rec.text, _ = jsonpath.AppendUnquoted(rt.rec.text[:0], raw)
			text = rt.rec.text
		}
		rt.value(p, weir.TypeString, text)
	case '{':
		rt.value(p, weir.TypeObject, raw)
	case '[':
		rt.value(p, weir.TypeArray, raw)
	case 't', 'f':
		rt.value(p, weir.TypeBool, raw)
	case 'n':
		rt.value(p, weir.TypeNull, raw)
	default:
		rt.value(p, weir.TypeNumber, raw)
	}
}
