package runtime

import (
	"fmt"
	"sort"
)

// extismKernel is the host side of one Extism plugin instance: the
// kernel's memory, which the plugin reaches only through offsets it passes
// to the kernel functions (extism_host.go), its input and output, its vars
// and the pool's config. Like Extism's kernel it is an arena of blocks at
// offsets, emptied before every call; unlike it, it lives in Go, bounded
// by ExtismConfig.MaxArenaBytes, and every offset and length the plugin
// passes is checked against the blocks allocated, so none reads or writes
// anything but the arena.
type extismKernel struct {
	arena  []byte        // blocks; an offset is an index, and [0, arenaBase) is never allocated, so 0 is null
	blocks []extismBlock // allocated, ascending offsets
	max    uint64        // the arena's cap
	input  extismBlock   // the record's value, copied in before the call

	output    []byte // the last output_set, copied to the batch's slab
	outputSet bool
	errMsg    []byte // the last error_set, copied
	errSet    bool
	slab      []byte // the batch's outputs
	slabUsed  int    // what the batch's outputs took, against maxOutput
	maxOutput int

	config      map[string]string
	vars        map[string][]byte
	varBytes    int // keys and values of vars, and varOverhead each
	maxVarBytes int
	log         *guestLog
	state       *callState // the instance's, for charge
}

type extismBlock struct{ off, n uint64 }

// arenaBase is the first offset a block may have: 0 stays the null
// pointer, and blocks start 8-byte aligned, as load_u64 expects.
const arenaBase = 8

func newExtismKernel(cfg PoolConfig, log *guestLog) (*extismKernel, error) {
	config, err := extismValues(cfg.Config)
	if err != nil {
		return nil, err
	}
	return &extismKernel{
		arena: make([]byte, arenaBase, 4096), max: uint64(cfg.Extism.MaxArenaBytes),
		maxOutput: cfg.MaxOutputBytes, config: config, vars: map[string][]byte{},
		maxVarBytes: cfg.Extism.MaxVarBytes, log: log,
	}, nil
}

// extismFault is a kernel function's refusal of what the plugin passed: it
// stops the call (the host function panics with it; wazero returns it as
// the call's error).
type extismFault struct{ fn, msg string }

func (f *extismFault) Error() string { return ExtismModule + "." + f.fn + ": " + f.msg }

func fault(fn, format string, args ...any) *extismFault {
	return &extismFault{fn: fn, msg: fmt.Sprintf(format, args...)}
}

// charge takes n bytes of host work (copied, or cleared at a quarter of
// the rate) from the call's fuel, as a bulk memory operation of the guest
// is charged: the guest's next check sees the debt and pays it from the
// budget or stops. Without fuel metering the deadline bounds the call.
// Without it, a plugin looping on var_set of a large value would make the
// host copy megabytes per few instructions of its own.
func (k *extismKernel) charge(n uint64) {
	if k.state == nil || k.state.fuel == nil || n == 0 {
		return
	}
	left := int64(k.state.fuel.Get()) - int64(min(n, 1<<40))
	k.state.fuel.Set(uint64(left))
}

// startBatch gives the batch a fresh slab for its outputs, of about the
// size of its inputs: the outcomes of the last batch still point into the
// old one.
func (k *extismKernel) startBatch(inputBytes int) {
	k.slab, k.slabUsed = make([]byte, 0, inputBytes), 0
}

// reset empties the arena and copies the record's value into it, as the
// call's input. It reports false if the value does not fit.
func (k *extismKernel) reset(value []byte) bool {
	k.arena, k.blocks = k.arena[:arenaBase], k.blocks[:0]
	k.output, k.outputSet, k.errMsg, k.errSet = nil, false, nil, false
	k.input = extismBlock{}
	if len(value) == 0 {
		return true
	}
	off := k.alloc(uint64(len(value)))
	if off == 0 {
		return false
	}
	copy(k.arena[off:], value)
	k.input = extismBlock{off, uint64(len(value))}
	return true
}

// maxBlocks bounds the blocks of one call, so that their list (16 bytes
// each) takes at most a quarter of the arena's cap in host memory.
func maxBlocks(arena uint64) uint64 { return max(arena/64, 64) }

// alloc allocates n zeroed bytes and returns their offset, or 0 when n
// is 0 or the arena cannot hold them (or another block).
func (k *extismKernel) alloc(n uint64) uint64 {
	off := (uint64(len(k.arena)) + 7) &^ 7
	if n == 0 || n > k.max || off > k.max-n || uint64(len(k.blocks)) >= maxBlocks(k.max) {
		return 0
	}
	end := int(off + n)
	if end > cap(k.arena) {
		grown := make([]byte, len(k.arena), min(max(2*cap(k.arena), end), int(k.max)))
		copy(grown, k.arena)
		k.arena = grown
	}
	k.arena = k.arena[:end]
	clear(k.arena[off:end])
	k.charge(n / 4)
	k.blocks = append(k.blocks, extismBlock{off, n})
	return off
}

// free releases the block at off if it is the last one (its bytes are
// allocated again by the next alloc); any other block stays until the
// arena is emptied before the next call.
func (k *extismKernel) free(off uint64) {
	if n := len(k.blocks); n > 0 && k.blocks[n-1].off == off {
		k.blocks = k.blocks[:n-1]
		k.arena = k.arena[:off]
		if k.input.off == off {
			k.input = extismBlock{}
		}
	}
}

// block finds the block that starts at off.
func (k *extismKernel) block(off uint64) (extismBlock, bool) {
	i := sort.Search(len(k.blocks), func(i int) bool { return k.blocks[i].off >= off })
	if i < len(k.blocks) && k.blocks[i].off == off {
		return k.blocks[i], true
	}
	return extismBlock{}, false
}

// length is the length of the block at off, 0 if no block starts there.
func (k *extismKernel) length(off uint64) uint64 {
	b, _ := k.block(off)
	return b.n
}

// view is the n bytes at off, which must lie in allocated memory (from
// the first block to the end of the last). A 0-byte view is always fine.
func (k *extismKernel) view(fn string, off, n uint64) []byte {
	if n == 0 {
		return nil
	}
	if off < arenaBase || off > uint64(len(k.arena)) || n > uint64(len(k.arena))-off {
		panic(fault(fn, "[%d, %d) is outside the %d bytes of allocated kernel memory", off, off+n, len(k.arena)))
	}
	return k.arena[off : off+n]
}

// content is the bytes of the block at off, which must start a block.
func (k *extismKernel) content(fn string, off uint64) []byte {
	b, ok := k.block(off)
	if !ok {
		panic(fault(fn, "offset %d is not the start of an allocated block", off))
	}
	return k.arena[b.off : b.off+b.n]
}

// inputView is n bytes of the input at off.
func (k *extismKernel) inputView(fn string, off, n uint64) []byte {
	if off > k.input.n || n > k.input.n-off {
		panic(fault(fn, "[%d, %d) is outside the input of %d bytes", off, off+n, k.input.n))
	}
	return k.arena[k.input.off+off : k.input.off+off+n]
}

// setOutput copies the n bytes at off to the batch's slab, as the call's
// output, charged against the batch's MaxOutputBytes.
func (k *extismKernel) setOutput(off, n uint64) {
	b := k.view("output_set", off, n)
	if k.slabUsed+len(b) > k.maxOutput {
		panic(fault("output_set", "the batch's outputs exceed max_output_bytes (%d)", k.maxOutput))
	}
	k.slabUsed += len(b)
	k.charge(uint64(len(b)))
	start := len(k.slab)
	k.slab = append(k.slab, b...)
	k.output, k.outputSet = k.slab[start:len(k.slab):len(k.slab)], true
}

// setError keeps the block at off, clipped, as the record's error.
func (k *extismKernel) setError(off uint64) {
	b := k.content("error_set", off)
	k.errMsg, k.errSet = append(k.errMsg[:0], b[:min(len(b), maxGuestErrorBytes)]...), true
}

// copyOut allocates a block holding b and returns its offset.
func (k *extismKernel) copyOut(fn string, b []byte) uint64 {
	if len(b) == 0 {
		b = nil
	}
	off := k.alloc(uint64(len(b)))
	if off == 0 && len(b) > 0 {
		panic(fault(fn, "a value of %d bytes does not fit in the kernel's arena of %d bytes", len(b), k.max))
	}
	copy(k.arena[off:], b)
	k.charge(uint64(len(b)))
	return off
}

// configGet is the config value of the key at off, as a new block; 0 if
// there is none.
func (k *extismKernel) configGet(off uint64) uint64 {
	v, ok := k.config[string(k.content("config_get", off))]
	if !ok {
		return 0
	}
	return k.copyOut("config_get", []byte(v))
}

// varGet is the var of the key at off, as a new block; 0 if unset.
func (k *extismKernel) varGet(off uint64) uint64 {
	v, ok := k.vars[string(k.content("var_get", off))]
	if !ok {
		return 0
	}
	return k.copyOut("var_get", v)
}

// varSet sets the var of the key at keyOff to the block at valueOff, or
// removes it when valueOff is 0, within MaxVarBytes.
func (k *extismKernel) varSet(keyOff, valueOff uint64) {
	key := string(k.content("var_set", keyOff))
	old, had := k.vars[key]
	if had {
		k.varBytes -= varOverhead + len(key) + len(old)
	}
	if valueOff == 0 {
		delete(k.vars, key)
		return
	}
	v := k.content("var_set", valueOff)
	if k.varBytes+varOverhead+len(key)+len(v) > k.maxVarBytes {
		if had {
			k.varBytes += varOverhead + len(key) + len(old)
		}
		panic(fault("var_set", "var %.40q of %d bytes would take the instance's vars past their cap of %d bytes (extism_max_var_bytes)", key, len(v), k.maxVarBytes))
	}
	k.charge(uint64(len(v)))
	k.vars[key] = append(old[:0:0], v...)
	k.varBytes += varOverhead + len(key) + len(v)
}

// varOverhead is what a var is counted for beyond its key and value: its
// map entry and slice header, so that a million one-byte vars cannot take
// many times MaxVarBytes.
const varOverhead = 64
