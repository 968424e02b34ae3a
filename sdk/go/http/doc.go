// Package http is the guest side of weir's gated HTTP capability: a
// transform hands the host many requests in one call (FetchMany), the
// host runs them under the pipeline's grant (allowlisted hosts, address
// rules, caps, injected secrets) and answers each with a Code the guest
// branches on. The module's manifest declares the hosts it needs and the
// pipeline grants them (docs/abi.md, "Capability http"). Standard library only; it
// does not use net/http.
package http
