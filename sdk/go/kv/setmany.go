package kv

import (
	"encoding/binary"
	"fmt"
	"time"
)

// SetMany writes values[i] under keys[i] in namespace, all with one time
// to live (0: none; the grant may bound it), in one call to the host
// (weir_kv.set_many). It returns each write's result, nil or a SetError, or one
// error when keys and values differ in length. As for GetMany, at most
// the grant's max_keys_per_call keys, and values of at most its
// max_response_bytes together, go in one call: split larger writes.
func SetMany(namespace string, keys, values [][]byte, ttl time.Duration) ([]error, error) {
	if len(keys) != len(values) {
		return nil, fmt.Errorf("kv: SetMany: %d keys, %d values", len(keys), len(values))
	}
	le := binary.LittleEndian
	size := 4
	for i := range keys {
		size += 8 + len(keys[i]) + len(values[i])
	}
	req := le.AppendUint32(make([]byte, 0, size), uint32(len(keys)))
	for i := range keys {
		req = append(le.AppendUint32(req, uint32(len(keys[i]))), keys[i]...)
		req = append(le.AppendUint32(req, uint32(len(values[i]))), values[i]...)
	}
	answer := make([]byte, 4*len(keys))
	setMany(namespace, req, answer, ttl.Milliseconds())
	errs := make([]error, len(keys))
	for i := range errs {
		if st := le.Uint32(answer[4*i:]); st != setOK {
			errs[i] = SetError{Status: Status(st)}
		}
	}
	return errs, nil
}
