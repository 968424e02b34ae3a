package schema

import (
	"encoding/binary"
	"math/bits"
)

// Eight bytes at a time (SWAR): one byte value in every byte of a uint64.
const (
	lsb    = 0x0101010101010101
	msb    = 0x8080808080808080
	quoteW = '"' * lsb
	slashW = '\\' * lsb
	spaceW = 0x20 * lsb
)

// plainWords returns the offset of the first byte at or after i that is
// not plain ASCII string content ('"', '\\', a control byte or a byte ≥
// 0x80), reading whole words while they hold none; near the end of in,
// where no word is left, it returns i at the first byte not yet read.
func plainWords(in []byte, i int) int {
	for i <= len(in)-8 {
		w := binary.LittleEndian.Uint64(in[i:])
		q, b := w^quoteW, w^slashW
		// Each test sets the high bit of a matching byte, and may set it
		// in bytes above one (borrows run upwards), never below: the
		// lowest bit set is the first stop byte.
		s := ((q-lsb)&^q | (b-lsb)&^b | (w-spaceW)&^w | w) & msb
		if s != 0 {
			return i + bits.TrailingZeros64(s)>>3
		}
		i += 8
	}
	return i
}
