package runtime

import (
	"fmt"
	"log/slog"
	"time"
)

// EngineConfig configures an Engine. The zero value of every field means its
// documented default; Validate reports the first bad field by name.
type EngineConfig struct {
	// CacheDir holds compiled code keyed by module digest and wazero version,
	// so a Go guest's ~1 s compile happens once per machine. Default "":
	// in-memory cache only.
	CacheDir string
	// MaxModuleBytes caps a module's size before parsing. Default 64 MiB.
	MaxModuleBytes int
	// MaxFunctions caps imported+defined functions, since compiling cannot be
	// cancelled. Default 200,000.
	MaxFunctions int
	// MaxTableElements caps every table's declared minimum and maximum, since
	// a table is allocated by the host whatever the memory limit. Default 1,000,000.
	MaxTableElements uint64
	// MaxMemoryPages caps each instance's linear memory (64 KiB pages).
	// Default 2048 (128 MiB).
	MaxMemoryPages uint32
	// CloseOnContextDone makes every guest call interruptible by its
	// deadline through wazero's WithCloseOnContextDone. Default true; it is
	// mandatory until metering replaces it (see docs/RATIONALE.md).
	DisableCloseOnContextDone bool
	// Logger receives guest logs and engine events. Default slog.Default().
	Logger *slog.Logger
}

func (c EngineConfig) withDefaults() EngineConfig {
	if c.MaxModuleBytes == 0 {
		c.MaxModuleBytes = 64 << 20
	}
	if c.MaxFunctions == 0 {
		c.MaxFunctions = 200_000
	}
	if c.MaxTableElements == 0 {
		c.MaxTableElements = 1_000_000
	}
	if c.MaxMemoryPages == 0 {
		c.MaxMemoryPages = 2048
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports the first invalid field.
func (c EngineConfig) Validate() error {
	switch {
	case c.MaxModuleBytes < 0:
		return fmt.Errorf("weir: engine config: MaxModuleBytes must be >= 0, got %d", c.MaxModuleBytes)
	case c.MaxFunctions < 0:
		return fmt.Errorf("weir: engine config: MaxFunctions must be >= 0, got %d", c.MaxFunctions)
	case c.MaxMemoryPages > 65536:
		return fmt.Errorf("weir: engine config: MaxMemoryPages must be <= 65536, got %d", c.MaxMemoryPages)
	}
	return nil
}

// PoolConfig configures the instances of one transform. Zero means default.
type PoolConfig struct {
	// Size is the number of instances, one per concurrent batch. Default 1.
	Size int
	// Timeout is the per-batch deadline of a guest call. Default 5s.
	Timeout time.Duration
	// MaxOutputBytes caps what a guest may return for one batch. Default 64 MiB.
	MaxOutputBytes int
	// MaxCallsPerInstance recycles an instance after that many batches.
	// Default 0: never.
	MaxCallsPerInstance int
	// MaxMemoryBytes recycles an instance whose linear memory grew past it.
	// Default 0: never (the engine's MaxMemoryPages still caps growth).
	MaxMemoryBytes uint64
	// Config is the blob handed to the guest's init once per instance.
	Config []byte
}

func (c PoolConfig) withDefaults() PoolConfig {
	if c.Size == 0 {
		c.Size = 1
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = 64 << 20
	}
	return c
}

// Validate reports the first invalid field.
func (c PoolConfig) Validate() error {
	switch {
	case c.Size < 0:
		return fmt.Errorf("weir: pool config: Size must be >= 0, got %d", c.Size)
	case c.Timeout < 0:
		return fmt.Errorf("weir: pool config: Timeout must be >= 0, got %s", c.Timeout)
	case c.MaxOutputBytes < 0:
		return fmt.Errorf("weir: pool config: MaxOutputBytes must be >= 0, got %d", c.MaxOutputBytes)
	case c.MaxCallsPerInstance < 0:
		return fmt.Errorf("weir: pool config: MaxCallsPerInstance must be >= 0, got %d", c.MaxCallsPerInstance)
	}
	return nil
}
