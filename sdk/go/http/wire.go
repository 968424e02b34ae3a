package http

import (
	"encoding/binary"
	"fmt"
)

// appendRequests encodes reqs (docs/abi.md, "Capability http", requests).
func appendRequests(dst []byte, reqs []Request) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, uint32(len(reqs)))
	for _, r := range reqs {
		dst = appendStr(appendStr(dst, r.Method), r.URL)
		dst = le.AppendUint32(dst, uint32(len(r.Header)))
		for _, h := range r.Header {
			dst = appendStr(appendStr(dst, h.Name), h.Value)
		}
		dst = le.AppendUint32(dst, uint32(len(r.Body)))
		dst = append(dst, r.Body...)
	}
	return dst
}

func appendStr(dst []byte, s string) []byte {
	return append(binary.LittleEndian.AppendUint32(dst, uint32(len(s))), s...)
}

// decodeResults reads want results from b; bodies alias b.
func decodeResults(b []byte, want int) ([]Result, error) {
	d := reader{b: b}
	n := d.u32()
	if d.err == nil && int(n) != want {
		return nil, fmt.Errorf("weir http: the host answered %d results for %d requests", n, want)
	}
	out := make([]Result, 0, want)
	for range n {
		if d.err != nil {
			break
		}
		out = append(out, d.result())
	}
	if d.err != nil {
		return nil, d.err
	}
	return out, nil
}

func (d *reader) result() Result {
	var r Result
	head := d.take(4)
	if head == nil {
		return r
	}
	r.Code, r.Cached, r.Status = Code(head[0]), head[1]&1 != 0, int(binary.LittleEndian.Uint16(head[2:]))
	r.Err = string(d.field())
	n := d.u32()
	if d.err == nil && int(n) > len(d.b)/8 {
		d.err = fmt.Errorf("weir http: results hold %d headers in %d bytes", n, len(d.b))
		return r
	}
	if n > 0 {
		r.Header = make([]Header, 0, n)
	}
	for range n {
		r.Header = append(r.Header, Header{string(d.field()), string(d.field())})
	}
	r.Body = d.field()
	return r
}

type reader struct {
	b   []byte
	off int
	err error
}

func (d *reader) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.err = fmt.Errorf("weir http: results truncated at offset %d", d.off)
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

func (d *reader) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (d *reader) field() []byte {
	n := d.u32()
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(d.b)-d.off) {
		d.err = fmt.Errorf("weir http: results truncated at offset %d", d.off)
		return nil
	}
	return d.take(int(n))
}
