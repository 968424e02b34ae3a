package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/weirstream/weir/registry"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/schema"
)

func transformCommand() *cli.Command {
	return &cli.Command{
		Name:  "transform",
		Usage: "Inspect, package, distribute and operate weir transforms",
		Subcommands: append(append([]*cli.Command{
			{
				Name:      "inspect",
				Usage:     "Print a module's manifest, imports, exports and admission verdict",
				ArgsUsage: "FILE.wasm | REF",
				Flags:     append(registryFlags(), &cli.BoolFlag{Name: "json", Usage: "print as JSON"}),
				Action:    inspectAction,
			},
			{
				Name:      "pack",
				Usage:     "Embed a manifest (JSON) into a module's weir.manifest custom section",
				ArgsUsage: "IN.wasm",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "manifest", Required: true, Usage: "manifest JSON file"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "packed module to write"},
					&cli.StringSliceFlag{Name: "proto", Usage: "proto file declaring the manifest's input/output types (repeatable)"},
					&cli.StringSliceFlag{Name: "import-path", Aliases: []string{"I"}, Usage: "directory to resolve proto files and imports (repeatable)"},
					&cli.StringFlag{Name: "fixtures", Usage: "golden fixtures JSON (docs/registry.md) run before every swap to this module"},
				},
				Action: packAction,
			},
		}, registryCommands()...), adminCommands()...),
	}
}

func inspectAction(c *cli.Context) error {
	path := c.Args().First()
	if path == "" {
		return cli.Exit("usage: weir transform inspect FILE.wasm | REF", 2)
	}
	var wasm []byte
	var err error
	if !registry.IsRef(path) {
		wasm, err = runtime.ReadModuleFile(path, 0)
	} else {
		var repo *registry.Repo
		var ref registry.Ref
		if repo, ref, err = openRef(c, path); err == nil {
			var art *registry.Artifact
			if art, err = repo.Pull(c.Context, ref.Reference()); err == nil {
				wasm, path = art.Wasm, ref.WithDigest(art.Manifest.Digest).String()
			}
		}
	}
	if err != nil {
		return cli.Exit(err, 1)
	}
	r := runtime.Inspect(wasm, runtime.EngineConfig{})
	if c.Bool("json") {
		err = printJSON(c.App.Writer, r)
	} else {
		printReport(c.App.Writer, path, r)
	}
	if err == nil && r.Err != nil {
		return cli.Exit("", 1)
	}
	return err
}

func printJSON(w io.Writer, r runtime.Report) error {
	verdict := "admitted"
	if r.Err != nil {
		verdict = r.Err.Error()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"digest": r.Digest, "size": r.Size, "manifest": r.Manifest, "imports": r.Imports,
		"exports": r.Exports, "functions": r.Functions, "verdict": verdict,
	})
}

// printCost shows the compile-cost figures against the default limits, of
// the code wazero compiles when Inspect got that far.
func printCost(w io.Writer, r runtime.Report) {
	c := r.Compiled
	if c.Functions == 0 {
		c = r.Cost
	}
	l := runtime.EngineConfig{}.Limits()
	fmt.Fprintf(w, "compile cost (of limit): code %d (%d) bytes, locals %d (%d), entries %d (%d), "+
		"blocks/function %d (%d), blocks×locals/function %d (%d), work %d (%d)\n",
		c.CodeBytes, l.MaxCodeBytes, c.Locals, l.MaxTotalLocals, c.Entries, l.MaxEntries,
		c.MaxBlocks, l.MaxFunctionBlocks, c.MaxLocalBlk, l.MaxFunctionLocalBlocks, c.Work, l.MaxCompileWork)
}

func printReport(w io.Writer, path string, r runtime.Report) {
	fmt.Fprintf(w, "module:    %s\ndigest:    %s\nsize:      %d bytes\nfunctions: %d\n", path, r.Digest, r.Size, r.Functions)
	if r.Manifest.Name != "" {
		m := r.Manifest
		fmt.Fprintf(w, "manifest:\n  name:    %s\n  version: %s\n  abi:     %d\n", m.Name, m.Version, m.ABI)
		if m.Description != "" {
			fmt.Fprintf(w, "  about:   %s\n", m.Description)
		}
		if len(m.Ports) > 0 {
			fmt.Fprintf(w, "  ports:   %s\n", strings.Join(m.Ports, ", "))
		}
		if m.Input != "" {
			fmt.Fprintf(w, "  input:   %s\n  output:  %s\n", m.Input, m.OutputType())
		}
		if len(m.ConfigSchema) > 0 {
			fmt.Fprintf(w, "  config schema: %s\n", m.ConfigSchema)
		}
		for _, name := range m.Capabilities.Names() {
			fmt.Fprintf(w, "  capability %s: %s\n", name, m.Capabilities[name])
		}
	}
	printSchema(w, r.Schema)
	if n := len(r.Fixtures.Cases); n > 0 {
		fmt.Fprintf(w, "fixtures:  %d golden cases, run before every swap\n", n)
	}
	fmt.Fprintf(w, "imports:   %s\nexports:   %s\n", strings.Join(r.Imports, ", "), strings.Join(r.Exports, ", "))
	for i, t := range r.Tables {
		fmt.Fprintf(w, "table %d:   min %d%s\n", i, t.Min, maxString(t.HasMax, t.Max))
	}
	for i, m := range r.Memories {
		fmt.Fprintf(w, "memory %d:  min %d pages%s\n", i, m.Min, maxString(m.HasMax, m.Max))
	}
	printCost(w, r)
	if r.Err != nil {
		fmt.Fprintf(w, "verdict:   REFUSED: %v\n", r.Err)
		return
	}
	fmt.Fprintln(w, "verdict:   admitted (fuel metering applies)")
}

// printSchema lists the files and messages of the module's descriptor set.
func printSchema(w io.Writer, raw []byte) {
	if raw == nil {
		return
	}
	fds := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(raw, fds); err != nil {
		fmt.Fprintf(w, "schema:    unreadable %s section: %v\n", runtime.SchemaSection, err)
		return
	}
	fmt.Fprintln(w, "schema:")
	for _, f := range fds.File {
		var msgs []string
		for _, m := range f.MessageType {
			msgs = append(msgs, f.GetPackage()+"."+m.GetName())
		}
		fmt.Fprintf(w, "  %s: %s\n", f.GetName(), strings.Join(msgs, ", "))
	}
}

func maxString(has bool, max uint64) string {
	if !has {
		return ", no max"
	}
	return fmt.Sprintf(", max %d", max)
}

func packAction(c *cli.Context) error {
	in := c.Args().First()
	if in == "" {
		return cli.Exit("usage: weir transform pack --manifest manifest.json -o OUT.wasm IN.wasm", 2)
	}
	wasm, err := runtime.ReadModuleFile(in, 0)
	if err != nil {
		return cli.Exit(err, 1)
	}
	raw, err := os.ReadFile(c.String("manifest"))
	if err != nil {
		return cli.Exit(err, 1)
	}
	var man runtime.Manifest
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		return cli.Exit(fmt.Sprintf("%s: %v", c.String("manifest"), err), 1)
	}
	packed, err := runtime.Pack(wasm, man)
	if err != nil {
		return cli.Exit(fmt.Sprintf("%s: %v", c.String("manifest"), err), 1)
	}
	if packed, err = packSchema(c, packed, man); err != nil {
		return cli.Exit(err, 1)
	}
	if f := c.String("fixtures"); f != "" {
		raw, err := os.ReadFile(f)
		if err != nil {
			return cli.Exit(err, 1)
		}
		if packed, err = runtime.PackFixtures(packed, raw); err != nil {
			return cli.Exit(fmt.Sprintf("%s: %v", f, err), 1)
		}
	}
	return os.WriteFile(c.String("output"), packed, 0o644)
}

// packSchema compiles --proto files and embeds their descriptors, after
// checking the manifest's input and output types resolve in them.
func packSchema(c *cli.Context, wasm []byte, man runtime.Manifest) ([]byte, error) {
	protos := c.StringSlice("proto")
	if len(protos) == 0 {
		if man.Input != "" && man.Input != runtime.AnyType {
			return nil, fmt.Errorf("manifest declares input type %q: pass the proto files that define it with --proto", man.Input)
		}
		return wasm, nil
	}
	if man.Input == "" {
		return nil, errors.New("--proto given but the manifest declares no input type")
	}
	set, err := schema.Compile(c.Context, c.StringSlice("import-path"), protos...)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{man.Input, man.OutputType()} {
		if _, err := set.Message(name); err != nil {
			return nil, err
		}
	}
	fds, err := proto.Marshal(set.DescriptorSet())
	if err != nil {
		return nil, err
	}
	return runtime.PackSchema(wasm, fds)
}
