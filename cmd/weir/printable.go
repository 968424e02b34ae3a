package main

import (
	"fmt"
	"strings"
	"unicode"
)

// printable escapes the control characters of s (newline and tab aside)
// and the bidirectional-text controls: status and the audit trail show
// text that came from elsewhere (a registry's error, a module's refusal,
// the path of a refused request), and an escape sequence in it must not
// drive the operator's terminal (clear it, retitle it, hide or reorder
// lines).
func printable(s string) string { return escapeControls(s, "\n\t") }

// printableLine is printable for one row of output: a newline or a
// carriage return in it is escaped too, so it cannot forge a row.
func printableLine(s string) string { return escapeControls(s, "") }

func escapeControls(s, keep string) string {
	bad := func(r rune) bool {
		return (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) && !strings.ContainsRune(keep, r)
	}
	if !strings.ContainsFunc(s, bad) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !bad(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
