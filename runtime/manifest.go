package runtime

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// ABIVersion is the guest ABI this runtime speaks (docs/abi.md).
const ABIVersion = 1

// ManifestSection is the custom section that carries a module's manifest.
const ManifestSection = "weir.manifest"

// AnyType as a manifest's input declares a type-agnostic transform: it
// reads and writes whatever message the pipeline binds (e.g. the mask).
const AnyType = "*"

// SchemaSection carries the protobuf FileDescriptorSet (binary) a module was
// built against; the manifest's input and output name types in it.
const SchemaSection = "weir.schema"

// Manifest describes a transform. A module carries it as JSON in the
// "weir.manifest" custom section, so a bare .wasm explains itself.
type Manifest struct {
	ABI          int             `json:"abi"`
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Description  string          `json:"description,omitempty"`
	Ports        []string        `json:"ports,omitempty"`
	Input        string          `json:"input,omitempty"`         // protobuf message read, with descriptors in SchemaSection
	Output       string          `json:"output,omitempty"`        // protobuf message written (default: Input)
	ConfigSchema json.RawMessage `json:"config_schema,omitempty"` // JSON Schema every pool's config must meet, checked by NewPool
	Capabilities Declarations    `json:"capabilities,omitempty"`  // capability name → what the module needs of it (capability.go)
	Metadata     string          `json:"metadata,omitempty"`      // MetadataRead (default) or MetadataNone: whether records carry their metadata to the guest
}

// A manifest's metadata: whether the guest is handed its records'
// metadata (docs/abi.md §3). A guest that declares MetadataNone gets
// every record with no metadata, and the host need not read a message's
// metadata at all; its verdicts may still set and delete keys.
const (
	MetadataRead = "read" // the default ("" reads too): every record's metadata goes to the guest
	MetadataNone = "none" // no metadata goes to the guest
)

// ReadsMetadata reports whether the guest is handed its records' metadata.
func (m Manifest) ReadsMetadata() bool { return m.Metadata != MetadataNone }

// ID is "name@version".
func (m Manifest) ID() string { return m.Name + "@" + m.Version }

// AnyPortName, declared in a manifest's ports, lets the guest route to any
// port name of 1 to MaxPortBytes bytes of UTF-8: a router whose ports are
// named by its config (plugins/route). The pipeline's switch output decides
// where each name goes.
const AnyPortName = "*"

// MaxPortBytes bounds a port name a manifest's AnyPortName lets through.
const MaxPortBytes = 64

// AnyPort reports whether the manifest declares AnyPortName.
func (m Manifest) AnyPort() bool {
	for _, p := range m.Ports {
		if p == AnyPortName {
			return true
		}
	}
	return false
}

// HasPort reports whether port is declared (the default port "" always is).
func (m Manifest) HasPort(port string) bool {
	if port == "" || (m.AnyPort() && len(port) <= MaxPortBytes && utf8.ValidString(port)) {
		return true
	}
	for _, p := range m.Ports {
		if p == port {
			return true
		}
	}
	return false
}

func (m Manifest) validate() error {
	switch {
	case m.ABI != ABIVersion:
		return fmt.Errorf("manifest abi is %d, this runtime speaks abi %d", m.ABI, ABIVersion)
	case m.Name == "":
		return fmt.Errorf("manifest has no name")
	case m.Version == "":
		return fmt.Errorf("manifest %q has no version", m.Name)
	}
	for _, p := range m.Ports {
		if p == "" {
			return fmt.Errorf("manifest %q declares an empty port name", m.Name)
		}
	}
	if m.Output != "" && m.Input == "" {
		return fmt.Errorf("manifest %q declares an output type without an input type", m.Name)
	}
	if m.Metadata != "" && m.Metadata != MetadataRead && m.Metadata != MetadataNone {
		return fmt.Errorf("manifest %q declares metadata %q: want %q (the guest reads its records' metadata, the default) or %q (it never does)", m.Name, m.Metadata, MetadataRead, MetadataNone)
	}
	_, err := m.parseDeclarations()
	return err
}

// OutputType is the declared output message, defaulting to the input.
func (m Manifest) OutputType() string {
	if m.Output != "" {
		return m.Output
	}
	return m.Input
}

// ReadManifest decodes the manifest carried by a parsed module.
func readManifest(m *wasmbin.Module) (Manifest, error) {
	body, ok := m.CustomSection(ManifestSection)
	if !ok {
		return Manifest{}, fmt.Errorf("no %q custom section: build the module with `weir transform pack`", ManifestSection)
	}
	var man Manifest
	if err := json.Unmarshal(body, &man); err != nil {
		return Manifest{}, fmt.Errorf("custom section %q: %w", ManifestSection, err)
	}
	return man, man.validate()
}

// PackSchema returns module with a FileDescriptorSet (binary) in its
// "weir.schema" section, replacing any earlier one.
func PackSchema(module, descriptorSet []byte) ([]byte, error) {
	return packSection(module, SchemaSection, descriptorSet)
}

// packSection replaces custom section name's content with body.
func packSection(module []byte, name string, body []byte) ([]byte, error) {
	stripped, err := wasmbin.RemoveCustomSections(module, name)
	if err != nil {
		return nil, err
	}
	return wasmbin.AppendCustomSection(stripped, name, body), nil
}

// Pack returns module with manifest embedded in its "weir.manifest"
// section, replacing any earlier one. The manifest is validated first.
func Pack(module []byte, man Manifest) ([]byte, error) {
	if err := man.validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(man)
	if err != nil {
		return nil, err
	}
	return packSection(module, ManifestSection, body)
}
