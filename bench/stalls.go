package bench

import (
	"slices"
	"time"
)

// Episode is a stretch of a paced run in which batches were slow: the
// batches over the threshold whose [due, due+latency] windows overlap,
// merged, and what happened in the process meanwhile.
type Episode struct {
	From, To    time.Duration // from the start of the run
	Batches     int           // slow batches in it
	LongestCall Call          // longest pass through the case's processors overlapping it
	HostGCs     uint64        // host GC cycles completed in it
	Waits1ms    uint64        // goroutines that waited ≥ 1 ms runnable in it
	OSWait      time.Duration // the process's threads' wait for a core in the kernel's run queue
}

// Stalls is the slow part of a paced run and what coincided with it.
type Stalls struct {
	Threshold    time.Duration // a batch slower than this is slow
	SlowCall     time.Duration // a call longer than this is slow: 4× the median call, at least 1 ms
	Episodes     []Episode
	SlowCalls    []Call // calls longer than SlowCall
	CallP50      time.Duration
	CallP99      time.Duration
	CallMax      time.Duration
	CPUP50       time.Duration // the passes' thread CPU time (passes that changed threads left out)
	CPUP99       time.Duration
	CPUMax       time.Duration
	Heavy        []Call // passes whose CPU time is over twice the median's: more work done in them
	HostGCs      uint64 // in the whole run
	RunDuration  time.Duration
	SlowBusy     int           // slow calls whose thread was on a CPU ≥ 80% of the call: more work
	SlowOffCPU   int           // slow calls whose thread was on a CPU < 80% of the call: waited
	OSWait       time.Duration // the threads' kernel run-queue wait over the whole run
	Steal        time.Duration // the machine's steal time over the run
	RunnableP50  int           // the machine's runnable tasks, median and most of the samples
	RunnableMax  int
	WithSlowCall int // episodes overlapping a slow call
	WithHostGC   int // episodes with a host GC cycle in them
	WithWaits    int // episodes with a Go run-queue wait ≥ 1 ms in them
	WithOSWait   int // episodes in which the threads waited ≥ 1 ms for a core
	Unexplained  int // episodes with none of these
}

// FindStalls analyses r: batches slower than threshold, merged into
// episodes, against the calls and runtime samples of the same run.
func FindStalls(r *LatencyRun, threshold time.Duration) Stalls {
	took := make([]time.Duration, len(r.Calls))
	for i, c := range r.Calls {
		took[i] = c.Took
	}
	s := Stalls{Threshold: threshold, CallP50: Percentile(took, 0.5), CallP99: Percentile(took, 0.99), CallMax: Percentile(took, 1)}
	s.SlowCall = max(4*s.CallP50, time.Millisecond)
	var cpu []time.Duration
	for _, c := range r.Calls {
		if c.CPU >= 0 {
			cpu = append(cpu, c.CPU)
		}
	}
	s.CPUP50, s.CPUP99, s.CPUMax = Percentile(cpu, 0.5), Percentile(cpu, 0.99), Percentile(cpu, 1)
	for _, c := range r.Calls {
		if c.CPU > 2*s.CPUP50 {
			s.Heavy = append(s.Heavy, c)
		}
	}
	for _, c := range r.Calls {
		if c.Took > s.SlowCall {
			s.SlowCalls = append(s.SlowCalls, c)
			if c.CPU >= c.Took*8/10 {
				s.SlowBusy++
			} else {
				s.SlowOffCPU++
			}
		}
	}
	var runnable []int
	for _, x := range r.Samples {
		s.HostGCs += x.GCs
		s.OSWait += x.OSWait
		s.Steal += x.Steal
		s.RunDuration = x.At
		runnable = append(runnable, x.Runnable)
	}
	if len(runnable) > 0 {
		slices.Sort(runnable)
		s.RunnableP50, s.RunnableMax = runnable[len(runnable)/2], runnable[len(runnable)-1]
	}
	s.Episodes = episodes(r, threshold)
	for i := range s.Episodes {
		s.attribute(&s.Episodes[i], r)
	}
	return s
}

// episodes merges the slow batches' windows.
func episodes(r *LatencyRun, threshold time.Duration) []Episode {
	var out []Episode
	for i, lat := range r.Latency {
		if lat <= threshold {
			continue
		}
		from, to := r.Due[i], r.Due[i]+lat
		if n := len(out); n > 0 && from <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, to)
			out[n-1].Batches++
			continue
		}
		out = append(out, Episode{From: from, To: to, Batches: 1})
	}
	return out
}

func (s *Stalls) attribute(e *Episode, r *LatencyRun) {
	for _, c := range r.Calls {
		if c.At < e.To && c.At+c.Took > e.From && c.Took > e.LongestCall.Took {
			e.LongestCall = c
		}
	}
	for _, x := range r.Samples {
		if x.At >= e.From && x.At-SampleEvery <= e.To {
			e.HostGCs += x.GCs
			e.Waits1ms += x.Waits1ms
			e.OSWait += x.OSWait
		}
	}
	slow := e.LongestCall.Took > s.SlowCall
	if slow {
		s.WithSlowCall++
	}
	if e.HostGCs > 0 {
		s.WithHostGC++
	}
	if e.Waits1ms > 0 {
		s.WithWaits++
	}
	osWait := e.OSWait >= time.Millisecond
	if osWait {
		s.WithOSWait++
	}
	if !slow && e.HostGCs == 0 && e.Waits1ms == 0 && !osWait {
		s.Unexplained++
	}
}

// Intervals are the times between consecutive starts of ats, sorted.
func Intervals(ats []time.Duration) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(ats); i++ {
		out = append(out, ats[i]-ats[i-1])
	}
	slices.Sort(out)
	return out
}

// EpisodeStarts and SlowCallStarts are the times the episodes and slow
// calls began, for Intervals.
func (s Stalls) EpisodeStarts() []time.Duration {
	out := make([]time.Duration, len(s.Episodes))
	for i, e := range s.Episodes {
		out[i] = e.From
	}
	return out
}

func (s Stalls) SlowCallStarts() []time.Duration { return starts(s.SlowCalls) }

// HeavyStarts are the times the heavy passes began, for Intervals.
func (s Stalls) HeavyStarts() []time.Duration { return starts(s.Heavy) }

func starts(calls []Call) []time.Duration {
	out := make([]time.Duration, len(calls))
	for i, c := range calls {
		out[i] = c.At
	}
	return out
}
