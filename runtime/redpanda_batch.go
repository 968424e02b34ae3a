package runtime

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// redpandaBatch is one batch as a Redpanda guest sees it: the records
// read_next_record hands out in order, and the outcomes write_record
// fills in for the record being transformed. The guest goroutine uses it
// between receiving it and asking for the next batch; the host only
// before and after.
type redpandaBatch struct {
	records  []Record
	outcomes []Outcome
	routes   map[string]string // topic → port
	lim      outputLimits
	use      outputUse
	next     int // the record read_next_record gives next
	cur      int // the record being transformed, -1 between records
	now      int64
}

func newRedpandaBatch(records []Record, outcomes []Outcome, routes map[string]string, lim outputLimits, nowMs int64) *redpandaBatch {
	return &redpandaBatch{records: records, outcomes: outcomes, routes: routes, lim: lim, cur: -1, now: nowMs}
}

// write takes a record the guest wrote for the current record to topic
// ("" for the default output). It returns false, and flags the current
// record, when the payload is malformed, the topic unknown or a cap is
// passed: the guest sees a failed write.
func (b *redpandaBatch) write(payload []byte, topic string, hasTopic bool) bool {
	if b.cur < 0 || b.outcomes[b.cur].Err != nil {
		return false
	}
	e, err := b.emit(payload, topic, hasTopic)
	if err != nil {
		b.refuse(err.Error())
		return false
	}
	b.outcomes[b.cur].Emits = append(b.outcomes[b.cur].Emits, e)
	return true
}

// refuse flags the current record bad_output, dropping what it wrote:
// the guest broke the ABI in a write for it.
func (b *redpandaBatch) refuse(msg string) {
	if b.cur >= 0 && b.outcomes[b.cur].Err == nil {
		b.outcomes[b.cur] = Outcome{Err: &Error{Class: ClassBadOutput, Msg: fmt.Sprintf("record %d: %s", b.cur, msg)}}
	}
}

func (b *redpandaBatch) emit(payload []byte, topic string, hasTopic bool) (Emit, error) {
	port, ok := b.routes[topic]
	if hasTopic && !ok {
		return Emit{}, fmt.Errorf("write to topic %s, which is not in the config's output_topics or ports", excerpt([]byte(topic)))
	}
	if len(b.outcomes[b.cur].Emits) >= b.lim.emitsPerRecord {
		return Emit{}, fmt.Errorf("more than %d writes, the cap per record: raise max_emits_per_record if this fan-out is intended", b.lim.emitsPerRecord)
	}
	if b.use.emits >= b.lim.emitsPerBatch {
		return Emit{}, fmt.Errorf("the batch's writes pass the cap of %d: raise max_emits_per_batch", b.lim.emitsPerBatch)
	}
	rec, err := decodePayload(payload)
	if err != nil {
		return Emit{}, err
	}
	in := &b.records[b.cur]
	ops, err := metaOpsFor(in.Meta, rec)
	if err != nil {
		return Emit{}, err
	}
	if err := b.charge(len(rec.value)+len(port)+metaBytes(in.Meta)+opBytes(ops), len(in.Meta)+len(ops)); err != nil {
		return Emit{}, err
	}
	b.use.emits++
	e := Emit{Port: port, MetaOps: ops, Value: in.Value, Unchanged: true}
	if !bytes.Equal(rec.value, in.Value) {
		e.Value, e.Unchanged = bytes.Clone(rec.value), false
		if e.Value == nil {
			e.Value = []byte{}
		}
	}
	return e, nil
}

// charge counts what an emit carries against the batch's caps, before
// anything of it is copied.
func (b *redpandaBatch) charge(bytes, metadata int) error {
	if bytes > b.lim.expandedBytes-b.use.bytes {
		return fmt.Errorf("the batch's writes pass the cap of %d expanded bytes: raise max_expanded_bytes", b.lim.expandedBytes)
	}
	if metadata > b.lim.metadata-b.use.metadata {
		return fmt.Errorf("the batch's writes pass the cap of %d metadata entries: raise max_metadata_per_batch", b.lim.metadata)
	}
	b.use.bytes += bytes
	b.use.metadata += metadata
	return nil
}

func opBytes(ops []MetaOp) int {
	n := 0
	for _, op := range ops {
		n += len(op.Key) + len(op.Value)
	}
	return n
}

// metaOpsFor turns the key and headers a guest wrote into changes of the
// input's metadata: the key is kafka_key, each header a metadata entry
// (of repeated header keys, the last wins), and an input header the guest
// left out is deleted. A mirror's write changes nothing.
func metaOpsFor(meta []Meta, rec kafkaRecord) ([]MetaOp, error) {
	var ops []MetaOp
	key, hadKey := metaValue(meta, metaKafkaKey)
	switch {
	case rec.hasKey && (!hadKey || key != string(rec.key)):
		ops = append(ops, MetaOp{Key: metaKafkaKey, Value: string(rec.key)})
	case !rec.hasKey && hadKey:
		ops = append(ops, MetaOp{Key: metaKafkaKey, Delete: true})
	}
	for _, m := range meta {
		if header(m.Key) && !hasHeader(rec.headers, m.Key) {
			ops = append(ops, MetaOp{Key: m.Key, Delete: true})
		}
	}
	for i, h := range rec.headers {
		if !utf8.Valid(h[0]) || !header(string(h[0])) || len(h[0]) == 0 {
			return nil, fmt.Errorf("header %d: key %s is not valid UTF-8, empty, or reserved (%s, %s)", i, excerpt(h[0]), metaKafkaKey, metaKafkaTimestamp)
		}
		if v, ok := metaValue(meta, string(h[0])); !ok || v != string(h[1]) || lastOf(rec.headers, i) != i {
			ops = append(ops, MetaOp{Key: string(h[0]), Value: string(h[1])})
		}
	}
	return ops, nil
}

func hasHeader(headers [][2][]byte, key string) bool {
	for _, h := range headers {
		if string(h[0]) == key {
			return true
		}
	}
	return false
}

// lastOf is the index of the last header with the key of headers[i].
func lastOf(headers [][2][]byte, i int) int {
	last := i
	for j := i + 1; j < len(headers); j++ {
		if bytes.Equal(headers[j][0], headers[i][0]) {
			last = j
		}
	}
	return last
}

// fail flags the record whose transform stopped the guest (the current
// one or, between records, the next), drops what it wrote, and moves past
// it: a fresh guest goes on with the rest of the batch.
func (b *redpandaBatch) fail(err *Error) {
	idx := b.cur
	if idx < 0 {
		idx = b.next
	}
	if idx >= len(b.records) {
		return
	}
	if b.outcomes[idx].Err == nil { // a bad write flagged it first: keep that
		b.outcomes[idx] = Outcome{Err: err}
	} else {
		b.outcomes[idx].Emits = nil
	}
	b.next, b.cur = idx+1, -1
}

// finish flags the records the guest never asked for (it asked for the
// next batch first): they got no verdict.
func (b *redpandaBatch) finish() {
	for i := b.next; i < len(b.records); i++ {
		b.outcomes[i].Err = errorf(ClassBadOutput, "record %d: the guest asked for the next batch before reading it: no verdict", i)
	}
}
