package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/runtime"
)

// ascVersion is the AssemblyScript compiler the SDK is built and tested
// with (the Makefile's deps-as installs it).
const ascVersion = "0.28.20"

// rustFlags are the Rust SDK's build flags (sdk/rust/README.md,
// internal/fixtures.BuildRust); the transform's crate adds -C lto=fat.
var rustFlags = []string{"--edition", "2021", "--target", "wasm32-unknown-unknown", "-C", "opt-level=3",
	"-C", "strip=debuginfo", "-C", "linker=wasm-ld-14", "-C", "target-feature=+bulk-memory"}

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:  "build",
		Usage: "Build a transform's source with its language's toolchain, pack manifest.json and fixtures.json, and print the admission verdict",
		Description: "DIR (default .) is a transform as `weir transform new` lays it out; its language is found from " +
			"its files (go.mod: go; main.ts: as; lib.rs: rust; a .wat: wat; .c files: c) or --lang. Toolchains: " +
			"go (GOOS=wasip1, -buildmode=c-shared), clang-19 with wasi-libc, asc " + ascVersion + " (--asc, WEIR_ASC, " +
			"PATH, or the weir checkout's build/tools), Debian rustc with wasm-ld-14, wat2wasm. Exits 1 if the " +
			"build fails or the module is refused. An admitted module is compiled into --cache-dir (weir run's default " +
			"cache_dir), so `weir transform test` and the pipeline find it compiled.",
		ArgsUsage: "[DIR]",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "lang", Usage: "go, c, rust, as or wat (default: from DIR's files)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "module to write (default DIR/NAME.wasm, NAME the manifest's)"},
			&cli.StringFlag{Name: "asc", EnvVars: []string{"WEIR_ASC"}, Usage: "the AssemblyScript compiler"},
		}, cacheFlags()...),
		Action: buildAction,
	}
}

func buildAction(c *cli.Context) error {
	cfg, err := engineConfig(c)
	if err != nil {
		return err
	}
	dir := c.Args().First()
	if dir == "" {
		dir = "."
	}
	man, err := readManifestFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return cli.Exit(err, 1)
	}
	lang := c.String("lang")
	if lang == "" {
		if lang, err = detectLang(dir); err != nil {
			return cli.Exit(err, 2)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "build"), 0o755); err != nil {
		return cli.Exit(err, 1)
	}
	raw := filepath.Join(dir, "build", man.Name+".raw.wasm")
	st := startTimed(c.App.ErrWriter, fmt.Sprintf("building %s (%s)", dir, lang))
	err = compile(c, lang, dir, man.Name, raw)
	st.finish(err)
	if err != nil {
		return cli.Exit(fmt.Sprintf("build %s (%s): %v", dir, lang, err), 1)
	}
	out := c.String("output")
	if out == "" {
		out = filepath.Join(dir, man.Name+".wasm")
	}
	wasm, err := packBuilt(raw, man, filepath.Join(dir, "fixtures.json"))
	if err == nil {
		err = os.WriteFile(out, wasm, 0o644)
	}
	if err != nil {
		return cli.Exit(err, 1)
	}
	r := runtime.Inspect(wasm, runtime.EngineConfig{})
	printReport(c.App.Writer, out, r)
	if r.Err != nil {
		return cli.Exit("", 1)
	}
	return precompile(c, cfg, out, wasm)
}

// precompile compiles an admitted module into the disk cache cfg names,
// if any, as `weir transform test` and a pipeline's processor will.
func precompile(c *cli.Context, cfg runtime.EngineConfig, path string, wasm []byte) error {
	if cfg.CacheDir == "" {
		return nil
	}
	e, err := runtime.NewEngine(c.Context, cfg)
	if err != nil {
		return cli.Exit(err, 1)
	}
	defer e.Close(c.Context)
	m, err := e.Load(c.Context, wasm)
	if err != nil {
		return cli.Exit(fmt.Sprintf("%s: %v", path, err), 1)
	}
	m.Close(c.Context)
	fmt.Fprintf(c.App.Writer, "compiled:  into %s\n", cfg.CacheDir)
	return nil
}

func readManifestFile(path string) (runtime.Manifest, error) {
	var man runtime.Manifest
	raw, err := os.ReadFile(path)
	if err != nil {
		return man, err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		return man, fmt.Errorf("%s: %v", path, err)
	}
	if !transformName.MatchString(man.Name) {
		return man, fmt.Errorf("%s: name %q: want lower-case letters, digits, - and _ (it names the output file)", path, man.Name)
	}
	if man.Input != "" && man.Input != runtime.AnyType {
		return man, fmt.Errorf("%s: declares input type %q: build the module, then pack it with `weir transform pack --proto`", path, man.Input)
	}
	return man, nil
}

// detectLang names the language of dir's sources.
func detectLang(dir string) (string, error) {
	has := func(pattern string) bool {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		return len(m) > 0
	}
	for _, l := range []struct{ pattern, lang string }{
		{"go.mod", "go"}, {"main.ts", "as"}, {"lib.rs", "rust"}, {"*.wat", "wat"}, {"*.c", "c"},
	} {
		if has(l.pattern) {
			return l.lang, nil
		}
	}
	return "", fmt.Errorf("%s: no go.mod, main.ts, lib.rs, .wat or .c file: pass --lang", dir)
}

// compile builds dir's sources to the raw module out.
func compile(c *cli.Context, lang, dir, name, out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	var cmd *exec.Cmd
	switch lang {
	case "go":
		cmd = exec.Command("go", "build", "-buildmode=c-shared", "-o", abs, ".")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	case "c":
		cmd, err = clangCommand(dir, abs)
	case "as":
		cmd, err = ascCommand(c.String("asc"), abs)
	case "rust":
		return buildRust(dir, name, abs)
	case "wat":
		cmd, err = watCommand(dir, abs)
	default:
		return fmt.Errorf("--lang %q: want go, c, rust, as or wat", lang)
	}
	if err != nil {
		return err
	}
	if cmd.Dir == "" {
		cmd.Dir = dir
	}
	return runTool(cmd)
}

func runTool(cmd *exec.Cmd) error {
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

func clangCommand(dir, out string) (*exec.Cmd, error) {
	var srcs []string
	m, _ := filepath.Glob(filepath.Join(dir, "*.c"))
	for _, s := range m {
		srcs = append(srcs, filepath.Base(s))
	}
	if _, err := os.Stat(filepath.Join(dir, "weir", "weir.c")); err == nil {
		srcs = append(srcs, filepath.Join("weir", "weir.c"))
	}
	if len(srcs) == 0 {
		return nil, errors.New("no .c files")
	}
	// The C SDK's flags (internal/fixtures.BuildC, docs/RATIONALE.md).
	args := []string{"--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mbulk-memory", "-flto", "-Wall",
		"-mexec-model=reactor", "-o", out}
	return exec.Command("clang-19", append(args, srcs...)...), nil
}

func ascCommand(given, out string) (*exec.Cmd, error) {
	asc := given
	if asc == "" {
		asc = findASC()
	}
	if asc == "" {
		return nil, fmt.Errorf("no AssemblyScript compiler: install npm assemblyscript@%s (make deps-as in the weir checkout) and pass --asc or set WEIR_ASC", ascVersion)
	}
	return exec.Command(asc, "main.ts", "-o", out, "-O3", "--runtime", "incremental",
		"--use", "abort=weir/abort/weirAbort", "--exportStart", "_initialize"), nil
}

// findASC is asc on PATH, or the one deps-as installs in the weir checkout
// above the working directory.
func findASC() string {
	if p, err := exec.LookPath("asc"); err == nil {
		return p
	}
	var s scaffold
	if s.findWeir("") != nil {
		return ""
	}
	p := filepath.Join(s.WeirRoot, "build", "tools", "node_modules", ".bin", "asc")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

func watCommand(dir, out string) (*exec.Cmd, error) {
	m, _ := filepath.Glob(filepath.Join(dir, "*.wat"))
	if len(m) != 1 {
		return nil, fmt.Errorf("want exactly one .wat file, found %d", len(m))
	}
	return exec.Command("wat2wasm", "-o", out, filepath.Base(m[0])), nil
}

// buildRust compiles the vendored SDK (weir/src) to an rlib, then lib.rs
// as a cdylib linked with it.
func buildRust(dir, name, out string) error {
	rlib := filepath.Join(filepath.Dir(out), "libweir.rlib")
	sdk := append([]string{"--crate-type", "rlib", "--crate-name", "weir", "-o", rlib}, rustFlags...)
	cmd := exec.Command("/usr/bin/rustc", append(sdk, filepath.Join("weir", "src", "lib.rs"))...)
	cmd.Dir = dir
	if err := runTool(cmd); err != nil {
		return err
	}
	crate := strings.ReplaceAll(name, "-", "_")
	lib := append([]string{"-C", "lto=fat", "--crate-type", "cdylib", "--crate-name", crate, "--extern", "weir=" + rlib, "-o", out}, rustFlags...)
	cmd = exec.Command("/usr/bin/rustc", append(lib, "lib.rs")...)
	cmd.Dir = dir
	return runTool(cmd)
}

// packBuilt packs the manifest and, if the file exists, the golden
// fixtures into the raw module, as `weir transform pack` does.
func packBuilt(raw string, man runtime.Manifest, fixtures string) ([]byte, error) {
	wasm, err := runtime.ReadModuleFile(raw, 0)
	if err != nil {
		return nil, err
	}
	if wasm, err = runtime.Pack(wasm, man); err != nil {
		return nil, err
	}
	f, err := os.ReadFile(fixtures)
	if errors.Is(err, os.ErrNotExist) {
		return wasm, nil
	}
	if err != nil {
		return nil, err
	}
	if wasm, err = runtime.PackFixtures(wasm, f); err != nil {
		return nil, fmt.Errorf("%s: %v", fixtures, err)
	}
	return wasm, nil
}
