//go:build !unix

package host

// privatePath and privateFile accept every path: without Unix owners and
// modes, protecting the token and the audit trail is the operator's.
func privatePath(string, bool) error { return nil }
func privateFile(string) error       { return nil }
