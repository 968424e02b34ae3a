package main

import (
	"fmt"
	"strings"
	"unicode"
)

// printable escapes the control characters of s (newline and tab aside)
// and the bidirectional-text controls: status shows reasons and origins
// that came from elsewhere (a registry's error, a module's refusal), and
// an escape sequence in one must not drive the operator's terminal (clear
// it, retitle it, hide or reorder lines).
func printable(s string) string {
	if !strings.ContainsFunc(s, unprintable) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unprintable(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unprintable(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\t' || unicode.Is(unicode.Bidi_Control, r)
}
