package main

import (
	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/runtime"
)

// cacheFlags choose the compiled-code cache of `weir transform build` and
// `test`. By default it is the directory a wasm processor of `weir run`
// uses (host.DefaultCacheDir), so a module tested once is not compiled
// again, by the next test or by the pipeline. An entry cannot give a wrong
// result: wazero keys it by the code compiled — the module as metered for
// fuel, so with its check-in interval — the interruption mode, the CPU's
// features and wazero's version; an unreadable entry empties the cache and
// the module is compiled again (runtime.Engine).
func cacheFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cache-dir", Usage: "compiled-code cache directory, created 0700 and refused if others can write it " +
			"(default: the user cache directory's weir/compiled, as a wasm processor's cache_dir)"},
		&cli.BoolFlag{Name: "no-cache", Usage: "compile in memory only: read and write no cache directory"},
	}
}

// engineConfig is the runtime's default engine with the cache the flags
// choose.
func engineConfig(c *cli.Context) (runtime.EngineConfig, error) {
	if c.Bool("no-cache") {
		if c.IsSet("cache-dir") {
			return runtime.EngineConfig{}, cli.Exit("--cache-dir and --no-cache are exclusive: pass one", 2)
		}
		return runtime.EngineConfig{}, nil
	}
	dir := c.String("cache-dir")
	if dir == "" {
		dir = host.DefaultCacheDir()
	}
	return runtime.EngineConfig{CacheDir: dir}, nil
}
