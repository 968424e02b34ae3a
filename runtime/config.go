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
	// MaxTotalLocals caps the locals declared by all functions together
	// (each function is also capped at 50,000): wazero's decoder allocates
	// every declared local before compiling. Default 1,000,000.
	MaxTotalLocals int
	// MaxCodeBytes caps the bytes of all function bodies together; the
	// compiled code and the memory of Inspect's validation (wazero's
	// interpreter) grow with it. Default 24 MiB.
	MaxCodeBytes int
	// MaxEntries caps the entries a module declares (types and their
	// parameters and results, imports, functions, globals, exports,
	// element segments and their elements, data segments, names in the
	// name section): wazero's decoder makes a Go value of each, tens of
	// times the bytes on the wire. Default 1,000,000.
	MaxEntries int
	// MaxFunctionBlocks caps the blocks of one function: every block,
	// loop, if, else, br_if and br_table target, and every call, memory
	// access, division and other check that may trap. wazero's compile
	// memory grows with them and its time with their square. Default 20,000.
	MaxFunctionBlocks int
	// MaxFunctionLocalBlocks caps control-flow blocks (block, loop, if,
	// else, br_if, br_table targets) × locals (parameters included) of one
	// function: the compiler tracks every local where control flow
	// merges, in memory. Default 500,000.
	MaxFunctionLocalBlocks int
	// MaxCompileWork caps the module's compile work, the sum over its
	// functions of control² + 25 × control × locals, control being the
	// control-flow blocks: it bounds the total compile time
	// (docs/RATIONALE.md, "What does compiling a module cost?").
	// Default 1,000,000,000.
	MaxCompileWork int64
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
	c = c.withCostDefaults()
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
	case c.validateCost() != nil:
		return c.validateCost()
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
	// Grants are the capabilities the pool gives the module, at most one
	// per capability (KVGrant, MetricsGrant). NewPool refuses a module
	// declaring a capability not granted here, or more of it than
	// granted, naming what to grant. Default none: a module declaring no
	// capability needs none.
	Grants []Grant
	// Fields, if set, gives a projecting instance its records' fields
	// (Record.Fields) and vouches for what it writes back (FieldHooks).
	// Default nil: the instance scans each record itself.
	Fields FieldHooks

	// The output caps below bound what one batch's output may expand to,
	// checked while it is decoded, before anything is allocated for it;
	// past one the batch fails with class bad_output, naming the record
	// and the cap (docs/abi.md, "Limits"; docs/RATIONALE.md, "Why are a
	// batch's outputs capped?"). Each per-batch cap is at least what the
	// batch brought in, so keeping every record never reaches one.

	// MaxEmitsPerRecord caps the EMIT entries (fan-out) of one record.
	// Default 10,000. Cost: every emit becomes a message the host holds
	// until the output has written it.
	MaxEmitsPerRecord int
	// MaxEmitsPerBatch caps the EMIT entries of one batch, or its record
	// count if larger. Default 100,000. Cost: a decoded emit and a host
	// message each.
	MaxEmitsPerBatch int
	// MaxExpandedBytes caps the bytes a batch's outputs carry: every
	// emit's value (an unchanged emit carries its input's), port name and
	// metadata keys and values (the input's, which every emit starts from,
	// plus its own ops); or the batch's input bytes if larger. Default
	// 256 MiB. Cost: what outputs write downstream, and what rewritten
	// values take in host memory.
	MaxExpandedBytes int
	// MaxMetadataPerBatch caps the metadata entries a batch's outputs
	// carry: the input's, for every emit, plus every metadata op; or the
	// batch's own entries if more. Default 1,000,000. Cost: a decoded op
	// and a map entry of a host message each.
	MaxMetadataPerBatch int
	// LogLinesPerSecond is the rate of guest log lines (weir.log calls and
	// writes to stdout or stderr) a pool lets through, with a burst of ten
	// seconds' worth; the rest are dropped and counted. Default 100. Cost:
	// each line is formatted and written by the host logger.
	LogLinesPerSecond int
	// LogBytesPerSecond is the same limit in bytes, burst included (at
	// least one 16 KiB line). Default 64 KiB.
	LogBytesPerSecond int
	// OnLogsDropped, if set, is called after a batch (and when the pool
	// starts or closes) with the guest log lines and bytes dropped since
	// the last call, if any.
	OnLogsDropped func(lines, bytes int64)
	// Logger, if set, receives this pool's guest logs instead of the
	// engine's Logger: an engine shared by several pipelines logs each
	// pool's guest where its own pipeline logs.
	Logger *slog.Logger
	// Extism is how the pool runs an Extism plugin (extism_config.go).
	Extism ExtismConfig
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
	c.Extism = c.Extism.withDefaults()
	return c.withLimitDefaults()
}

func (c PoolConfig) withLimitDefaults() PoolConfig {
	defaults := []struct {
		field *int
		value int
	}{
		{&c.MaxEmitsPerRecord, defaultMaxEmitsPerRecord},
		{&c.MaxEmitsPerBatch, defaultMaxEmitsPerBatch},
		{&c.MaxExpandedBytes, defaultMaxExpandedBytes},
		{&c.MaxMetadataPerBatch, defaultMaxMetadataPerBatch},
		{&c.LogLinesPerSecond, defaultLogLinesPerSecond},
		{&c.LogBytesPerSecond, defaultLogBytesPerSecond},
	}
	for _, d := range defaults {
		if *d.field == 0 {
			*d.field = d.value
		}
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
	if err := c.Extism.validate(); err != nil {
		return err
	}
	return c.validateLimits()
}

func (c PoolConfig) validateLimits() error {
	for _, f := range []struct {
		name  string
		value int
	}{
		{"MaxEmitsPerRecord", c.MaxEmitsPerRecord},
		{"MaxEmitsPerBatch", c.MaxEmitsPerBatch},
		{"MaxExpandedBytes", c.MaxExpandedBytes},
		{"MaxMetadataPerBatch", c.MaxMetadataPerBatch},
		{"LogLinesPerSecond", c.LogLinesPerSecond},
		{"LogBytesPerSecond", c.LogBytesPerSecond},
	} {
		if f.value < 0 {
			return fmt.Errorf("weir: pool config: %s must be >= 0, got %d", f.name, f.value)
		}
	}
	return nil
}
