package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/weirstream/weir/runtime/internal/meter"
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// HostModule is the import module name of weir's host functions.
const HostModule = "weir"

const wasiModule = "wasi_snapshot_preview1"

var (
	i32 = []byte{wasmbin.ValI32}
	i64 = []byte{wasmbin.ValI64}
)

// requiredExports are the guest functions of ABI v1 and their exact signatures.
var requiredExports = []struct {
	name string
	sig  wasmbin.FuncType
}{
	{"weir_buffer", wasmbin.FuncType{Params: i32, Results: i32}},
	{"weir_init", wasmbin.FuncType{Params: i32, Results: i64}},
	{"weir_process", wasmbin.FuncType{Params: i32, Results: i64}},
}

// hostFuncs are the functions the "weir" host module provides.
var hostFuncs = map[string]wasmbin.FuncType{
	"log": {Params: []byte{wasmbin.ValI32, wasmbin.ValI32, wasmbin.ValI32}},
}

// Report is what admission found out about a module: enough for
// `weir transform inspect` to explain it, and Err set if it was refused.
type Report struct {
	Digest    string // "sha256:<hex>"
	Size      int
	Manifest  Manifest
	Imports   []string // "module.name"
	Exports   []string
	Functions int
	Tables    []wasmbin.Limits
	Memories  []wasmbin.Limits
	Schema    []byte      // the "weir.schema" section (a FileDescriptorSet), if any
	Fixtures  Fixtures    // the "weir.fixtures" section, if any
	Cost      CompileCost // of the module as given
	Compiled  CompileCost // of the code wazero compiles (after fuel metering); set by Inspect
	Err       error       // an *Error of ClassAdmission, or nil when admitted
}

// Digest is the content digest of a module, "sha256:<hex>".
func Digest(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Inspect runs every admission check Engine.Load runs, so the verdicts
// agree: the structural checks, the compile-cost limits on the module and
// on the code wazero will compile (metered under fuel), and wazero's own
// decoder and validator over that code, in a throwaway interpreter runtime
// (docs/RATIONALE.md, "Why is admitted the same as loadable?").
func Inspect(wasm []byte, cfg EngineConfig) Report {
	cfg = cfg.withDefaults()
	r := inspect(wasm, cfg)
	if r.Err != nil {
		return r
	}
	code, err := prepareCode(wasm, cfg)
	if err == nil {
		r.Compiled, err = checkCompiledCost(code, cfg)
	}
	if err == nil {
		err = validate(code, cfg)
	}
	if err != nil {
		err.(*Error).Transform = r.Manifest.ID()
		r.Err = err
	}
	return r
}

// prepareCode is the code Engine.Load compiles: metered under fuel,
// otherwise with its tables clamped (meter.ClampTables).
func prepareCode(wasm []byte, cfg EngineConfig) ([]byte, error) {
	if cfg.Interrupt == InterruptFuel {
		out, err := meter.Rewrite(wasm, cfg.FuelCheckIn, cfg.MaxTableElements)
		if err != nil {
			return nil, &Error{Class: ClassAdmission, Msg: "fuel metering rewrite failed", Cause: err}
		}
		return out, nil
	}
	out, err := meter.ClampTables(wasm, cfg.MaxTableElements)
	if err != nil {
		return nil, &Error{Class: ClassAdmission, Msg: "table clamp failed", Cause: err}
	}
	return out, nil
}

// inspect is Inspect's checks of the module as given (structure, compile
// cost, imports, exports, manifest); Engine.Load then prepares the code,
// checks its cost and compiles it, its compiler validating as it goes.
func inspect(wasm []byte, cfg EngineConfig) Report {
	cfg = cfg.withDefaults()
	r := Report{Digest: Digest(wasm), Size: len(wasm)}
	if len(wasm) > cfg.MaxModuleBytes {
		r.Err = refuse("module is %d bytes, over the %d-byte cap", len(wasm), cfg.MaxModuleBytes)
		return r
	}
	m, err := wasmbin.Parse(wasm)
	if err != nil {
		r.Err = &Error{Class: ClassAdmission, Msg: "malformed module", Cause: err}
		return r
	}
	r.describe(m)
	r.Err = checkCost(r.Cost, cfg, "module")
	if r.Err == nil {
		r.Err = admit(m, cfg)
	}
	if r.Err == nil {
		r.Manifest, err = readManifest(m)
		if err != nil {
			r.Err = &Error{Class: ClassAdmission, Cause: err}
		} else if err := checkCapabilityImports(m, r.Manifest); err != nil {
			r.Err = err
		} else if r.Manifest.Input != "" && r.Manifest.Input != AnyType && r.Schema == nil {
			r.Err = refuse("manifest declares input type %q but the module has no %q section", r.Manifest.Input, SchemaSection)
		} else if raw, ok := m.CustomSection(FixturesSection); ok {
			if r.Fixtures, err = ParseFixtures(raw); err != nil {
				r.Err = &Error{Class: ClassAdmission, Msg: "section " + FixturesSection, Cause: err}
			}
		}
	}
	if e, ok := r.Err.(*Error); ok && r.Manifest.Name != "" {
		e.Transform = r.Manifest.ID()
	}
	return r
}

func (r *Report) describe(m *wasmbin.Module) {
	for _, im := range m.Imports {
		r.Imports = append(r.Imports, im.Module+"."+im.Name)
	}
	for _, ex := range m.Exports {
		r.Exports = append(r.Exports, ex.Name)
	}
	r.Functions = m.ImportedFuncs + len(m.Functions)
	r.Tables, r.Memories = m.Tables, m.Memories
	r.Schema, _ = m.CustomSection(SchemaSection)
	r.Cost = compileCost(m.Cost)
}

// admit applies the structural checks, cheapest and most dangerous first.
func admit(m *wasmbin.Module, cfg EngineConfig) error {
	if n := m.ImportedFuncs + len(m.Functions); n > cfg.MaxFunctions {
		return refuse("module has %d functions, over the cap of %d", n, cfg.MaxFunctions)
	}
	for i, t := range m.Tables {
		if err := checkTable(i, t, cfg.MaxTableElements); err != nil {
			return err
		}
	}
	if err := checkMemories(m.Memories, cfg.MaxMemoryPages); err != nil {
		return err
	}
	if err := checkImports(m); err != nil {
		return err
	}
	return checkExports(m)
}

func checkTable(i int, t wasmbin.Limits, limit uint64) error {
	if t.Min > limit {
		return refuse("table %d declares %d initial elements, over the cap of %d", i, t.Min, limit)
	}
	if t.HasMax && t.Max > limit {
		return refuse("table %d declares a maximum of %d elements, over the cap of %d", i, t.Max, limit)
	}
	return nil
}

func checkMemories(mems []wasmbin.Limits, maxPages uint32) error {
	if len(mems) > 1 {
		return refuse("module defines %d memories; weir guests have exactly one", len(mems))
	}
	for _, mem := range mems {
		if mem.Min > uint64(maxPages) {
			return refuse("memory declares %d initial pages, over the limit of %d", mem.Min, maxPages)
		}
	}
	return nil
}

func checkImports(m *wasmbin.Module) error {
	for _, im := range m.Imports {
		switch {
		case im.Kind != wasmbin.KindFunc:
			return refuse("import %s.%s is not a function; weir provides only functions", im.Module, im.Name)
		case im.Module == wasiModule:
		case im.Module == HostModule:
			if err := checkHostImport(m, im); err != nil {
				return err
			}
		case capabilityModule(im.Module) != nil:
			if err := checkCapabilityImport(m, capabilityModule(im.Module), im); err != nil {
				return err
			}
		default:
			return refuse("import %s.%s: module %q is not provided (allowed: %q, %q, and a capability's module: %s)", im.Module, im.Name, im.Module, HostModule, wasiModule, capabilityModules())
		}
	}
	return nil
}

func checkHostImport(m *wasmbin.Module, im wasmbin.Import) error {
	want, ok := hostFuncs[im.Name]
	if !ok {
		return refuse("import %s.%s: no such host function", im.Module, im.Name)
	}
	if int(im.TypeIndex) >= len(m.Types) || !sameSig(m.Types[im.TypeIndex], want) {
		return refuse("import %s.%s has the wrong signature, want %s", im.Module, im.Name, sigString(want))
	}
	return nil
}

func checkExports(m *wasmbin.Module) error {
	if ex, ok := m.Export("memory"); !ok || ex.Kind != wasmbin.KindMemory {
		return refuse("module does not export its memory as \"memory\"")
	}
	for _, want := range requiredExports {
		ex, ok := m.Export(want.name)
		if !ok || ex.Kind != wasmbin.KindFunc {
			return refuse("missing export %q %s (see docs/abi.md)", want.name, sigString(want.sig))
		}
		got, ok := m.FuncType(ex.Index)
		if !ok || !sameSig(got, want.sig) {
			return refuse("export %q has signature %s, want %s", want.name, sigString(got), sigString(want.sig))
		}
	}
	if err := checkFieldExports(m); err != nil {
		return err
	}
	if ex, ok := m.Export("_initialize"); ok {
		if got, _ := m.FuncType(ex.Index); ex.Kind != wasmbin.KindFunc || len(got.Params)+len(got.Results) != 0 {
			return refuse("export \"_initialize\" must be a function () -> ()")
		}
	}
	return nil
}

func sameSig(a, b wasmbin.FuncType) bool {
	return slices.Equal(a.Params, b.Params) && slices.Equal(a.Results, b.Results)
}

func sigString(t wasmbin.FuncType) string {
	return "(" + typeNames(t.Params) + ") -> (" + typeNames(t.Results) + ")"
}

func typeNames(ts []byte) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		switch t {
		case wasmbin.ValI32:
			s += "i32"
		case wasmbin.ValI64:
			s += "i64"
		case wasmbin.ValF32:
			s += "f32"
		case wasmbin.ValF64:
			s += "f64"
		default:
			s += fmt.Sprintf("0x%02x", t)
		}
	}
	return s
}

func refuse(format string, args ...any) *Error { return errorf(ClassAdmission, format, args...) }
