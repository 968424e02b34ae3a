package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/runtime/conformance"
)

func testCommand() *cli.Command {
	return &cli.Command{
		Name:  "test",
		Usage: "Run the ABI conformance vectors or golden fixtures against a module in the real runtime",
		Description: "Runs each case as one batch through a pool of the module, with the runtime's default " +
			"limits and fuel metering, and prints, per failing case, the record and field that differ " +
			"(want vs got). Without --conformance or --fixtures it runs the fixtures packed in the module. " +
			"The compiled module is kept in --cache-dir (weir run's default cache_dir) for the next test or run. " +
			"Exits 1 when a case fails.",
		ArgsUsage: "MODULE.wasm",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "conformance", Usage: "run the ABI conformance vectors (sdk/testdata/conformance.json); the module must declare ports a and b"},
			&cli.StringFlag{Name: "fixtures", Usage: "golden fixtures JSON file (the swap gate's format, docs/registry.md)"},
			&cli.StringFlag{Name: "config", Usage: "config blob for the guest's init, instead of the fixtures' own"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list passing cases too"},
		}, cacheFlags()...),
		Action: testAction,
	}
}

func testAction(c *cli.Context) error {
	path := c.Args().First()
	if path == "" || c.NArg() > 1 {
		return cli.Exit("usage: weir transform test [--conformance | --fixtures F] MODULE.wasm", 2)
	}
	if c.Bool("conformance") && c.IsSet("fixtures") {
		return cli.Exit("--conformance and --fixtures are exclusive: pass one", 2)
	}
	cfg, err := engineConfig(c)
	if err != nil {
		return err
	}
	e, err := runtime.NewEngine(c.Context, cfg)
	if err != nil {
		return cli.Exit(err, 1)
	}
	defer e.Close(c.Context)
	m, err := loadFile(c, e, path)
	if err != nil {
		return cli.Exit(err, 1)
	}
	f, err := testFixtures(c, m)
	if err != nil {
		return cli.Exit(err, 2)
	}
	var pool runtime.PoolConfig
	if c.IsSet("config") {
		pool.Config = []byte(c.String("config"))
	}
	res, err := conformance.Run(c.Context, m, f, pool)
	if err != nil {
		return cli.Exit(fmt.Sprintf("%s: %v", path, err), 1)
	}
	fmt.Fprintf(c.App.Writer, "module: %s (%s)\n", path, m.Manifest.ID())
	if c.Bool("conformance") && !(m.Manifest.HasPort("a") && m.Manifest.HasPort("b")) {
		fmt.Fprintln(c.App.Writer, "note: the manifest does not declare ports a and b, which the route cases use")
	}
	res.Write(c.App.Writer, c.Bool("verbose"))
	if res.Failed() > 0 {
		return cli.Exit("", 1)
	}
	return nil
}

// loadFile admits and compiles the module at path, as a pipeline would.
func loadFile(c *cli.Context, e *runtime.Engine, path string) (*runtime.Module, error) {
	wasm, err := runtime.ReadModuleFile(path, 0)
	if err != nil {
		return nil, err
	}
	st := startStep(c.App.ErrWriter, "compiling "+filepath.Base(path), int64(len(wasm)))
	m, err := e.Load(c.Context, wasm)
	st.finish(err)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// testFixtures picks the cases to run: the vectors, a file, or the
// module's own.
func testFixtures(c *cli.Context, m *runtime.Module) (runtime.Fixtures, error) {
	switch {
	case c.Bool("conformance"):
		return conformance.Vectors(), nil
	case c.IsSet("fixtures"):
		raw, err := readFixtures(c.String("fixtures"))
		if err != nil {
			return runtime.Fixtures{}, err
		}
		f, err := runtime.ParseFixtures(raw)
		if err != nil {
			return f, fmt.Errorf("%s: %w", c.String("fixtures"), err)
		}
		return f, nil
	case len(m.Fixtures.Cases) > 0:
		return m.Fixtures, nil
	}
	return runtime.Fixtures{}, errors.New("the module carries no fixtures: pass --conformance, or --fixtures F (or pack fixtures with `weir transform pack --fixtures`)")
}

// maxFixturesBytes caps a fixtures file: the most a module (and so its
// weir.fixtures section) may be, EngineConfig.MaxModuleBytes' default.
const maxFixturesBytes = 64 << 20

// readFixtures reads a fixtures file of at most maxFixturesBytes: a path
// to an endless source (a FIFO, /dev/zero) stops there, not at memory's end.
func readFixtures(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxFixturesBytes+1))
	if err == nil && len(raw) > maxFixturesBytes {
		err = fmt.Errorf("fixtures %s: over the %d-byte cap; it was not read further", path, maxFixturesBytes)
	}
	return raw, err
}
