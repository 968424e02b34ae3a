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
	LongestCall time.Duration // longest pass through the case's processors overlapping it
	HostGCs     uint64        // host GC cycles completed in it
	Waits1ms    uint64        // goroutines that waited ≥ 1 ms runnable in it
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
	HostGCs      uint64 // in the whole run
	RunDuration  time.Duration
	WithSlowCall int // episodes overlapping a slow call
	WithHostGC   int // episodes with a host GC cycle in them
	WithWaits    int // episodes with a run-queue wait ≥ 1 ms in them
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
	for _, c := range r.Calls {
		if c.Took > s.SlowCall {
			s.SlowCalls = append(s.SlowCalls, c)
		}
	}
	for _, x := range r.Samples {
		s.HostGCs += x.GCs
		s.RunDuration = x.At
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
		if c.At < e.To && c.At+c.Took > e.From {
			e.LongestCall = max(e.LongestCall, c.Took)
		}
	}
	for _, x := range r.Samples {
		if x.At >= e.From && x.At-SampleEvery <= e.To {
			e.HostGCs += x.GCs
			e.Waits1ms += x.Waits1ms
		}
	}
	slow := e.LongestCall > s.SlowCall
	if slow {
		s.WithSlowCall++
	}
	if e.HostGCs > 0 {
		s.WithHostGC++
	}
	if e.Waits1ms > 0 {
		s.WithWaits++
	}
	if !slow && e.HostGCs == 0 && e.Waits1ms == 0 {
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

func (s Stalls) SlowCallStarts() []time.Duration {
	out := make([]time.Duration, len(s.SlowCalls))
	for i, c := range s.SlowCalls {
		out[i] = c.At
	}
	return out
}
