package registry_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
	"github.com/weirstream/weir/registry"
)

// progressLog records what a Progress reports.
type progressLog struct {
	mu          sync.Mutex
	done, total []int64
}

func (p *progressLog) report(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = append(p.done, done), append(p.total, total)
}

// check asserts every report was of size and within it, the last one
// complete.
func (p *progressLog) check(t *testing.T, size int64) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NotEmpty(t, p.done)
	for i := range p.done {
		assert.Equal(t, size, p.total[i])
		assert.LessOrEqual(t, p.done[i], size)
	}
	assert.Equal(t, size, p.done[len(p.done)-1], "the last report is the whole module")
}

// Push and Pull report the module's bytes under WithProgress, to a real
// registry and to the local store; an upload that fails once is still
// retried (the counted body can be rewound), and the retry reported.
func TestPushAndPullReportProgress(t *testing.T) {
	srv := testregistry.Start(t)
	wasm := fixtures.Stamp(t, "progress", false)
	for name, ref := range map[string]string{"remote": "oci://" + srv.Host + "/weir/progress:v1", "local": "local://weir/progress:v1"} {
		t.Run(name, func(t *testing.T) {
			repo, r := open(t, ref, registry.Options{LocalDir: t.TempDir()})
			if name == "remote" {
				srv.FailUploads(1)
			}
			var up progressLog
			desc, err := repo.Push(registry.WithProgress(context.Background(), up.report), wasm, r.Tag)
			require.NoError(t, err, "the failed upload is retried")
			if name == "remote" {
				require.Equal(t, 1, srv.FailedUploads(), "the upload failed once")
			}
			up.check(t, int64(len(wasm)))

			var down progressLog
			art, err := repo.Pull(registry.WithProgress(context.Background(), down.report), desc.Digest.String())
			require.NoError(t, err)
			assert.Equal(t, wasm, art.Wasm)
			down.check(t, int64(len(wasm)))

			var none progressLog
			_, err = repo.Push(registry.WithProgress(context.Background(), none.report), wasm, "again")
			require.NoError(t, err)
			assert.Empty(t, none.done, "a module already there is not sent again")
		})
	}
}
