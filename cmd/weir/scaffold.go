package main

import (
	"bytes"
	"embed"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/sdk"
)

//go:embed scaffold
var scaffolds embed.FS

// langs are the languages `transform new` scaffolds, with the SDK sources
// each vendors (from sdk.Sources: directory there → directory in the scaffold).
var langs = map[string]map[string]string{
	"go":   nil, // the Go SDK is a module: go.mod replaces it with the checkout
	"c":    {"c": "weir"},
	"as":   {"assemblyscript/assembly": "weir"},
	"rust": {"rust/weir/src": "weir/src"},
	"wat":  nil,
}

var transformName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

func newCommand() *cli.Command {
	return &cli.Command{
		Name:  "new",
		Usage: "Scaffold a transform: source, manifest.json, fixtures.json and a Makefile that builds and tests it",
		Description: "Creates directory NAME (or --dir) holding a transform that drops empty records and tags the " +
			"others with metadata transform=NAME, in the language asked for, with the SDK vendored (C, " +
			"AssemblyScript, Rust) or referenced (Go: go.mod replaces github.com/weirstream/weir with the checkout " +
			"given by --weir). `weir transform build DIR` then builds it and `weir transform test` passes its fixtures.",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "lang", Required: true, Usage: "go, c, rust, as (AssemblyScript) or wat"},
			&cli.StringFlag{Name: "dir", Usage: "directory to create (default NAME)"},
			&cli.StringFlag{Name: "weir", EnvVars: []string{"WEIR_ROOT"}, Usage: "weir checkout for a Go transform's go.mod (default: found above the working directory)"},
		},
		Action: newAction,
	}
}

// scaffold is what the templates see.
type scaffold struct {
	Name, Lang, WeirRoot, GoVersion, ASCVersion, MetaOps string
	MetaOpsLen                                           int
}

func newAction(c *cli.Context) error {
	name, lang := c.Args().First(), c.String("lang")
	if c.NArg() != 1 {
		return cli.Exit("usage: weir transform new --lang go|c|rust|as|wat NAME", 2)
	}
	if !transformName.MatchString(name) {
		return cli.Exit(fmt.Sprintf("transform name %q: want lower-case letters, digits, - and _, starting with a letter, at most 64", name), 2)
	}
	if _, ok := langs[lang]; !ok {
		return cli.Exit(fmt.Sprintf("--lang %q: want go, c, rust, as or wat", lang), 2)
	}
	dir := c.String("dir")
	if dir == "" {
		dir = name
	}
	if _, err := os.Stat(dir); err == nil {
		return cli.Exit(fmt.Sprintf("%s exists: weir transform new writes a new directory only", dir), 1)
	}
	s := scaffold{Name: name, Lang: lang, ASCVersion: ascVersion}
	if lang == "go" {
		if err := s.findWeir(c.String("weir")); err != nil {
			return cli.Exit(err, 1)
		}
	}
	s.MetaOps, s.MetaOpsLen = watMetaOps(name)
	if err := s.write(dir); err != nil {
		return cli.Exit(err, 1)
	}
	fmt.Fprintf(c.App.Writer, "created %s (%s): build it with `weir transform build %s`, then `weir transform test --fixtures %s %s`\n",
		dir, lang, dir, filepath.Join(dir, "fixtures.json"), filepath.Join(dir, name+".wasm"))
	return nil
}

// findWeir sets WeirRoot (absolute) and GoVersion from the weir checkout:
// given, or the first directory above the working directory whose go.mod
// is weir's.
func (s *scaffold) findWeir(given string) error {
	dirs := []string{given}
	if given == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		mod, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err != nil || !bytes.Contains(mod, []byte("module github.com/weirstream/weir\n")) {
			continue
		}
		s.WeirRoot, _ = filepath.Abs(d)
		s.GoVersion = "1.26"
		if m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod); m != nil {
			s.GoVersion = string(m[1])
		}
		return nil
	}
	if given != "" {
		return fmt.Errorf("--weir %s: no go.mod of module github.com/weirstream/weir there", given)
	}
	return fmt.Errorf("a Go transform needs the weir checkout (its go.mod replaces the module with it): pass --weir DIR or set WEIR_ROOT")
}

// write renders the shared and the language's templates into dir and
// vendors the SDK.
func (s *scaffold) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, t := range []string{"scaffold/manifest.json.tmpl", "scaffold/fixtures.json.tmpl", "scaffold/Makefile.tmpl"} {
		if err := s.render(t, dir); err != nil {
			return err
		}
	}
	own, err := fs.Glob(scaffolds, "scaffold/"+s.Lang+"/*.tmpl")
	if err != nil {
		return err
	}
	for _, t := range own {
		if err := s.render(t, dir); err != nil {
			return err
		}
	}
	if s.Lang == "go" {
		// weir's go.sum has the hashes of every module its packages need.
		sum, err := os.ReadFile(filepath.Join(s.WeirRoot, "go.sum"))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
	}
	return vendorSDK(langs[s.Lang], dir)
}

func (s *scaffold) render(name, dir string) error {
	src, err := scaffolds.ReadFile(name)
	if err != nil {
		return err
	}
	t, err := template.New(name).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := t.Execute(&out, s); err != nil {
		return err
	}
	file := strings.ReplaceAll(strings.TrimSuffix(path.Base(name), ".tmpl"), "NAME", s.Name)
	return os.WriteFile(filepath.Join(dir, file), out.Bytes(), 0o644)
}

func vendorSDK(dirs map[string]string, dir string) error {
	for from, to := range dirs {
		files, err := fs.ReadDir(sdk.Sources, from)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, to), 0o755); err != nil {
			return err
		}
		for _, f := range files {
			b, err := sdk.Sources.ReadFile(from + "/" + f.Name())
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, to, f.Name()), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// watMetaOps is the WAT template's meta_ops (one set of transform=name)
// as WAT string escapes, and its length.
func watMetaOps(name string) (string, int) {
	b := binary.LittleEndian.AppendUint32(nil, 1)
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len("transform")))
	b = append(b, "transform"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(name)))
	b = append(b, name...)
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, "\\%02x", c)
	}
	return s.String(), len(b)
}
