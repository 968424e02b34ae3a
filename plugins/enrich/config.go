package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// Namespace is the kv namespace the manifest declares: the pipeline
// grants it, backed by the cache it chooses (docs/abi.md, "Capabilities").
const Namespace = "lookup"

// Config is the transform's config blob (the `config` of the wasm processor).
type Config struct {
	// Key is the JSON path of the lookup key: a string (its decoded text)
	// or a number (its text) at exactly one place in the record.
	Key string `json:"key"`
	// Target is the dotted path of keys where the value found is written:
	// it replaces every value there, or is added to the parent object
	// (every occurrence of it; the whole record for a one-key path).
	Target string `json:"target"`
	// OnMiss is what a record whose key is not in the store, or that has
	// no key, becomes: "keep" (default: unchanged), "flag" (failed, for
	// the dead-letter output) or "route" (to MissPort, unchanged).
	OnMiss string `json:"on_miss"`
	// MissPort is the port of on_miss "route".
	MissPort string `json:"miss_port"`
	// WeirSchema is added by the host on a schema-bound pipeline; enrich
	// reads JSON records only and ignores it.
	WeirSchema json.RawMessage `json:"weir_schema"`
}

const maxPortBytes = 64 // runtime.MaxPortBytes

// enricher is a compiled config.
type enricher struct {
	key      jsonpath.Path
	target   []string      // keys
	path     jsonpath.Path // the target
	parent   jsonpath.Path
	set      *jsonpath.Set // key, target and (for a nested target) parent, found in one scan
	onMiss   string
	missPort string
	// schemaBound: the host added weir_schema, so it gives projected
	// fields itself and serves no insertion paths: full values instead
	schemaBound bool
}

func newEnricher(raw []byte) (*enricher, error) {
	var c Config
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("enrich: config: %w", err)
	}
	e := &enricher{onMiss: c.OnMiss, missPort: c.MissPort, schemaBound: len(c.WeirSchema) > 0}
	var err error
	if e.key, err = jsonpath.Compile(c.Key); err != nil || c.Key == "" {
		return nil, fmt.Errorf("enrich: config: key %q: want the JSON path of the lookup key, e.g. \"customer.id\"", c.Key)
	}
	if err := e.compileTarget(c.Target); err != nil {
		return nil, fmt.Errorf("enrich: config: target %q: %w", c.Target, err)
	}
	if t := c.Target + "."; strings.HasPrefix(c.Key+".", t) {
		return nil, fmt.Errorf("enrich: config: target %q holds the key %q: the value found would replace its own key; write it elsewhere", c.Target, c.Key)
	}
	paths := []jsonpath.Path{e.key, e.path}
	if len(e.target) > 1 {
		paths = append(paths, e.parent)
	}
	if e.set, err = jsonpath.NewSet(paths...); err != nil {
		return nil, err
	}
	return e, e.checkMiss()
}

func (e *enricher) compileTarget(t string) error {
	if t == "" {
		return errors.New("want the dotted path the value is written at, e.g. \"risk\"")
	}
	e.target = strings.Split(t, ".")
	for _, s := range e.target {
		if s == "" || s == "*" {
			return errors.New("keys only: no empty segment, no *")
		}
	}
	e.path = jsonpath.MustCompile(t)
	if len(e.target) > 1 {
		e.parent = jsonpath.MustCompile(strings.Join(e.target[:len(e.target)-1], "."))
	}
	return nil
}

func (e *enricher) checkMiss() error {
	switch e.onMiss {
	case "":
		e.onMiss = "keep"
	case "keep", "flag":
	case "route":
		if e.missPort == "" || len(e.missPort) > maxPortBytes || !utf8.ValidString(e.missPort) || e.missPort == "*" {
			return fmt.Errorf("enrich: config: miss_port %q: on_miss route wants a port name of 1 to %d bytes (not *)", e.missPort, maxPortBytes)
		}
		return nil
	default:
		return fmt.Errorf("enrich: config: on_miss %q: want \"keep\", \"flag\" or \"route\"", e.onMiss)
	}
	if e.missPort != "" {
		return fmt.Errorf("enrich: config: miss_port %q is only for on_miss \"route\"", e.missPort)
	}
	return nil
}
