package egress

import (
	"encoding/binary"
	"fmt"
	"net/http"
)

// The http capability's wire format (docs/abi.md, "Capability http"). All integers
// little-endian; a string is a u32 length and that many bytes.
//
//	requests: u32 count, then per request:
//	  string method (empty: GET), string url,
//	  u32 header count, per header: string name, string value,
//	  string body
//	results:  u32 count, then per result:
//	  u8 code, u8 flags (bit 0: cached), u16 status,
//	  string error (empty when code is ok),
//	  u32 header count, per header: string name, string value,
//	  string body
const minRequestBytes = 4 + 4 + 4 + 4

// WireError is a requests buffer that breaks the format: the guest's
// fault, reported to it whole (no request of the buffer runs).
type WireError struct{ Msg string }

func (e *WireError) Error() string { return "weir_http: " + e.Msg }

// DecodeRequests reads a requests buffer of at most maxCount requests.
// Every count is checked against the bytes left before anything is
// allocated for it; values are copied out of b (guest memory).
func DecodeRequests(b []byte, maxCount int) ([]Request, error) {
	d := wireReader{b: b}
	n := d.u32()
	switch {
	case d.err != nil:
	case int64(n) > int64(maxCount):
		return nil, &WireError{fmt.Sprintf("%d requests in one call, the grant allows %d per call (max_requests)", n, maxCount)}
	case int64(n) > int64(len(b)/minRequestBytes):
		return nil, &WireError{fmt.Sprintf("%d requests cannot fit in a %d-byte buffer (truncated)", n, len(b))}
	}
	reqs := make([]Request, 0, n)
	for i := uint32(0); i < n && d.err == nil; i++ {
		reqs = append(reqs, d.request())
	}
	if d.err == nil && d.off != len(b) {
		d.fail("%d bytes after the last request", len(b)-d.off)
	}
	if d.err != nil {
		return nil, d.err
	}
	return reqs, nil
}

func (d *wireReader) request() Request {
	r := Request{Method: d.str(), URL: d.str()}
	n := d.u32()
	if d.err == nil && int64(n) > int64(d.left()/8) {
		d.fail("%d headers in %d bytes", n, d.left())
		return r
	}
	if n > 0 {
		r.Header = make(http.Header, n)
	}
	for range n {
		k, v := d.str(), d.str()
		if d.err != nil {
			return r
		}
		r.Header[k] = append(r.Header[k], v)
	}
	if body := d.bytes(); len(body) > 0 {
		r.Body = body
	}
	return r
}

type wireReader struct {
	b   []byte
	off int
	err error
}

func (d *wireReader) left() int { return len(d.b) - d.off }

func (d *wireReader) fail(format string, args ...any) {
	if d.err == nil {
		d.err = &WireError{fmt.Sprintf("requests offset %d: ", d.off) + fmt.Sprintf(format, args...)}
	}
}

func (d *wireReader) u32() uint32 {
	if d.err != nil || d.left() < 4 {
		d.fail("truncated: want a u32")
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

// bytes copies a length-prefixed field out of the buffer.
func (d *wireReader) bytes() []byte {
	n := d.u32()
	if d.err != nil {
		return nil
	}
	if int64(n) > int64(d.left()) {
		d.fail("a field of %d bytes with %d left", n, d.left())
		return nil
	}
	v := append([]byte(nil), d.b[d.off:d.off+int(n)]...)
	d.off += int(n)
	return v
}

func (d *wireReader) str() string { return string(d.bytes()) }

// ResultsSize is the encoded size of rs, so the host can check it fits
// before it writes anything.
func ResultsSize(rs []Result) int {
	n := 4
	for _, r := range rs {
		n += 4 + 4 + len(r.Err) + 4 + 4 + len(r.Body)
		for k, vs := range r.Header {
			n += len(vs) * (8 + len(k))
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	return n
}

// AppendResults encodes rs after dst.
func AppendResults(dst []byte, rs []Result) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(rs)))
	for _, r := range rs {
		var flags byte
		if r.Cached {
			flags = 1
		}
		dst = append(dst, byte(r.Code), flags)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(r.Status))
		dst = appendStr(dst, r.Err)
		count := 0
		for _, vs := range r.Header {
			count += len(vs)
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(count))
		for k, vs := range r.Header {
			for _, v := range vs {
				dst = appendStr(appendStr(dst, k), v)
			}
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(r.Body)))
		dst = append(dst, r.Body...)
	}
	return dst
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}
