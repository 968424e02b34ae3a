package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/schema"
)

// ProcessBatch sends the batch through the guest in one call and maps each
// verdict back to messages. It never drops a message silently and never
// lets a panic escape: anything unexpected flags the whole batch.
//
// The batch runs on the version serving when it starts, even if a swap
// happens meanwhile.
func (p *wasmProcessor) ProcessBatch(ctx context.Context, batch service.MessageBatch) (out []service.MessageBatch, err error) {
	v := p.slot.acquire()
	defer v.release()
	defer func() {
		if r := recover(); r != nil {
			p.log.Errorf("weir: recovered panic in wasm processor: %v", r)
			p.flagAll(v.mod, batch, &runtime.Error{Class: runtime.ClassTrap, Transform: v.mod.Manifest.ID(), Msg: fmt.Sprintf("host panic: %v", r)})
			out, err = []service.MessageBatch{batch}, nil
		}
	}()
	g := p.scratch.Get().(*guestBatch)
	defer p.scratch.Put(g)
	if p.bind != nil {
		g.proj = projectionOf(v.pool)
	}
	p.toRecords(g, batch)
	defer g.release()
	p.metrics.records.Incr(int64(len(batch)))
	outcomes, err := v.pool.ProcessInto(ctx, g.records, &g.outcomes)
	if err != nil {
		p.log.Warnf("weir: batch of %d failed: %v", len(batch), err)
		p.flagAll(v.mod, batch, err)
		p.slot.observe(v, len(batch), len(batch))
		return []service.MessageBatch{batch}, nil
	}
	result, failed := p.apply(v.mod, batch, g, outcomes)
	p.slot.observe(v, len(batch), failed)
	return []service.MessageBatch{result}, nil
}

// guestBatch is what goes to the guest: the records that passed the
// schema binding, and for each message its record index or its failure.
// It is the processor's reusable scratch (wasmProcessor.scratch), owned by
// one batch from toRecords until ProcessBatch returns: nothing in it is
// handed to Benthos.
type guestBatch struct {
	records  []runtime.Record
	index    []int   // message i → records[index[i]], or -1
	failed   []error // message i's failure before the guest, if any; nil when none failed
	meta     []runtime.Meta
	walk     func(k, v string) error // appends to meta; made once, as MetaWalk's callback
	outcomes runtime.Outcomes

	proj  *schema.Projection  // the version's, on a projected JSON stream (schema_projection.go)
	found []schema.Found      // one record's values, reused
	spans []runtime.FieldSpan // every record's values, records[i].Fields
}

func newGuestBatch() any {
	g := &guestBatch{}
	g.walk = func(k, v string) error {
		g.meta = append(g.meta, runtime.Meta{Key: k, Value: v})
		return nil
	}
	return g
}

// release drops the batch's references to message bytes and metadata, so
// idle scratch keeps no message alive.
func (g *guestBatch) release() {
	clear(g.records)
	clear(g.meta)
	clear(g.failed)
	g.proj = nil
}

func (p *wasmProcessor) toRecords(g *guestBatch, batch service.MessageBatch) {
	g.records, g.meta, g.failed, g.spans = g.records[:0], g.meta[:0], g.failed[:0], g.spans[:0]
	g.index = slices.Grow(g.index[:0], len(batch))[:len(batch)]
	for i, m := range batch {
		g.index[i] = -1
		value, err := m.AsBytes()
		var fields []runtime.FieldSpan
		switch {
		case err != nil || p.bind == nil:
		case g.proj != nil:
			value, fields, err = g.project(g.proj, value)
		default:
			value, err = p.bind.toGuest(value)
		}
		if err != nil {
			g.fail(i, len(batch), err)
			continue
		}
		first := len(g.meta)
		_ = m.MetaWalk(g.walk)
		r := runtime.Record{Value: value, Fields: fields}
		if len(g.meta) > first {
			r.Meta = g.meta[first:len(g.meta):len(g.meta)]
		}
		g.index[i] = len(g.records)
		g.records = append(g.records, r)
	}
}

// fail records message i's failure before the guest.
func (g *guestBatch) fail(i, n int, err error) {
	if len(g.failed) == 0 {
		g.failed = slices.Grow(g.failed, n)[:n]
	}
	g.failed[i] = err
}

func (g *guestBatch) failure(i int) error {
	if len(g.failed) == 0 {
		return nil
	}
	return g.failed[i]
}

// apply turns outcomes into the output batch, in input order, and returns
// how many messages the guest failed. When every message is kept as it
// came, the output is the input batch itself: nothing is allocated.
func (p *wasmProcessor) apply(mod *runtime.Module, batch service.MessageBatch, g *guestBatch, outcomes []runtime.Outcome) (service.MessageBatch, int) {
	var out service.MessageBatch // nil while the output is batch[:i]
	failed := 0
	for i, m := range batch {
		var o runtime.Outcome
		ferr := g.failure(i)
		if ferr == nil {
			o = outcomes[g.index[i]]
		}
		if ferr == nil && o.Err == nil && len(o.Emits) == 1 && isPlainKeep(o.Emits[0]) {
			if out != nil {
				out = append(out, m)
			}
			continue
		}
		if out == nil {
			out = append(make(service.MessageBatch, 0, len(batch)), batch[:i]...)
		}
		switch {
		case ferr != nil:
			p.flag(mod, m, ferr)
			out = append(out, m)
		case o.Err != nil:
			p.flag(mod, m, o.Err)
			out = append(out, m)
			if runtime.ClassOf(o.Err) != runtime.ClassBadInput {
				failed++ // the version's failure; bad input is the record's, as a schema's is
			}
		case len(o.Emits) == 0:
			p.metrics.dropped.Incr(1)
		case len(o.Emits) == 1:
			out = append(out, p.emit(mod, g, m, o.Emits[0])) // the message itself, rewritten
		default:
			for _, e := range o.Emits {
				out = append(out, p.emit(mod, g, m.Copy(), e))
			}
		}
	}
	if out == nil {
		return batch, failed
	}
	return out, failed
}

func isPlainKeep(e runtime.Emit) bool { return e.Unchanged && e.Port == "" && len(e.MetaOps) == 0 }

// emit applies one emit to c: the input message itself for a single
// emit, a copy of it for each of a fan-out.
func (p *wasmProcessor) emit(mod *runtime.Module, g *guestBatch, c *service.Message, e runtime.Emit) *service.Message {
	if !e.Unchanged {
		value, err := e.Value, error(nil)
		switch {
		case p.bind == nil:
		case g.proj != nil:
			value, err = p.bind.fromProjected(g.proj, e)
		default:
			value, err = p.bind.fromGuest(value)
		}
		if err != nil {
			p.flag(mod, c, err) // the original value stays, flagged: nothing half-written leaves
			return c
		}
		c.SetBytes(value)
	}
	if e.Port != "" {
		c.MetaSetMut(p.portMeta, e.Port)
		p.metrics.routed.Incr(1, e.Port)
	}
	for _, op := range e.MetaOps {
		if op.Delete {
			c.MetaDelete(op.Key)
		} else {
			c.MetaSetMut(op.Key, op.Value)
		}
	}
	return c
}

func (p *wasmProcessor) flagAll(mod *runtime.Module, batch service.MessageBatch, err error) {
	for _, m := range batch {
		p.flag(mod, m, err)
	}
}

// flag marks a message as failed, with the reason and the transform's
// identity, so the pipeline can route it to a dead-letter output.
func (p *wasmProcessor) flag(mod *runtime.Module, m *service.Message, err error) {
	class := string(runtime.ClassOf(err))
	var se *schema.Error
	if errors.As(err, &se) {
		class = string(se.Class)
		m.MetaSetMut(MetaErrField, se.Path)
	}
	if class == "" {
		class = string(runtime.ClassTrap)
	}
	m.SetError(err)
	m.MetaSetMut(MetaError, errorMessage(err))
	m.MetaSetMut(MetaErrClass, class)
	m.MetaSetMut(MetaTransform, mod.Manifest.Name)
	m.MetaSetMut(MetaVersion, mod.Manifest.Version)
	m.MetaSetMut(MetaDigest, mod.Digest)
	p.metrics.failed.Incr(1, class)
}

// processorMetrics are exported through Benthos's own metrics.
type processorMetrics struct {
	records, dropped *service.MetricCounter
	failed, routed   *service.MetricCounter
	fuel             *service.MetricCounter
	swaps            *service.MetricCounter
	latency          *service.MetricTimer
	logsDroppedLines *service.MetricCounter
	logsDroppedBytes *service.MetricCounter
}

func newProcessorMetrics(m *service.Metrics) processorMetrics {
	return processorMetrics{
		records: m.NewCounter("weir_records_in"),
		dropped: m.NewCounter("weir_records_dropped"),
		failed:  m.NewCounter("weir_records_failed", "class"),
		routed:  m.NewCounter("weir_records_routed", "port"),
		fuel:    m.NewCounter("weir_fuel_used", "transform", "version"),
		swaps:   m.NewCounter("weir_swaps", "outcome"),
		latency: m.NewTimer("weir_batch_latency_ns", "transform", "version"),

		logsDroppedLines: m.NewCounter("weir_guest_log_dropped", "transform", "version"),
		logsDroppedBytes: m.NewCounter("weir_guest_log_dropped_bytes", "transform", "version"),
	}
}

// logsDropped counts the guest log lines, and bytes, a version's rate
// limit dropped (runtime.PoolConfig.LogLinesPerSecond).
func (pm processorMetrics) logsDropped(man runtime.Manifest) func(lines, bytes int64) {
	return func(lines, bytes int64) {
		pm.logsDroppedLines.Incr(lines, man.Name, man.Version)
		pm.logsDroppedBytes.Incr(bytes, man.Name, man.Version)
	}
}

// batchDone records each batch's fuel and guest time, per transform version.
// The label values are one slice, made once: passed one by one, they
// would be a new slice per batch.
func (pm processorMetrics) batchDone(man runtime.Manifest) func(int64, time.Duration) {
	labels := []string{man.Name, man.Version}
	return func(fuel int64, d time.Duration) {
		pm.fuel.Incr(fuel, labels...)
		pm.latency.Timing(d.Nanoseconds(), labels...)
	}
}
