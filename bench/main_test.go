package bench

import (
	"fmt"
	"os"
	"testing"

	"github.com/weirstream/weir/internal/fixtures"
)

// TestMain points the processors' default cache_dir at the tests' shared
// one (fixtures.CacheDir), where modules warms every guest without -race.
func TestMain(m *testing.M) {
	home, err := fixtures.SharedCacheHome()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: test cache:", err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", home)
	os.Exit(m.Run())
}
