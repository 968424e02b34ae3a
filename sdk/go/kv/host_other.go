//go:build !wasip1

package kv

import (
	"encoding/binary"
	"sync"
)

// Outside a wasm host (a transform's native tests) the calls are answered
// from Native, a map per namespace, speaking the host's wire format so the
// SDK's encoding is the one a host reads.

// Native is the native store: namespace → key → value. Fill it in tests.
var Native = struct {
	sync.Mutex
	Data map[string]map[string]string
}{Data: map[string]map[string]string{}}

func getMany(ns string, req, answer []byte) int64 {
	Native.Lock()
	defer Native.Unlock()
	le := binary.LittleEndian
	count := int(le.Uint32(req))
	pos, out := 4, count*entryBytes
	for i := 0; i < count; i++ {
		n := int(le.Uint32(req[pos:]))
		key := string(req[pos+4 : pos+4+n])
		pos += 4 + n
		v, ok := Native.Data[ns][key]
		st, size := Miss, 0
		switch {
		case n == 0:
			st = InvalidKey
		case ok && len(v) > len(answer)-out:
			st, size = NoRoom, len(v)
		case ok:
			st, size = Found, len(v)
			out += copy(answer[out:], v)
		}
		le.PutUint32(answer[i*entryBytes:], uint32(st))
		le.PutUint32(answer[i*entryBytes+4:], uint32(size))
	}
	return int64(out)
}

func set(ns string, key, value []byte, _ int64) uint32 {
	Native.Lock()
	defer Native.Unlock()
	if len(key) == 0 {
		return uint32(InvalidKey)
	}
	if Native.Data[ns] == nil {
		Native.Data[ns] = map[string]string{}
	}
	Native.Data[ns][string(key)] = string(value)
	return setOK
}

func setMany(ns string, req, answer []byte, ttlMS int64) int64 {
	le := binary.LittleEndian
	count := int(le.Uint32(req))
	pos := 4
	for i := 0; i < count; i++ {
		kn := int(le.Uint32(req[pos:]))
		key := req[pos+4 : pos+4+kn]
		pos += 4 + kn
		vn := int(le.Uint32(req[pos:]))
		value := req[pos+4 : pos+4+vn]
		pos += 4 + vn
		le.PutUint32(answer[4*i:], set(ns, key, value, ttlMS))
	}
	return int64(4 * count)
}
