package meter_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/internal/meter"
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// TestMeteringChargesWhatRuns is the property test of the rewriter on a
// generated corpus: random structured functions (nested block, loop — with
// no, one or a param type — if/else, br, br_if and br_table to random
// depths, return, direct and indirect calls, straight-line runs of random
// length, memory.fill, memory.copy, memory.grow, table.fill, table.grow
// and table.copy of random lengths, dead code after branches). Each module
// runs three ways: as generated, metered, and instrumented with a counter
// global bumped before every instruction (by the cost Units gives a bulk
// operation). It requires
//
//   - the same result all three ways (the rewrite changes no behaviour);
//   - fuel charged = instructions executed (block, loop, else and end do no
//     work and are not counted): no instruction runs uncharged and none is
//     charged that does not run, since these guests never trap;
//   - at every check-in, the debt the guest ran up since its last check is
//     at most the static cost of two functions (a forward path through
//     one, and the entry segment of the next): the bound stated in the
//     package doc and docs/RATIONALE.md.
func TestMeteringChargesWhatRuns(t *testing.T) {
	r := wazero.NewRuntime(context.Background())
	defer r.Close(context.Background())
	h := &fuelHost{}
	_, err := r.NewHostModuleBuilder(meter.CheckInModule).NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(h.fuel), nil, nil).Export(meter.CheckInName).
		Instantiate(context.Background())
	require.NoError(t, err)
	n := 300
	if testing.Short() {
		n = 50
	}
	for seed := uint64(0); seed < uint64(n); seed++ {
		g := newGen(seed)
		plain, counted := g.module()
		want := run(t, r, plain, "", nil).result
		for _, checkIn := range []int64{3, 1 << 40} {
			metered, err := meter.Rewrite(plain, checkIn, math.MaxUint32)
			require.NoError(t, err, "seed %d", seed)
			*h = fuelHost{checkIn: checkIn, loaded: checkIn}
			got := run(t, r, metered, meter.FuelExport, h)
			require.Equal(t, want, got.result, "seed %d: metered result", seed)
			c := run(t, r, counted, "count", nil)
			require.Equal(t, want, c.result, "seed %d: counted result", seed)
			require.Equal(t, int64(c.global), got.used, "seed %d, check-in %d: fuel charged vs instructions executed", seed, checkIn)
			require.LessOrEqual(t, h.maxDebt, 2*g.maxCost, "seed %d, check-in %d: debt at a check-in", seed, checkIn)
		}
	}
}

// fuelHost is weir.fuel: it refills the counter by checkIn until it is
// not negative, as the runtime does with an endless budget.
type fuelHost struct {
	checkIn, loaded, maxDebt int64
	onCheckIn                func(api.Module)
}

func (h *fuelHost) fuel(_ context.Context, mod api.Module, _ []uint64) {
	g := mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal)
	left := int64(g.Get())
	h.maxDebt = max(h.maxDebt, -left)
	if h.onCheckIn != nil {
		h.onCheckIn(mod)
	}
	for left < 0 {
		left += h.checkIn
		h.loaded += h.checkIn
	}
	g.Set(uint64(left))
}

type outcome struct {
	result uint64
	global uint64 // the exported global read after the run
	used   int64
}

func run(t *testing.T, r wazero.Runtime, wasm []byte, global string, h *fuelHost) outcome {
	t.Helper()
	ctx := context.Background()
	m, err := r.Instantiate(ctx, wasm)
	require.NoError(t, err)
	defer m.Close(ctx)
	res, err := m.ExportedFunction("run").Call(ctx, 12345)
	require.NoError(t, err)
	o := outcome{result: res[0]}
	if global != "" {
		o.global = m.ExportedGlobal(global).Get()
	}
	if h != nil {
		o.used = h.loaded - int64(o.global)
		h.maxDebt = max(h.maxDebt, -int64(o.global)) // run since the last check, until the call returned
	}
	return o
}

// gen generates one module twice: as is, and counting its instructions.
type gen struct {
	rng     *rand.Rand
	nfuncs  int
	fn      int    // the function being generated
	labels  []bool // enclosing labels, innermost last: true for a loop
	locals  int    // i32 loop counters declared so far in fn
	budget  int    // instructions left for fn
	plain   []byte // fn's body as is
	counted []byte // fn's body with the counter
	cost    int64  // fn's static cost
	maxCost int64  // the largest static cost of a function
	bodies  [][2][]byte
}

func newGen(seed uint64) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

const counterGlobal = 0

// module returns the plain and counted modules: nfuncs functions of type
// (i64) -> (i64), function 0 exported as "run"; memory of 1 page (max 4);
// table 0 holding functions 1.. for call_indirect, table 1 for the bulk
// table operations; a mutable i64 global, exported as "count" (in both,
// so that only the code differs).
func (g *gen) module() (plain, counted []byte) {
	g.nfuncs = 1 + g.rng.IntN(4)
	for g.fn = 0; g.fn < g.nfuncs; g.fn++ {
		g.function()
	}
	return g.assemble(0), g.assemble(1)
}

func (g *gen) function() {
	g.labels, g.locals, g.plain, g.counted, g.cost = []bool{false}, 0, nil, nil, 0
	g.budget = 20 + g.rng.IntN(300)
	g.stmts(0)
	g.emit(true, 0x20, 0) // local.get 0: the result
	g.raw(0x0b)
	g.maxCost = max(g.maxCost, g.cost)
	locals := append(uleb(nil, 2), 1, 0x7e) // one i64 scratch
	locals = append(uleb(locals, uint64(g.locals+1)), 0x7f)
	g.bodies = append(g.bodies, [2][]byte{append(append([]byte{}, locals...), g.plain...), append(append([]byte{}, locals...), g.counted...)})
}

// emit appends one instruction; a counted one is preceded, in the counted
// body, by "count += 1".
func (g *gen) emit(counted bool, b ...byte) { g.emitCost(counted, 1, b...) }

func (g *gen) emitCost(counted bool, cost int64, b ...byte) {
	if counted {
		g.counted = append(g.counted, 0x23, counterGlobal, 0x42)
		g.counted = sleb(g.counted, cost)
		g.counted = append(g.counted, 0x7c, 0x24, counterGlobal)
		g.cost += cost
		g.budget--
	}
	g.plain = append(g.plain, b...)
	g.counted = append(g.counted, b...)
}

// raw appends a structural instruction (block, loop, else, end).
func (g *gen) raw(b ...byte) { g.emit(false, b...) }

func (g *gen) i32(v int64) { g.emit(true, sleb([]byte{0x41}, v)...) }
func (g *gen) i64(v int64) { g.emit(true, sleb([]byte{0x42}, v)...) }

// acc emits "local 0 = local 0 OP c".
func (g *gen) acc() {
	g.emit(true, 0x20, 0)
	g.i64(g.rng.Int64N(1000) + 1)
	g.emit(true, []byte{0x7c, 0x7e, 0x85}[g.rng.IntN(3)]) // i64.add, mul, xor
	g.emit(true, 0x21, 0)
}

// cond emits an i32 derived from local 0.
func (g *gen) cond() {
	g.emit(true, 0x20, 0)
	g.emit(true, 0xa7) // i32.wrap_i64
	g.i32(int64(g.rng.IntN(8)))
	g.emit(true, 0x71) // i32.and
}

func (g *gen) stmts(depth int) {
	for n := 1 + g.rng.IntN(5); n > 0 && g.budget > 0; n-- {
		g.stmt(depth)
	}
}

func (g *gen) stmt(depth int) {
	k := g.rng.IntN(20)
	if depth > 4 && k < 8 {
		k += 8 // no deeper nesting
	}
	switch {
	case k < 2:
		g.raw(0x02, 0x40)
		g.nest(false, func() { g.stmts(depth + 1) })
		g.raw(0x0b)
	case k < 4:
		g.loop(depth)
	case k < 6:
		g.cond()
		g.emit(true, 0x04, 0x40)
		g.nest(false, func() { g.stmts(depth + 1) })
		if g.rng.IntN(2) == 0 {
			g.raw(0x05)
			g.nest(false, func() { g.stmts(depth + 1) })
		}
		g.raw(0x0b)
	case k < 8:
		g.branch()
	case k < 9:
		g.call()
	case k < 11:
		g.bulk()
	case k < 12:
		g.memory()
	default:
		for i := g.rng.IntN(6); i >= 0; i-- {
			g.acc()
		}
	}
}

func (g *gen) nest(loop bool, body func()) {
	g.labels = append(g.labels, loop)
	body()
	g.labels = g.labels[:len(g.labels)-1]
}

// loop emits a loop that runs 1..4 times, counted by a fresh i32 local,
// with an empty, a one-result or a param block type.
func (g *gen) loop(depth int) {
	if g.locals >= 8 {
		g.acc()
		return
	}
	g.locals++
	l := byte(1 + g.locals) // locals: 0 param, 1 scratch i64, then counters
	g.i32(int64(1 + g.rng.IntN(4)))
	g.emit(true, 0x21, l)
	kind := g.rng.IntN(3)
	switch kind {
	case 0:
		g.raw(0x03, 0x40)
	case 1:
		g.raw(0x03, 0x7e)
	case 2:
		g.emit(true, 0x20, 0)
		g.raw(0x03, 0x00) // type 0: (i64) -> (i64)
		g.emit(true, 0x21, 0)
	}
	g.nest(true, func() {
		g.stmts(depth + 1)
		if kind > 0 {
			g.emit(true, 0x20, 0) // the result, or the param passed back
		}
		g.emit(true, 0x20, l)
		g.i32(1)
		g.emit(true, 0x6b) // i32.sub
		g.emit(true, 0x22, l)
		g.emit(true, 0x0d, 0) // br_if 0: again
	})
	g.raw(0x0b)
	if kind > 0 {
		g.emit(true, 0x21, 0)
	}
}

// target picks a label a branch may take without looping forever: a
// block or if (forward), or the function (a return); -1 if none.
func (g *gen) target(allowFunc bool) int {
	var ok []int
	for d := range g.labels {
		i := len(g.labels) - 1 - d
		if !g.labels[i] && (i > 0 || allowFunc) {
			ok = append(ok, d)
		}
	}
	if len(ok) == 0 {
		return -1
	}
	return ok[g.rng.IntN(len(ok))]
}

func (g *gen) branch() {
	switch g.rng.IntN(5) {
	case 0: // br_if
		d := g.target(true)
		toFunc := d == len(g.labels)-1
		if toFunc {
			g.emit(true, 0x20, 0)
		}
		g.cond()
		g.emit(true, uleb([]byte{0x0d}, uint64(d))...)
		if toFunc {
			g.emit(true, 0x1a) // drop
		}
	case 1: // br_table over blocks and ifs
		var ts []int
		for i := g.rng.IntN(4); i >= 0; i-- {
			if d := g.target(false); d >= 0 {
				ts = append(ts, d)
			}
		}
		if len(ts) == 0 {
			g.acc()
			return
		}
		g.cond()
		b := uleb([]byte{0x0e}, uint64(len(ts)-1))
		for _, d := range ts {
			b = uleb(b, uint64(d))
		}
		g.emit(true, b...)
		g.dead()
	case 2: // return
		g.emit(true, 0x20, 0)
		g.emit(true, 0x0f)
		g.dead()
	default: // br
		d := g.target(true)
		if d == len(g.labels)-1 {
			g.emit(true, 0x20, 0)
		}
		g.emit(true, uleb([]byte{0x0c}, uint64(d))...)
		g.dead()
	}
}

// dead emits unreachable code after a branch, sometimes.
func (g *gen) dead() {
	if g.rng.IntN(3) == 0 {
		g.acc()
	}
}

// call calls a later function (no recursion), directly or through table 0,
// where slot i holds function i+1.
func (g *gen) call() {
	if g.fn+1 >= g.nfuncs {
		g.acc()
		return
	}
	callee := g.fn + 1 + g.rng.IntN(g.nfuncs-g.fn-1)
	g.emit(true, 0x20, 0)
	if g.rng.IntN(2) == 0 {
		g.emit(true, uleb([]byte{0x10}, uint64(callee))...)
	} else {
		g.i32(int64(callee - 1))
		g.emit(true, 0x11, 0, 0) // call_indirect type 0 table 0
	}
	g.emit(true, 0x21, 0)
}

// bulk emits a bulk operation of random length, its cost charged as
// Units says.
func (g *gen) bulk() {
	switch g.rng.IntN(6) {
	case 0, 1: // memory.fill d v n
		n := g.rng.Int64N(32 << 10)
		g.i32(g.rng.Int64N(65536 - n))
		g.i32(g.rng.Int64N(256))
		g.i32(n)
		g.emitCost(true, 1+meter.Units("memory.fill", uint32(n)), 0xfc, 11, 0)
	case 2: // memory.copy d s n
		n := g.rng.Int64N(32 << 10)
		g.i32(g.rng.Int64N(65536 - n))
		g.i32(g.rng.Int64N(65536 - n))
		g.i32(n)
		g.emitCost(true, 1+meter.Units("memory.copy", uint32(n)), 0xfc, 10, 0, 0)
	case 3: // memory.grow: fails past the maximum, deterministically
		n := g.rng.Int64N(2)
		g.i32(n)
		g.emitCost(true, 1+meter.Units("memory.grow", uint32(n)), 0x40, 0)
		g.emit(true, 0xac) // i64.extend_i32_s
		g.emit(true, 0x20, 0)
		g.emit(true, 0x7c)
		g.emit(true, 0x21, 0)
	case 4: // table.fill 1 i null n
		n := g.rng.Int64N(8)
		g.i32(g.rng.Int64N(8 - n + 1))
		g.emit(true, 0xd0, 0x70)
		g.i32(n)
		g.emitCost(true, 1+meter.Units("table.fill", uint32(n)), 0xfc, 17, 1)
	case 5: // table.grow 1 null n; table.copy 1 1 0 0 n
		n := g.rng.Int64N(4)
		g.emit(true, 0xd0, 0x70)
		g.i32(n)
		g.emitCost(true, 1+meter.Units("table.grow", uint32(n)), 0xfc, 15, 1)
		g.emit(true, 0x1a)
		g.i32(0)
		g.i32(0)
		g.i32(n)
		g.emitCost(true, 1+meter.Units("table.copy", uint32(n)), 0xfc, 14, 1, 1)
	}
}

// memory stores local 0 or folds a load into it.
func (g *gen) memory() {
	a := g.rng.Int64N(65536 - 8)
	if g.rng.IntN(2) == 0 {
		g.i32(a)
		g.emit(true, 0x20, 0)
		g.emit(true, 0x37, 3, 0) // i64.store
		return
	}
	g.emit(true, 0x20, 0)
	g.i32(a)
	g.emit(true, 0x29, 3, 0) // i64.load
	g.emit(true, 0x85)
	g.emit(true, 0x21, 0)
}

// assemble writes the module; v 0 is the plain variant, 1 the counted.
func (g *gen) assemble(v int) []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = section(out, 1, []byte{1, 0x60, 1, 0x7e, 1, 0x7e})
	funcs := uleb(nil, uint64(g.nfuncs))
	for range g.nfuncs {
		funcs = append(funcs, 0)
	}
	out = section(out, 3, funcs)
	out = section(out, 4, []byte{2, 0x70, 0, 8, 0x70, 1, 8, 64})
	out = section(out, 5, []byte{1, 1, 1, 4})
	out = section(out, 6, []byte{1, 0x7e, 1, 0x42, 0, 0x0b})
	exports := uleb(nil, 2)
	exports = append(append(exports, name("run")...), 0, 0)
	exports = append(append(exports, name("count")...), 3, 0)
	out = section(out, 7, exports)
	if g.nfuncs > 1 { // table 0, slot i: function i+1
		elem := []byte{1, 0, 0x41, 0, 0x0b}
		elem = uleb(elem, uint64(g.nfuncs-1))
		for f := 1; f < g.nfuncs; f++ {
			elem = uleb(elem, uint64(f))
		}
		out = section(out, 9, elem)
	}
	code := uleb(nil, uint64(g.nfuncs))
	for _, b := range g.bodies {
		code = uleb(code, uint64(len(b[v])))
		code = append(code, b[v]...)
	}
	return section(out, 10, code)
}

func section(out []byte, id byte, payload []byte) []byte {
	return append(uleb(append(out, id), uint64(len(payload))), payload...)
}

func name(s string) []byte { return append(uleb(nil, uint64(len(s))), s...) }

// uleb is wasmbin's LEB128 encoder (every value here fits 32 bits).
func uleb(out []byte, v uint64) []byte { return wasmbin.AppendU32(out, uint32(v)) }

func sleb(out []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

// TestCheckAfterCalls: a chain of ten calls, each caller with a long
// straight tail after its call, so returning runs ten tails in a row. The
// module is both counted and metered, and the host reads the counter at
// each check-in: the instructions run between two check-ins stay within
// one function's tail plus the check-in interval, where charging the tails
// before the calls would let all ten run between two check-ins.
func TestCheckAfterCalls(t *testing.T) {
	r := wazero.NewRuntime(context.Background())
	defer r.Close(context.Background())
	var last, worst uint64
	h := &fuelHost{checkIn: 1, loaded: 1, onCheckIn: func(mod api.Module) {
		n := mod.ExportedGlobal("count").Get()
		worst, last = max(worst, n-last), n
	}}
	_, err := r.NewHostModuleBuilder(meter.CheckInModule).NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(h.fuel), nil, nil).Export(meter.CheckInName).
		Instantiate(context.Background())
	require.NoError(t, err)
	g := newGen(1)
	g.nfuncs = 10
	for g.fn = 0; g.fn < g.nfuncs; g.fn++ {
		g.labels, g.locals, g.plain, g.counted, g.cost = []bool{false}, 0, nil, nil, 0
		if g.fn+1 < g.nfuncs {
			g.emit(true, 0x20, 0)
			g.emit(true, 0x10, byte(g.fn+1))
			g.emit(true, 0x21, 0)
		}
		for i := 0; i < 50; i++ {
			g.acc()
		}
		g.emit(true, 0x20, 0)
		g.raw(0x0b)
		locals := []byte{2, 1, 0x7e, 1, 0x7f}
		g.bodies = append(g.bodies, [2][]byte{append(locals[:5:5], g.plain...), append(locals[:5:5], g.counted...)})
	}
	metered, err := meter.Rewrite(g.assemble(1), 1, math.MaxUint32)
	require.NoError(t, err)
	got := run(t, r, metered, "count", nil)
	require.Equal(t, uint64(9*204+201), got.global, "nine callers of 204 instructions, the last callee 201")
	worst = max(worst, got.global-last) // until the call returned
	assert.LessOrEqual(t, worst, uint64(204+1), "instructions run between two check-ins")
}
