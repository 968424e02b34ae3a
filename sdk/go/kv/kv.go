// Package kv is the guest side of weir's kv capability: batched lookups,
// and writes where granted, in the key-value namespaces the manifest
// declares and the pipeline grants (docs/abi.md, "Capability kv").
//
// Ask once per batch, not once per record: collect every record's key in
// weir.OnBatch and resolve them with one GetMany; the host answers them
// all in one call (one Redis round trip for a weir_redis cache).
//
//	results := kv.GetMany("risk", keys)
//	for i, r := range results {
//		if r.Status == kv.Found { use(i, r.Value) }
//	}
//
// A module using kv declares it in its manifest:
//
//	"capabilities": {"kv": {"namespaces": ["risk"], "write": false}}
package kv

import (
	"encoding/binary"
	"time"
)

// Status is a key's result.
type Status uint32

// Key results (docs/abi.md). A miss is never an error, and a store
// failure is never a miss.
const (
	Found      Status = 0 // Value holds the value
	Miss       Status = 1 // no such key
	StoreError Status = 2 // the store failed (only when the grant hands store errors to the guest; otherwise the batch goes back to the input)
	NoRoom     Status = 3 // did not fit: GetMany asks again with room, so callers see it only past the grant's max_response_bytes for one call
	InvalidKey Status = 4 // the key is empty or longer than the grant allows
	TooLarge   Status = 5 // found, but over the grant's value size cap; Size is its length
)

func (s Status) String() string {
	switch s {
	case Found:
		return "found"
	case Miss:
		return "miss"
	case StoreError:
		return "store_error"
	case NoRoom:
		return "no_room"
	case InvalidKey:
		return "invalid_key"
	case TooLarge:
		return "too_large"
	}
	return "unknown"
}

// Result is the answer for one key.
type Result struct {
	Status Status
	// Value is the value when Found: a view into the SDK's answer buffer,
	// valid until the next GetMany. Copy it to keep it longer.
	Value []byte
	// Size is the value's length (also when TooLarge).
	Size int
}

// entryBytes is one key's entry in the host's answer: status, length.
const entryBytes = 8

// minAnswer is the answer buffer's first size; it grows to what a batch needs.
const minAnswer = 64 << 10

// client is the reusable state of the calls: request and answer buffers
// and the results, grown as batches need, never shrunk.
type client struct {
	req     []byte
	answer  []byte
	retry   []byte
	results []Result
	again   []int
	keys    [][]byte
}

var c client

// GetMany looks up keys in namespace in one host call and returns one
// Result per key, in order. The results and their values are valid until
// the next GetMany. Keys over the grant's cap or empty are InvalidKey; a
// namespace the manifest did not declare fails the batch.
func GetMany(namespace string, keys [][]byte) []Result {
	return c.getMany(namespace, keys)
}

// Get looks up one key (prefer GetMany: one call per batch, not per record).
func Get(namespace string, key []byte) Result {
	one := [1][]byte{key}
	return c.getMany(namespace, one[:])[0]
}

func (c *client) getMany(ns string, keys [][]byte) []Result {
	if cap(c.results) < len(keys) {
		c.results = make([]Result, len(keys))
	}
	c.results = c.results[:len(keys)]
	if len(keys) == 0 {
		return c.results
	}
	if len(c.answer) < minAnswer || len(c.answer) < len(keys)*entryBytes {
		c.answer = make([]byte, max(minAnswer, len(keys)*entryBytes*2))
	}
	n := c.call(ns, keys, c.answer)
	c.again = decode(c.answer[:n], c.results, c.again[:0])
	if len(c.again) > 0 {
		c.askAgain(ns, keys)
	}
	return c.results
}

// askAgain asks again, with room, for the keys answered NoRoom.
func (c *client) askAgain(ns string, keys [][]byte) {
	need := 0
	c.keys = c.keys[:0]
	for _, i := range c.again {
		need += entryBytes + c.results[i].Size
		c.keys = append(c.keys, keys[i])
	}
	if len(c.retry) < need {
		c.retry = make([]byte, need)
	}
	results := make([]Result, len(c.keys)) // rare: values over the first buffer
	n := c.call(ns, c.keys, c.retry)
	decode(c.retry[:n], results, nil)
	for j, i := range c.again {
		c.results[i] = results[j]
	}
}

// call encodes the request and makes the host call; it returns the
// answer's length.
func (c *client) call(ns string, keys [][]byte, answer []byte) int {
	req := binary.LittleEndian.AppendUint32(c.req[:0], uint32(len(keys)))
	for _, k := range keys {
		req = binary.LittleEndian.AppendUint32(req, uint32(len(k)))
		req = append(req, k...)
	}
	c.req = req
	return int(getMany(ns, req, answer))
}

// decode reads an answer into results, returning (appended to again) the
// indexes answered NoRoom.
func decode(answer []byte, results []Result, again []int) []int {
	le := binary.LittleEndian
	pos := len(results) * entryBytes
	for i := range results {
		st, n := Status(le.Uint32(answer[i*entryBytes:])), int(le.Uint32(answer[i*entryBytes+4:]))
		results[i] = Result{Status: st, Size: n}
		switch st {
		case Found:
			results[i].Value = answer[pos : pos+n : pos+n]
			pos += n
		case NoRoom:
			again = append(again, i)
		}
	}
	return again
}

// Results of Set.
const (
	setOK = 0
)

// Set writes value under key in namespace, with a time to live (0: none;
// the grant may bound it). The manifest must declare "write": true and the
// namespace be granted writable. It returns nil, or a SetError.
func Set(namespace string, key, value []byte, ttl time.Duration) error {
	st := set(namespace, key, value, ttl.Milliseconds())
	if st == setOK {
		return nil
	}
	return SetError{Status: Status(st)}
}

// SetError is a write the host refused or the store failed.
type SetError struct{ Status Status }

func (e SetError) Error() string { return "kv: set: " + e.Status.String() }
