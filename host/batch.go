package host

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/schema"
)

// ProcessBatch sends the batch through the guest in one call and maps each
// verdict back to messages. It never drops a message silently and never
// lets a panic escape. A failure of the guest or of the input flags the
// messages it concerns (routable to a dead-letter output); a failure of
// the host is retried until the batch runs or ctx ends, and then returned:
// the batch goes back to the input, never to the dead-letter output
// (docs/abi.md §6).
//
// The batch runs on the version serving when it starts, even if a swap
// happens meanwhile.
func (p *wasmProcessor) ProcessBatch(ctx context.Context, batch service.MessageBatch) (out []service.MessageBatch, err error) {
	v := p.slot.acquire()
	defer v.release()
	defer func() {
		if r := recover(); r != nil {
			out, err = p.panicked(v, batch, r), nil
		}
	}()
	g := p.scratch.Get().(*guestBatch)
	defer p.scratch.Put(g)
	if p.bind != nil {
		g.proj = projectionOf(v.pool)
	}
	p.toRecords(g, batch, v.mod.Manifest.ReadsMetadata())
	defer g.release()
	outcomes, err := p.run(ctx, v, g)
	if err == nil && !v.mod.Manifest.ReadsMetadata() {
		err = fanoutMeta(v, batch, g, outcomes)
	}
	switch {
	case err != nil && hostFault(ctx, err):
		p.log.Warnf("weir: batch of %d returned to the input: %v", len(batch), err)
		return nil, err
	case err != nil:
		p.log.Warnf("weir: batch of %d failed: %v", len(batch), err)
		p.flagAll(&g.tally, v.mod, batch, err)
		p.account(v, len(batch), &g.tally)
		p.slot.observe(v, len(batch), guestFailures(err, len(batch)))
		return []service.MessageBatch{batch}, nil
	}
	result, failed := p.apply(v.mod, batch, g, outcomes)
	p.account(v, len(batch), &g.tally)
	p.slot.observe(v, len(batch), failed)
	return []service.MessageBatch{result}, nil
}

// account records what a batch that ran came to, once: in the metrics,
// per transform version, and in the version's ring for the console. A
// batch returned to the input is not counted: it comes again.
func (p *wasmProcessor) account(v *version, n int, t *batchTally) {
	labels := v.series.labels
	p.metrics.records.Incr(int64(n), labels...)
	if t.dropped > 0 {
		p.metrics.dropped.Incr(int64(t.dropped), labels...)
	}
	for _, c := range t.classes {
		p.metrics.failed.Incr(c.n, c.class, labels[0], labels[1])
	}
	if replaced := v.series.add(n, t, v.pool.Replaced()); replaced > 0 {
		p.metrics.replaced.Incr(replaced, labels...)
	}
}

// Host failures are retried after a pause growing from retryFirst to
// retryMost, for as long as the batch's context lasts.
const (
	retryFirst = 10 * time.Millisecond
	retryMost  = time.Second
)

// run sends the batch's records to the guest, retrying host failures
// (no instance could be made, the engine closed) until ctx ends: Benthos
// has no way for a processor to nack, so the batch waits here, as an
// output waits for its sink, and goes back to the input at shutdown.
func (p *wasmProcessor) run(ctx context.Context, v *version, g *guestBatch) ([]runtime.Outcome, error) {
	for wait := retryFirst; ; wait = min(2*wait, retryMost) {
		outcomes, err := v.pool.ProcessInto(ctx, g.records, &g.outcomes)
		if err == nil || !hostFault(ctx, err) || ctx.Err() != nil {
			return outcomes, err
		}
		p.metrics.retried.Incr(1)
		p.log.Warnf("weir: %s: batch of %d could not run, retrying in %s: %v", p.slot.name, len(g.records), wait, err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// hostFault reports whether a batch's failure is neither the guest's nor
// its records': the caller's context ended (shutdown), or the runtime
// could not run it.
func hostFault(ctx context.Context, err error) bool {
	c := runtime.ClassOf(err)
	return ctx.Err() != nil || c == runtime.ClassHost || c == ""
}

// guestFailures is how many of a failed batch's n records count against
// the version: all of them when the guest failed it, none when its input
// did (a batch too large for the guest).
func guestFailures(err error, n int) int {
	if runtime.ClassOf(err).Guest() {
		return n
	}
	return 0
}

// panicked flags a batch whose processing panicked in the host: a bug in
// weir, not the guest's nor the records'. Its class says so (host_error)
// and it does not count against the version; it is flagged rather than
// retried because the same batch would panic again and stall the input.
func (p *wasmProcessor) panicked(v *version, batch service.MessageBatch, r any) []service.MessageBatch {
	p.log.Errorf("weir: recovered panic in wasm processor: %v\n%s", r, debug.Stack())
	var t batchTally
	defer p.account(v, len(batch), &t)
	p.flagAll(&t, v.mod, batch, &runtime.Error{Class: runtime.ClassHost, Transform: v.mod.Manifest.ID(), Msg: fmt.Sprintf("host panic: %v", r)})
	return []service.MessageBatch{batch}
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
	tally    batchTally // what the batch's records came to

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

// toRecords makes the guest's records of batch; with meta false (the
// guest declares it reads no metadata) it does not walk the messages'
// metadata at all.
func (p *wasmProcessor) toRecords(g *guestBatch, batch service.MessageBatch, meta bool) {
	g.records, g.meta, g.failed, g.spans = g.records[:0], g.meta[:0], g.failed[:0], g.spans[:0]
	g.tally.reset()
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
			g.fail(i, len(batch), inputFailure(err))
			continue
		}
		first := len(g.meta)
		if meta {
			_ = m.MetaWalk(g.walk)
		}
		r := runtime.Record{Value: value, Fields: fields}
		if len(g.meta) > first {
			r.Meta = g.meta[first:len(g.meta):len(g.meta)]
		}
		g.index[i] = len(g.records)
		g.records = append(g.records, r)
	}
}

// inputFailure classes a record's failure before the guest: the schema's
// class when it has one, else bad_input (the value could not be read).
func inputFailure(err error) error {
	if failureClass(err) != "" {
		return err
	}
	return &runtime.Error{Class: runtime.ClassBadInput, Msg: "read the message", Cause: err}
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
			p.flag(&g.tally, mod, m, ferr)
			out = append(out, m)
		case o.Err != nil:
			p.flag(&g.tally, mod, m, o.Err)
			out = append(out, m)
			if runtime.ClassOf(o.Err).Guest() {
				failed++ // the version's failure; bad input is the record's, as an input schema's is
			}
		case len(o.Emits) == 0:
			g.tally.dropped++
		case len(o.Emits) == 1:
			out = append(out, p.emit(mod, g, m, o.Emits[0], &failed)) // the message itself, rewritten
		default:
			for _, e := range o.Emits {
				out = append(out, p.emit(mod, g, m.Copy(), e, &failed))
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
// emit, a copy of it for each of a fan-out. A value that fails the output
// schema is the guest's failure: it flags c and counts in *failed.
func (p *wasmProcessor) emit(mod *runtime.Module, g *guestBatch, c *service.Message, e runtime.Emit, failed *int) *service.Message {
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
			p.flag(&g.tally, mod, c, outputFailure(err)) // the original value stays, flagged: nothing half-written leaves
			*failed++
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

func (p *wasmProcessor) flagAll(t *batchTally, mod *runtime.Module, batch service.MessageBatch, err error) {
	for _, m := range batch {
		p.flag(t, mod, m, err)
	}
}

// outputFailure classes a failure of the guest's output against the
// output type: schema_violation when the schema says so, else bad_output.
func outputFailure(err error) error {
	if failureClass(err) != "" {
		return err
	}
	return &runtime.Error{Class: runtime.ClassBadOutput, Msg: "transform output", Cause: err}
}

// failureClass is err's class in runtime's vocabulary, which schema's
// errors use too; "" for an error weir did not classify.
func failureClass(err error) runtime.Class {
	var se *schema.Error
	if errors.As(err, &se) {
		return se.Class
	}
	return runtime.ClassOf(err)
}

// flag marks a message as failed, with the reason and the transform's
// identity, so the pipeline can route it to a dead-letter output, and
// counts it in t by class. Every
// error flagged is classified where it arises (inputFailure, the
// runtime's outcomes, outputFailure): flag never guesses a class.
func (p *wasmProcessor) flag(t *batchTally, mod *runtime.Module, m *service.Message, err error) {
	class := string(failureClass(err))
	var se *schema.Error
	if errors.As(err, &se) {
		m.MetaSetMut(MetaErrField, se.Path)
	}
	m.SetError(err)
	m.MetaSetMut(MetaError, errorMessage(err))
	m.MetaSetMut(MetaErrClass, class)
	m.MetaSetMut(MetaTransform, mod.Manifest.Name)
	m.MetaSetMut(MetaVersion, mod.Manifest.Version)
	m.MetaSetMut(MetaDigest, mod.Digest)
	t.fail(class)
}

// processorMetrics are exported through Benthos's own metrics.
type processorMetrics struct {
	records, dropped *service.MetricCounter
	failed, routed   *service.MetricCounter
	retried          *service.MetricCounter // batches the host could not run, tried again
	fuel             *service.MetricCounter
	swaps            *service.MetricCounter
	replaced         *service.MetricCounter // instances discarded and made again
	latency          *service.MetricTimer
	logsDroppedLines *service.MetricCounter
	logsDroppedBytes *service.MetricCounter
}

func newProcessorMetrics(m *service.Metrics) processorMetrics {
	return processorMetrics{
		records: m.NewCounter("weir_records_in", "transform", "version"),
		dropped: m.NewCounter("weir_records_dropped", "transform", "version"),
		failed:  m.NewCounter("weir_records_failed", "class", "transform", "version"),
		retried: m.NewCounter("weir_batches_retried"),
		routed:  m.NewCounter("weir_records_routed", "port"),
		fuel:    m.NewCounter("weir_fuel_used", "transform", "version"),
		swaps:   m.NewCounter("weir_swaps", "outcome", "transform"),
		latency: m.NewTimer("weir_batch_latency_ns", "transform", "version"),

		replaced: m.NewCounter("weir_instances_replaced", "transform", "version"),

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

// batchDone records each batch's fuel and guest time, per transform
// version, in the metrics and in the version's ring. The label values are
// one slice, made once: passed one by one, they would be a new slice per
// batch.
func (pm processorMetrics) batchDone(vs *versionSeries) func(int64, time.Duration) {
	labels := vs.labels
	return func(fuel int64, d time.Duration) {
		pm.fuel.Incr(fuel, labels...)
		pm.latency.Timing(d.Nanoseconds(), labels...)
		vs.batchDone(fuel, d)
	}
}
