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
	// so a Go guest's ~1 s compile happens once per machine. It is native
	// code the process runs: the directory is created 0700, and NewEngine
	// refuses it if it, a directory above it or an entry in it is owned by
	// another user or writable by others (docs/RATIONALE.md). Default "":
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
	// Interrupt is how a running guest is stopped. Default InterruptFuel:
	// modules are metered at load (docs/RATIONALE.md, "Why fuel?").
	Interrupt Interrupt
	// FuelCheckIn is how much fuel a guest burns between check-ins with the
	// host, where the deadline is checked and Go's GC may stop the
	// goroutine. It bounds the GC pause a busy guest can cause. Default
	// 1,000,000 (about 1–2 ms of a tight loop here; docs/benchmarks.md).
	FuelCheckIn int64
	// Logger receives guest logs and engine events. Default slog.Default().
	Logger *slog.Logger
	// MaxTotalMemoryBytes bounds the memory the engine's pools reserve
	// together: a pool reserves Size × Module.InstanceBytes (each
	// instance's linear memory at its limit, its tables, and a fixed
	// overhead for the call stack) when created and releases it when
	// closed; a pool that would exceed the bound is refused
	// (ErrMemoryBudget). A hot swap holds two pools while it warms the new
	// one. Default DefaultMaxTotalMemory(): half of the cgroup's or the
	// machine's memory. Must be 0 when MemoryBudget is set.
	MaxTotalMemoryBytes uint64
	// MemoryBudget, when set, is a bound shared with other engines, so the
	// bound is the process's (weir's host gives all its engines one).
	// Default nil: a budget of MaxTotalMemoryBytes for this engine alone.
	MemoryBudget *MemoryBudget
}

// Interrupt selects how guest calls are bounded.
type Interrupt int

const (
	// InterruptFuel meters the module at load: fuel is charged at every
	// function entry and loop header, refilled at check-ins with the host
	// from the batch's budget, and the deadline is checked at each check-in.
	InterruptFuel Interrupt = iota
	// InterruptCloseOnContextDone uses wazero's WithCloseOnContextDone:
	// exact deadlines, but 6–11× slower guest code.
	InterruptCloseOnContextDone
	// InterruptNone runs guests unbounded. A guest that loops forever hangs
	// the process at the next GC. For benchmarks only.
	InterruptNone
)

func (i Interrupt) String() string {
	switch i {
	case InterruptFuel:
		return "fuel"
	case InterruptCloseOnContextDone:
		return "close_on_context_done"
	case InterruptNone:
		return "none"
	}
	return fmt.Sprintf("Interrupt(%d)", int(i))
}

func (c EngineConfig) withDefaults() EngineConfig {
	if c.FuelCheckIn == 0 {
		c.FuelCheckIn = 1_000_000
	}
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
	case c.Interrupt < InterruptFuel || c.Interrupt > InterruptNone:
		return fmt.Errorf("weir: engine config: unknown Interrupt %d", int(c.Interrupt))
	case c.FuelCheckIn < 0:
		return fmt.Errorf("weir: engine config: FuelCheckIn must be >= 0, got %d", c.FuelCheckIn)
	case c.MaxMemoryPages > 65536:
		return fmt.Errorf("weir: engine config: MaxMemoryPages must be <= 65536, got %d", c.MaxMemoryPages)
	case c.MemoryBudget != nil && c.MaxTotalMemoryBytes != 0:
		return fmt.Errorf("weir: engine config: set MaxTotalMemoryBytes or MemoryBudget, not both (the budget has its own limit)")
	}
	return nil
}

// PoolConfig configures the instances of one transform. Zero means default.
type PoolConfig struct {
	// Size is the number of instances, one per concurrent batch. Default 1.
	Size int
	// Timeout is the per-batch deadline of a guest call. Default 5s. With
	// fuel it is checked at every check-in, so a guest overruns it by at
	// most one check-in interval.
	Timeout time.Duration
	// Fuel is the budget of one batch. A unit is one straight-line wasm
	// instruction after a function entry or loop header (docs/RATIONALE.md,
	// "What does a unit of fuel measure?"). Running out fails the batch
	// with class fuel_exhausted. Default 20,000,000: ~100× what the mask
	// plugin uses on a batch of 64 orders, ~30 ms of a tight loop.
	Fuel int64
	// InitFuel is the budget of instantiation plus init (a Go guest's
	// runtime start-up included). Default 1,000,000,000.
	InitFuel int64
	// OnBatch, if set, is called after every batch with the fuel it used
	// (0 without fuel metering) and its duration.
	OnBatch func(fuel int64, d time.Duration)
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
	if c.Fuel == 0 {
		c.Fuel = 20_000_000
	}
	if c.InitFuel == 0 {
		c.InitFuel = 1_000_000_000
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
	case c.Fuel < 0 || c.InitFuel < 0:
		return fmt.Errorf("weir: pool config: Fuel and InitFuel must be >= 0, got %d and %d", c.Fuel, c.InitFuel)
	case c.MaxCallsPerInstance < 0:
		return fmt.Errorf("weir: pool config: MaxCallsPerInstance must be >= 0, got %d", c.MaxCallsPerInstance)
	}
	return nil
}
