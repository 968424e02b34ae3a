package runtime

import "github.com/weirstream/weir/runtime/internal/wasmbin"

// guestABI is the ABI a module speaks: weir's own (docs/abi.md) or a
// foreign one a module built with another SDK speaks unmodified. It is
// chosen in one place, abiOf, by what the module imports; each step that
// differs between ABIs (admission's import and export rules, the
// manifest, an instance's start and its batch call) asks it. Each foreign
// ABI lives in its own files (extism*.go, redpanda*.go).
type guestABI int

const (
	abiWeir     guestABI = iota // weir_buffer, weir_init, weir_process (docs/abi.md)
	abiExtism                   // an Extism plugin: imports ExtismModule (extism*.go)
	abiRedpanda                 // a Redpanda Data Transforms module: a WASI command importing redpanda_transform (redpanda*.go)
)

// String is the ABI's name, as Report.ABI and errors give it.
func (a guestABI) String() string {
	switch a {
	case abiExtism:
		return "extism"
	case abiRedpanda:
		return "redpanda"
	}
	return "weir"
}

// abiOf is the ABI of m: a foreign one if m imports that ABI's host
// module, weir's otherwise (WASI alone, or nothing, is weir's).
func abiOf(m *wasmbin.Module) guestABI {
	for _, im := range m.Imports {
		switch im.Module {
		case ExtismModule:
			return abiExtism
		case redpandaModule:
			return abiRedpanda
		}
	}
	return abiWeir
}

// checkImports refuses an import the ABI's host does not provide.
func (a guestABI) checkImports(m *wasmbin.Module) error {
	switch a {
	case abiExtism:
		return checkExtismImports(m)
	case abiRedpanda:
		return checkRedpandaImports(m)
	}
	return checkImports(m)
}

// checkExports refuses a module that lacks an export the ABI calls.
func (a guestABI) checkExports(m *wasmbin.Module) error {
	switch a {
	case abiExtism:
		return checkExtismExports(m)
	case abiRedpanda:
		return checkRedpandaExports(m)
	}
	return checkExports(m)
}

// manifest is the module's manifest: its "weir.manifest" section, which
// a foreign module may lack (then one is made up for it).
func (a guestABI) manifest(m *wasmbin.Module, digest string) (Manifest, error) {
	switch a {
	case abiExtism:
		return extismManifest(m, digest)
	case abiRedpanda:
		if _, ok := m.CustomSection(ManifestSection); !ok {
			return redpandaManifest(digest), nil
		}
	}
	return readManifest(m)
}
