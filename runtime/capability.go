package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// Capabilities (docs/abi.md, "Capabilities"). A module declares in its
// manifest each capability it needs and what of it (namespaces, hosts,
// metric names); a pool grants capabilities (PoolConfig.Grants) with the
// backend their host functions use. Each capability's host functions live
// in their own import module ("weir_kv", …). Admission refuses a module
// importing a capability's functions without declaring it; NewPool refuses
// a module declaring a capability the pool does not grant, or more of it
// than granted, naming what to grant. A host function answers only an
// instance whose pool bound the capability.
//
// Adding a capability is one file defining a *capability and one entry
// in capabilities.

// capabilities are the capabilities this runtime defines, by name.
var capabilities = map[string]*capability{
	kvCapability.name:      kvCapability,
	metricsCapability.name: metricsCapability,
}

// capability is one family of host functions a module may declare and a
// pool may grant.
type capability struct {
	name   string              // as manifests and grants spell it: "kv"
	module string              // the import module of its host functions: "weir_kv"
	funcs  map[string]hostFunc // by import name
	// declare parses and checks a manifest's declaration of the capability
	// (its "capabilities" entry) into what bind gets.
	declare func(raw json.RawMessage) (any, error)
	// bind checks that grant covers the declaration and returns the pool's
	// binding, which the host functions find in the call state. A nil
	// grant means none was given: bind is not called, refusal names hint.
	bind func(decl any, grant Grant, b BindInfo) (any, error)
	// hint is the processor config (YAML, under `capabilities:`) that grants decl.
	hint func(decl any) string
}

// hostFunc is one host function of a capability. fn finds the pool's
// binding of the capability with s.binding; it must not panic on guest
// input except with a *Error (hostFault) or the fuel/deadline errors.
type hostFunc struct {
	sig wasmbin.FuncType
	fn  func(ctx context.Context, s *callState, mod api.Module, stack []uint64)
}

// Grant is what a pool gives a module for one capability: the backend
// its host functions use and the limits of the grant. KVGrant and
// MetricsGrant are the grants of "kv" and "metrics".
type Grant interface {
	// Capability is the name of the capability granted ("kv").
	Capability() string
}

// BindInfo is what a capability knows of the pool it binds to.
type BindInfo struct {
	Manifest Manifest // the module's (name, version)
	Digest   string
}

// Declarations is a manifest's "capabilities": capability name → what the
// module needs of it, in the form that capability defines (docs/abi.md).
type Declarations map[string]json.RawMessage

// UnmarshalJSON refuses the list form of early drafts (["kv"]) with the
// form to use instead; an empty list, which modules of ABI 1 before
// capabilities carried, declares none.
func (d *Declarations) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if json.Unmarshal(b, &list) == nil && len(list) == 0 {
		*d = nil
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("capabilities must be an object of capability name → declaration, "+
			`e.g. {"kv": {"namespaces": ["risk"]}, "metrics": {"counters": ["hits"]}}; known capabilities: %s (docs/abi.md, "Capabilities")`, knownCapabilities())
	}
	*d = m
	return nil
}

// Names are the declared capabilities, sorted.
func (d Declarations) Names() []string {
	names := make([]string, 0, len(d))
	for n := range d {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func knownCapabilities() string {
	names := make([]string, 0, len(capabilities))
	for n := range capabilities {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// capabilityModule finds the capability whose host functions live in the
// import module name.
func capabilityModule(name string) *capability {
	for _, c := range capabilities {
		if c.module == name {
			return c
		}
	}
	return nil
}

// parseDeclarations checks every declaration of a manifest.
func (m Manifest) parseDeclarations() (map[string]any, error) {
	decls := map[string]any{}
	for _, name := range m.Capabilities.Names() {
		c, ok := capabilities[name]
		if !ok {
			return nil, fmt.Errorf("manifest %q declares unknown capability %q; known: %s", m.Name, name, knownCapabilities())
		}
		d, err := c.declare(m.Capabilities[name])
		if err != nil {
			return nil, fmt.Errorf("manifest %q: capability %q: %w", m.Name, name, err)
		}
		decls[name] = d
	}
	return decls, nil
}

// checkCapabilityImports refuses a module importing a capability's host
// functions without declaring the capability in its manifest.
func checkCapabilityImports(m *wasmbin.Module, man Manifest) error {
	for _, im := range m.Imports {
		c := capabilityModule(im.Module)
		if c == nil {
			continue
		}
		if _, ok := man.Capabilities[c.name]; !ok {
			return refuse("import %s.%s belongs to capability %q, which the manifest does not declare: add it to the manifest's \"capabilities\" (docs/abi.md, \"Capabilities\")", im.Module, im.Name, c.name)
		}
	}
	return nil
}

// checkCapabilityImport checks an import from a capability's module names
// one of its functions with the right signature.
func checkCapabilityImport(m *wasmbin.Module, c *capability, im wasmbin.Import) error {
	f, ok := c.funcs[im.Name]
	if !ok {
		return refuse("import %s.%s: capability %q has no such host function (docs/abi.md, \"Capabilities\")", im.Module, im.Name, c.name)
	}
	if int(im.TypeIndex) >= len(m.Types) || !sameSig(m.Types[im.TypeIndex], f.sig) {
		return refuse("import %s.%s has the wrong signature, want %s", im.Module, im.Name, sigString(f.sig))
	}
	return nil
}

// bindCapabilities binds every declared capability to the pool's grant,
// or refuses the pool naming what to grant.
func (m *Module) bindCapabilities(grants []Grant) (map[string]any, error) {
	byName := map[string]Grant{}
	for _, g := range grants {
		if g == nil {
			return nil, fmt.Errorf("weir: pool config: Grants holds a nil grant")
		}
		if _, dup := byName[g.Capability()]; dup {
			return nil, fmt.Errorf("weir: pool config: capability %q granted twice", g.Capability())
		}
		byName[g.Capability()] = g
	}
	bound := map[string]any{}
	for _, name := range m.Manifest.Capabilities.Names() {
		c, decl := capabilities[name], m.decls[name]
		g, ok := byName[name]
		if !ok {
			return nil, m.refuseGrant(fmt.Sprintf("declares capability %q, which this pipeline does not grant", name), c.hint(decl))
		}
		b, err := c.bind(decl, g, BindInfo{Manifest: m.Manifest, Digest: m.Digest})
		if err != nil {
			return nil, m.refuseGrant(fmt.Sprintf("capability %q: %v", name, err), c.hint(decl))
		}
		bound[name] = b
	}
	return bound, nil
}

// refuseGrant is the admission refusal of a pool whose grants fall short
// of what the module declares.
func (m *Module) refuseGrant(what, hint string) *Error {
	return &Error{Class: ClassAdmission, Transform: m.Manifest.ID(),
		Msg: what + "; grant it in the wasm processor's config:\n" + indent("capabilities:\n"+indent(hint, "  "), "  ")}
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n")
}

// closeBindings closes the bindings that hold resources (io.Closer).
func closeBindings(bound map[string]any) {
	for _, b := range bound {
		if c, ok := b.(interface{ Close() error }); ok {
			_ = c.Close()
		}
	}
}

// binding is the pool's binding of capability name, or nil if the pool
// did not bind it (the host function then fails the batch: admission
// keeps that from happening).
func (s *callState) binding(name string) any {
	if s == nil {
		return nil
	}
	return s.bound[name]
}

// hostFault is a guest's misuse of a host function: the batch fails as
// bad_output and the instance is discarded. Host functions panic with it;
// wazero returns it as the call's error, and classify keeps its class.
func hostFault(fn string, format string, args ...any) *Error {
	return &Error{Class: ClassBadOutput, Msg: fn + ": " + fmt.Sprintf(format, args...)}
}

// faultOf finds a host function's classified fault in a guest call's error.
func faultOf(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && e.Class != "" {
		return e, true
	}
	return nil, false
}

// instantiateCapabilities defines each capability's host module.
func instantiateCapabilities(ctx context.Context, r wazero.Runtime, stateOf func(context.Context, api.Module) *callState) error {
	for _, c := range capabilities {
		b := r.NewHostModuleBuilder(c.module)
		for name, f := range c.funcs {
			fn := f.fn
			b = b.NewFunctionBuilder().
				WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
					fn(ctx, stateOf(ctx, mod), mod, stack)
				}), valueTypes(f.sig.Params), valueTypes(f.sig.Results)).
				Export(name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return fmt.Errorf("weir: instantiate host module %s: %w", c.module, err)
		}
	}
	return nil
}

func valueTypes(ts []byte) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

// capabilityModules lists the capabilities' import modules, for errors.
func capabilityModules() string {
	var mods []string
	for _, c := range capabilities {
		mods = append(mods, fmt.Sprintf("%q (%s)", c.module, c.name))
	}
	slices.Sort(mods)
	return strings.Join(mods, ", ")
}
