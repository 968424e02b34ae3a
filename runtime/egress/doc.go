// Package egress is the host side of weir's gated HTTP capability: it runs
// a batch of guest requests under a pipeline's grant (allowlisted hosts,
// address rules checked on the resolved IP at dial time, caps on sizes,
// time and concurrency, secrets the host injects) and answers each with a
// result the guest can branch on. It is pure Go; the runtime links it as a
// host function and the host binds its cache to a Benthos cache resource.
package egress
