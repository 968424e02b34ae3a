package main

import (
	"errors"
	"strconv"

	weir "github.com/weirstream/weir/sdk/go"
)

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// number parses a JSON number's text. The host (or the scan) has checked
// the grammar, so only a number too large for float64 is out of range: it
// is ±Inf, as strconv makes it.
func number(typ weir.FieldType, v []byte) (float64, bool) {
	if typ != weir.TypeNumber {
		return 0, false
	}
	if f, ok := plainNumber(v); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(string(v), 64)
	return f, err == nil || errors.Is(err, strconv.ErrRange)
}

// plainNumber reads -?digits[.digits] of at most 15 digits, the common
// case, without strconv (a tenth of its cost in a Go wasm guest): the
// digits are an exact integer m and 10^k is exact, so m / 10^k is one
// correctly rounded division, the value strconv returns
// (TestPlainNumberIsStrconv).
func plainNumber(v []byte) (float64, bool) {
	i, neg := 0, len(v) > 0 && v[0] == '-'
	if neg {
		i++
	}
	var m uint64
	digits, frac := 0, -1
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
		case c == '.' && frac < 0:
			frac = i
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	f := float64(m)
	if frac >= 0 {
		f /= pow10[len(v)-frac-1]
	}
	if neg {
		f = -f
	}
	return f, true
}
