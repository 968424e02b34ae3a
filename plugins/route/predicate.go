package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	weir "github.com/weirstream/weir/sdk/go"
)

// op is a condition's kind of predicate.
type op uint8

const (
	opEquals op = iota + 1 // and in: a set of scalars
	opPrefix
	opRegex
	opRange
	opExists
)

// cond is one compiled condition. It reads the values at paths[path].
type cond struct {
	path   int
	op     op
	negate bool // exists: false

	set    scalars        // opEquals
	prefix []byte         // opPrefix
	re     *regexp.Regexp // opRegex

	// opRange: constant bounds, open or closed; and at most one bound
	// read from another path (bpath >= 0), compared by bop.
	lo, hi         float64
	loOpen, hiOpen bool
	bpath          int
	bop            string // "gt", "gte", "lt" or "lte"
}

// scalars is the set of JSON scalars equals and in compare with. A few
// strings are compared in turn (cheaper than hashing in a wasm guest),
// more are looked up.
type scalars struct {
	strs            []string
	strSet          map[string]struct{} // over maxListedStrings
	nums            []float64
	yes, no, isNull bool
}

const maxListedStrings = 8

// compileCond checks and compiles one condition; pathIndex interns a
// path and returns its index.
func compileCond(c CondConfig, pathIndex func(string) (int, error)) (cond, error) {
	out := cond{bpath: -1, lo: math.Inf(-1), hi: math.Inf(1)}
	var err error
	if out.path, err = pathIndex(c.Path); err != nil {
		return out, err
	}
	kinds := 0
	if c.Equals != nil {
		kinds++
		out.op, err = opEquals, out.set.add(c.Equals)
	}
	if c.In != nil {
		kinds++
		out.op, err = opEquals, compileIn(&out.set, c.In)
	}
	if c.Prefix != nil {
		kinds++
		out.op, out.prefix = opPrefix, []byte(*c.Prefix)
	}
	if c.Regex != nil {
		kinds++
		out.op = opRegex
		out.re, err = compileRegex(*c.Regex)
	}
	if c.GT != nil || c.GTE != nil || c.LT != nil || c.LTE != nil {
		kinds++
		out.op, err = opRange, out.compileRange(c, pathIndex)
	}
	if c.Exists != nil {
		kinds++
		out.op, out.negate = opExists, !*c.Exists
	}
	if err != nil {
		return out, err
	}
	if kinds != 1 {
		return out, fmt.Errorf("path %q: %d predicates, want exactly one of equals, in, prefix, regex, gt/gte/lt/lte, exists", c.Path, kinds)
	}
	return out, nil
}

func compileIn(s *scalars, in []json.RawMessage) error {
	if len(in) == 0 {
		return errors.New("in: an empty list never matches")
	}
	for i, v := range in {
		if err := s.add(v); err != nil {
			return fmt.Errorf("in.%d: %w", i, err)
		}
	}
	return nil
}

// add puts one JSON scalar into the set.
func (s *scalars) add(raw json.RawMessage) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		s.addString(v)
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return fmt.Errorf("number %s: %w", v, err)
		}
		s.nums = append(s.nums, f)
	case bool:
		s.yes, s.no = s.yes || v, s.no || !v
	case nil:
		s.isNull = true
	default:
		return fmt.Errorf("%s: want a string, number, boolean or null", raw)
	}
	return nil
}

func (s *scalars) addString(v string) {
	if s.strSet != nil {
		s.strSet[v] = struct{}{}
		return
	}
	s.strs = append(s.strs, v)
	if len(s.strs) > maxListedStrings {
		s.strSet = map[string]struct{}{}
		for _, x := range s.strs {
			s.strSet[x] = struct{}{}
		}
		s.strs = nil
	}
}

func compileRegex(expr string) (*regexp.Regexp, error) {
	if len(expr) > maxRegexBytes {
		return nil, fmt.Errorf("regex: %d bytes, at most %d", len(expr), maxRegexBytes)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("regex: %w", err)
	}
	return re, nil
}

func (c *cond) compileRange(cc CondConfig, pathIndex func(string) (int, error)) error {
	bounds := []struct {
		name string
		b    *Bound
	}{{"gt", cc.GT}, {"gte", cc.GTE}, {"lt", cc.LT}, {"lte", cc.LTE}}
	for _, b := range bounds {
		if b.b == nil {
			continue
		}
		if err := c.addBound(b.name, *b.b, pathIndex); err != nil {
			return err
		}
	}
	return nil
}

func (c *cond) addBound(name string, b Bound, pathIndex func(string) (int, error)) error {
	if b.Path != "" {
		if c.bpath >= 0 {
			return fmt.Errorf("%s: at most one bound of a condition may name a path", name)
		}
		var err error
		c.bpath, err = pathIndex(b.Path)
		c.bop = name
		return err
	}
	switch name {
	case "gt", "gte":
		if b.Num > c.lo || (b.Num == c.lo && name == "gt") {
			c.lo, c.loOpen = b.Num, name == "gt"
		}
	default:
		if b.Num < c.hi || (b.Num == c.hi && name == "lt") {
			c.hi, c.hiOpen = b.Num, name == "lt"
		}
	}
	return nil
}

// match reports whether one value meets the condition (for a range with
// a bound path: its constant part). opExists is decided by presence.
func (c *cond) match(typ weir.FieldType, v []byte) bool {
	switch c.op {
	case opEquals:
		return c.set.has(typ, v)
	case opPrefix:
		return typ == weir.TypeString && bytes.HasPrefix(v, c.prefix)
	case opRegex:
		return typ == weir.TypeString && c.re.Match(v)
	case opRange:
		f, ok := number(typ, v)
		return ok && c.inRange(f)
	}
	return true
}

func (c *cond) inRange(f float64) bool {
	return (f > c.lo || (f == c.lo && !c.loOpen)) && (f < c.hi || (f == c.hi && !c.hiOpen))
}

// has reports whether the value is in the set.
func (s *scalars) has(typ weir.FieldType, v []byte) bool {
	switch typ {
	case weir.TypeString:
		for _, x := range s.strs {
			if x == string(v) {
				return true
			}
		}
		_, ok := s.strSet[string(v)]
		return ok
	case weir.TypeNumber:
		f, ok := number(typ, v)
		for _, n := range s.nums {
			if ok && n == f {
				return true
			}
		}
	case weir.TypeBool:
		return (v[0] == 't' && s.yes) || (v[0] == 'f' && s.no)
	case weir.TypeNull:
		return s.isNull
	}
	return false
}
