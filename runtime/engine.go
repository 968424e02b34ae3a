package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/weirstream/weir/runtime/internal/meter"
)

// Engine owns one wazero runtime and its compilation cache. Create one per
// process and share it: compiled modules are cached by digest.
type Engine struct {
	cfg     EngineConfig
	runtime wazero.Runtime
	cache   wazero.CompilationCache

	mu      sync.Mutex
	modules map[string]*Module // by digest

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
	e := &Engine{cfg: cfg, cache: cache, modules: map[string]*Module{}}
	e.runtime = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.runtime); err != nil {
		return nil, fmt.Errorf("weir: instantiate WASI: %w", err)
	}
	if err := instantiateHost(ctx, e.runtime, e.stateOf); err != nil {
		return nil, err
	}
	return e, nil
}

func newCache(dir string) (wazero.CompilationCache, error) {
	if dir == "" {
		return wazero.NewCompilationCache(), nil
	}
	c, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil, fmt.Errorf("weir: compilation cache directory %q: %w", dir, err)
	}
	return c, nil
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
func (e *Engine) Load(ctx context.Context, wasm []byte) (*Module, error) {
	digest := Digest(wasm)
	e.mu.Lock()
	m, ok := e.modules[digest]
	e.mu.Unlock()
	if ok {
		return m, nil
	}
	report := inspect(wasm, e.cfg)
	if report.Err != nil {
		return nil, report.Err
	}
	var err error
	code, err := e.prepare(wasm, digest)
	if err != nil {
		err.(*Error).Transform = report.Manifest.ID()
		return nil, err
	}
	compiled, err := e.runtime.CompileModule(ctx, code)
	if err != nil {
		return nil, &Error{Class: ClassAdmission, Transform: report.Manifest.ID(), Msg: "compile", Cause: err}
	}
	m = &Module{engine: e, Manifest: report.Manifest, Digest: digest, Schema: bytes.Clone(report.Schema),
		Fixtures: report.Fixtures, compiled: compiled, metered: e.cfg.Interrupt == InterruptFuel}
	e.mu.Lock()
	defer e.mu.Unlock()
	if prior, ok := e.modules[digest]; ok {
		return prior, nil
	}
	e.modules[digest] = m
	return m, nil
}

// prepare returns the code to compile: metered under fuel, otherwise with
// its tables clamped (meter.ClampTables).
func (e *Engine) prepare(wasm []byte, digest string) ([]byte, error) {
	if e.cfg.Interrupt == InterruptFuel {
		return e.meteredModule(wasm, digest)
	}
	out, err := meter.ClampTables(wasm, e.cfg.MaxTableElements)
	if err != nil {
		return nil, &Error{Class: ClassAdmission, Msg: "table clamp failed", Cause: err}
	}
	return out, nil
}

// Close releases the runtime, every instance and the in-memory cache.
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
	metered  bool
}

// moduleConfig is the sandbox of every instance: real clocks (fake ones
// starve a Go guest's GC), crypto randomness, no files, no sockets, no args
// or environment, stdout and stderr to the logger.
func (m *Module) moduleConfig(log *guestLog) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader).
		WithStdout(log.writer(levelInfo)).
		WithStderr(log.writer(levelWarn))
}
