package jsonpath

import (
	"encoding/binary"
	"math/bits"
)

// skipDead returns the offset just after the object or array that starts
// at doc[i], opened at depth open containers deep, if the whole of it is
// valid JSON no deeper than MaxDepth; otherwise -1, and the caller scans
// it again the exact way, which finds the error and reports it as it
// always has. Set.Each calls it for a container no path reaches into (a
// dead container: no member can match): there nothing is reported, so
// validating is all there is to do, and this loop does only that — no
// frames, no key comparison, whitespace tested once per gap.
//
// It accepts exactly what Each accepts (FuzzScanAgreesWithReference): the
// plain string and number fast paths are Each's own, and anything else is
// handed to skipString, skipNumber and skipScalar, the exact checks.
func skipDead(doc []byte, i, depth int) int {
	var objects [MaxDepth / 64]uint64 // bit d: the container d deep in here is an object
	n := len(doc)
	d := 0       // containers open in here
	obj := false // the innermost open one is an object
	var c byte
	var j int
open: // doc[i] is '{' or '['
	if depth+d >= MaxDepth {
		return -1
	}
	obj = doc[i] == '{'
	if obj {
		objects[d>>6] |= 1 << (d & 63)
	} else {
		objects[d>>6] &^= 1 << (d & 63)
	}
	d++
	if i = skipWS(doc, i+1); i >= n {
		return -1
	}
	if c = doc[i]; c == '}' && obj || c == ']' && !obj {
		i++
		goto closed
	}
	if obj {
		goto key
	}
value: // a value starts at i < n
	c = doc[i]
	if c == '"' { // a plain string, inlined as in Each
		for j = i + 1; j <= n-8; j += 8 {
			if w := stops(binary.LittleEndian.Uint64(doc[j:])); w != 0 {
				j += bits.TrailingZeros64(w) >> 3
				break
			}
		}
		if j+8 > n {
			j = plainTail(doc, j)
		}
		if j < n && doc[j] == '"' {
			i = j + 1
			goto after
		}
	} else if c-'0' <= 9 { // a plain number: digits, maybe a fraction
		j = i + 1
		if c != '0' {
			for j < n && doc[j]-'0' <= 9 {
				j++
			}
		}
		if j < n && doc[j] == '.' {
			k := j + 1
			for k < n && doc[k]-'0' <= 9 {
				k++
			}
			if k == j+1 {
				return -1
			}
			j = k
		}
		if j >= n || doc[j]|0x20 != 'e' {
			i = j
			goto after
		}
	} else if c == '{' || c == '[' {
		goto open
	}
	if i = scalarEnd(doc, i); i < 0 {
		return -1
	}
after: // a value ended at i: want ',' or the close of the innermost container
	if i >= n {
		return -1
	}
	if c = doc[i]; c <= ' ' {
		if i = skipWS(doc, i); i >= n {
			return -1
		}
		c = doc[i]
	}
	if c == ',' {
		if i = skipWS(doc, i+1); i >= n {
			return -1
		}
		if obj {
			goto key
		}
		goto value
	}
	if c != '}' && c != ']' || (c == '}') != obj {
		return -1
	}
	i++
closed: // the innermost container ended at i
	d--
	if d == 0 {
		return i
	}
	obj = objects[(d-1)>>6]&(1<<((d-1)&63)) != 0
	goto after
key: // a member starts at i < n
	if doc[i] != '"' {
		return -1
	}
	for j = i + 1; j <= n-8; j += 8 {
		if w := stops(binary.LittleEndian.Uint64(doc[j:])); w != 0 {
			j += bits.TrailingZeros64(w) >> 3
			break
		}
	}
	if j+8 > n {
		j = plainTail(doc, j)
	}
	if j < n && doc[j] == '"' {
		i = j + 1
	} else if i = scalarEnd(doc, i); i < 0 {
		return -1
	}
	if i < n && doc[i] == ':' { // compact JSON: no whitespace around the colon
		i++
	} else if i = skipWS(doc, i); i < n && doc[i] == ':' {
		i++
	} else {
		return -1
	}
	if i = skipWS(doc, i); i >= n {
		return -1
	}
	goto value
}

// scalarEnd is skipScalar's offset, or -1 for its error: the exact path
// of a value skipDead's fast paths do not take.
func scalarEnd(doc []byte, i int) int {
	end, err := skipScalar(doc, i)
	if err != nil {
		return -1
	}
	return end
}
