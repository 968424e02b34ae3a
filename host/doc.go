// Package host is weir's Benthos shell: it registers the `wasm` processor,
// maps Benthos messages to runtime records and verdicts back to messages,
// and flags failed records for the dead-letter path. Import it for its
// side effect of registering the plugins.
package host
