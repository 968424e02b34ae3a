package jsonpath

import (
	"encoding/binary"
	"math/bits"
)

// Word-at-a-time constants: one bit or byte value in every byte of a uint64.
const (
	lsb    = 0x0101010101010101
	msb    = 0x8080808080808080
	quote  = '"' * lsb
	bslash = '\\' * lsb
	space  = 0x20 * lsb
)

// plainRun returns the offset of the first byte at or after j that stops a
// run of plain string content (stringStop: '"', '\\', a control character
// or a non-ASCII byte), or len(doc). It reads eight bytes at a time (SWAR):
// a word without a stop byte is skipped whole; the rest goes byte by byte.
//
// In stops, each test sets the high bit of a byte that is a stop byte and
// may also set it in bytes above one (borrows run upwards), never below:
// the lowest bit set is the first stop byte, which is all that is used.
func plainRun(doc []byte, j int) int {
	for j <= len(doc)-8 {
		if s := stops(binary.LittleEndian.Uint64(doc[j:])); s != 0 {
			return j + bits.TrailingZeros64(s)>>3
		}
		j += 8
	}
	return plainTail(doc, j)
}

// plainTail is plainRun byte by byte, for the last bytes of a document.
func plainTail(doc []byte, j int) int {
	for j < len(doc) && !stringStop[doc[j]] {
		j++
	}
	return j
}

// stops has the high bit of the first stop byte of w set (and maybe of
// later ones), and is 0 if w holds none.
func stops(w uint64) uint64 {
	q, b := w^quote, w^bslash
	zeroQ := (q - lsb) &^ q                // a byte of w was '"'
	zeroB := (b - lsb) &^ b                // a byte of w was '\\'
	ctl := (w - space) &^ w                // a byte of w was below 0x20
	return (zeroQ | zeroB | ctl | w) & msb // | w: a byte of w was ≥ 0x80
}
