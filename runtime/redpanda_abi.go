package runtime

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// Redpanda Data Transforms (docs/abi.md, "Redpanda Data Transforms
// modules"): the import modules such a guest uses.
const (
	redpandaModule         = "redpanda_transform"
	redpandaSchemaRegistry = "redpanda_schema_registry"
)

// redpandaFuncs are the functions weir provides to a Redpanda transform,
// with the signatures the SDK's //go:wasmimport declarations compile to.
var redpandaFuncs = map[string]wasmbin.FuncType{
	"check_abi_version_1":       {},
	"check_abi_version_2":       {},
	"read_batch_header":         {Params: repeat(wasmbin.ValI32, 10), Results: i32},
	"read_next_record":          {Params: repeat(wasmbin.ValI32, 5), Results: i32},
	"write_record":              {Params: repeat(wasmbin.ValI32, 2), Results: i32},
	"write_record_with_options": {Params: repeat(wasmbin.ValI32, 4), Results: i32},
}

// checkRedpanda is admission for a Redpanda transform: only WASI and the
// redpanda_transform functions above, with their exact signatures, and a
// _start () -> () and exported memory to run.
func checkRedpanda(m *wasmbin.Module) error {
	for _, im := range m.Imports {
		if err := checkRedpandaImport(m, im); err != nil {
			return err
		}
	}
	if ex, ok := m.Export("memory"); !ok || ex.Kind != wasmbin.KindMemory {
		return refuse("Redpanda transform does not export its memory as \"memory\"")
	}
	ex, ok := m.Export("_start")
	if got, _ := m.FuncType(ex.Index); !ok || ex.Kind != wasmbin.KindFunc || len(got.Params)+len(got.Results) != 0 {
		return refuse("Redpanda transform has no export \"_start\" () -> (): build it as a WASI command (GOOS=wasip1 go build, no -buildmode)")
	}
	return nil
}

func checkRedpandaImport(m *wasmbin.Module, im wasmbin.Import) error {
	switch {
	case im.Kind != wasmbin.KindFunc:
		return refuse("import %s.%s is not a function; weir provides only functions", im.Module, im.Name)
	case im.Module == wasiModule:
		return nil
	case im.Module != redpandaModule && im.Module != redpandaSchemaRegistry:
		return refuse("import %s.%s: module %q is not provided to a Redpanda transform (allowed: %q, %q, %q)", im.Module, im.Name, im.Module, redpandaModule, redpandaSchemaRegistry, wasiModule)
	}
	funcs := redpandaFuncs
	if im.Module == redpandaSchemaRegistry {
		funcs = redpandaRegistryFuncs
	}
	want, ok := funcs[im.Name]
	if !ok {
		return refuse("import %s.%s: no such function in Redpanda's transform ABI v1 or v2 or its schema registry ABI v0", im.Module, im.Name)
	}
	if int(im.TypeIndex) >= len(m.Types) || !sameSig(m.Types[im.TypeIndex], want) {
		return refuse("import %s.%s has the wrong signature, want %s", im.Module, im.Name, sigString(want))
	}
	return nil
}

// redpandaManifest names a Redpanda transform that carries no
// weir.manifest section after its digest: "redpanda@sha256-<12 hex>".
// `weir transform pack` can give it a name and version instead.
func redpandaManifest(digest string) Manifest {
	short := strings.TrimPrefix(digest, "sha256:")
	return Manifest{ABI: ABIVersion, Name: "redpanda", Version: "sha256-" + short[:min(12, len(short))]}
}

// Bounds of a Redpanda transform's config (its environment).
const (
	maxRedpandaTopics   = 256
	maxRedpandaEnvBytes = 64 << 10
)

// redpandaConfig is the pool config of a Redpanda transform (the wasm
// processor's `config`, as JSON). Redpanda's deploy settings become the
// guest's environment, as `rpk transform deploy` sets it.
type redpandaConfig struct {
	// InputTopic is REDPANDA_INPUT_TOPIC. Default "input".
	InputTopic string `json:"input_topic"`
	// OutputTopics are REDPANDA_OUTPUT_TOPIC_0, _1, …; the first is the
	// default output (write_record). Default ["output"].
	OutputTopics []string `json:"output_topics"`
	// Ports maps an output topic to the weir port its records are routed
	// to. Default: the first output topic to the default port, every
	// other to a port of its own name.
	Ports map[string]string `json:"ports"`
	// Env is the rest of the environment (the transform's own settings,
	// `rpk transform deploy --var`). Keys starting REDPANDA_ are reserved.
	Env map[string]string `json:"env"`
	// SchemaRegistry is what the redpanda_schema_registry module serves
	// (transform/sr), read-only: each schema's subject, version (default
	// 1), global id, type (avro, protobuf or json; default protobuf),
	// text and references. Default none: every lookup fails.
	SchemaRegistry []redpandaSchema `json:"schema_registry"`

	routes   map[string]string // topic → port, every topic the guest may write to
	registry *redpandaRegistry
}

// parseRedpandaConfig reads and checks a Redpanda transform's config:
// failures are ClassConfig, naming the field.
func parseRedpandaConfig(transform string, blob []byte) (*redpandaConfig, error) {
	c := &redpandaConfig{}
	if len(blob) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(blob)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(c); err != nil {
			return nil, redpandaConfigError(transform, "config (input_topic, output_topics, ports, env): %v", err)
		}
	}
	if c.InputTopic == "" {
		c.InputTopic = "input"
	}
	if len(c.OutputTopics) == 0 {
		c.OutputTopics = []string{"output"}
	}
	if err := c.check(transform); err != nil {
		return nil, err
	}
	var err error
	if c.registry, err = newRedpandaRegistry(transform, c.SchemaRegistry); err != nil {
		return nil, err
	}
	c.routes = map[string]string{}
	for i, t := range c.OutputTopics {
		c.routes[t] = t
		if i == 0 {
			c.routes[t] = ""
		}
	}
	for t, p := range c.Ports {
		c.routes[t] = p
	}
	return c, nil
}

func (c *redpandaConfig) check(transform string) error {
	if len(c.OutputTopics) > maxRedpandaTopics || len(c.Ports) > maxRedpandaTopics {
		return redpandaConfigError(transform, "output_topics and ports hold at most %d topics each", maxRedpandaTopics)
	}
	size := len(c.InputTopic)
	for _, t := range c.OutputTopics {
		if t == "" {
			return redpandaConfigError(transform, "output_topics: empty topic name")
		}
		size += len(t)
	}
	for k, v := range c.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
			return redpandaConfigError(transform, "env: %q is not an environment variable name (no '=', no NUL)", k)
		}
		if strings.HasPrefix(k, "REDPANDA_") {
			return redpandaConfigError(transform, "env: %s: names starting REDPANDA_ are set from input_topic and output_topics", k)
		}
		size += len(k) + len(v)
	}
	if size > maxRedpandaEnvBytes {
		return redpandaConfigError(transform, "the environment is %d bytes, over the cap of %d", size, maxRedpandaEnvBytes)
	}
	return nil
}

// environ is the guest's environment, REDPANDA_ variables first.
func (c *redpandaConfig) environ() [][2]string {
	env := [][2]string{{"REDPANDA_INPUT_TOPIC", c.InputTopic}}
	for i, t := range c.OutputTopics {
		env = append(env, [2]string{fmt.Sprintf("REDPANDA_OUTPUT_TOPIC_%d", i), t})
	}
	for k, v := range c.Env {
		env = append(env, [2]string{k, v})
	}
	return env
}

func redpandaConfigError(transform, format string, args ...any) error {
	return &Error{Class: ClassConfig, Transform: transform, Msg: fmt.Sprintf(format, args...)}
}
