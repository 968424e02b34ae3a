package runtime_test

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime/internal/meter"
)

// BenchmarkMeteredLoad splits a Go guest's load (the shipped mask, ~3.6
// MB): the fuel rewrite, done on every load since it is never cached, and
// wazero's compile, cold and from its disk cache:
//
//	go test -run XXX -bench MeteredLoad -benchtime 3x ./runtime
func BenchmarkMeteredLoad(b *testing.B) {
	metered, err := meter.Rewrite(fixtures.Go(b, "plugins/mask"), 1_000_000, 1_000_000)
	if err != nil {
		b.Fatal(err)
	}
	mask := fixtures.Go(b, "plugins/mask")
	b.Run("rewrite", func(b *testing.B) {
		for range b.N {
			if _, err := meter.Rewrite(mask, 1_000_000, 1_000_000); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compile-cold", func(b *testing.B) {
		for range b.N {
			compileWith(b, wazero.NewCompilationCache(), metered)
		}
	})
	dir := b.TempDir()
	warm, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	compileWith(b, warm, metered)
	b.Run("compile-from-disk-cache", func(b *testing.B) {
		for range b.N {
			c, err := wazero.NewCompilationCacheWithDir(dir)
			if err != nil {
				b.Fatal(err)
			}
			compileWith(b, c, metered)
		}
	})
}

// compileWith compiles wasm in a fresh runtime using cache, then closes both.
func compileWith(b *testing.B, cache wazero.CompilationCache, wasm []byte) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	defer r.Close(ctx)
	defer cache.Close(ctx)
	if _, err := r.CompileModule(ctx, wasm); err != nil {
		b.Fatal(err)
	}
}
