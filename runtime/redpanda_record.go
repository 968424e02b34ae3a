package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Benthos metadata keys a Redpanda record is made of; every other
// metadata entry is a Kafka header. They are the kafka input's (host).
const (
	metaKafkaKey       = "kafka_key"
	metaKafkaTimestamp = "kafka_timestamp_unix_ms"
	metaKafkaOffset    = "kafka_offset"
)

// header reports whether a metadata entry travels as a Kafka header.
func header(key string) bool { return key != metaKafkaKey && key != metaKafkaTimestamp }

// payloadSize is the size of a record's payload in Kafka record format:
// key, value and headers, each length a zigzag varint (-1: null).
func payloadSize(r *Record) int {
	key, hasKey := metaValue(r.Meta, metaKafkaKey)
	n := sizedLen(len(key), hasKey) + sizedLen(len(r.Value), true)
	count := 0
	for _, m := range r.Meta {
		if header(m.Key) {
			n += sizedLen(len(m.Key), true) + sizedLen(len(m.Value), true)
			count++
		}
	}
	return n + varintLen(int64(count))
}

func sizedLen(n int, present bool) int {
	if !present {
		return varintLen(-1)
	}
	return varintLen(int64(n)) + n
}

func varintLen(v int64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutVarint(b[:], v)
}

// encodePayload writes r's payload into dst, payloadSize(r) long.
func encodePayload(dst []byte, r *Record) {
	key, hasKey := metaValue(r.Meta, metaKafkaKey)
	p := putSized(dst, 0, key, hasKey)
	p = putSized(dst, p, string(r.Value), true)
	count := 0
	for _, m := range r.Meta {
		if header(m.Key) {
			count++
		}
	}
	p += binary.PutVarint(dst[p:], int64(count))
	for _, m := range r.Meta {
		if header(m.Key) {
			p = putSized(dst, p, m.Key, true)
			p = putSized(dst, p, m.Value, true)
		}
	}
}

func putSized(dst []byte, p int, s string, present bool) int {
	if !present {
		return p + binary.PutVarint(dst[p:], -1)
	}
	p += binary.PutVarint(dst[p:], int64(len(s)))
	return p + copy(dst[p:], s)
}

func metaValue(meta []Meta, key string) (string, bool) {
	for _, m := range meta {
		if m.Key == key {
			return m.Value, true
		}
	}
	return "", false
}

// metaInt is a metadata entry as an integer, or def.
func metaInt(meta []Meta, key string, def int64) int64 {
	if v, ok := metaValue(meta, key); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

// kafkaRecord is a payload the guest wrote, viewing guest memory.
type kafkaRecord struct {
	key, value []byte
	hasKey     bool
	headers    [][2][]byte
}

var errPayload = errors.New("malformed record payload")

// decodePayload parses a payload the guest wrote. Every length is checked
// against what is left and the header count against the bytes that could
// hold it, so no number the guest writes makes the host read out of
// bounds or allocate more than its bytes justify.
func decodePayload(b []byte) (kafkaRecord, error) {
	var r kafkaRecord
	var err error
	p := 0
	if r.key, r.hasKey, p, err = readSized(b, p); err != nil {
		return r, fmt.Errorf("%w: key: %v", errPayload, err)
	}
	if r.value, _, p, err = readSized(b, p); err != nil {
		return r, fmt.Errorf("%w: value: %v", errPayload, err)
	}
	count, n := binary.Varint(b[p:])
	if n <= 0 || count < 0 || count > int64(len(b)-p-n)/2 { // a header takes two bytes at least
		return r, fmt.Errorf("%w: header count at offset %d is malformed or cannot fit", errPayload, p)
	}
	p += n
	r.headers = make([][2][]byte, count)
	for i := range r.headers {
		if r.headers[i][0], _, p, err = readSized(b, p); err == nil {
			r.headers[i][1], _, p, err = readSized(b, p)
		}
		if err != nil {
			return r, fmt.Errorf("%w: header %d: %v", errPayload, i, err)
		}
	}
	if p != len(b) {
		return r, fmt.Errorf("%w: %d trailing bytes", errPayload, len(b)-p)
	}
	return r, nil
}

// readSized reads a varint length (-1: null) and that many bytes.
func readSized(b []byte, p int) ([]byte, bool, int, error) {
	l, n := binary.Varint(b[p:])
	switch {
	case n <= 0:
		return nil, false, p, fmt.Errorf("malformed length at offset %d", p)
	case l == -1:
		return nil, false, p + n, nil
	case l < -1 || l > int64(len(b)-p-n):
		return nil, false, p, fmt.Errorf("length %d at offset %d exceeds the %d bytes left", l, p, len(b)-p-n)
	}
	p += n
	return b[p : p+int(l)], true, p + int(l), nil
}
