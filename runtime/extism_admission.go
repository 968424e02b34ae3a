package runtime

import (
	"fmt"
	"sort"
	"strings"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// ExtismModule is the import module of the Extism kernel: a module that
// imports it is an Extism plugin (github.com/extism/go-pdk and the other
// PDKs), run by weir's own kernel (extism_kernel.go), one call of the
// pool's ExtismConfig.Function per record.
const ExtismModule = "extism:host/env"

// extismFuncs are the kernel functions weir provides, with the
// signatures the PDKs import them with (every pointer and length an i64).
var extismFuncs = map[string]wasmbin.FuncType{
	"alloc":          {Params: i64, Results: i64},
	"free":           {Params: i64},
	"length":         {Params: i64, Results: i64},
	"length_unsafe":  {Params: i64, Results: i64},
	"load_u8":        {Params: i64, Results: i32},
	"load_u64":       {Params: i64, Results: i64},
	"store_u8":       {Params: []byte{wasmbin.ValI64, wasmbin.ValI32}},
	"store_u64":      {Params: []byte{wasmbin.ValI64, wasmbin.ValI64}},
	"input_length":   {Results: i64},
	"input_offset":   {Results: i64},
	"input_load_u8":  {Params: i64, Results: i32},
	"input_load_u64": {Params: i64, Results: i64},
	"output_set":     {Params: []byte{wasmbin.ValI64, wasmbin.ValI64}},
	"error_set":      {Params: i64},
	"config_get":     {Params: i64, Results: i64},
	"var_get":        {Params: i64, Results: i64},
	"var_set":        {Params: []byte{wasmbin.ValI64, wasmbin.ValI64}},
	"log_trace":      {Params: i64},
	"log_debug":      {Params: i64},
	"log_info":       {Params: i64},
	"log_warn":       {Params: i64},
	"log_error":      {Params: i64},
	"get_log_level":  {Results: i32},
}

// extismRefused are kernel functions a plugin may import but weir does
// not grant, with the reason.
var extismRefused = map[string]string{
	"http_request":     "HTTP from a plugin is not granted: weir gives Extism plugins no network access (docs/abi.md, \"Extism plugins\")",
	"http_status_code": "HTTP from a plugin is not granted: weir gives Extism plugins no network access (docs/abi.md, \"Extism plugins\")",
	"http_headers":     "HTTP from a plugin is not granted: weir gives Extism plugins no network access (docs/abi.md, \"Extism plugins\")",
}

// checkExtismImports allows WASI and the kernel functions weir provides,
// each with its exact signature; a plugin speaks one ABI, so weir's own
// host module is refused.
func checkExtismImports(m *wasmbin.Module) error {
	for _, im := range m.Imports {
		switch {
		case im.Kind != wasmbin.KindFunc:
			return refuse("import %s.%s is not a function; weir provides only functions", im.Module, im.Name)
		case im.Module == wasiModule:
		case im.Module == ExtismModule:
			if err := checkExtismImport(m, im); err != nil {
				return err
			}
		default:
			return refuse("import %s.%s: an Extism plugin may import only %q and %q", im.Module, im.Name, ExtismModule, wasiModule)
		}
	}
	return nil
}

func checkExtismImport(m *wasmbin.Module, im wasmbin.Import) error {
	if why, ok := extismRefused[im.Name]; ok {
		return refuse("import %s.%s: %s", im.Module, im.Name, why)
	}
	want, ok := extismFuncs[im.Name]
	if !ok {
		return refuse("import %s.%s: weir's Extism kernel has no such function (it has: %s)", im.Module, im.Name, extismFuncNames())
	}
	if int(im.TypeIndex) >= len(m.Types) || !sameSig(m.Types[im.TypeIndex], want) {
		return refuse("import %s.%s has the wrong signature, want %s", im.Module, im.Name, sigString(want))
	}
	return nil
}

func extismFuncNames() string {
	names := make([]string, 0, len(extismFuncs))
	for n := range extismFuncs {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkExtismExports needs the memory and, if exported, an _initialize
// of no parameters and results. The function each record is passed to
// is the pool's to name (ExtismConfig.Function), checked when the pool
// starts.
func checkExtismExports(m *wasmbin.Module) error {
	if ex, ok := m.Export("memory"); !ok || ex.Kind != wasmbin.KindMemory {
		return refuse("module does not export its memory as \"memory\"")
	}
	if ex, ok := m.Export("_initialize"); ok {
		if got, _ := m.FuncType(ex.Index); ex.Kind != wasmbin.KindFunc || len(got.Params)+len(got.Results) != 0 {
			return refuse("export \"_initialize\" must be a function () -> ()")
		}
	}
	return nil
}

// extismManifest is the plugin's "weir.manifest" section if it carries
// one (`weir transform pack` adds it), and otherwise a manifest named
// "extism" whose version is the first twelve hex digits of the digest,
// so that logs, metrics and errors still tell versions apart.
func extismManifest(m *wasmbin.Module, digest string) (Manifest, error) {
	if _, ok := m.CustomSection(ManifestSection); ok {
		man, err := readManifest(m)
		if err == nil && (man.Input != "" || len(man.Ports) > 0) {
			return man, fmt.Errorf("manifest %q declares ports or message types: an Extism plugin has one output per record and no schema", man.Name)
		}
		return man, err
	}
	return Manifest{ABI: ABIVersion, Name: "extism", Version: strings.TrimPrefix(digest, "sha256:")[:12]}, nil
}

// extismExport checks that the plugin exports fn as an Extism function:
// () -> i32, its return code (0 for success).
func extismExport(m *wasmbin.Module, fn string) error {
	ex, ok := m.Export(fn)
	if !ok || ex.Kind != wasmbin.KindFunc {
		return fmt.Errorf("the plugin exports no function %q", fn)
	}
	got, _ := m.FuncType(ex.Index)
	if want := (wasmbin.FuncType{Results: i32}); !sameSig(got, want) {
		return fmt.Errorf("export %q has signature %s, want %s", fn, sigString(got), sigString(want))
	}
	return nil
}
