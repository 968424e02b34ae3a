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

// quotedKey is a key with its quotes, `"name"`, for matching in place:
// its first eight bytes (fewer for a short key, mask keeping only those)
// as a little-endian word, and the rest.
type quotedKey struct {
	word, mask uint64
	n          int    // the length, quotes included
	rest       string // the bytes after the first eight
}

func newQuotedKey(k string) quotedKey {
	q := `"` + k + `"`
	var b [8]byte
	head := copy(b[:], q)
	return quotedKey{word: binary.LittleEndian.Uint64(b[:]), mask: ^uint64(0) >> (64 - 8*head),
		n: len(q), rest: q[head:]}
}

// restAt reports whether in holds the key's bytes after its first eight
// at pos, whose first eight matched.
func (q *quotedKey) restAt(in []byte, pos int) bool {
	if q.rest == "" {
		return true
	}
	at := pos + 8
	return len(in)-at >= len(q.rest) && string(in[at:at+len(q.rest)]) == q.rest
}
