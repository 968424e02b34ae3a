package egress

import "net/netip"

// TreatAsPublic makes e treat addresses in p as public: a rebinding test
// needs a "public" answer it can actually serve on this machine.
func TreatAsPublic(e *Engine, p netip.Prefix) { e.policy.public = append(e.policy.public, p) }
