package runtime

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
)

// ErrMemoryBudget is matched (errors.Is) by a pool refused because its
// reservation would exceed its engine's memory budget.
var ErrMemoryBudget = errors.New("memory budget exceeded")

// MemoryBudget bounds the memory that pools reserve together. A pool
// reserves the worst case of its instances (Size × Module.InstanceBytes)
// when it is created and releases it when it is closed, so a pipeline
// whose worst case does not fit is refused at start, and a hot swap, which
// warms the new pool while the old one serves, is refused rather than
// overcommitting. Share one budget between engines (EngineConfig.MemoryBudget)
// to bound a whole process.
type MemoryBudget struct {
	mu       sync.Mutex
	limit    uint64
	reserved uint64
}

// NewMemoryBudget returns a budget of limit bytes; 0 means
// DefaultMaxTotalMemory().
func NewMemoryBudget(limit uint64) *MemoryBudget {
	if limit == 0 {
		limit = DefaultMaxTotalMemory()
	}
	return &MemoryBudget{limit: limit}
}

// Limit is the budget's bound in bytes.
func (b *MemoryBudget) Limit() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit
}

// SetLimit changes the bound (0: DefaultMaxTotalMemory()). Open pools keep
// their reservations: under a lower bound, new pools are refused until
// enough of them close.
func (b *MemoryBudget) SetLimit(limit uint64) {
	if limit == 0 {
		limit = DefaultMaxTotalMemory()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.limit = limit
}

// Reserved is what open pools hold, in bytes.
func (b *MemoryBudget) Reserved() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reserved
}

// reserve takes n bytes, or reports what was already reserved, and the
// limit, when n does not fit.
func (b *MemoryBudget) reserve(n uint64) (ok bool, reserved, limit uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.limit || b.reserved > b.limit-n {
		return false, b.reserved, b.limit
	}
	b.reserved += n
	return true, b.reserved, b.limit
}

func (b *MemoryBudget) release(n uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.reserved {
		panic("weir: memory budget released more than it reserved")
	}
	b.reserved -= n
}

// instanceOverheadBytes is what one instance may cost the host beyond its
// linear memory and tables: mostly the call stack, which wazero grows on
// the Go heap by doubling up to its ceiling (50 MB, reached at 84 MB with
// the 42 MB one being copied), plus the instance's own bookkeeping. 176
// MiB is the Go heap a guest recursing until the stack overflows grew by
// (docs/RATIONALE.md, "How much memory can a pipeline use?").
const instanceOverheadBytes = 176 << 20

// tableElementBytes is the size of one table element in wazero (a
// reference is a uintptr).
const tableElementBytes = 8

// instanceBytes is the worst case of one instance of a module declaring
// mems and tables: its memory at the limit, every table grown to its
// clamped maximum, and instanceOverheadBytes.
func instanceBytes(r Report, cfg EngineConfig) uint64 {
	n := uint64(instanceOverheadBytes)
	for _, mem := range r.Memories {
		pages := uint64(cfg.MaxMemoryPages)
		if mem.HasMax {
			pages = min(pages, mem.Max)
		}
		n += pages << 16
	}
	for _, t := range r.Tables {
		elems := cfg.MaxTableElements
		if t.HasMax {
			elems = min(elems, t.Max)
		}
		n += max(elems, t.Min) * tableElementBytes
	}
	return n
}

// InstanceBytes is the worst-case memory of one instance of m, what a pool
// reserves per instance from its engine's MemoryBudget: the linear memory
// at its limit (the module's declared maximum or EngineConfig.MaxMemoryPages,
// whichever is smaller), its tables at their maximum, and a fixed overhead
// for the call stack and the host's bookkeeping.
func (m *Module) InstanceBytes() uint64 { return m.instanceBytes }

// reserve takes the pool's worst case from the engine's budget: size
// instances of InstanceBytes and kernel bytes each (an Extism plugin's
// arena and vars, extism_config.go; 0 for weir's ABI).
func (m *Module) reserve(size int, kernel uint64) (uint64, error) {
	each := m.instanceBytes + kernel
	hi, need := bits.Mul64(uint64(size), each)
	if hi != 0 {
		need = ^uint64(0) // fits in no budget
	}
	b := m.engine.budget
	if ok, reserved, limit := b.reserve(need); !ok {
		return 0, fmt.Errorf("weir: transform %q: a pool of %d instances needs %s (%s each: linear memory at its limit, tables, stack), "+
			"but the memory budget of %s has %s reserved by other pools: raise EngineConfig.MaxTotalMemoryBytes "+
			"(max_total_memory_mib), or lower the pool size (pool_size) or the memory limit (max_memory_mib): %w",
			m.Manifest.ID(), size, mib(need), mib(each), mib(limit), mib(reserved), ErrMemoryBudget)
	}
	return need, nil
}

func mib(n uint64) string { return fmt.Sprintf("%d MiB", (n+1<<20-1)>>20) }
