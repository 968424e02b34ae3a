package registry

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/opencontainers/go-digest"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// fuzzKey signs the seeds; the fuzzer never sees its private half.
func fuzzKey(f *testing.F) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	return key
}

var fuzzDigest = digest.FromString("the signed manifest")

// FuzzCheckBundle: no bundle bytes panic the check, and whatever is
// accepted carries exactly the statement the key signed.
func FuzzCheckBundle(f *testing.F) {
	key := fuzzKey(f)
	seed, err := bundleFor(fuzzDigest, key)
	if err != nil {
		f.Fatal(err)
	}
	signed := dssePayload(f, seed)
	f.Add(seed)
	f.Add(bytes.Replace(seed, []byte(`"dsseEnvelope"`), []byte(`"messageSignature"`), 1))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	vs, err := newBundleVerifiers([]*ecdsa.PublicKey{&key.PublicKey})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if _, err := checkBundle(raw, fuzzDigest, vs); err != nil {
			return
		}
		if got := dssePayload(t, raw); !bytes.Equal(got, signed) {
			t.Fatalf("accepted a statement the key did not sign: %s", got)
		}
	})
}

func dssePayload(tb testing.TB, raw []byte) []byte {
	var b protobundle.Bundle
	if err := protojson.Unmarshal(raw, &b); err != nil {
		tb.Fatal(err)
	}
	return b.GetDsseEnvelope().GetPayload()
}

// FuzzCheckSimple: no payload panics the check, and whatever is accepted
// is the payload the key signed.
func FuzzCheckSimple(f *testing.F) {
	key := fuzzKey(f)
	var p simpleSigning
	p.Critical.Image.DockerManifestDigest = fuzzDigest.String()
	p.Critical.Type = cosignSignatureType
	payload, err := json.Marshal(p)
	if err != nil {
		f.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(payload, sig)
	f.Add([]byte(`{"critical":null}`), sig)
	f.Fuzz(func(t *testing.T, payload, sig []byte) {
		if _, err := checkSimple(payload, sig, fuzzDigest, []*ecdsa.PublicKey{&key.PublicKey}); err != nil {
			return
		}
		if got := sha256.Sum256(payload); got != sum {
			t.Fatalf("accepted a payload the key did not sign: %s", payload)
		}
	})
}
