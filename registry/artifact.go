package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/weirstream/weir/runtime"
)

// Media types of the CNCF Wasm OCI artifact layout, which weir follows so
// ordinary OCI tools can pull a transform.
const (
	MediaTypeWasmConfig = "application/vnd.wasm.config.v0+json"
	MediaTypeWasm       = "application/wasm"
)

// Manifest annotations weir adds, so `weir transform ls` and any OCI tool
// see what a transform is without fetching it. The manifest, schema
// descriptors and golden fixtures themselves travel inside the module, in
// custom sections, so the layer digest covers them.
const (
	AnnotationTransform = "io.weirstream.transform" // "name@version"
	AnnotationInput     = "io.weirstream.input"
	AnnotationOutput    = "io.weirstream.output"
	AnnotationFixtures  = "io.weirstream.fixtures" // number of fixture cases
)

// Limits on what is fetched, checked against a descriptor before reading.
const (
	maxManifestBytes = 4 << 20
	maxPayloadBytes  = 64 << 10
)

// wasmConfig is the config blob of the CNCF Wasm layout.
type wasmConfig struct {
	Created      string          `json:"created,omitempty"`
	Architecture string          `json:"architecture"`
	OS           string          `json:"os"`
	LayerDigests []digest.Digest `json:"layerDigests"`
}

// Artifact is a fetched transform version.
type Artifact struct {
	Manifest ocispec.Descriptor // the OCI manifest's descriptor: the version's identity
	Layer    ocispec.Descriptor // the application/wasm layer
	Wasm     []byte
}

// push stores wasm as an artifact in target and returns its manifest's
// descriptor. The module must pass weir's admission checks first, so
// nothing unloadable reaches a registry.
func push(ctx context.Context, target oras.Target, wasm []byte) (ocispec.Descriptor, error) {
	report := runtime.Inspect(wasm, runtime.EngineConfig{})
	if report.Err != nil {
		return ocispec.Descriptor{}, report.Err
	}
	layer := content.NewDescriptorFromBytes(MediaTypeWasm, wasm)
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: report.Manifest.Name + ".wasm"}
	created := time.Now().UTC().Format(time.RFC3339)
	cfg, err := json.Marshal(wasmConfig{Created: created, Architecture: "wasm", OS: "wasip1", LayerDigests: []digest.Digest{layer.Digest}})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	config := content.NewDescriptorFromBytes(MediaTypeWasmConfig, cfg)
	if err := pushModule(ctx, target, layer, wasm); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := pushIfAbsent(ctx, target, config, cfg); err != nil {
		return ocispec.Descriptor{}, err
	}
	man := report.Manifest
	annotations := map[string]string{
		ocispec.AnnotationCreated:     created,
		ocispec.AnnotationTitle:       man.Name,
		ocispec.AnnotationVersion:     man.Version,
		ocispec.AnnotationDescription: man.Description,
		AnnotationTransform:           man.ID(),
		AnnotationInput:               man.Input,
		AnnotationOutput:              man.OutputType(),
		AnnotationFixtures:            fmt.Sprint(len(report.Fixtures.Cases)),
	}
	for k, v := range annotations {
		if v == "" {
			delete(annotations, k)
		}
	}
	return oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{
		Layers: []ocispec.Descriptor{layer}, ConfigDescriptor: &config, ManifestAnnotations: annotations,
	})
}

// pushModule is pushIfAbsent for the module's layer, reporting its
// upload to the context's Progress: through the remote registry's
// transport (progressTransport), or as the local store reads it.
func pushModule(ctx context.Context, target content.Storage, desc ocispec.Descriptor, wasm []byte) error {
	report := progressOf(ctx)
	if report == nil {
		return pushIfAbsent(ctx, target, desc, wasm)
	}
	ok, err := target.Exists(ctx, desc)
	if err != nil || ok {
		return err
	}
	if _, isRemote := target.(*remote.Repository); isRemote {
		return target.Push(context.WithValue(ctx, uploadKey{}, upload{size: desc.Size, report: report}), desc, bytes.NewReader(wasm))
	}
	return target.Push(ctx, desc, counted(bytes.NewReader(wasm), desc.Size, report))
}

func pushIfAbsent(ctx context.Context, target content.Storage, desc ocispec.Descriptor, data []byte) error {
	ok, err := target.Exists(ctx, desc)
	if err != nil || ok {
		return err
	}
	return target.Push(ctx, desc, bytes.NewReader(data))
}

// fetch reads the artifact whose manifest is desc, checking every blob's
// size and digest against its descriptor (oras-go's verifying reader) and
// refusing blobs over maxWasm before reading them.
func fetch(ctx context.Context, target content.Fetcher, desc ocispec.Descriptor, maxWasm int64) (*Artifact, error) {
	man, err := fetchManifest(ctx, target, desc, ocispec.MediaTypeImageManifest)
	if err != nil {
		return nil, err
	}
	if man.Config.MediaType != MediaTypeWasmConfig {
		return nil, fmt.Errorf("manifest %s: config media type is %q, want %q (not a Wasm artifact)", desc.Digest, man.Config.MediaType, MediaTypeWasmConfig)
	}
	var layers []ocispec.Descriptor
	for _, l := range man.Layers {
		if l.MediaType == MediaTypeWasm {
			layers = append(layers, l)
		}
	}
	if len(layers) != 1 {
		return nil, fmt.Errorf("manifest %s: has %d %s layers, want exactly 1", desc.Digest, len(layers), MediaTypeWasm)
	}
	layer := layers[0]
	if layer.Size > maxWasm {
		return nil, fmt.Errorf("manifest %s: wasm layer is %d bytes, over the %d-byte cap", desc.Digest, layer.Size, maxWasm)
	}
	wasm, err := fetchModule(ctx, target, layer)
	if err != nil {
		return nil, fmt.Errorf("wasm layer %s: %w", layer.Digest, err)
	}
	return &Artifact{Manifest: desc, Layer: layer, Wasm: wasm}, nil
}

// fetchModule reads the module's layer, checking its size and digest (as
// content.FetchAll does), and reports its download to the context's
// Progress.
func fetchModule(ctx context.Context, target content.Fetcher, layer ocispec.Descriptor) ([]byte, error) {
	report := progressOf(ctx)
	if report == nil {
		return content.FetchAll(ctx, target, layer)
	}
	rc, err := target.Fetch(ctx, layer)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return content.ReadAll(counted(rc, layer.Size, report), layer)
}

// fetchManifest reads the image manifest desc describes, of one of the
// media types accepted (OCI's, or Docker's v2 schema 2, which has the same
// fields).
func fetchManifest(ctx context.Context, target content.Fetcher, desc ocispec.Descriptor, accepted ...string) (ocispec.Manifest, error) {
	var man ocispec.Manifest
	if !slices.Contains(accepted, desc.MediaType) {
		return man, fmt.Errorf("manifest %s: media type %q, want %s", desc.Digest, desc.MediaType, strings.Join(quoted(accepted), " or "))
	}
	if desc.Size > maxManifestBytes {
		return man, fmt.Errorf("manifest %s: %d bytes, over the %d-byte cap", desc.Digest, desc.Size, maxManifestBytes)
	}
	raw, err := content.FetchAll(ctx, target, desc)
	if err != nil {
		return man, fmt.Errorf("manifest %s: %w", desc.Digest, unreadable(err))
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		return man, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if man.SchemaVersion != 2 {
		return man, fmt.Errorf("manifest %s: schemaVersion %d, want 2", desc.Digest, man.SchemaVersion)
	}
	if man.MediaType != "" && man.MediaType != desc.MediaType {
		return man, fmt.Errorf("manifest %s: says it is %q, its descriptor %q", desc.Digest, man.MediaType, desc.MediaType)
	}
	return man, nil
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// errUnreadable marks content that a store did not deliver for a reason
// other than its absence (a registry failing, bytes not matching their
// digest): trying again may succeed.
var errUnreadable = errors.New("unreadable")

type unreadableError struct{ err error }

func (e *unreadableError) Error() string   { return e.err.Error() }
func (e *unreadableError) Unwrap() []error { return []error{errUnreadable, e.err} }

// unreadable marks err as errUnreadable, unless it says the content is
// absent.
func unreadable(err error) error {
	if err == nil || IsNotFound(err) {
		return err
	}
	return &unreadableError{err}
}
