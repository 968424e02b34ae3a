package egress

import "strings"

// CheckPattern checks a host pattern as manifests and grants write it:
// an exact lower-case DNS name, "*.suffix", or an IP address.
func CheckPattern(p string) error { return validPattern(p) }

// Covers reports whether every host pattern d matches is matched by
// grant: an exact name by an equal name or a wildcard above it, a
// wildcard by an equal wildcard or one above it; an IP address only by
// itself.
func Covers(grant, d string) bool {
	if grant == d {
		return true
	}
	suffix, ok := strings.CutPrefix(grant, "*.")
	if !ok || isAddr(d) {
		return false
	}
	return strings.HasSuffix(strings.TrimPrefix(d, "*."), "."+suffix)
}
