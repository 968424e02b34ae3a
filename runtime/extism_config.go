package runtime

import (
	"encoding/json"
	"fmt"
)

// ExtismConfig is how a pool runs an Extism plugin (a module that imports
// ExtismModule); a pool of a weir-ABI module ignores it.
type ExtismConfig struct {
	// Function is the export called once per record, with the record's
	// value as its input and its output as the replacement. Required for
	// an Extism plugin: a pool without it fails to start (ClassConfig).
	Function string
	// MaxArenaBytes caps the kernel's memory of one instance: the record's
	// input, which is copied into it, and every block the plugin
	// allocates during one call (the arena is emptied before each call).
	// A record larger than it fails with class bad_input; an alloc past
	// it returns 0, as Extism's does; so does one past MaxArenaBytes/64
	// blocks. Default 16 MiB. Cost: host memory, grown as used, per
	// instance, and a quarter more for the list of blocks.
	MaxArenaBytes int
	// MaxVarBytes caps the keys and values of an instance's vars
	// (var_set) together, each var counted 64 bytes more for its
	// bookkeeping; a var_set past it traps the call. Default
	// 1 MiB. Cost: host memory per instance, kept until it is recycled.
	MaxVarBytes int
}

const (
	defaultExtismArenaBytes = 16 << 20
	defaultExtismVarBytes   = 1 << 20
)

func (c ExtismConfig) validate() error {
	switch {
	case c.MaxArenaBytes < 0:
		return fmt.Errorf("weir: PoolConfig.Extism.MaxArenaBytes must be >= 0, got %d", c.MaxArenaBytes)
	case c.MaxVarBytes < 0:
		return fmt.Errorf("weir: PoolConfig.Extism.MaxVarBytes must be >= 0, got %d", c.MaxVarBytes)
	}
	return nil
}

func (c ExtismConfig) withDefaults() ExtismConfig {
	if c.MaxArenaBytes == 0 {
		c.MaxArenaBytes = defaultExtismArenaBytes
	}
	if c.MaxVarBytes == 0 {
		c.MaxVarBytes = defaultExtismVarBytes
	}
	return c
}

// extismValues is the pool's config blob as config_get reads it: a JSON
// object whose string values are passed as they are and whose other
// values as their JSON text; no blob is no keys.
func extismValues(blob []byte) (map[string]string, error) {
	values := map[string]string{}
	if len(blob) == 0 {
		return values, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(blob, &obj); err != nil {
		return nil, fmt.Errorf("an Extism plugin's config is keys and values (config_get): want an object, got %.40q", blob)
	}
	for k, raw := range obj {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			values[k] = s
		} else {
			values[k] = string(raw)
		}
	}
	return values, nil
}

// kernelBytes is what an instance's Extism kernel may take at most, for
// the pool's memory reservation: 0 for a weir-ABI module.
func (m *Module) kernelBytes(cfg PoolConfig) uint64 {
	if m.abi != abiExtism {
		return 0
	}
	arena := uint64(cfg.Extism.MaxArenaBytes)
	return arena + maxBlocks(arena)*16 + uint64(cfg.Extism.MaxVarBytes)
}
