package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/registry"
	"github.com/weirstream/weir/runtime"
)

// registryFlags say where references resolve (docs/registry.md).
func registryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "registry-dir", EnvVars: []string{"WEIR_REGISTRY_DIR"}, Usage: "root of the local store (`local://` references)", Value: filepath.Join(".weir", "registry")},
		&cli.BoolFlag{Name: "plain-http", Usage: "reach a registry that is not on loopback over plain HTTP"},
		&cli.StringFlag{Name: "docker-config", Usage: "credentials file (default: Docker's)"},
	}
}

func registryCommands() []*cli.Command {
	withFlags := func(extra ...cli.Flag) []cli.Flag { return append(registryFlags(), extra...) }
	return []*cli.Command{
		{Name: "push", Usage: "Store a module as an OCI artifact and tag it", ArgsUsage: "FILE.wasm REF", Flags: withFlags(), Action: pushAction},
		{Name: "pull", Usage: "Fetch a module by tag or digest, verifying it", ArgsUsage: "REF", Flags: withFlags(
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "module file to write"},
			&cli.StringSliceFlag{Name: "key", Usage: "require a signature by this public key (repeatable)"}), Action: pullAction},
		{Name: "tag", Usage: "Point a tag at what a reference names", ArgsUsage: "REF TAG", Flags: withFlags(), Action: tagAction},
		{Name: "ls", Usage: "List a repository's tags with their digests and transforms", ArgsUsage: "REPO-REF", Flags: withFlags(), Action: lsAction},
		{Name: "sign", Usage: "Sign an artifact (cosign-compatible) with an ECDSA P-256 key", ArgsUsage: "REF", Flags: withFlags(
			&cli.StringFlag{Name: "key", Required: true, Usage: "PEM private key"}), Action: signAction},
		{Name: "verify", Usage: "Check an artifact is signed by one of the keys", ArgsUsage: "REF", Flags: withFlags(
			&cli.StringSliceFlag{Name: "key", Required: true, Usage: "PEM public key (repeatable)"}), Action: verifyAction},
		{Name: "keygen", Usage: "Write an ECDSA P-256 key pair: PREFIX.key (PKCS#8) and PREFIX.pub (cosign.pub format)", ArgsUsage: "PREFIX", Action: keygenAction},
	}
}

func openRef(c *cli.Context, s string) (*registry.Repo, registry.Ref, error) {
	ref, err := registry.ParseRef(s)
	if err != nil {
		return nil, ref, err
	}
	repo, err := registry.Open(c.Context, ref, registry.Options{
		LocalDir: c.String("registry-dir"), PlainHTTP: c.Bool("plain-http"), DockerConfig: c.String("docker-config"),
	})
	return repo, ref, err
}

func args(c *cli.Context, n int, usage string) ([]string, error) {
	if c.NArg() != n {
		return nil, cli.Exit("usage: weir transform "+c.Command.Name+" "+usage, 2)
	}
	return c.Args().Slice(), nil
}

func pushAction(c *cli.Context) error {
	a, err := args(c, 2, "FILE.wasm REF")
	if err != nil {
		return err
	}
	wasm, err := os.ReadFile(a[0])
	if err != nil {
		return cli.Exit(err, 1)
	}
	repo, ref, err := openRef(c, a[1])
	if err != nil {
		return cli.Exit(err, 1)
	}
	if ref.Digest != "" {
		return cli.Exit("push: give a tag, not a digest: the digest is computed", 2)
	}
	desc, err := repo.Push(c.Context, wasm, ref.Tag)
	if err != nil {
		return cli.Exit(fmt.Sprintf("push %s: %v", a[0], err), 1)
	}
	fmt.Fprintf(c.App.Writer, "pushed %s\n%s\n", ref, ref.WithDigest(desc.Digest))
	return nil
}

func pullAction(c *cli.Context) error {
	a, err := args(c, 1, "REF -o FILE.wasm")
	if err != nil {
		return err
	}
	repo, ref, err := openRef(c, a[0])
	if err != nil {
		return cli.Exit(err, 1)
	}
	art, err := repo.Pull(c.Context, ref.Reference())
	if err != nil {
		return cli.Exit(err, 1)
	}
	if err := verifyWith(c.Context, repo, art.Manifest, c.StringSlice("key")); err != nil {
		return cli.Exit(err, 1)
	}
	if err := os.WriteFile(c.String("output"), art.Wasm, 0o644); err != nil {
		return cli.Exit(err, 1)
	}
	fmt.Fprintf(c.App.Writer, "pulled %s (%d bytes) to %s\n", ref.WithDigest(art.Manifest.Digest), len(art.Wasm), c.String("output"))
	return nil
}

func verifyWith(ctx context.Context, repo *registry.Repo, desc ocispec.Descriptor, keyFiles []string) error {
	if len(keyFiles) == 0 {
		return nil
	}
	var keys []*ecdsa.PublicKey
	for _, f := range keyFiles {
		k, err := registry.LoadPublicKey(f)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	return repo.Verify(ctx, desc, keys)
}

func tagAction(c *cli.Context) error {
	a, err := args(c, 2, "REF TAG")
	if err != nil {
		return err
	}
	repo, ref, err := openRef(c, a[0])
	if err != nil {
		return cli.Exit(err, 1)
	}
	desc, err := repo.Tag(c.Context, ref.Reference(), a[1])
	if err != nil {
		return cli.Exit(err, 1)
	}
	fmt.Fprintf(c.App.Writer, "%s → %s\n", ref.WithTag(a[1]), desc.Digest)
	return nil
}

func lsAction(c *cli.Context) error {
	a, err := args(c, 1, "REPO-REF")
	if err != nil {
		return err
	}
	repo, _, err := openRef(c, a[0])
	if err != nil {
		return cli.Exit(err, 1)
	}
	tags, err := repo.Tags(c.Context)
	if err != nil {
		return cli.Exit(err, 1)
	}
	for _, tag := range tags {
		art, err := repo.Pull(c.Context, tag)
		if err != nil {
			fmt.Fprintf(c.App.Writer, "%-16s %v\n", tag, err)
			continue
		}
		man := runtime.Inspect(art.Wasm, runtime.EngineConfig{}).Manifest
		fmt.Fprintf(c.App.Writer, "%-16s %s  %s\n", tag, art.Manifest.Digest, man.ID())
	}
	return nil
}

func signAction(c *cli.Context) error {
	a, err := args(c, 1, "REF --key KEY")
	if err != nil {
		return err
	}
	key, err := registry.LoadPrivateKey(c.String("key"))
	if err != nil {
		return cli.Exit(err, 1)
	}
	repo, ref, err := openRef(c, a[0])
	if err != nil {
		return cli.Exit(err, 1)
	}
	desc, err := repo.Resolve(c.Context, ref.Reference())
	if err != nil {
		return cli.Exit(err, 1)
	}
	if err := repo.Sign(c.Context, desc, key); err != nil {
		return cli.Exit(err, 1)
	}
	fmt.Fprintf(c.App.Writer, "signed %s\n", ref.WithDigest(desc.Digest))
	return nil
}

func verifyAction(c *cli.Context) error {
	a, err := args(c, 1, "REF --key KEY.pub")
	if err != nil {
		return err
	}
	repo, ref, err := openRef(c, a[0])
	if err != nil {
		return cli.Exit(err, 1)
	}
	desc, err := repo.Resolve(c.Context, ref.Reference())
	if err != nil {
		return cli.Exit(err, 1)
	}
	if err := verifyWith(c.Context, repo, desc, c.StringSlice("key")); err != nil {
		return cli.Exit(err, 1)
	}
	fmt.Fprintf(c.App.Writer, "verified %s\n", ref.WithDigest(desc.Digest))
	return nil
}

func keygenAction(c *cli.Context) error {
	a, err := args(c, 1, "PREFIX")
	if err != nil {
		return err
	}
	priv, pub, err := registry.GenerateKey()
	if err != nil {
		return cli.Exit(err, 1)
	}
	for path, b := range map[string][]byte{a[0] + ".key": priv, a[0] + ".pub": pub} {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(path, ".key") {
			mode = 0o600
		}
		if err := os.WriteFile(path, b, mode); err != nil {
			return cli.Exit(err, 1)
		}
	}
	fmt.Fprintf(c.App.Writer, "wrote %s.key and %s.pub\n", a[0], a[0])
	return nil
}
