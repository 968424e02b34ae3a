package wasmbin

import (
	"fmt"
	"unicode/utf8"
)

// Reader reads LEB128 integers, names and bytes from a wasm binary, with
// offsets reported relative to the whole module.
type Reader struct {
	buf  []byte
	pos  int
	base int
}

// NewReader reads b, reporting offsets as base+position.
func NewReader(b []byte, base int) *Reader { return &Reader{buf: b, base: base} }

// EOF reports whether everything was read.
func (r *Reader) EOF() bool { return r.pos >= len(r.buf) }

// Remaining is the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.buf) - r.pos }

// Pos is the current offset in the module.
func (r *Reader) Pos() int { return r.base + r.pos }

func (r *Reader) errorf(format string, args ...any) error {
	return &Error{Offset: r.base + r.pos, Msg: fmt.Sprintf(format, args...)}
}

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	if r.pos >= len(r.buf) {
		return 0, r.errorf("unexpected end of data")
	}
	b := r.buf[r.pos]
	r.pos++
	return b, nil
}

// Bytes reads n bytes without copying.
func (r *Reader) Bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.buf)-r.pos {
		return nil, r.errorf("length %d exceeds the %d bytes left", n, r.Remaining())
	}
	b := r.buf[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

// U32 reads an unsigned LEB128 of at most 32 bits.
func (r *Reader) U32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

// U64 reads an unsigned LEB128 of at most 64 bits.
func (r *Reader) U64() (uint64, error) { return r.uleb(64) }

func (r *Reader) uleb(bits uint) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= bits {
			return 0, r.errorf("integer overflows %d bits", bits)
		}
		b, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b&0x7f) << shift
		if b&0x80 == 0 {
			return v, nil
		}
	}
}

// S32 reads a signed LEB128 of at most 32 bits.
func (r *Reader) S32() (int32, error) {
	v, err := r.sleb(32)
	return int32(v), err
}

// S64 reads a signed LEB128 of at most 64 bits.
func (r *Reader) S64() (int64, error) { return r.sleb(64) }

// S33 reads a signed 33-bit LEB128 (block types).
func (r *Reader) S33() (int64, error) { return r.sleb(33) }

func (r *Reader) sleb(bits uint) (int64, error) {
	var v int64
	var shift uint
	var b byte
	for {
		if shift >= bits+6 {
			return 0, r.errorf("integer overflows %d bits", bits)
		}
		var err error
		if b, err = r.Byte(); err != nil {
			return 0, err
		}
		v |= int64(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			break
		}
	}
	if shift < 64 && b&0x40 != 0 {
		v |= -1 << shift
	}
	return v, nil
}

// Name reads a length-prefixed UTF-8 string.
func (r *Reader) Name() (string, error) {
	n, err := r.U32()
	if err != nil {
		return "", err
	}
	b, err := r.Bytes(int(n))
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", r.errorf("name is not valid UTF-8")
	}
	return string(b), nil
}

// Limits reads table or memory limits (flags 0..3, 64-bit and shared forms included).
func (r *Reader) Limits() (Limits, error) {
	flags, err := r.Byte()
	if err != nil {
		return Limits{}, err
	}
	if flags > 0x07 {
		return Limits{}, r.errorf("unknown limits flags 0x%02x", flags)
	}
	var l Limits
	if l.Min, err = r.U64(); err != nil {
		return l, err
	}
	if flags&1 != 0 {
		l.HasMax = true
		l.Max, err = r.U64()
	}
	return l, err
}

// Slice returns the module bytes between two absolute offsets read by r.
func (r *Reader) Slice(from, to int) []byte { return r.buf[from-r.base : to-r.base] }
