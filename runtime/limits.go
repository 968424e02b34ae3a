package runtime

import (
	"fmt"
	"unicode/utf8"
)

// Defaults of the output caps (PoolConfig, docs/abi.md "Limits").
const (
	defaultMaxEmitsPerRecord   = 10_000
	defaultMaxEmitsPerBatch    = 100_000
	defaultMaxExpandedBytes    = 256 << 20
	defaultMaxMetadataPerBatch = 1_000_000
)

// maxGuestErrorBytes truncates the message of an ERROR entry: it becomes a
// metadata value of the failed message and part of its error.
const maxGuestErrorBytes = 4 << 10

// outputLimits are the caps on what one batch's output may expand to.
// Each per-batch cap is at least what the batch itself brought, so a
// transform that keeps every record never reaches one: only fan-out does.
type outputLimits struct {
	emitsPerRecord int
	emitsPerBatch  int
	expandedBytes  int // values, port names, metadata keys and values
	metadata       int // metadata entries: inherited by each emit, plus its ops
}

// outputLimits are c's caps for a batch of inputs.
func (c PoolConfig) outputLimits(inputs []Record) outputLimits {
	var bytes, meta int
	for _, r := range inputs {
		bytes += len(r.Value) + metaBytes(r.Meta)
		meta += len(r.Meta)
	}
	return outputLimits{
		emitsPerRecord: c.MaxEmitsPerRecord,
		emitsPerBatch:  max(c.MaxEmitsPerBatch, len(inputs)),
		expandedBytes:  max(c.MaxExpandedBytes, bytes),
		metadata:       max(c.MaxMetadataPerBatch, meta),
	}
}

func metaBytes(meta []Meta) int {
	n := 0
	for _, m := range meta {
		n += len(m.Key) + len(m.Value)
	}
	return n
}

// outputUse is what a batch's decoded output has used of its limits.
type outputUse struct {
	emits, bytes, metadata int
}

// over is the error of a batch whose output passed a cap: what, where,
// and which setting to raise.
func (d *decoder) over(idx int, what string, limit int, field string) error {
	return d.fail("record %d: the batch's output passes the cap of %d %s: raise %s if this fan-out is intended", idx, limit, what, field)
}

func (d *decoder) countEmit(idx, emitted int) error {
	if emitted >= d.lim.emitsPerRecord {
		return d.fail("record %d: more than %d emits, the cap per record: raise max_emits_per_record if this fan-out is intended", idx, d.lim.emitsPerRecord)
	}
	if d.use.emits >= d.lim.emitsPerBatch {
		return d.over(idx, "emits", d.lim.emitsPerBatch, "max_emits_per_batch")
	}
	d.use.emits++
	return nil
}

// chargeBytes counts n bytes an emit will carry, before they are copied.
func (d *decoder) chargeBytes(idx, n int) error {
	if n > d.lim.expandedBytes-d.use.bytes {
		return d.over(idx, "expanded bytes", d.lim.expandedBytes, "max_expanded_bytes")
	}
	d.use.bytes += n
	return nil
}

// chargeMetadata counts n metadata entries an emit will carry, before they
// are allocated.
func (d *decoder) chargeMetadata(idx, n int) error {
	if n > d.lim.metadata-d.use.metadata {
		return d.over(idx, "metadata entries", d.lim.metadata, "max_metadata_per_batch")
	}
	d.use.metadata += n
	return nil
}

// guestText copies at most max bytes of guest text (see clip).
func guestText(b []byte, max int) string { return clip(b, max, len(b)) }

// clip copies at most max bytes of head, the start of a guest message of
// total bytes, ended at a character boundary when head shows where one
// is, and says how many bytes were left out.
func clip(head []byte, max, total int) string {
	if len(head) <= max && total == len(head) {
		return string(head)
	}
	cut := min(max, len(head))
	for back := 0; cut < len(head) && cut > 0 && back < utf8.UTFMax && !utf8.RuneStart(head[cut]); back++ {
		cut--
	}
	return fmt.Sprintf("%s…(%d more bytes)", head[:cut], total-cut)
}

// excerpt quotes the start of guest bytes for an error message.
func excerpt(b []byte) string {
	const n = 64
	if len(b) <= n {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q…(%d bytes)", b[:n], len(b))
}

// excerpts quotes the first few of a module's names (a manifest may
// declare millions) for an error message.
func excerpts(names []string) string {
	const n = 8
	s := "["
	for i, name := range names[:min(n, len(names))] {
		if i > 0 {
			s += " "
		}
		s += excerpt([]byte(name))
	}
	if len(names) > n {
		s += fmt.Sprintf(" …%d more", len(names)-n)
	}
	return s + "]"
}
