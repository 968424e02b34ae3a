package runtime

import (
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// guestABI is the calling convention a module speaks. It is decided once,
// at admission, by what the module imports, and every later step (the
// admission checks, the manifest, the instance) dispatches on it here.
// Each foreign ABI lives in its own files (redpanda_*.go, extism_*.go).
type guestABI int

const (
	// abiWeir is weir's own ABI (docs/abi.md): a reactor exporting
	// weir_buffer, weir_init and weir_process, one call per batch.
	abiWeir guestABI = iota
	// abiRedpanda is Redpanda's Data Transforms ABI: a WASI command
	// whose _start loops forever over redpanda_transform imports
	// (redpanda_abi.go).
	abiRedpanda
	// abiExtism is an Extism plugin: it imports the extism:host/env
	// kernel, and the pool's function is called once per record
	// (extism_admission.go).
	abiExtism
)

// String is the ABI's name, as Report.ABI gives it.
func (a guestABI) String() string {
	switch a {
	case abiRedpanda:
		return "redpanda"
	case abiExtism:
		return "extism"
	}
	return "weir"
}

// abiOf is the ABI a module speaks: Redpanda's when it imports anything
// of the redpanda_transform module, Extism's when it imports anything of
// extism:host/env, weir's otherwise. A module mixing them is refused by
// the checks of the one found first.
func abiOf(m *wasmbin.Module) guestABI {
	for _, im := range m.Imports {
		switch im.Module {
		case redpandaModule:
			return abiRedpanda
		case ExtismModule:
			return abiExtism
		}
	}
	return abiWeir
}

// checkInterface applies the import and export checks of the module's ABI.
func checkInterface(m *wasmbin.Module) error {
	switch abiOf(m) {
	case abiRedpanda:
		return checkRedpanda(m)
	case abiExtism:
		if err := checkExtismImports(m); err != nil {
			return err
		}
		return checkExtismExports(m)
	}
	if err := checkImports(m); err != nil {
		return err
	}
	return checkExports(m)
}

// manifestOf is the module's manifest: its weir.manifest section or, for
// a foreign ABI without one, a manifest named after the module's digest.
func manifestOf(m *wasmbin.Module, digest string) (Manifest, error) {
	_, packed := m.CustomSection(ManifestSection)
	switch abi := abiOf(m); {
	case abi == abiExtism:
		return extismManifest(m, digest)
	case abi == abiRedpanda && !packed:
		return redpandaManifest(digest), nil
	}
	return readManifest(m)
}
