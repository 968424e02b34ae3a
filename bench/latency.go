package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// LatencyRun is one paced run of a case through a Benthos stream: batches
// sent at a fixed rate whatever the stream's pace, each timed from when
// it was due to be sent (so a stall delays the batches queued behind it
// too) to its acknowledgement by the output. Every message of a batch has
// its batch's latency.
type LatencyRun struct {
	Case    string
	Rate    float64         // messages per second offered
	Size    int             // messages per batch
	Due     []time.Duration // when each batch was due, from the start
	Latency []time.Duration // each batch's latency
	Calls   []Call          // the case's processors, per batch (one-thread cases only)
	Samples []Sample        // Go's runtime, every SampleEvery
}

// Call is one batch through the case's processors: when it began (from the
// start of the run), how long it took, and how much of that its thread was
// on a CPU (-1: unknown, the goroutine changed threads). A long call with
// CPU close to Took did more work; one with CPU well under Took waited.
type Call struct{ At, Took, CPU time.Duration }

// Capacity is the case's throughput through a one-thread stream with one
// batch in flight, in messages per second, and the process's CPU time per
// message meanwhile.
func Capacity(c Case, size, n int, orders [][]byte) (rate, cpuNsPerMsg float64, err error) {
	var start time.Time
	var cpu0 time.Duration
	if err := Push(c, size, n, orders, func() { start, cpu0 = time.Now(), CPUTime() }); err != nil {
		return 0, 0, err
	}
	return float64(n) / time.Since(start).Seconds(), float64((CPUTime() - cpu0).Nanoseconds()) / float64(n), nil
}

// MaxInFlight bounds the batches a paced run has waiting on the stream.
const MaxInFlight = 512

// Paced sends batches of size orders at rate messages per second through
// a stream of the case for about d, after a warm-up, and times each.
func Paced(c Case, rate float64, size int, d time.Duration, orders [][]byte) (*LatencyRun, error) {
	clock := newCallClock()
	defer clock.drop()
	timed := c
	if c.Threads <= 1 { // the probes pair starts and ends by order: one thread only
		timed.Processors = append(append([]string{clock.yaml("start")}, c.Processors...), clock.yaml("end"))
	}
	stream, produce, failed, err := build(timed)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	for i := 0; i < 8 && err == nil; i++ { // warm-up: the first batches
		err = produce(ctx, makeBatch(orders, size, i*size))
	}
	run := &LatencyRun{Case: c.Name, Rate: rate, Size: size}
	if err == nil {
		err = run.pace(ctx, produce, clock, d, orders)
	}
	_ = stream.Stop(ctx)
	<-done
	return run, errors.Join(err, failed())
}

func (r *LatencyRun) pace(ctx context.Context, produce service.MessageBatchHandlerFunc, clock *callClock, d time.Duration, orders [][]byte) error {
	interval := time.Duration(float64(r.Size) / r.Rate * 1e9)
	n := max(1, int(d/interval))
	r.Due, r.Latency = make([]time.Duration, n), make([]time.Duration, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, MaxInFlight)
	start := time.Now()
	clock.start(start)
	sampler := startSampler(start)
	for i := range n {
		r.Due[i] = time.Duration(i) * interval
		if wait := time.Until(start.Add(r.Due[i])); wait > 0 {
			time.Sleep(wait)
		}
		batch := makeBatch(orders, r.Size, i*r.Size)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := produce(ctx, batch)
			r.Latency[i] = time.Since(start) - r.Due[i]
			<-sem
			if err != nil {
				mu.Lock()
				firstErr = cmpOr(firstErr, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.Samples, r.Calls = sampler.stop(), clock.calls()
	return firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func makeBatch(orders [][]byte, size, from int) service.MessageBatch {
	b := make(service.MessageBatch, size)
	for i := range b {
		b[i] = service.NewMessage(orders[(from+i)%len(orders)])
	}
	return b
}

// Percentile is the q-quantile (0 ≤ q ≤ 1) of xs, by nearest rank.
func Percentile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), xs...)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// String summarises the run's latency.
func (r *LatencyRun) String() string {
	return fmt.Sprintf("%s at %.0f msgs/s: p50 %s p99 %s p99.9 %s max %s", r.Case, r.Rate,
		Percentile(r.Latency, 0.5), Percentile(r.Latency, 0.99), Percentile(r.Latency, 0.999), Percentile(r.Latency, 1))
}

// Names of the pipeline cases the latency runs compare.
const (
	CaseNoop          = "no-op batch processor"
	CaseGoMask        = "wasm Go guest (mask)"
	CaseCMask         = "wasm C guest (mask)"
	CaseGoMaskThreads = "wasm Go guest (mask), 2 threads, 2 instances"
)

// LatencyCases are the pipelines of the paced runs: the Go mask, against
// a no-op pipeline at the same rate; the C mask (a guest with no garbage
// collector of its own); and the Go mask on two processing threads with
// an instance each, so one thread off a core does not hold every batch.
func LatencyCases(modules map[string]string) []Case {
	var out []Case
	for _, c := range Cases(modules) {
		switch c.Name {
		case CaseNoop, CaseCMask:
			out = append(out, c)
		case CaseGoMask:
			two := Case{Name: CaseGoMaskThreads, Threads: 2,
				Processors: []string{strings.Replace(c.Processors[0], "pool_size: 1", "pool_size: 2", 1)}}
			out = append(out, c, two)
		}
	}
	return out
}
