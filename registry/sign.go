package registry

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// Signatures follow cosign's key-based scheme, so `cosign verify --key`
// accepts what weir signs and weir accepts what cosign signs: a "simple
// signing" payload naming the manifest digest, signed with ECDSA P-256 over
// SHA-256, stored as a layer of a manifest tagged "sha256-<hex>.sig" in the
// artifact's repository, the base64 signature in a layer annotation.
const (
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	AnnotationSignature    = "dev.cosignproject.cosign/signature"
	cosignSignatureType    = "cosign container image signature"
)

// ErrUnsigned means no signature by an accepted key was found.
var ErrUnsigned = errors.New("no valid signature by an accepted key")

type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

func signatureTag(d digest.Digest) string {
	return d.Algorithm().String() + "-" + d.Encoded() + ".sig"
}

// Sign adds a signature of the artifact desc by key to the repository,
// keeping signatures already there.
func (r *Repo) Sign(ctx context.Context, desc ocispec.Descriptor, key *ecdsa.PrivateKey) error {
	var p simpleSigning
	p.Critical.Identity.DockerReference = r.Ref.Host + "/" + r.Ref.Repo
	p.Critical.Image.DockerManifestDigest = desc.Digest.String()
	p.Critical.Type = cosignSignatureType
	payload, err := json.Marshal(p)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		return err
	}
	t, err := r.open(ctx)
	if err != nil {
		return err
	}
	layer := content.NewDescriptorFromBytes(MediaTypeSimpleSigning, payload)
	layer.Annotations = map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}
	if err := pushIfAbsent(ctx, t, layer, payload); err != nil {
		return err
	}
	layers, err := r.signatureLayers(ctx, desc.Digest)
	if err != nil && !IsNotFound(err) {
		return err
	}
	layers = append(layers, layer)
	// Like cosign, an image config whose layers are the payloads.
	img := ocispec.Image{RootFS: ocispec.RootFS{Type: "layers"}}
	for _, l := range layers {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.Digest)
	}
	cfg, err := json.Marshal(img)
	if err != nil {
		return err
	}
	config := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cfg)
	if err := pushIfAbsent(ctx, t, config, cfg); err != nil {
		return err
	}
	sigMan, err := oras.PackManifest(ctx, t, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{
		Layers: layers, ConfigDescriptor: &config,
	})
	if err != nil {
		return err
	}
	return t.Tag(ctx, sigMan, signatureTag(desc.Digest))
}

func (r *Repo) signatureLayers(ctx context.Context, d digest.Digest) ([]ocispec.Descriptor, error) {
	t, err := r.open(ctx)
	if err != nil {
		return nil, err
	}
	desc, err := t.Resolve(ctx, signatureTag(d))
	if err != nil {
		return nil, err
	}
	man, err := fetchManifest(ctx, t, desc)
	if err != nil {
		return nil, err
	}
	return man.Layers, nil
}

// Verify checks that the artifact desc carries a signature by one of keys,
// over a payload naming exactly desc's digest. It returns ErrUnsigned, with
// what was found, when none does.
func (r *Repo) Verify(ctx context.Context, desc ocispec.Descriptor, keys []*ecdsa.PublicKey) error {
	layers, err := r.signatureLayers(ctx, desc.Digest)
	if IsNotFound(err) {
		return fmt.Errorf("%w: %s has no signatures (no tag %s)", ErrUnsigned, desc.Digest, signatureTag(desc.Digest))
	}
	if err != nil {
		return fmt.Errorf("signatures of %s: %w", desc.Digest, err)
	}
	var problems []string
	for i, l := range layers {
		err := r.verifyLayer(ctx, l, desc.Digest, keys)
		if err == nil {
			return nil
		}
		problems = append(problems, fmt.Sprintf("signature %d: %v", i, err))
	}
	return fmt.Errorf("%w: %s: %v", ErrUnsigned, desc.Digest, problems)
}

func (r *Repo) verifyLayer(ctx context.Context, l ocispec.Descriptor, want digest.Digest, keys []*ecdsa.PublicKey) error {
	if l.MediaType != MediaTypeSimpleSigning {
		return fmt.Errorf("media type %q", l.MediaType)
	}
	if l.Size > maxPayloadBytes {
		return fmt.Errorf("payload of %d bytes", l.Size)
	}
	sig, err := base64.StdEncoding.DecodeString(l.Annotations[AnnotationSignature])
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("annotation %s missing or not base64", AnnotationSignature)
	}
	t, err := r.open(ctx)
	if err != nil {
		return err
	}
	payload, err := content.FetchAll(ctx, t, l)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(payload)
	signed := false
	for _, k := range keys {
		if ecdsa.VerifyASN1(k, sum[:], sig) {
			signed = true
			break
		}
	}
	if !signed {
		return errors.New("not signed by an accepted key")
	}
	var p simpleSigning
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if p.Critical.Type != cosignSignatureType {
		return fmt.Errorf("payload type %q", p.Critical.Type)
	}
	if p.Critical.Image.DockerManifestDigest != want.String() {
		return fmt.Errorf("signs %s, not %s", p.Critical.Image.DockerManifestDigest, want)
	}
	return nil
}

// GenerateKey makes an ECDSA P-256 key pair as PEM: the private key in
// PKCS#8 ("PRIVATE KEY", which `cosign import-key-pair` reads) and the
// public key in PKIX ("PUBLIC KEY", which `cosign verify --key` reads).
func GenerateKey() (private, public []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

// LoadPrivateKey reads a PKCS#8 or SEC 1 ECDSA private key PEM file.
func LoadPrivateKey(path string) (*ecdsa.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	var key crypto.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block %q is not an unencrypted ECDSA private key (cosign's encrypted keys are not read; export with `openssl` or generate with `weir transform keygen`)", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA key", path)
	}
	return ec, nil
}

// LoadPublicKey reads a PKIX ("PUBLIC KEY") ECDSA public key PEM file, the
// format of cosign.pub.
func LoadPublicKey(path string) (*ecdsa.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ec, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA public key", path)
	}
	return ec, nil
}

func readPEM(path string) (*pem.Block, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(bytes.TrimSpace(raw))
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return block, nil
}
