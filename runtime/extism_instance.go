package runtime

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// extismCall is what an instance of an Extism plugin calls per record:
// the export the pool names, with the instance's kernel.
type extismCall struct {
	kernel *extismKernel
	fn     api.Function
	name   string
}

// startExtism finds the pool's function (ExtismConfig.Function) and gives
// the instance its kernel, before _initialize runs, so that a plugin's
// start-up may read its config. Its refusals are the pool config's
// (ClassConfig), naming what the plugin exports.
func (in *instance) startExtism(m *Module, cfg PoolConfig) error {
	name := cfg.Extism.Function
	if name == "" {
		return m.extismConfigError("the module is an Extism plugin: name the export to call per record (function, PoolConfig.Extism.Function); it exports %s", m.extismExports())
	}
	fn := in.mod.ExportedFunction(name)
	if fn == nil {
		return m.extismConfigError("the Extism plugin exports no function %q; it exports %s", name, m.extismExports())
	}
	if def := fn.Definition(); len(def.ParamTypes()) != 0 || !slices.Equal(def.ResultTypes(), []api.ValueType{api.ValueTypeI32}) {
		return m.extismConfigError("export %q of the Extism plugin is not an Extism function () -> i32; it exports %s", name, m.extismExports())
	}
	k, err := newExtismKernel(cfg, in.log)
	if err != nil {
		return m.extismConfigError("%v", err)
	}
	in.state.extism, k.state = k, &in.state
	in.ext = &extismCall{kernel: k, fn: fn, name: name}
	return nil
}

func (m *Module) extismConfigError(format string, args ...any) *Error {
	return &Error{Class: ClassConfig, Transform: m.Manifest.ID(), Msg: fmt.Sprintf(format, args...)}
}

// extismExports lists the plugin's exports that could be its function.
func (m *Module) extismExports() string {
	var names []string
	for name, def := range m.compiled.ExportedFunctions() {
		if len(def.ParamTypes()) == 0 && slices.Equal(def.ResultTypes(), []api.ValueType{api.ValueTypeI32}) {
			names = append(names, fmt.Sprintf("%q", name))
		}
	}
	if len(names) == 0 {
		return "no function () -> i32"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// processExtism calls the plugin's function once per record, its value
// as the input, under the batch's one fuel budget and deadline. A record
// the plugin fails (error_set, or a return code other than 0) is that
// record's outcome; a trap, a timeout, running out of fuel or a kernel
// function's refusal fails the batch, as a weir guest's does.
func (in *instance) processExtism(ctx context.Context, m *Module, records []Record, into *Outcomes) ([]Outcome, error) {
	k := in.ext.kernel
	k.startBatch(valueBytes(records))
	outcomes := into.reset(len(records))
	emits := into.emitsFor(uint64(len(records)))
	defer func() { into.emits = emits }() // cleared by the next batch
	for i, r := range records {
		if !k.reset(r.Value) {
			outcomes[i].Err = &Error{Class: ClassBadInput, Transform: m.Manifest.ID(), Msg: fmt.Sprintf(
				"record of %d bytes does not fit in the Extism kernel's arena of %d bytes: raise extism_max_arena_bytes", len(r.Value), k.max)}
			continue
		}
		in.stack[0] = 0
		if err := in.ext.fn.CallWithStack(ctx, in.stack[:]); err != nil {
			return nil, m.classify(ctx, in.ext.name, err)
		}
		emits = in.ext.outcome(&outcomes[i], emits, int32(api.DecodeU32(in.stack[0])), m)
	}
	return outcomes, nil
}

// outcome is the record's verdict after the call returned rc: its error
// if the plugin set one or returned non-zero, else the output it set (an
// empty record if it set none, as Extism has it).
func (c *extismCall) outcome(o *Outcome, emits []Emit, rc int32, m *Module) []Emit {
	k := c.kernel
	switch {
	case k.errSet:
		o.Err = &Error{Class: ClassGuest, Transform: m.Manifest.ID(), Msg: guestText(k.errMsg, maxGuestErrorBytes)}
	case rc != 0:
		o.Err = &Error{Class: ClassGuest, Transform: m.Manifest.ID(), Msg: fmt.Sprintf("%s returned %d without an error (error_set)", c.name, rc)}
	default:
		emits = append(emits, Emit{Value: k.output})
		o.Emits = emits[len(emits)-1 : len(emits) : len(emits)]
	}
	return emits
}

func valueBytes(records []Record) int {
	n := 0
	for _, r := range records {
		n += len(r.Value)
	}
	return n
}
