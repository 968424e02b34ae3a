package host

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// Field names of the wasm processor for Extism plugins.
const (
	fieldFunction          = "function"
	fieldExtismArenaBytes  = "extism_max_arena_bytes"
	fieldExtismMaxVarBytes = "extism_max_var_bytes"
)

// extismFields configure a module that is an Extism plugin (it imports
// extism:host/env); a module of weir's ABI ignores them.
func extismFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewStringField(fieldFunction).
			Description("For an Extism plugin (a module importing `extism:host/env`, e.g. built with go-pdk): the export called once per message, with the message as its input and its output as the new message. `error_set` or a non-zero return flags the message (class `guest_error`). Required for a plugin; ignored for a weir module (docs/abi.md, \"Extism plugins\"). Its `config_get` reads the keys of `config`.").
			Example("mask").Default(""),
		service.NewIntField(fieldExtismArenaBytes).
			Description("For an Extism plugin: cap on the kernel memory of one instance during one call — the message, copied in, and every block the plugin allocates. A larger message is flagged alone, class `bad_input`.").
			Default(16 << 20).Advanced(),
		service.NewIntField(fieldExtismMaxVarBytes).
			Description("For an Extism plugin: cap on the keys and values of one instance's vars (`var_set`) together; past it the batch fails with class `trap`.").
			Default(1 << 20).Advanced(),
	}
}

// parseExtism reads the Extism fields into cfg.
func parseExtism(conf *service.ParsedConfig, cfg *runtime.PoolConfig) (err error) {
	if cfg.Extism.Function, err = conf.FieldString(fieldFunction); err != nil {
		return err
	}
	for name, dst := range map[string]*int{fieldExtismArenaBytes: &cfg.Extism.MaxArenaBytes, fieldExtismMaxVarBytes: &cfg.Extism.MaxVarBytes} {
		if *dst, err = conf.FieldInt(name); err != nil {
			return err
		}
		if *dst < 1 {
			return fmt.Errorf("field %s: must be >= 1, got %d", name, *dst)
		}
	}
	return nil
}
