package host_test

import (
	"fmt"
	"path/filepath"
	goruntime "runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/wasmgen"
	"github.com/weirstream/weir/runtime"
)

// swapHeapBound is how much the Go heap may grow while a serving pipeline
// is offered a compile bomb: the bomb of issue #11 took it from 74 MB to
// 6.9 GB in 5 s. Refused at admission, it costs its parse (~1.6 MB).
const swapHeapBound = 256 << 20

// A compile bomb offered during a hot swap is refused at admission; the
// serving version keeps serving and the heap stays bounded.
func TestCompileBombDuringHotSwap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stamp.wasm")
	replace := func(b []byte) { replaceFile(t, path, b) }
	replace(fixtures.Stamp(t, "g01", false))
	s := startStream(t, fmt.Sprintf("label: bombswap\nwasm:\n  module: %s\n  watch: true\n  cache_dir: none\n", path), 1)
	waitFor(t, "bombswap", "serving g01", func(st host.Status) bool { return st.Serving.Transform == "stamp@g01" })

	work := wasmgen.Guest() // 12 functions of 19,000 blocks: ~4.3e9 of compile work
	ty := work.AddType(wasmgen.Type{})
	for i := 0; i < 12; i++ {
		work.AddFunc(wasmgen.Func{Type: ty, Body: blocks(19_000)})
	}
	bombs := map[string][]byte{
		"MaxTotalLocals":    wasmgen.Locals(200_000, 50_000).Bytes(), // issue #11: 8 GB
		"MaxCompileWork":    work.Bytes(),
		"MaxFunctionBlocks": wasmgen.CallIndirect(1, 100_000).Bytes(), // 1.4 GB of compile
	}
	for field, bomb := range bombs {
		t.Run(field, func(t *testing.T) {
			wasm, err := runtime.Pack(bomb, runtime.Manifest{ABI: 1, Name: "stamp", Version: "bomb-" + field})
			require.NoError(t, err)
			growth := heapGrowthDuring(func() {
				replace(wasm)
				failedOn(t, "bombswap", runtime.Digest(wasm), "raise EngineConfig."+field)
			})
			assert.Less(t, growth, uint64(swapHeapBound))
			stillServes(t, s, "g01")
		})
	}
	// the pipeline still swaps to a good version afterwards
	replace(fixtures.Stamp(t, "g02", false))
	waitFor(t, "bombswap", "serving g02", func(st host.Status) bool { return st.Serving.Transform == "stamp@g02" })
	stillServes(t, s, "g02")
}

// A pipeline whose module is /dev/zero fails at start, after reading at
// most the cap (it reached 8 GB).
func TestModuleFromDevZeroIsRefused(t *testing.T) {
	var err error
	growth := heapGrowthDuring(func() { err = buildErr(t, "wasm:\n  module: /dev/zero\n  cache_dir: none\n") })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "module /dev/zero is over the 67108864-byte cap")
	assert.Less(t, growth, uint64(swapHeapBound))
}

func blocks(n int) []byte {
	b := make([]byte, 0, 3*n)
	for i := 0; i < n; i++ {
		b = append(b, 0x02, 0x40, 0x0b)
	}
	return b
}

// heapGrowthDuring samples the live heap every millisecond while f runs
// and returns its largest growth.
func heapGrowthDuring(f func()) uint64 {
	goruntime.GC()
	read := func() uint64 {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	base := read()
	var peak atomic.Uint64
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !done.Load() {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	f()
	done.Store(true)
	wg.Wait()
	return max(peak.Load(), base) - base
}
