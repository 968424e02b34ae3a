package hotswap_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
)

// TestHotSwapDemo runs the README's hot-swap demo script with the real
// weir binary, against the local store and a real registry.
func TestHotSwapDemo(t *testing.T) {
	weir := fixtures.Weir(t)
	plugins := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(plugins, "echo.wasm"), fixtures.Go(t, "plugins/echo"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(plugins, "mask.wasm"), fixtures.Go(t, "plugins/mask"), 0o644))
	srv := testregistry.Start(t)
	for name, base := range map[string]string{"local store": "local://weir/orders", "registry": "oci://" + srv.Host + "/weir/orders"} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(fixtures.Root(), "examples/hotswap/demo.sh"), base)
			cmd.Env = append(os.Environ(), "WEIR="+weir, "PLUGINS="+plugins, "WEIR_REGISTRY_DIR="+t.TempDir(),
				"HTTP_ADDRESS=127.0.0.1:0", "WEIR_ADMIN_ADDRESS=127.0.0.1:14196", "INTERVAL=50ms", "WATCH_INTERVAL=100ms",
				"XDG_CACHE_HOME="+fixtures.CacheHome(t), "XDG_STATE_HOME="+t.TempDir(), "XDG_RUNTIME_DIR="+t.TempDir(),
				fmt.Sprintf("WAIT_SECONDS=%d", int(fixtures.Patience.Seconds())))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Run(), "stderr:\n%s", stderr.String())

			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			require.NotEmpty(t, lines)
			// clear first, masked after the tag moved, clear again after the rollback
			var phases []string
			for _, l := range lines {
				phase := "clear"
				if strings.Contains(l, `"***@example.com"`) {
					phase = "masked"
				}
				if len(phases) == 0 || phases[len(phases)-1] != phase {
					phases = append(phases, phase)
				}
			}
			assert.Equal(t, []string{"clear", "masked", "clear"}, phases, "stdout:\n%s", stdout.String())
			log := stderr.String()
			assert.Contains(t, log, "http://127.0.0.1:14196/weir/console/", "the demo says where to watch it")
			assert.Contains(t, log, "swapped "+base+"@sha256:")
			assert.Contains(t, log, "rolled_back")
			digest := `sha256:[0-9a-f]{64}`
			assert.Regexp(t, `ok +swap +orders_transform +weir  `+digest+` → `+digest, log)
			assert.Regexp(t, `ok +rollback +orders_transform +token:[0-9a-f]{12}@127\.0\.0\.1:\d+  `+digest+` → `+digest, log)
		})
	}
}
