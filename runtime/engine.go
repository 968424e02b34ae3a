package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Engine owns one wazero runtime and its compilation cache. Create one per
// process and share it: compiled modules are shared by digest while
// referenced, and freed when the last reference goes (see Module.Close).
type Engine struct {
	cfg     EngineConfig
	runtime wazero.Runtime
	cache   wazero.CompilationCache
	budget  *MemoryBudget // what pools reserve; shared with other engines when configured

	mu      sync.Mutex
	modules map[string]*Module // by digest, while referenced

	states sync.Map // api.Module → *callState of its instance
}

// NewEngine starts a wazero runtime with weir's host functions and WASI.
func NewEngine(ctx context.Context, cfg EngineConfig) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cache, err := newCache(cfg.CacheDir)
	if err != nil {
		return nil, err
	}
	rc := wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		WithMemoryLimitPages(cfg.MaxMemoryPages).
		WithCloseOnContextDone(cfg.Interrupt == InterruptCloseOnContextDone)
	e := &Engine{cfg: cfg, cache: cache, budget: cfg.MemoryBudget, modules: map[string]*Module{}}
	if e.budget == nil {
		e.budget = NewMemoryBudget(cfg.MaxTotalMemoryBytes)
	}
	e.runtime = wazero.NewRuntimeWithConfig(ctx, rc)
	if err := hostModules(ctx, e.runtime, e.stateOf); err != nil {
		_ = e.Close(ctx) // a failed start leaves no runtime, no cache behind
		return nil, err
	}
	return e, nil
}

// hostModules instantiates what guests may import: WASI and weir's host
// functions. A variable so a test can make it fail.
var hostModules = func(ctx context.Context, r wazero.Runtime, stateOf func(context.Context, api.Module) *callState) error {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		return fmt.Errorf("weir: instantiate WASI: %w", err)
	}
	if err := instantiateHost(ctx, r, stateOf); err != nil {
		return err
	}
	return instantiateCapabilities(ctx, r, stateOf)
}

// stateOf finds the call state of the instance calling a host function:
// registered per instance, or in the context during instantiation.
func (e *Engine) stateOf(ctx context.Context, mod api.Module) *callState {
	if s, ok := e.states.Load(mod); ok {
		return s.(*callState)
	}
	s, _ := ctx.Value(callStateKey{}).(*callState)
	return s
}

// Load admits and compiles a module, or returns the already loaded one with
// the same digest. Refusals are *Error of ClassAdmission.
//
// The caller holds a reference to the module and closes it when done; each
// pool holds its own, so a module may be closed as soon as its pools exist.
// A process that swaps versions for weeks keeps only the compiled code of
// the versions still referenced.
func (e *Engine) Load(ctx context.Context, wasm []byte) (*Module, error) {
	digest := Digest(wasm)
	e.mu.Lock()
	m, ok := e.modules[digest]
	if ok {
		m.refs++
	}
	e.mu.Unlock()
	if ok {
		return m, nil
	}
	report := inspect(wasm, e.cfg)
	if report.Err != nil {
		return nil, report.Err
	}
	decls, err := report.Manifest.parseDeclarations()
	if err != nil {
		return nil, &Error{Class: ClassAdmission, Transform: report.Manifest.ID(), Cause: err}
	}
	configSchema, err := compileConfigSchema(report.Manifest)
	if err != nil {
		return nil, &Error{Class: ClassAdmission, Transform: report.Manifest.ID(), Cause: err}
	}
	code, err := e.prepare(wasm)
	if err == nil {
		_, err = checkCompiledCost(code, e.cfg)
	}
	if err != nil {
		err.(*Error).Transform = report.Manifest.ID()
		return nil, err
	}
	compiled, err := e.compile(ctx, code)
	if err != nil {
		return nil, &Error{Class: ClassAdmission, Transform: report.Manifest.ID(), Msg: "compile", Cause: err}
	}
	m = &Module{engine: e, Manifest: report.Manifest, Digest: digest, Schema: bytes.Clone(report.Schema),
		Fixtures: report.Fixtures, compiled: compiled, metered: e.cfg.Interrupt == InterruptFuel, refs: 1, configSchema: configSchema, decls: decls,
		instanceBytes: instanceBytes(report, e.cfg)}
	e.mu.Lock()
	prior, ok := e.modules[digest]
	if ok {
		prior.refs++
	} else {
		e.modules[digest] = m
	}
	e.mu.Unlock()
	if ok { // loaded concurrently: keep the first
		_ = compiled.Close(ctx)
		return prior, nil
	}
	return m, nil
}

// Retain takes one more reference to m, to be closed in turn. The caller
// must hold one already: a module whose last reference was closed is gone.
func (m *Module) Retain() *Module {
	if !m.retain() {
		panic("weir: Retain on a closed module " + m.Digest)
	}
	return m
}

// retain takes a reference unless the module was already freed.
func (m *Module) retain() bool {
	m.engine.mu.Lock()
	defer m.engine.mu.Unlock()
	if m.refs == 0 {
		return false
	}
	m.refs++
	return true
}

// Close releases a reference taken by Load or Retain. With the last one
// (pools hold theirs until they close) the engine forgets the module and
// frees its compiled code; a later Load of the same digest compiles it
// again, from the on-disk cache when there is one.
func (m *Module) Close(ctx context.Context) error {
	e := m.engine
	e.mu.Lock()
	if m.refs == 0 {
		e.mu.Unlock()
		return nil // already freed
	}
	m.refs--
	last := m.refs == 0
	if last && e.modules[m.Digest] == m {
		delete(e.modules, m.Digest)
	}
	e.mu.Unlock()
	if last {
		return m.compiled.Close(ctx)
	}
	return nil
}

// MemoryBudget is the bound the engine's pools reserve from.
func (e *Engine) MemoryBudget() *MemoryBudget { return e.budget }

// Loaded is the number of modules the engine holds compiled.
func (e *Engine) Loaded() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.modules)
}

// prepare returns the code to compile: metered under fuel, otherwise with
// its tables clamped (meter.ClampTables).
func (e *Engine) prepare(wasm []byte) ([]byte, error) {
	if e.cfg.Interrupt == InterruptFuel {
		return e.meteredModule(wasm)
	}
	return prepareCode(wasm, e.cfg)
}

// compile compiles code, through the cache. An unreadable entry of the
// disk cache fails wazero's compile: the cache is emptied and the code
// compiled again.
func (e *Engine) compile(ctx context.Context, code []byte) (wazero.CompiledModule, error) {
	compiled, err := e.runtime.CompileModule(ctx, code)
	if isCacheCorruption(err) && e.cfg.CacheDir != "" {
		e.purgeWazeroCache(err)
		compiled, err = e.runtime.CompileModule(ctx, code)
	}
	return compiled, err
}

// Close releases the runtime, every instance and the in-memory cache.
// Call it once no batch is in flight on its pools: closing unmaps every
// instance's memory; a pool used afterwards returns an error.
func (e *Engine) Close(ctx context.Context) error {
	err := e.runtime.Close(ctx)
	if cerr := e.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// Module is one admitted, compiled transform version.
type Module struct {
	engine   *Engine
	Manifest Manifest
	Digest   string
	Schema   []byte   // FileDescriptorSet the module was built against, if it declares types
	Fixtures Fixtures // golden fixtures the module carries, if any
	compiled wazero.CompiledModule
	refs     int // guarded by engine.mu: Load and Retain callers, open pools
	metered  bool

	configSchema *jsonschema.Schema // the manifest's config_schema, compiled; nil without one
	decls        map[string]any     // the manifest's capabilities, parsed by each capability's declare

	instanceBytes uint64 // what a pool reserves per instance (InstanceBytes)
}

// moduleConfig is the sandbox of every instance: real clocks (fake ones
// starve a Go guest's GC), crypto randomness, no files, no sockets, no args
// or environment, stdout and stderr to the logger.
func (m *Module) moduleConfig(log *guestLog) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(). // _initialize is called by newInstance, under its own deadline
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader).
		WithStdout(log.writer(levelInfo)).
		WithStderr(log.writer(levelWarn))
}
