package runtime

import (
	"fmt"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// CompileCost is what a module asks of wazero's compiler, summed over the
// module (docs/RATIONALE.md, "What does compiling a module cost?").
// Admission refuses a module over any of EngineConfig's limits on these.
type CompileCost struct {
	Functions   int    // defined functions
	CodeBytes   uint64 // bytes of all function bodies
	Locals      uint64 // locals declared by all functions
	MaxBlocks   uint64 // most control-flow blocks of one function
	MaxDepth    int    // deepest block nesting of one function
	MaxLocalBlk uint64 // most control-flow blocks × locals of one function
	Work        uint64 // Σ control² + 25 × control × locals over the functions
	Entries     uint64 // types, imports, functions, globals, exports, segments, elements…
}

func compileCost(c wasmbin.Cost) CompileCost {
	return CompileCost{Functions: c.Bodies, CodeBytes: c.CodeBytes, Locals: c.Locals, MaxBlocks: c.MaxBodyBlocks,
		MaxDepth: c.MaxDepth, MaxLocalBlk: c.MaxBodyLocalBlocks, Work: c.Work, Entries: c.Entries}
}

// costLimit is one limit: what it bounds, its field and how to read it.
type costLimit struct {
	what  string
	field string
	got   func(CompileCost) uint64
	limit func(EngineConfig) uint64
}

var costLimits = []costLimit{
	{"declared entries (types, parameters, imports, functions, globals, exports, segments, elements, names)", "MaxEntries",
		func(c CompileCost) uint64 { return c.Entries }, func(e EngineConfig) uint64 { return uint64(e.MaxEntries) }},
	{"code bytes of all functions", "MaxCodeBytes",
		func(c CompileCost) uint64 { return c.CodeBytes }, func(e EngineConfig) uint64 { return uint64(e.MaxCodeBytes) }},
	{"locals declared by all functions", "MaxTotalLocals",
		func(c CompileCost) uint64 { return c.Locals }, func(e EngineConfig) uint64 { return uint64(e.MaxTotalLocals) }},
	{"blocks (control flow, calls, trap checks) in one function", "MaxFunctionBlocks",
		func(c CompileCost) uint64 { return c.MaxBlocks }, func(e EngineConfig) uint64 { return uint64(e.MaxFunctionBlocks) }},
	{"control-flow blocks × locals in one function", "MaxFunctionLocalBlocks",
		func(c CompileCost) uint64 { return c.MaxLocalBlk }, func(e EngineConfig) uint64 { return uint64(e.MaxFunctionLocalBlocks) }},
	{"compile work (Σ control² + 25 × control × locals)", "MaxCompileWork",
		func(c CompileCost) uint64 { return c.Work }, func(e EngineConfig) uint64 { return uint64(e.MaxCompileWork) }},
}

// checkCost refuses a cost over any limit. stage says which code was
// measured: the module as given, or as wazero will compile it.
func checkCost(c CompileCost, cfg EngineConfig, stage string) error {
	for _, l := range costLimits {
		if got, limit := l.got(c), l.limit(cfg); got > limit {
			return refuse("%s: %s is %d, over the limit of %d (raise EngineConfig.%s to admit it; docs/RATIONALE.md, \"What does compiling a module cost?\")",
				stage, l.what, got, limit, l.field)
		}
	}
	return nil
}

// checkCompiledCost measures code, the bytes wazero will compile (metered,
// or with tables clamped), against the same limits: the rewrite adds
// blocks and a local to every function.
func checkCompiledCost(code []byte, cfg EngineConfig) (CompileCost, error) {
	c, err := wasmbin.MeasureCost(code)
	if err != nil {
		return CompileCost{}, &Error{Class: ClassAdmission, Msg: "the code prepared for compiling is malformed", Cause: err}
	}
	stage := "module as compiled"
	if cfg.Interrupt == InterruptFuel {
		stage = "module as compiled, after fuel metering"
	}
	cost := compileCost(c)
	return cost, checkCost(cost, cfg, stage)
}

// Limits returns c with every unset compile-cost limit (and every other
// field) at its default: the limits admission applies.
func (c EngineConfig) Limits() EngineConfig { return c.withDefaults() }

func (c EngineConfig) withCostDefaults() EngineConfig {
	if c.MaxTotalLocals == 0 {
		c.MaxTotalLocals = 1_000_000
	}
	if c.MaxCodeBytes == 0 {
		c.MaxCodeBytes = 24 << 20
	}
	if c.MaxEntries == 0 {
		c.MaxEntries = 1_000_000
	}
	if c.MaxFunctionBlocks == 0 {
		c.MaxFunctionBlocks = 20_000
	}
	if c.MaxFunctionLocalBlocks == 0 {
		c.MaxFunctionLocalBlocks = 500_000
	}
	if c.MaxCompileWork == 0 {
		c.MaxCompileWork = 1_000_000_000
	}
	return c
}

func (c EngineConfig) validateCost() error {
	fields := []struct {
		name string
		v    int64
	}{{"MaxTotalLocals", int64(c.MaxTotalLocals)}, {"MaxCodeBytes", int64(c.MaxCodeBytes)}, {"MaxEntries", int64(c.MaxEntries)},
		{"MaxFunctionBlocks", int64(c.MaxFunctionBlocks)}, {"MaxFunctionLocalBlocks", int64(c.MaxFunctionLocalBlocks)},
		{"MaxCompileWork", c.MaxCompileWork}}
	for _, f := range fields {
		if f.v < 0 {
			return fmt.Errorf("weir: engine config: %s must be >= 0, got %d", f.name, f.v)
		}
	}
	return nil
}
