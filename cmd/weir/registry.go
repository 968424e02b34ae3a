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
		{Name: "push", Usage: "Store a module as an OCI artifact and tag it", ArgsUsage: "FILE.wasm REF", Flags: withFlags(), Action: refAction(2, 1, push)},
		{Name: "pull", Usage: "Fetch a module by tag or digest, verifying it", ArgsUsage: "REF", Flags: withFlags(
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "module file to write"},
			&cli.StringSliceFlag{Name: "key", Usage: "require a signature by this public key (repeatable)"}), Action: refAction(1, 0, pull)},
		{Name: "tag", Usage: "Point a tag at what a reference names", ArgsUsage: "REF TAG", Flags: withFlags(), Action: refAction(2, 0, tag)},
		{Name: "ls", Usage: "List a repository's tags with their digests and transforms", ArgsUsage: "REPO-REF", Flags: withFlags(), Action: refAction(1, 0, list)},
		{Name: "sign", Usage: "Sign an artifact with an ECDSA P-256 key, as cosign v3 (a Sigstore bundle referrer) and v2 (the sha256-<hex>.sig tag) do", ArgsUsage: "REF", Flags: withFlags(
			&cli.StringFlag{Name: "key", Required: true, Usage: "PEM private key: PKCS#8, SEC 1, or cosign's encrypted cosign.key (password from $COSIGN_PASSWORD)"},
			&cli.StringSliceFlag{Name: "format", Value: cli.NewStringSlice(registry.FormatBundle, registry.FormatSimpleSigning),
				Usage: "signature formats to write: " + registry.FormatBundle + " (cosign v3), " + registry.FormatSimpleSigning + " (the .sig tag, cosign v2)"}), Action: refAction(1, 0, sign)},
		{Name: "verify", Usage: "Check an artifact is signed by one of the keys (cosign's bundle or .sig formats)", ArgsUsage: "REF", Flags: withFlags(
			&cli.StringSliceFlag{Name: "key", Required: true, Usage: "PEM public key, e.g. cosign.pub (repeatable)"}), Action: refAction(1, 0, verify)},
		keygenCommand(),
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

// refAction runs do on a command taking n arguments, the one at refAt a
// REF; do gets the others and returns what to print.
func refAction(n, refAt int, do func(c *cli.Context, repo *registry.Repo, ref registry.Ref, args []string) (string, error)) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() != n {
			return cli.Exit("usage: weir transform "+c.Command.Name+" "+c.Command.ArgsUsage, 2)
		}
		all := c.Args().Slice()
		repo, ref, err := openRef(c, all[refAt])
		if err != nil {
			return cli.Exit(err, 1)
		}
		rest := append(append([]string{}, all[:refAt]...), all[refAt+1:]...)
		out, err := do(c, repo, ref, rest)
		if err != nil {
			return cli.Exit(err, 1)
		}
		fmt.Fprint(c.App.Writer, out)
		return nil
	}
}

func push(c *cli.Context, repo *registry.Repo, ref registry.Ref, args []string) (string, error) {
	if ref.Digest != "" {
		return "", fmt.Errorf("push: give a tag, not a digest: the digest is computed")
	}
	wasm, err := runtime.ReadModuleFile(args[0], 0)
	if err != nil {
		return "", err
	}
	st := startStep(c.App.ErrWriter, "pushing "+filepath.Base(args[0]), int64(len(wasm)))
	desc, err := repo.Push(registry.WithProgress(c.Context, st.progress), wasm, ref.Tag)
	st.finish(err)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", args[0], err)
	}
	return fmt.Sprintf("pushed %s\n%s\n", ref, ref.WithDigest(desc.Digest)), nil
}

func pull(c *cli.Context, repo *registry.Repo, ref registry.Ref, _ []string) (string, error) {
	st := startStep(c.App.ErrWriter, "pulling "+ref.String(), 0)
	art, err := repo.Pull(registry.WithProgress(c.Context, st.progress), ref.Reference())
	st.finish(err)
	if err != nil {
		return "", err
	}
	if _, err := verifyWith(c.Context, repo, art.Manifest, c.StringSlice("key")); err != nil {
		return "", err
	}
	if err := os.WriteFile(c.String("output"), art.Wasm, 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf("pulled %s (%d bytes) to %s\n", ref.WithDigest(art.Manifest.Digest), len(art.Wasm), c.String("output")), nil
}

// verifyWith checks desc is signed by one of the keys in keyFiles, if any
// are given, and returns the signature found.
func verifyWith(ctx context.Context, repo *registry.Repo, desc ocispec.Descriptor, keyFiles []string) (registry.Signature, error) {
	if len(keyFiles) == 0 {
		return registry.Signature{}, nil
	}
	var keys []*ecdsa.PublicKey
	for _, f := range keyFiles {
		k, err := registry.LoadPublicKey(f)
		if err != nil {
			return registry.Signature{}, err
		}
		keys = append(keys, k)
	}
	return repo.VerifySignature(ctx, desc, keys)
}

func tag(c *cli.Context, repo *registry.Repo, ref registry.Ref, args []string) (string, error) {
	desc, err := repo.Tag(c.Context, ref.Reference(), args[0])
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s → %s\n", ref.WithTag(args[0]), desc.Digest), nil
}

func list(c *cli.Context, repo *registry.Repo, _ registry.Ref, _ []string) (string, error) {
	tags, err := repo.Tags(c.Context)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, tag := range tags {
		art, err := repo.Pull(c.Context, tag)
		if err != nil {
			fmt.Fprintf(&out, "%-16s %v\n", tag, err)
			continue
		}
		man := runtime.Inspect(art.Wasm, runtime.EngineConfig{}).Manifest
		fmt.Fprintf(&out, "%-16s %s  %s\n", tag, art.Manifest.Digest, man.ID())
	}
	return out.String(), nil
}

func sign(c *cli.Context, repo *registry.Repo, ref registry.Ref, _ []string) (string, error) {
	key, err := registry.LoadPrivateKey(c.String("key"))
	if err != nil {
		return "", err
	}
	desc, err := repo.Resolve(c.Context, ref.Reference())
	if err != nil {
		return "", err
	}
	formats := c.StringSlice("format")
	if err := repo.SignAs(c.Context, desc, key, formats...); err != nil {
		return "", err
	}
	return fmt.Sprintf("signed %s by key %s (%s)\n", ref.WithDigest(desc.Digest), registry.KeyID(&key.PublicKey), strings.Join(formats, ", ")), nil
}

func verify(c *cli.Context, repo *registry.Repo, ref registry.Ref, _ []string) (string, error) {
	desc, err := repo.Resolve(c.Context, ref.Reference())
	if err != nil {
		return "", err
	}
	sig, err := verifyWith(c.Context, repo, desc, c.StringSlice("key"))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("verified %s: %s signature by key %s in manifest %s\n", ref.WithDigest(desc.Digest), sig.Format, sig.KeyID, sig.Manifest), nil
}
