package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// One wazero runtime per process and engine setting: every wasm processor
// with the same memory limit and cache directory shares compiled code.
var (
	enginesMu sync.Mutex
	engines   = map[engineKey]*runtime.Engine{}
)

type engineKey struct {
	cacheDir  string
	maxPages  uint32
	interrupt runtime.Interrupt
}

func sharedEngine(ctx context.Context, key engineKey, totalMiB int, logger *service.Logger) (*runtime.Engine, error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	budget, err := processMemoryBudget(totalMiB)
	if err != nil {
		return nil, err
	}
	if e, ok := engines[key]; ok {
		return e, nil
	}
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{
		CacheDir:       key.cacheDir,
		MaxMemoryPages: key.maxPages,
		Interrupt:      key.interrupt,
		Logger:         toSlog(logger),
		MemoryBudget:   budget,
	})
	if err != nil {
		return nil, err
	}
	engines[key] = e
	return e, nil
}

// The process's memory budget: every engine's pools reserve from it, so
// all wasm processors together stay within one bound. The first processor
// that sets max_total_memory_mib sets its bound (until then it is
// runtime.DefaultMaxTotalMemory); guarded by enginesMu.
var (
	budget    *runtime.MemoryBudget
	budgetSet bool // set by a processor's max_total_memory_mib, not the default
)

// processMemoryBudget returns the process's budget, bounded by totalMiB
// when it is the first to set one (0 sets nothing). A processor asking for
// a bound other than the one set is refused.
func processMemoryBudget(totalMiB int) (*runtime.MemoryBudget, error) {
	want := uint64(totalMiB) << 20
	if budget == nil {
		budget = runtime.NewMemoryBudget(0)
	}
	switch {
	case totalMiB == 0:
	case !budgetSet:
		budget.SetLimit(want)
		budgetSet = true
	case budget.Limit() != want:
		return nil, fmt.Errorf("field %s: %d MiB, but this process's wasm processors already share a bound of %d MiB: "+
			"the bound is per process, so set the same value on every processor, or on one only",
			fieldMaxTotalMemMiB, totalMiB, budget.Limit()>>20)
	}
	return budget, nil
}

// DefaultCacheDir is where compiled guests are kept between runs: a wasm
// processor's cache_dir and `weir transform build`/`test`'s --cache-dir
// default to it ("" when the user has no cache directory).
func DefaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "weir", "compiled")
	}
	return ""
}

// CompiledModules is how many transform versions the process holds compiled,
// across its engines: the serving and previous version of each pipeline
// slot, and any version still finishing its batches.
func CompiledModules() int {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	n := 0
	for _, e := range engines {
		n += e.Loaded()
	}
	return n
}

// ReservedMemory is what the wasm processors' pools hold of the process's
// memory budget, in bytes, and the budget's bound.
func ReservedMemory() (reserved, limit uint64) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if budget == nil {
		return 0, runtime.DefaultMaxTotalMemory()
	}
	return budget.Reserved(), budget.Limit()
}
