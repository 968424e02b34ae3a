// Package projhost is a minimal host for field projection (docs/abi.md
// §4b) over plain wazero, for testing a guest's side of projection on its
// own: it encodes projected batches with sdk/go/jsonpath, decodes the
// guest's output checking every rule of the wire format strictly (any
// violation is an error naming it), and splices the replacements back.
// It has no limits, fuel or pooling: the runtime's projection path is the
// production host; this one exists so guests can be tested against the
// contract alone.
package projhost

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/weirstream/weir/sdk/go/jsonpath"
)

// Record is an input record.
type Record struct {
	Value string
	Meta  map[string]string
}

// Output is one output message.
type Output struct {
	Value string
	Port  string
	Meta  map[string]string
}

// Outcome is the verdict on one record: its outputs, or its failure class
// ("bad_input" for a record that is not JSON, "guest_error" for an ERROR
// entry) and message.
type Outcome struct {
	Out   []Output
	Class string
	Error string
}

// Guest is one instance of a projecting module, initialised.
type Guest struct {
	ctx   context.Context
	rt    wazero.Runtime
	mod   api.Module
	paths []string
	set   *jsonpath.Set
	funcs map[string]api.Function // looked up once: wazero makes a call engine per lookup
}

// compiled is shared by every Guest of the process: a module is compiled
// once however many instances tests load.
var compiled = wazero.NewCompilationCache()

// Load instantiates wasm, runs weir_init with config and reads the paths
// weir_fields declares. An init failure is returned as its message.
func Load(ctx context.Context, wasm, config []byte) (*Guest, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(compiled))
	g := &Guest{ctx: ctx, rt: rt, funcs: map[string]api.Function{}}
	if err := g.instantiate(wasm); err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	if err := g.init(config); err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	return g, nil
}

func (g *Guest) instantiate(wasm []byte) error {
	wasi_snapshot_preview1.MustInstantiate(g.ctx, g.rt)
	_, err := g.rt.NewHostModuleBuilder("weir").NewFunctionBuilder().
		WithFunc(func(context.Context, int32, int32, int32) {}).Export("log").Instantiate(g.ctx)
	if err != nil {
		return err
	}
	g.mod, err = g.rt.InstantiateWithConfig(g.ctx, wasm, wazero.NewModuleConfig().WithStartFunctions("_initialize"))
	return err
}

// Close releases the instance.
func (g *Guest) Close() { _ = g.rt.Close(g.ctx) }

// Paths are the paths the guest declared.
func (g *Guest) Paths() []string { return g.paths }

func (g *Guest) init(config []byte) error {
	if len(config) > 0 {
		if err := g.write(config); err != nil {
			return err
		}
	}
	res, err := g.call("weir_init", uint64(len(config)))
	if err != nil {
		return err
	}
	if msg, err := g.result(res); err != nil || len(msg) > 0 {
		return fmt.Errorf("guest_error: init: %s%v", msg, errOrEmpty(err))
	}
	if g.mod.ExportedFunction("weir_fields") == nil {
		return g.declare(nil) // a full-value module
	}
	res, err = g.call("weir_fields")
	if err != nil {
		return err
	}
	decl, err := g.result(res)
	if err != nil {
		return err
	}
	return g.declare(decl)
}

func errOrEmpty(err error) any {
	if err == nil {
		return ""
	}
	return err
}

// declare reads count:u32 path:string*count.
func (g *Guest) declare(decl []byte) error {
	d := &decoder{b: decl}
	var n uint32
	if len(decl) > 0 { // an empty result: no projection
		n = d.u32()
	}
	var paths []jsonpath.Path
	for i := 0; i < int(n) && d.err == nil; i++ {
		s := string(d.bytes())
		p, err := jsonpath.Compile(s)
		if err != nil {
			return fmt.Errorf("weir_fields: path %d %q: %w", i, s, err)
		}
		g.paths = append(g.paths, s)
		paths = append(paths, p)
	}
	if err := d.end(); err != nil {
		return fmt.Errorf("weir_fields: %w", err)
	}
	set, err := jsonpath.NewSet(paths...)
	g.set = set
	return err
}

func (g *Guest) call(name string, args ...uint64) (uint64, error) {
	f, ok := g.funcs[name]
	if !ok {
		f = g.mod.ExportedFunction(name)
		g.funcs[name] = f
	}
	if f == nil {
		return 0, fmt.Errorf("the module does not export %s", name)
	}
	res, err := f.Call(g.ctx, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return res[0], nil
}

// write asks weir_buffer for room and copies b into it.
func (g *Guest) write(b []byte) error {
	ptr, err := g.call("weir_buffer", uint64(len(b)))
	if err != nil {
		return err
	}
	if !g.mod.Memory().Write(uint32(ptr), b) {
		return fmt.Errorf("weir_buffer(%d) returned %#x, outside memory", len(b), ptr)
	}
	return nil
}

// result copies the bytes a (ptr<<32)|len result points at.
func (g *Guest) result(res uint64) ([]byte, error) {
	if res == 0 {
		return nil, nil
	}
	b, ok := g.mod.Memory().Read(uint32(res>>32), uint32(res))
	if !ok {
		return nil, fmt.Errorf("result %#x lies outside memory", res)
	}
	return append([]byte(nil), b...), nil
}

// Raw writes batch into the guest and calls export with its length,
// returning the output bytes: for tests of the guest's input checks.
func (g *Guest) Raw(export string, batch []byte) ([]byte, error) {
	if err := g.write(batch); err != nil {
		return nil, err
	}
	res, err := g.call(export, uint64(len(batch)))
	if err != nil {
		return nil, err
	}
	return g.result(res)
}

// Process runs one projected batch: the host's scan, the guest's call,
// the checks and the splice.
func (g *Guest) Process(records []Record) ([]Outcome, error) {
	batch, scans := g.encode(records)
	out, err := g.Raw("weir_process_fields", batch)
	if err != nil {
		return nil, err
	}
	return decodeOutput(out, records, scans)
}

// Projected is the projected batch Process would send for records (for
// benchmarks of the guest alone, with Raw).
func (g *Guest) Projected(records []Record) []byte {
	batch, _ := g.encode(records)
	return batch
}

func (g *Guest) encode(records []Record) ([]byte, []scan) {
	scans := make([]scan, len(records))
	batch := binary.LittleEndian.AppendUint32(nil, uint32(len(records)))
	for i, r := range records {
		scans[i] = g.scan(r)
		batch = scans[i].encode(batch, r)
	}
	return batch, scans
}

// FullBatch is the full-value batch (§4) of records.
func FullBatch(records []Record) []byte {
	batch := binary.LittleEndian.AppendUint32(nil, uint32(len(records)))
	for _, r := range records {
		batch = appendBytes(batch, []byte(r.Value))
		batch = appendMeta(batch, r.Meta)
	}
	return batch
}

// FullValue runs records through weir_process (the full-value ABI) and
// returns each record's ERROR message, or "" for any other verdict: for
// checking what a projecting guest does on a host that does not project.
func (g *Guest) FullValue(records []Record) ([]string, error) {
	out, err := g.Raw("weir_process", FullBatch(records))
	if err != nil {
		return nil, err
	}
	errs := make([]string, len(records))
	d := &decoder{b: out}
	for n := d.u32(); n > 0 && d.err == nil; n-- {
		idx, kind := d.u32(), d.u8()
		if kind != 3 || int(idx) >= len(records) {
			return nil, fmt.Errorf("want only ERROR entries, got kind %d for record %d", kind, idx)
		}
		errs[idx] = string(d.bytes())
	}
	return errs, d.end()
}
