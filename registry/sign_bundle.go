package registry

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// cosign v3's format: a Sigstore bundle whose DSSE envelope signs an
// in-toto statement with the manifest digest as its subject, the bundle
// the one layer of a manifest whose subject is the artifact (an OCI 1.1
// referrer; cosign's specs/BUNDLE_SPEC.md). Bundles are built and checked
// by sigstore-go, key-based and offline: no certificate, no transparency
// log or timestamp required (a bundle carrying them verifies by its key).
const (
	inTotoPayloadType     = "application/vnd.in-toto+json"
	inTotoStatementV1     = "https://in-toto.io/Statement/v1"
	annotationContent     = "dev.sigstore.bundle.content"
	annotationPredicate   = "dev.sigstore.bundle.predicateType"
	bundleContentEnvelope = "dsse-envelope"
)

type inTotoStatement struct {
	Type          string          `json:"_type"`
	Subject       []inTotoSubject `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     map[string]any  `json:"predicate"`
}

type inTotoSubject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// signBundle signs desc as cosign v3 does and stores the bundle as its
// referrer. A registry without the referrers API gets the tag schema's
// index ("sha256-<hex>") updated by oras-go.
func signBundle(ctx context.Context, t store, desc ocispec.Descriptor, key *ecdsa.PrivateKey) error {
	raw, err := bundleFor(desc.Digest, key)
	if err != nil {
		return err
	}
	layer := content.NewDescriptorFromBytes(MediaTypeBundle, raw)
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: layer.Digest.Algorithm().String() + "-" + layer.Digest.Encoded() + ".sigstore.json"}
	if err := pushIfAbsent(ctx, t, layer, raw); err != nil {
		return err
	}
	subject := subjectOf(desc)
	_, err = oras.PackManifest(ctx, t, oras.PackManifestVersion1_1, MediaTypeBundle, oras.PackManifestOptions{
		Layers:  []ocispec.Descriptor{layer},
		Subject: &subject,
		ManifestAnnotations: map[string]string{
			annotationContent:         bundleContentEnvelope,
			annotationPredicate:       PredicateCosignSign,
			ocispec.AnnotationCreated: time.Now().UTC().Format(time.RFC3339),
		},
	})
	return err
}

// bundleFor is the JSON of a bundle signing d by key.
func bundleFor(d digest.Digest, key *ecdsa.PrivateKey) ([]byte, error) {
	payload, err := json.Marshal(inTotoStatement{
		Type:          inTotoStatementV1,
		Subject:       []inTotoSubject{{Digest: map[string]string{d.Algorithm().String(): d.Encoded()}}},
		PredicateType: PredicateCosignSign,
		Predicate:     map[string]any{},
	})
	if err != nil {
		return nil, err
	}
	b, err := sign.Bundle(&sign.DSSEData{Data: payload, PayloadType: inTotoPayloadType}, ecdsaKeypair{key}, sign.BundleOptions{})
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(b)
}

// ecdsaKeypair is an ECDSA P-256 key as sigstore-go's signer wants it.
type ecdsaKeypair struct{ key *ecdsa.PrivateKey }

func (k ecdsaKeypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}

func (k ecdsaKeypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}

// GetHint is what sigstore-go and cosign put in a bundle for a key: the
// base64 SHA-256 of its PKIX encoding. Verifiers treat it as a hint only.
func (k ecdsaKeypair) GetHint() []byte {
	der, err := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(der)
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

func (k ecdsaKeypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (k ecdsaKeypair) GetPublicKey() crypto.PublicKey { return &k.key.PublicKey }

func (k ecdsaKeypair) GetPublicKeyPem() (string, error) {
	pem, err := cryptoutils.MarshalPublicKeyToPEM(&k.key.PublicKey)
	return string(pem), err
}

func (k ecdsaKeypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, sum[:])
	return sig, sum[:], err
}

// bundleVerifiers holds one sigstore-go verifier per trusted key. The key
// hint in a bundle is not authenticated, so every key is tried.
type bundleVerifiers []bundleVerifier

type bundleVerifier struct {
	keyID string
	v     *verify.Verifier
}

func newBundleVerifiers(keys []*ecdsa.PublicKey) (bundleVerifiers, error) {
	var out bundleVerifiers
	for _, k := range keys {
		sv, err := signature.LoadECDSAVerifier(k, crypto.SHA256)
		if err != nil {
			return nil, err
		}
		key := root.NewExpiringKey(sv, time.Time{}, time.Time{})
		material := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
		v, err := verify.NewVerifier(material, verify.WithNoObserverTimestamps())
		if err != nil {
			return nil, err
		}
		out = append(out, bundleVerifier{KeyID(k), v})
	}
	return out, nil
}

// verifyBundle checks one bundle layer: a DSSE envelope signed by one of
// the keys, whose in-toto statement is an image signature with want as
// its subject. It returns the key's KeyID.
func verifyBundle(ctx context.Context, t content.Fetcher, l ocispec.Descriptor, want digest.Digest, vs bundleVerifiers) (string, error) {
	if l.Size > maxBundleBytes {
		return "", fmt.Errorf("bundle of %d bytes, over the %d-byte cap", l.Size, maxBundleBytes)
	}
	raw, err := content.FetchAll(ctx, t, l)
	if err != nil {
		return "", unreadable(err)
	}
	return checkBundle(raw, want, vs)
}

// checkBundle is verifyBundle on the bundle's bytes.
func checkBundle(raw []byte, want digest.Digest, vs bundleVerifiers) (string, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return "", fmt.Errorf("not a Sigstore bundle: %w", err)
	}
	if err := describeBundle(&b, want); err != nil {
		return "", err
	}
	sum, err := hex.DecodeString(want.Encoded())
	if err != nil {
		return "", err
	}
	policy := verify.NewPolicy(verify.WithArtifactDigest(want.Algorithm().String(), sum), verify.WithKey())
	var first error
	for _, v := range vs {
		res, err := v.v.Verify(&b, policy)
		if err == nil && res.Statement.GetPredicateType() != PredicateCosignSign {
			err = fmt.Errorf("predicate type %q", res.Statement.GetPredicateType())
		}
		if err == nil {
			return v.keyID, nil
		}
		if first == nil {
			first = err
		}
	}
	return "", fmt.Errorf("not signed by an accepted key (%v)", first)
}

// describeBundle refuses, with a precise reason, a bundle that cannot be
// an image signature of want whoever signed it. It reads the statement
// before its signature is checked, for the message only: verifyBundle's
// sigstore-go verification is what decides.
func describeBundle(b *bundle.Bundle, want digest.Digest) error {
	if b.VerificationMaterial.GetPublicKey() == nil {
		return errors.New("a keyless (certificate) signature: weir verifies key-based signatures only")
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return errors.New("a message signature, not a DSSE envelope: cosign and weir sign images with an in-toto statement")
	}
	if env.PayloadType != inTotoPayloadType {
		return fmt.Errorf("payload type %q, want %q", env.PayloadType, inTotoPayloadType)
	}
	var st inTotoStatement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		return fmt.Errorf("in-toto statement: %w", err)
	}
	if st.PredicateType != PredicateCosignSign {
		return fmt.Errorf("predicate type %q is not an image signature (%s)", st.PredicateType, PredicateCosignSign)
	}
	var named []string
	for _, s := range st.Subject {
		for alg, hex := range s.Digest {
			if alg == want.Algorithm().String() && hex == want.Encoded() {
				return nil
			}
			named = append(named, alg+":"+hex)
		}
	}
	return fmt.Errorf("signs %v, not %s", named, want)
}
