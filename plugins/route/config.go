package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Config is the transform's config blob (the `config` of the wasm processor).
type Config struct {
	// Rules are tried in order; a rule matches when all its conditions hold.
	Rules []RuleConfig `json:"rules"`
	// Mode is "first" (default: the first matching rule decides) or "all"
	// (every matching rule's ports get a copy: fan-out).
	Mode string `json:"mode"`
	// Default is the target when no rule matches: a port name, "drop", or
	// "" (default: the unnamed default port, the record kept as it was).
	Default string `json:"default"`
	// Projection is whether the router declares its paths to the host
	// (field projection, docs/abi.md §4b), so it sees only the values at
	// them. Default true; false, or paths that could meet in one value
	// (a.b and a.*, a and a.b), scan the whole value in the guest. Both
	// give the same verdicts.
	Projection *bool `json:"projection"`
	// WeirSchema is added by the host on a schema-bound pipeline (docs/abi.md
	// §3); the router reads JSON records only and ignores it.
	WeirSchema json.RawMessage `json:"weir_schema"`
}

// RuleConfig is one rule: conditions, all of which must hold, and where
// the record goes when they do.
type RuleConfig struct {
	// When are the conditions (none: the rule always matches).
	When []CondConfig `json:"when"`
	// To is a port name, "drop", "" (the default port), or a list of them.
	To Targets `json:"to"`
}

// CondConfig is one predicate on the values at a JSON path
// (sdk/go/jsonpath syntax). It holds when some value at the path meets
// it: every occurrence counts, each element a wildcard matches and each
// duplicate of a key. Exactly one kind of predicate per condition.
type CondConfig struct {
	Path string `json:"path"`
	// Equals is a JSON string, number, boolean or null; the value must be
	// of the same type (numbers compare as numbers: 1 equals 1.0).
	Equals json.RawMessage `json:"equals"`
	// In is a list of such scalars: the value equals one of them.
	In []json.RawMessage `json:"in"`
	// Prefix: the value is a string that starts with it.
	Prefix *string `json:"prefix"`
	// Regex: the value is a string an RE2 expression (Go's regexp) finds
	// a match in; anchor it (^…$) to match the whole string.
	Regex *string `json:"regex"`
	// GT, GTE, LT, LTE: the value is a number in the range. A bound is a
	// number, or {"path": "…"}: then some number at that path of the same
	// record (at most one such bound per condition).
	GT  *Bound `json:"gt"`
	GTE *Bound `json:"gte"`
	LT  *Bound `json:"lt"`
	LTE *Bound `json:"lte"`
	// Exists: true holds when the path has a value (null included); false
	// when it has none.
	Exists *bool `json:"exists"`
}

// Bound is a range bound: a number or another path's value.
type Bound struct {
	Num  float64
	Path string
}

// UnmarshalJSON reads a number or {"path": "…"}.
func (b *Bound) UnmarshalJSON(raw []byte) error {
	if err := json.Unmarshal(raw, &b.Num); err == nil {
		return nil
	}
	var ref struct {
		Path string `json:"path"`
	}
	if err := strictUnmarshal(raw, &ref); err != nil || ref.Path == "" {
		return fmt.Errorf("a bound is a number or {\"path\": \"…\"}, got %s", raw)
	}
	b.Path = ref.Path
	return nil
}

// Targets is one target or a list.
type Targets []string

// UnmarshalJSON reads a string or a list of strings.
func (t *Targets) UnmarshalJSON(raw []byte) error {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		*t = Targets{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("a target is a port name, \"drop\", or a list of them, got %s", raw)
	}
	*t = list
	return nil
}

// Drop is the target that filters a record out.
const Drop = "drop"

// Limits of a config: a condition and a rule are a bit each in a word.
const (
	maxConds      = 64
	maxRules      = 64
	maxPortBytes  = 64 // runtime.MaxPortBytes: the host refuses longer names
	maxRegexBytes = 4 << 10
)

// parseConfig decodes the config strictly: an unknown field is an error,
// so a misspelt predicate cannot silently match everything.
func parseConfig(raw []byte) (Config, error) {
	var c Config
	if len(bytes.TrimSpace(raw)) == 0 {
		return c, errors.New("route: no config: give rules, e.g. {\"rules\": [{\"when\": [{\"path\": \"risk\", \"gte\": 70}], \"to\": \"review\"}]}")
	}
	if err := strictUnmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("route: config: %w", err)
	}
	switch c.Mode {
	case "", "first", "all":
	default:
		return c, fmt.Errorf("route: config: mode %q: want \"first\" or \"all\"", c.Mode)
	}
	if len(c.Rules) > maxRules {
		return c, fmt.Errorf("route: config: %d rules, at most %d", len(c.Rules), maxRules)
	}
	if err := checkTarget(c.Default); err != nil {
		return c, fmt.Errorf("route: config: default: %w", err)
	}
	return c, nil
}

func strictUnmarshal(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after the config object")
	}
	return nil
}

// checkTarget refuses a port name the host would refuse, or "*" (which
// the manifest uses to mean any port).
func checkTarget(t string) error {
	switch {
	case len(t) > maxPortBytes:
		return fmt.Errorf("port %.20q…: %d bytes, at most %d", t, len(t), maxPortBytes)
	case !utf8.ValidString(t):
		return fmt.Errorf("port %q: not valid UTF-8", t)
	case t == "*":
		return errors.New(`port "*" is reserved (the manifest's "any port")`)
	}
	return nil
}
