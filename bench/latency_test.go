package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// TestPacedRun checks a short paced run times every batch and every pass
// through the processor, and samples the runtime.
func TestPacedRun(t *testing.T) {
	orders := loadOrders(t)
	noop := LatencyCases(modules(t))[0]
	if noop.Name != CaseNoop {
		t.Fatalf("first latency case is %q, want %q", noop.Name, CaseNoop)
	}
	run, err := Paced(noop, 64*200, 64, 100*time.Millisecond, orders)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Latency) != 20 || len(run.Due) != 20 {
		t.Fatalf("%d latencies and %d due times, want 20 of each", len(run.Latency), len(run.Due))
	}
	for i, l := range run.Latency {
		if l <= 0 {
			t.Fatalf("batch %d: latency %s, want > 0", i, l)
		}
	}
	if len(run.Calls) != 20 {
		t.Fatalf("%d passes through the processor timed, want 20", len(run.Calls))
	}
	if len(run.Samples) == 0 {
		t.Fatal("no runtime samples")
	}
}

// TestPacedRunThreads checks a two-thread case runs paced too, untimed
// by the probes.
func TestPacedRunThreads(t *testing.T) {
	var two Case
	for _, c := range LatencyCases(modules(t)) {
		if c.Name == CaseGoMaskThreads {
			two = c
		}
	}
	if two.Threads != 2 || !strings.Contains(two.Processors[0], "pool_size: 2") {
		t.Fatalf("two-thread case %+v: want threads 2 and pool_size 2", two)
	}
	run, err := Paced(two, 64*100, 64, 50*time.Millisecond, loadOrders(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Latency) != 5 || len(run.Calls) != 0 {
		t.Fatalf("%d latencies and %d calls, want 5 and none", len(run.Latency), len(run.Calls))
	}
}

// TestFindStalls checks slow batches merge into episodes by overlapping
// windows and take the longest call and the runtime events inside them.
func TestFindStalls(t *testing.T) {
	ms := time.Millisecond
	r := &LatencyRun{
		Due:     []time.Duration{0, 10 * ms, 20 * ms, 30 * ms, 100 * ms},
		Latency: []time.Duration{ms, 15 * ms, 6 * ms, ms, 5 * ms},
		Calls: []Call{{At: 0, Took: ms, CPU: ms}, {At: 10 * ms, Took: 14 * ms, CPU: 14 * ms},
			{At: 24 * ms, Took: ms, CPU: ms}, {At: 30 * ms, Took: ms, CPU: ms}, {At: 100 * ms, Took: ms, CPU: ms / 4}},
		Samples: []Sample{{At: 15 * ms, GCs: 1}, {At: 105 * ms, OSWait: 2 * ms}},
	}
	s := FindStalls(r, 2*ms)
	if len(s.Episodes) != 2 {
		t.Fatalf("%d episodes, want 2 (batches 1–2 overlap, batch 4 apart): %+v", len(s.Episodes), s.Episodes)
	}
	e := s.Episodes[0]
	if e.Batches != 2 || e.From != 10*ms || e.To != 26*ms || e.LongestCall.Took != 14*ms || e.HostGCs != 1 {
		t.Fatalf("first episode %+v, want batches 1–2, 10–26 ms, the 14 ms call, one GC", e)
	}
	if s.WithSlowCall != 1 || s.WithHostGC != 1 || s.WithOSWait != 1 || s.Unexplained != 0 {
		t.Fatalf("attribution %+v, want one slow call, one GC, one kernel wait", s)
	}
	if len(s.Heavy) != 1 || s.Heavy[0].At != 10*ms {
		t.Fatalf("heavy passes %+v, want the 14 ms one", s.Heavy)
	}
	if got := Intervals(s.EpisodeStarts()); len(got) != 1 || got[0] != 90*ms {
		t.Fatalf("episode intervals %v, want [90ms]", got)
	}
}

// TestTraceGuest checks a trace has every batch's fuel and CPU time.
func TestTraceGuest(t *testing.T) {
	guests, err := Guests()
	if err != nil {
		t.Fatal(err)
	}
	e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	for _, g := range guests {
		if g.Name != "mask (C)" {
			continue
		}
		trace, err := TraceGuest(e, g, 5, loadOrders(t))
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range trace {
			if b.Fuel <= 0 || b.CPU < 0 {
				t.Fatalf("batch %d: %+v, want fuel > 0", i, b)
			}
		}
	}
}

// TestFuelBursts checks bursts of high-fuel batches are found, a single
// lower batch inside one not splitting it.
func TestFuelBursts(t *testing.T) {
	fuel := []int64{100, 100, 130, 100, 125, 100, 100, 100, 100, 140, 100}
	trace := make([]BatchTrace, len(fuel))
	for i, f := range fuel {
		trace[i] = BatchTrace{Fuel: f, CPU: time.Duration(f) * time.Microsecond}
	}
	bursts, med, _ := FuelBursts(trace)
	if med != 100 || len(bursts) != 2 {
		t.Fatalf("median %d, bursts %+v: want 100 and two bursts", med, bursts)
	}
	if b := bursts[0]; b.First != 2 || b.Batches != 3 || b.MaxRatio != 1.3 || b.Extra != 55*time.Microsecond {
		t.Fatalf("first burst %+v, want batches 2–4, peak 1.3×, 55µs extra", b)
	}
	if b := bursts[1]; b.First != 9 || b.Batches != 1 {
		t.Fatalf("second burst %+v, want batch 9 alone", b)
	}
}
