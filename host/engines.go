package host

import (
	"context"
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

func sharedEngine(ctx context.Context, key engineKey, logger *service.Logger) (*runtime.Engine, error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if e, ok := engines[key]; ok {
		return e, nil
	}
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{
		CacheDir:       key.cacheDir,
		MaxMemoryPages: key.maxPages,
		Interrupt:      key.interrupt,
		Logger:         toSlog(logger),
	})
	if err != nil {
		return nil, err
	}
	engines[key] = e
	return e, nil
}

// defaultCacheDir is where compiled guests are kept between runs.
func defaultCacheDir() string {
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
