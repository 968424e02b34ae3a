package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/registry"
)

// envCosignPassword is the password of an encrypted key, for keygen as
// for sign (and for cosign itself).
const envCosignPassword = "COSIGN_PASSWORD"

func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:      "keygen",
		Usage:     "Write an ECDSA P-256 key pair: PREFIX.key (PKCS#8, or with --encrypt cosign's encrypted format) and PREFIX.pub (cosign.pub format)",
		ArgsUsage: "PREFIX",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "encrypt", Usage: "encrypt PREFIX.key as `cosign generate-key-pair` does (scrypt, NaCl secretbox) " +
			"with the password in $" + envCosignPassword + ", which sign and cosign read it with (default false: PKCS#8 in the clear, mode 0600)"}},
		Action: keygenAction,
	}
}

func keygenAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("usage: weir transform keygen [--encrypt] PREFIX", 2)
	}
	prefix := c.Args().First()
	priv, pub, err := keyPair(c.Bool("encrypt"))
	if err != nil {
		return cli.Exit(err, 1)
	}
	for _, path := range []string{prefix + ".key", prefix + ".pub"} {
		if _, err := os.Lstat(path); err == nil {
			return cli.Exit(fmt.Errorf("%s exists: keygen never overwrites a key (remove it, or choose another PREFIX)", path), 1)
		}
	}
	if err := writeNew(prefix+".key", priv, 0o600); err != nil {
		return cli.Exit(err, 1)
	}
	if err := writeNew(prefix+".pub", pub, 0o644); err != nil {
		return cli.Exit(err, 1)
	}
	kind := "PKCS#8"
	if c.Bool("encrypt") {
		kind = "encrypted with $" + envCosignPassword
	}
	fmt.Fprintf(c.App.Writer, "wrote %s.key (%s) and %s.pub\n", prefix, kind, prefix)
	return nil
}

// keyPair makes the key pair as PEM, the private key sealed with
// $COSIGN_PASSWORD if encrypt is set (an empty value is the empty
// password, as for cosign).
func keyPair(encrypt bool) (private, public []byte, err error) {
	private, public, err = registry.GenerateKey()
	if err != nil || !encrypt {
		return private, public, err
	}
	password, ok := os.LookupEnv(envCosignPassword)
	if !ok {
		return nil, nil, errors.New("--encrypt takes the password from $" + envCosignPassword + ": set it (empty for no password, as cosign)")
	}
	private, err = registry.EncryptPrivateKey(private, []byte(password))
	return private, public, err
}

// writeNew writes a file that must not exist yet, with mode perm: an
// existing file, whatever its mode, is never written through.
func writeNew(path string, b []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return errors.Join(err, f.Close())
}
