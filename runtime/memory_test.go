package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// memoryChild names the guest a re-executed test binary runs alone, so its
// peak RSS (VmHWM) is the guest's and not the rest of the suite's.
const memoryChild = "WEIR_TEST_MEMORY_CHILD"

// A guest growing its memory to the limit and writing every page costs
// about its limit, not a multiple of it (wazero's default memory grows by
// reallocating a Go slice: 533 MiB peak at a 128 MiB limit), and the
// memory goes back to the system when the trapped instance is closed.
// The margin (32 MiB) is for the host's own allocations, not for timing.
func TestMemoryBombCostsItsLimit(t *testing.T) {
	if name := os.Getenv(memoryChild); name != "" {
		runMemoryChild(t, name)
		return
	}
	const limit = 128 << 20
	f := measureGuest(t, "membombtouch")
	t.Logf("membombtouch at a %d MiB limit: peak %+d MiB, after close %+d MiB", limit>>20, f.peak>>20, f.after>>20)
	assert.Greater(t, f.peak, int64(limit*3/4), "the bomb touched its memory (the measure measures)")
	assert.LessOrEqual(t, f.peak, int64(limit+32<<20), "peak RSS growth stays within the limit plus the host's margin")
	assert.LessOrEqual(t, f.after, int64(16<<20), "closing the instance returned its memory")

	// the call stack is the other cost a guest controls (wazero grows it on
	// the Go heap up to its ceiling): reported, bounded by the instance
	// overhead a pool reserves (docs/RATIONALE.md)
	f = measureGuest(t, "recursion")
	t.Logf("recursion until the stack overflows: peak %+d MiB, after close %+d MiB", f.peak>>20, f.after>>20)
}

type memoryFigures struct{ peak, after int64 } // growth over the RSS before the batch

// measureGuest runs the guest's bomb in a child process and reads its figures.
func measureGuest(t *testing.T, name string) memoryFigures {
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryBombCostsItsLimit$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), memoryChild+"="+name)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	var f memoryFigures
	i := bytes.Index(out, []byte("FIGURES "))
	require.GreaterOrEqual(t, i, 0, string(out))
	_, err = fmt.Sscanf(string(out[i:]), "FIGURES %d %d", &f.peak, &f.after)
	require.NoError(t, err)
	return f
}

func runMemoryChild(t *testing.T, name string) {
	e, _ := newEngine(t, runtime.EngineConfig{CacheDir: t.TempDir(), MaxMemoryPages: 2048})
	// only the trap may end the run: no deadline or fuel a busy machine could hit first
	p := newPool(t, e, wat(t, name), runtime.PoolConfig{Timeout: time.Hour, Fuel: 1 << 50})
	debug.FreeOSMemory()
	before := procStatus(t, "VmRSS")
	_, err := p.Process(context.Background(), records("x"))
	require.ErrorIs(t, err, runtime.ErrTrap)
	debug.FreeOSMemory()
	fmt.Printf("FIGURES %d %d\n", procStatus(t, "VmHWM")-before, procStatus(t, "VmRSS")-before)
}

// procStatus reads a size field of /proc/self/status, in bytes.
func procStatus(t testing.TB, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kib << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// Linear memory is unmapped when its instance closes: what the host keeps
// of a batch (values, ports, error messages) must be copies. A recycled
// instance is closed right after its batch; its outcomes stay readable.
func TestOutcomesOutliveTheirInstance(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "echo"), runtime.PoolConfig{MaxCallsPerInstance: 1})
	out, err := p.Process(context.Background(), records("kept after close"))
	require.NoError(t, err)
	p.Close(context.Background())
	assert.Equal(t, "kept after close", string(out[0].Emits[0].Value))
}

// An instantiation that fails after its memory was mapped (here a data
// segment past the end of memory) does not leak the mapping: it is
// unmapped once the failed instance is garbage.
func TestFailedInstantiationsDoNotLeakMemory(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{MaxMemoryPages: 2048})
	m := loaded(t, e, moduleWithData(t))
	before := procStatus(t, "VmSize")
	for range 50 {
		_, err := m.NewPool(context.Background(), runtime.PoolConfig{})
		require.Error(t, err)
	}
	require.Eventually(t, func() bool {
		goruntime.GC()
		return procStatus(t, "VmSize")-before < 1<<30
	}, time.Minute, 10*time.Millisecond, "50 failed instances reserved 6.4 GB of address space; it was not returned")
}

// A pool used after its engine closed (which unmapped its instances'
// memory) returns an error instead of writing into the unmapped pages.
func TestPoolAfterEngineCloseFails(t *testing.T) {
	e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{})
	require.NoError(t, err)
	m, err := e.Load(context.Background(), wat(t, "echo"))
	require.NoError(t, err)
	p, err := m.NewPool(context.Background(), runtime.PoolConfig{})
	require.NoError(t, err)
	_, err = p.Process(context.Background(), records("warm the buffer"))
	require.NoError(t, err)
	require.NoError(t, e.Close(context.Background()))
	_, err = p.Process(context.Background(), records("after close"))
	require.ErrorContains(t, err, "the engine was closed")
}
