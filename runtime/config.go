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
	// Interrupt is how a running guest is stopped. Default InterruptFuel:
	// modules are metered at load (docs/RATIONALE.md, "Why fuel?"). In
	// every mode but InterruptNone each phase — instantiation (start
	// function, _initialize), weir_init, each batch — runs under the
	// pool's Timeout.
	Interrupt Interrupt
	// FuelCheckIn is how much fuel a guest burns between check-ins with the
	// host, where the deadline is checked and Go's GC may stop the
	// goroutine. Between two check-ins a guest runs at most FuelCheckIn
	// units plus one function's forward path plus one bulk operation
	// (docs/RATIONALE.md, "How quickly is a looping guest stopped?"), so it
	// bounds the GC pause and the overrun of the deadline. Default
	// 1,000,000. Lower costs a host call per FuelCheckIn units.
	FuelCheckIn int64
	// Logger receives guest logs and engine events. Default slog.Default().
	Logger *slog.Logger
}

// Interrupt selects how guest calls are bounded.
type Interrupt int

const (
	// InterruptFuel meters the module at load: every instruction is
	// charged (docs/RATIONALE.md, "What does a unit of fuel measure?"),
	// the counter is refilled at check-ins with the host from the call's
	// budget, and the deadline is checked at each check-in.
	InterruptFuel Interrupt = iota
	// InterruptCloseOnContextDone uses wazero's WithCloseOnContextDone:
	// exact deadlines, but 6–11× slower guest code.
	InterruptCloseOnContextDone
	// InterruptNone runs guests unbounded: no fuel, no deadline, in any
	// phase. A guest that loops forever — in a batch, its start function
	// or init — never returns and hangs the process at the next GC. For
	// benchmarks only.
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
	}
	return nil
}

// PoolConfig configures the instances of one transform. Zero means default.
type PoolConfig struct {
	// Size is the number of instances, one per concurrent batch. Default 1.
	Size int
	// Timeout is the deadline of each guest call: every batch, and
	// separately instantiation (start function and _initialize) and
	// weir_init. Default 5s. Under InterruptFuel it is checked at every
	// check-in, so a guest overruns it by at most one check-in interval
	// (see EngineConfig.FuelCheckIn); under InterruptCloseOnContextDone
	// wazero stops the guest at once.
	Timeout time.Duration
	// Fuel is the budget of one batch. A unit is one executed wasm
	// instruction; a bulk memory operation (memory.fill, memory.copy,
	// memory.init, memory.grow) is charged one more unit per
	// byte copied, per 4 bytes filled or grown, and 16 per table element,
	// before it runs (docs/RATIONALE.md, "What does a unit of fuel
	// measure?"). Running out fails the batch with class fuel_exhausted.
	// Default 2,000,000,000: over 100× what the Go mask plugin uses on a
	// batch of 64 orders, and under a second of a tight loop.
	Fuel int64
	// InitFuel is the budget of each start-up phase of an instance: the
	// start function, _initialize (a Go guest's runtime start-up) and
	// weir_init (with the weir_buffer call before it) each get it afresh.
	// Default 10,000,000,000.
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
		c.Fuel = 2_000_000_000
	}
	if c.InitFuel == 0 {
		c.InitFuel = 10_000_000_000
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
