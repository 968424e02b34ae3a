package bench

import (
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// A paced run brackets the case's processors with two bench_clock
// processors, which note when each batch enters and leaves them: with one
// processing thread the batches pass both in the same order, so the i-th
// start and the i-th end are the same batch's call.
func init() {
	spec := service.NewConfigSpec().
		Summary("Benchmark probe: notes the time each batch passes, for a paced latency run.").
		Field(service.NewStringField("clock").Description("The run's clock.")).
		Field(service.NewStringEnumField("edge", "start", "end").Description("Which side of the timed processors this is."))
	err := service.RegisterBatchProcessor("bench_clock", spec, func(conf *service.ParsedConfig, _ *service.Resources) (service.BatchProcessor, error) {
		id, err := conf.FieldString("clock")
		if err != nil {
			return nil, err
		}
		edge, err := conf.FieldString("edge")
		if err != nil {
			return nil, err
		}
		c, ok := clocks.Load(id)
		if !ok {
			return nil, fmt.Errorf("bench_clock: no clock %q", id)
		}
		return clockEdge{c.(*callClock), edge == "end"}, nil
	})
	if err != nil {
		panic(err)
	}
}

var (
	clocks  sync.Map // id → *callClock
	clockID atomic.Int64
)

// callClock collects the start and end of the batches of one run: the
// time, the thread, and the thread's CPU time.
type callClock struct {
	id     string
	mu     sync.Mutex
	base   time.Time
	on     bool
	starts []edgeTime
	ends   []edgeTime
}

type edgeTime struct {
	at  time.Duration // from base
	tid int
	cpu time.Duration // the thread's CPU time
}

func newCallClock() *callClock {
	c := &callClock{id: fmt.Sprint(clockID.Add(1))}
	clocks.Store(c.id, c)
	return c
}

func (c *callClock) drop() { clocks.Delete(c.id) }

func (c *callClock) yaml(edge string) string {
	return fmt.Sprintf("bench_clock: { clock: %q, edge: %s }", c.id, edge)
}

// start begins noting calls, from base.
func (c *callClock) start(base time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.on = base, true
}

func (c *callClock) note(end bool) {
	e := edgeTime{tid: unix.Gettid(), cpu: threadCPU()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return
	}
	e.at = time.Since(c.base)
	if end {
		c.ends = append(c.ends, e)
	} else {
		c.starts = append(c.starts, e)
	}
}

// threadCPU is the calling thread's CPU time.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// calls pairs the starts and ends noted (an end noted before the first
// start belongs to a batch that started before the clock did). A call's
// CPU is its thread's CPU time over it, or -1 when the goroutine changed
// threads on the way.
func (c *callClock) calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	ends := c.ends
	if len(ends) > 0 && len(c.starts) > 0 && ends[0].at < c.starts[0].at {
		ends = ends[1:]
	}
	out := make([]Call, min(len(c.starts), len(ends)))
	for i := range out {
		s, e := c.starts[i], ends[i]
		out[i] = Call{At: s.at, Took: e.at - s.at, CPU: -1}
		if s.tid == e.tid {
			out[i].CPU = e.cpu - s.cpu
		}
	}
	return out
}

type clockEdge struct {
	c   *callClock
	end bool
}

func (e clockEdge) ProcessBatch(_ context.Context, b service.MessageBatch) ([]service.MessageBatch, error) {
	e.c.note(e.end)
	return []service.MessageBatch{b}, nil
}

func (clockEdge) Close(context.Context) error { return nil }

// SampleEvery is how often a paced run reads Go's runtime metrics.
const SampleEvery = 5 * time.Millisecond

// Sample is what Go's runtime reported over one SampleEvery.
type Sample struct {
	At        time.Duration // end of the interval, from the start of the run
	GCs       uint64        // host GC cycles completed in the interval
	GCPause   time.Duration // longest stop-the-world pause of the interval (bucket bound)
	Waits1ms  uint64        // goroutines that waited ≥ 1 ms runnable before running
	WaitMax   time.Duration // the longest such wait (bucket bound)
	OSWait    time.Duration // the process's threads' time waiting for a core in the kernel's run queue
	Runnable  int           // the machine's runnable tasks at the end of the interval (procs_running)
	Steal     time.Duration // time the hypervisor ran something else on the machine's vCPUs
	Goroutine int           // live goroutines
}

const (
	metricGCs     = "/gc/cycles/total:gc-cycles"
	metricPauses  = "/sched/pauses/total/gc:seconds"
	metricWaits   = "/sched/latencies:seconds"
	metricGorouts = "/sched/goroutines:goroutines"
)

type sampler struct {
	stopc   chan struct{}
	done    chan []Sample
	samples []metrics.Sample
}

func startSampler(base time.Time) *sampler {
	s := &sampler{stopc: make(chan struct{}), done: make(chan []Sample, 1), samples: []metrics.Sample{
		{Name: metricGCs}, {Name: metricPauses}, {Name: metricWaits}, {Name: metricGorouts},
	}}
	metrics.Read(s.samples)
	go s.loop(base)
	return s
}

func (s *sampler) stop() []Sample {
	close(s.stopc)
	return <-s.done
}

func (s *sampler) loop(base time.Time) {
	var out []Sample
	t := time.NewTicker(SampleEvery)
	defer t.Stop()
	prev := s.read()
	for {
		select {
		case <-s.stopc:
			s.done <- out
			return
		case <-t.C:
			cur := s.read()
			out = append(out, diff(time.Since(base), prev, cur))
			prev = cur
		}
	}
}

type reading struct {
	gcs    uint64
	pauses *metrics.Float64Histogram
	waits  *metrics.Float64Histogram
	gor    uint64
	osWait time.Duration
	stat   machineStat
}

func (s *sampler) read() reading {
	metrics.Read(s.samples)
	return reading{s.samples[0].Value.Uint64(), s.samples[1].Value.Float64Histogram(),
		s.samples[2].Value.Float64Histogram(), s.samples[3].Value.Uint64(), runQueueWait(), readMachineStat()}
}

func diff(at time.Duration, a, b reading) Sample {
	waits, waitMax := countOver(a.waits, b.waits, 1e-3)
	_, pause := countOver(a.pauses, b.pauses, 0)
	return Sample{At: at, GCs: b.gcs - a.gcs, GCPause: pause, Waits1ms: waits, WaitMax: waitMax,
		OSWait: max(0, b.osWait-a.osWait), Runnable: b.stat.running, Steal: b.stat.steal - a.stat.steal, Goroutine: int(b.gor)}
}

// countOver counts the observations added between a and b in buckets
// starting at or above min, and the upper bound of the highest bucket that
// gained any (infinite buckets report their lower bound).
func countOver(a, b *metrics.Float64Histogram, min float64) (uint64, time.Duration) {
	var n uint64
	var top time.Duration
	for i := range b.Counts {
		d := b.Counts[i] - a.Counts[i]
		if d == 0 {
			continue
		}
		hi := b.Buckets[i+1]
		if hi > 1e9 {
			hi = b.Buckets[i]
		}
		top = time.Duration(hi * 1e9)
		if b.Buckets[i] >= min {
			n += d
		}
	}
	return n, top
}

// runQueueWait sums, over the process's threads, the time each has spent
// runnable but waiting for a core (the second field of Linux's
// /proc/self/task/<tid>/schedstat); 0 where there is no such file. A
// thread that ended takes its share out of the sum, so a difference of two
// readings can undercount, never overcount by more than the ended
// threads' waits.
func runQueueWait() time.Duration {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		if ns, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			sum += time.Duration(ns)
		}
	}
	return sum
}

// machineStat is what /proc/stat says of the whole machine.
type machineStat struct {
	steal   time.Duration // cumulative steal time (USER_HZ ticks, taken as 10 ms)
	running int           // procs_running: tasks runnable now, on a core or waiting for one
}

func readMachineStat() machineStat {
	var m machineStat
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 8 && f[0] == "cpu":
			ticks, _ := strconv.ParseInt(f[8], 10, 64)
			m.steal = time.Duration(ticks) * 10 * time.Millisecond
		case len(f) == 2 && f[0] == "procs_running":
			m.running, _ = strconv.Atoi(f[1])
		}
	}
	return m
}
