package bench

import (
	"testing"
	"time"
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
