package runtime

import (
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// guestABI is the calling convention a module speaks. It is decided once,
// at admission, by what the module imports, and every later step (the
// admission checks, the manifest, the instance) dispatches on it here.
type guestABI int

const (
	// abiWeir is weir's own ABI (docs/abi.md): a reactor exporting
	// weir_buffer, weir_init and weir_process, one call per batch.
	abiWeir guestABI = iota
	// abiRedpanda is Redpanda's Data Transforms ABI: a WASI command
	// whose _start loops forever over redpanda_transform imports
	// (redpanda_abi.go).
	abiRedpanda
)

func (a guestABI) String() string {
	if a == abiRedpanda {
		return "redpanda"
	}
	return "weir"
}

// abiOf is the ABI a module speaks: Redpanda's when it imports anything
// of the redpanda_transform module, weir's otherwise.
func abiOf(m *wasmbin.Module) guestABI {
	for _, im := range m.Imports {
		if im.Module == redpandaModule {
			return abiRedpanda
		}
	}
	return abiWeir
}

// checkInterface applies the import and export checks of the module's ABI.
func checkInterface(m *wasmbin.Module) error {
	if abiOf(m) == abiRedpanda {
		return checkRedpanda(m)
	}
	if err := checkImports(m); err != nil {
		return err
	}
	return checkExports(m)
}

// manifestOf is the module's manifest: its weir.manifest section or, for
// a foreign ABI without one, a manifest named after the module's digest.
func manifestOf(m *wasmbin.Module, digest string) (Manifest, error) {
	if _, ok := m.CustomSection(ManifestSection); !ok && abiOf(m) == abiRedpanda {
		return redpandaManifest(digest), nil
	}
	return readManifest(m)
}
