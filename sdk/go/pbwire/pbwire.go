// Package pbwire reads and rewrites protobuf wire format by field number,
// without descriptors or reflection (which are slow in Go's wasm backend).
// A path is a list of field numbers through nested messages: {3, 3} is
// field 3 of the message in field 3.
package pbwire

import (
	"errors"
	"fmt"
)

// Wire types.
const (
	Varint  = 0
	Fixed64 = 1
	Bytes   = 2
	Group   = 3 // start group (deprecated, skipped)
	EndGrp  = 4
	Fixed32 = 5
)

// ErrMalformed is returned for bytes that are not protobuf wire format.
var ErrMalformed = errors.New("pbwire: malformed protobuf")

// Field is one field of a message: where it starts and ends (tag
// included) and where its payload is (for Bytes, the content).
type Field struct {
	Num        uint32
	Type       int
	Start, End int
	ValStart   int
	ValEnd     int
}

// MaxFieldNumber is the largest field number protobuf allows (2^29-1).
const MaxFieldNumber = 1<<29 - 1

// ConsumeVarint decodes a varint at b[i:], returning it and the index after
// it. As in protobuf-go, a varint is at most 10 bytes and the 10th carries
// only the 64th bit: anything longer or wider is malformed, not truncated
// into another value.
func ConsumeVarint(b []byte, i int) (uint64, int, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if i >= len(b) {
			return 0, i, fmt.Errorf("%w: truncated varint", ErrMalformed)
		}
		c := b[i]
		i++
		if shift == 63 && c > 1 {
			break
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, i, nil
		}
	}
	return 0, i, fmt.Errorf("%w: varint over 64 bits", ErrMalformed)
}

// AppendVarint appends v as a varint.
func AppendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// Next reads the field starting at b[i:].
func Next(b []byte, i int) (Field, error) {
	if f, ok := nextShort(b, i); ok {
		return f, nil
	}
	return next(b, i)
}

// nextShort reads the field at b[i:] if its tag is one byte and, for a
// varint or length-delimited field, so is its value or length — most
// fields of most records, read without a call per varint. ok is false
// for anything else, which next reads (or refuses).
func nextShort(b []byte, i int) (f Field, ok bool) {
	if i < 0 || i+1 >= len(b) || b[i] >= 0x80 || b[i] < 1<<3 {
		return f, false
	}
	tag := b[i]
	f = Field{Num: uint32(tag >> 3), Type: int(tag & 7), Start: i, ValStart: i + 1}
	switch f.Type {
	case Varint:
		if b[i+1] >= 0x80 {
			return f, false
		}
		f.End = i + 2
	case Fixed64:
		f.End = i + 9
	case Fixed32:
		f.End = i + 5
	case Bytes:
		n := b[i+1]
		if n >= 0x80 || int(n) > len(b)-i-2 {
			return f, false
		}
		f.ValStart, f.End = i+2, i+2+int(n)
	default:
		return f, false
	}
	if f.End > len(b) {
		return f, false
	}
	f.ValEnd = f.End
	return f, true
}

// next is Next for any field, one varint at a time.
func next(b []byte, i int) (Field, error) {
	f := Field{Start: i}
	tag, i, err := ConsumeVarint(b, i)
	if err != nil {
		return f, err
	}
	if tag>>3 == 0 || tag>>3 > MaxFieldNumber {
		// a wider number would truncate to another field's: a reader
		// and this scanner would disagree on which field it is
		return f, fmt.Errorf("%w: field number %d out of range", ErrMalformed, tag>>3)
	}
	f.Num, f.Type = uint32(tag>>3), int(tag&7)
	f.ValStart = i
	switch f.Type {
	case Varint:
		_, i, err = ConsumeVarint(b, i)
	case Fixed64:
		i += 8
	case Fixed32:
		i += 4
	case Bytes:
		var n uint64
		n, i, err = ConsumeVarint(b, i)
		if err == nil && n > uint64(len(b)-i) {
			err = fmt.Errorf("%w: length %d past the end", ErrMalformed, n)
		}
		f.ValStart = i
		i += int(n)
	default:
		return f, fmt.Errorf("%w: unsupported wire type %d", ErrMalformed, f.Type)
	}
	if err == nil && i > len(b) {
		err = fmt.Errorf("%w: truncated field %d", ErrMalformed, f.Num)
	}
	f.ValEnd, f.End = i, i
	return f, err
}

// Each calls fn for every field of the message b, in order.
func Each(b []byte, fn func(Field) error) error {
	for i := 0; i < len(b); {
		f, err := Next(b, i)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		i = f.End
	}
	return nil
}

// ReplaceAll rewrites, in every message along path (repeated fields
// included), each Bytes field at the path's end with what fn returns for its
// content, and fixes the length prefixes of the enclosing messages. Fields
// that are absent are left so.
func ReplaceAll(dst, b []byte, path []uint32, fn func(content []byte) []byte) ([]byte, error) {
	if len(path) == 0 {
		return nil, errors.New("pbwire: empty path")
	}
	prev := 0
	err := Each(b, func(f Field) error {
		if f.Num != path[0] || f.Type != Bytes {
			return nil
		}
		var content []byte
		if len(path) == 1 {
			content = fn(b[f.ValStart:f.ValEnd])
		} else {
			var err error
			if content, err = ReplaceAll(nil, b[f.ValStart:f.ValEnd], path[1:], fn); err != nil {
				return err
			}
		}
		dst = append(dst, b[prev:f.Start]...)
		dst = AppendVarint(dst, uint64(f.Num)<<3|Bytes)
		dst = AppendVarint(dst, uint64(len(content)))
		dst = append(dst, content...)
		prev = f.End
		return nil
	})
	if err != nil {
		return nil, err
	}
	return append(dst, b[prev:]...), nil
}

// Get returns the content of the last Bytes field at path (protobuf's
// last-one-wins rule for singular fields).
func Get(b []byte, path ...uint32) (content []byte, found bool, err error) {
	err = Each(b, func(f Field) error {
		if f.Num == path[0] && f.Type == Bytes {
			content, found = b[f.ValStart:f.ValEnd], true
		}
		return nil
	})
	if err != nil || !found || len(path) == 1 {
		return content, found, err
	}
	return Get(content, path[1:]...)
}
