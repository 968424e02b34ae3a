package runtime_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// TestModuleReadsAreCapped: /dev/zero (endless) and a file over the cap
// are refused after reading at most the cap, naming the file and the cap.
func TestModuleReadsAreCapped(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.wasm")
	require.NoError(t, os.WriteFile(big, make([]byte, 1001), 0o600))
	for _, path := range []string{"/dev/zero", big} {
		_, err := runtime.ReadModuleFile(path, 1000)
		require.ErrorIs(t, err, runtime.ErrAdmission)
		assert.Contains(t, err.Error(), "module "+path+" is over the 1000-byte cap (EngineConfig.MaxModuleBytes)")
	}
	growth := peakHeapGrowth(t, func() {
		_, err := runtime.ReadModuleFile("/dev/zero", 0)
		assert.ErrorContains(t, err, "over the 67108864-byte cap")
	})
	assert.Less(t, growth, uint64(256<<20), "reading /dev/zero under the default cap")
	b, err := runtime.ReadModuleFile(big, 1001)
	require.NoError(t, err)
	assert.Len(t, b, 1001)
}
