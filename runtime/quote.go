package runtime

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// quotedText checks that v is valid UTF-8 and returns the length of its
// JSON string form, appendQuoted(nil, v): one pass, eight bytes at a time
// over plain ASCII (most replacements are nothing else). ok is false, and
// n meaningless, if v is not valid UTF-8.
func quotedText(v []byte) (n int, ok bool) {
	n = 2 + len(v)
	for i := textRun(v, 0); i < len(v); i = textRun(v, i) {
		switch c := v[i]; {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(v[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false
			}
			i += size
			continue
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n++ // \" \\ \n \r \t
		default:
			n += 5 // \u00XX
		}
		i++
	}
	return n, true
}

// textRun returns the offset of the first byte at or after i that is not
// plain ASCII text (textStops), or len(v).
func textRun(v []byte, i int) int {
	for ; i <= len(v)-8; i += 8 {
		if s := textStops(binary.LittleEndian.Uint64(v[i:])); s != 0 {
			return i + bits.TrailingZeros64(s)>>3
		}
	}
	if i >= len(v) || len(v) < 8 {
		for i < len(v) && v[i] >= 0x20 && v[i] < utf8.RuneSelf && v[i] != '"' && v[i] != '\\' {
			i++
		}
		return i
	}
	// the last 1-7 bytes: the word ending at len(v), its bytes before i
	// (already read, maybe a stop byte) replaced by plain 'A's, so that
	// neither they nor a borrow from them is taken for a stop at or after i
	k := 8 * uint(i-(len(v)-8))
	low := uint64(1)<<k - 1
	w := binary.LittleEndian.Uint64(v[len(v)-8:])&^low | 'A'*0x0101010101010101&low
	if s := textStops(w); s != 0 {
		return len(v) - 8 + bits.TrailingZeros64(s)>>3
	}
	return len(v)
}

// textStops has the high bit of the first byte of w that is '"', '\\', a
// control character or non-ASCII set (and maybe of later ones), and is 0
// if w holds none: the word-at-a-time test of jsonpath's scanner (swar.go).
// Each test may also flag bytes above a flagged one, never below.
func textStops(w uint64) uint64 {
	const (
		lsb    = 0x0101010101010101
		msb    = 0x8080808080808080
		quote  = '"' * lsb
		bslash = '\\' * lsb
		space  = 0x20 * lsb
	)
	q, b := w^quote, w^bslash
	return ((q-lsb)&^q | (b-lsb)&^b | (w-space)&^w | w) & msb
}
