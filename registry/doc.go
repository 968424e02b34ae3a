// Package registry stores and fetches weir transforms as OCI artifacts
// (docs/registry.md): a local OCI image-layout directory by default, any
// OCI distribution registry through oras-go, cosign-compatible signatures,
// and a last-known-good cache. It knows nothing of Benthos.
package registry
