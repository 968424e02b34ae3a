package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/weirstream/weir/bench"
	"github.com/weirstream/weir/runtime"
)

// stallThreshold is the latency over which a paced batch counts as stalled.
const stallThreshold = 2 * time.Millisecond

// latencySection measures each latency case's capacity, then runs them
// paced at half the Go mask's capacity, alternating, and analyses their
// slow batches.
func latencySection(b *strings.Builder, paths map[string]string, orders [][]byte, rounds int, d time.Duration) targetRows {
	cases := bench.LatencyCases(paths)
	capacity, cpu := map[string]float64{}, map[string]float64{}
	for _, c := range cases {
		if c.Threads > 1 { // one batch in flight cannot use a second thread
			continue
		}
		rate, perMsg, err := bench.Capacity(c, 64, 20_000, orders)
		check(wrap(c.Name, err))
		capacity[c.Name], cpu[c.Name] = rate, perMsg
		fmt.Fprintf(os.Stderr, "capacity: %-36s %8.0f msgs/s\n", c.Name, rate)
	}
	rate := capacity[bench.CaseGoMask] / 2
	runs := map[string][]*bench.LatencyRun{}
	for r := range rounds {
		order := slices.Clone(cases)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			run, err := bench.Paced(c, rate, 64, d, orders)
			check(wrap(c.Name, err))
			runs[c.Name] = append(runs[c.Name], run)
			fmt.Fprintf(os.Stderr, "paced round %d: %s\n", r+1, run)
		}
	}
	writeLatency(b, cases, capacity, cpu, rate, runs, d)
	writeStalls(b, cases, runs)
	guestGCTable(b, rate, orders)
	return targetRows{latencyTarget(runs[bench.CaseGoMask], runs[bench.CaseNoop])}
}

func writeLatency(b *strings.Builder, cases []bench.Case, capacity, cpu map[string]float64, rate float64, runs map[string][]*bench.LatencyRun, d time.Duration) {
	fmt.Fprintf(b, "\n## Latency at half capacity\n\nCapacity: a one-thread stream (the producer waiting for each batch of 64 to reach the output) as fast as it goes (not measured for the two-thread case: one batch in flight uses one thread). Then each case runs paced at half the Go mask's capacity (%.0f msgs/s, a batch of 64 every %s) for %s, the cases alternating, with up to %d batches waiting on the stream: a batch's latency runs from when it was due to be sent, not when it was, to its acknowledgement by the output, so a stall also counts against the batches queued behind it. Every message has its batch's latency. Two `bench_clock` probes bracket the case's processor to time each pass through it (one-thread cases only). The two-thread case is the Go mask with `threads: 2` and `pool_size: 2`, at the same rate.\n\n",
		rate, time.Duration(64/rate*1e9).Round(time.Microsecond), d, bench.MaxInFlight)
	b.WriteString("| case | capacity msgs/s | CPU ns/msg at capacity | utilisation at the paced rate |\n|---|---:|---:|---:|\n")
	for _, c := range cases {
		if capacity[c.Name] == 0 {
			fmt.Fprintf(b, "| %s | – | – | – |\n", c.Name)
			continue
		}
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f%% |\n", c.Name, capacity[c.Name], cpu[c.Name], 100*rate/capacity[c.Name])
	}
	b.WriteString("\n| case | round | p50 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|\n")
	for _, c := range cases {
		for i, r := range runs[c.Name] {
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s |\n", c.Name, i+1, msFine(bench.Percentile(r.Latency, 0.5)),
				msFine(bench.Percentile(r.Latency, 0.99)), msFine(bench.Percentile(r.Latency, 0.999)), msFine(bench.Percentile(r.Latency, 1)))
		}
	}
}

func writeStalls(b *strings.Builder, cases []bench.Case, runs map[string][]*bench.LatencyRun) {
	fmt.Fprintf(b, "\n### What coincides with the slow batches\n\nA batch over %s is slow; slow batches whose windows (due → acknowledged) overlap form one episode. For each episode: did a pass through the case's processor overlapping it take over 4× the median pass (at least 1 ms) — a *slow call*; did a host GC cycle complete in it (`/gc/cycles/total:gc-cycles`, read every %s); did any goroutine wait ≥ 1 ms runnable before Go's scheduler ran it (`/sched/latencies:seconds`) — a *Go run-queue wait*; did the process's threads wait ≥ 1 ms in all for a core in the kernel's run queue (`/proc/self/task/*/schedstat`) — a *kernel run-queue wait*. An episode can have several. A slow call is *busy* if its thread was on a CPU for ≥ 80%% of it (clock_gettime(CLOCK_THREAD_CPUTIME_ID)): the call did more work; else it waited. Intervals are between consecutive starts, median (min–max).\n\n",
		msFine(stallThreshold), bench.SampleEvery)
	b.WriteString("| case | round | slow batches | episodes | with slow call | with host GC | with Go run-queue wait | with kernel run-queue wait | none of these | episode interval |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range cases {
		for i, r := range runs[c.Name] {
			s := bench.FindStalls(r, stallThreshold)
			slow := 0
			for _, e := range s.Episodes {
				slow += e.Batches
			}
			fmt.Fprintf(b, "| %s | %d | %d of %d | %d | %d | %d | %d | %d | %d | %s |\n", c.Name, i+1, slow, len(r.Latency),
				len(s.Episodes), s.WithSlowCall, s.WithHostGC, s.WithWaits, s.WithOSWait, s.Unexplained, intervals(s.EpisodeStarts()))
		}
	}
	b.WriteString("\nThe passes through the case's processor themselves: wall time, and the thread's CPU time over the pass. A *heavy* pass used over twice the median pass's CPU time — it did more work (a Go guest's own garbage collection runs inside the call); a *slow* pass took over 4× the median wall time, *busy* if on a CPU ≥ 80% of it, else it waited for one. The kernel run-queue wait is summed over the process's threads; the machine's runnable tasks (`procs_running` of `/proc/stat`, every sample) count every process's threads on a core or waiting for one — over the machine's core count, tasks wait; steal is the time the hypervisor gave the machine's vCPUs to someone else.\n\n")
	b.WriteString("| case | round | wall p50 / p99 / max | CPU p50 / p99 / max | heavy passes | heavy interval | slow passes (busy / waited) | host GCs | kernel run-queue wait | machine runnable tasks p50 / max | steal |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range cases {
		for i, r := range runs[c.Name] {
			if len(r.Calls) == 0 { // not timed: more than one thread
				continue
			}
			s := bench.FindStalls(r, stallThreshold)
			fmt.Fprintf(b, "| %s | %d | %s / %s / %s | %s / %s / %s | %d of %d | %s | %d (%d / %d) | %d | %s of %s | %d / %d | %s |\n", c.Name, i+1,
				msFine(s.CallP50), msFine(s.CallP99), msFine(s.CallMax), msFine(s.CPUP50), msFine(s.CPUP99), msFine(s.CPUMax),
				len(s.Heavy), len(r.Calls), intervals(s.HeavyStarts()), len(s.SlowCalls), s.SlowBusy, s.SlowOffCPU, s.HostGCs,
				msFine(s.OSWait), msFine(s.RunDuration), s.RunnableP50, s.RunnableMax, msFine(s.Steal))
		}
	}
	writeCallHistogram(b, cases, runs)
}

// writeCallHistogram counts every pass through the case's processor by
// wall time and by its thread's CPU time, over all rounds.
func writeCallHistogram(b *strings.Builder, cases []bench.Case, runs map[string][]*bench.LatencyRun) {
	bounds := []time.Duration{500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}
	b.WriteString("\nPasses through the case's processor by duration (all rounds; CPU: the passes that stayed on one thread):\n\n| case | time | < 0.5 ms | 0.5–1 ms | 1–2 ms | 2–5 ms | 5–10 ms | 10–20 ms | ≥ 20 ms |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range cases {
		if c.Threads > 1 { // not timed
			continue
		}
		for _, kind := range []string{"wall", "CPU"} {
			counts := make([]int, len(bounds)+1)
			for _, r := range runs[c.Name] {
				for _, call := range r.Calls {
					d := call.Took
					if kind == "CPU" {
						d = call.CPU
					}
					if d >= 0 {
						i, _ := slices.BinarySearch(bounds, d+1)
						counts[i]++
					}
				}
			}
			fmt.Fprintf(b, "| %s | %s |", c.Name, kind)
			for _, n := range counts {
				fmt.Fprintf(b, " %d |", n)
			}
			b.WriteString("\n")
		}
	}
}

// msFine is d in milliseconds, to 0.01 ms.
func msFine(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func intervals(starts []time.Duration) string {
	iv := bench.Intervals(starts)
	if len(iv) == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%s–%s)", msFine(iv[len(iv)/2]), msFine(iv[0]), msFine(iv[len(iv)-1]))
}

// latencyTarget is the Go mask's p99 over the rounds, against the no-op's.
func latencyTarget(mask, noop []*bench.LatencyRun) targetRow {
	p99 := func(runs []*bench.LatencyRun) []float64 {
		var out []float64
		for _, r := range runs {
			out = append(out, float64(bench.Percentile(r.Latency, 0.99)))
		}
		return out
	}
	m, n := p99(mask), p99(noop)
	d := func(x float64) string { return msFine(time.Duration(x)) }
	return targetRow{name: "p99 latency, Go mask through a stream at half its capacity, batch 64", goal: "≤ 10 ms",
		measured: d(median(m)), spread: d(minOf(m)) + "–" + d(maxOf(m)),
		wall: "no-op p99 " + d(median(n)), met: median(m) <= float64(10*time.Millisecond)}
}

// guestGCTable traces batches of the Go and C guests at the runtime level
// by fuel: the Go guests' own collector shows as bursts of batches that
// execute more instructions.
func guestGCTable(b *strings.Builder, rate float64, orders [][]byte) {
	const n = 2000
	guests, err := bench.Guests()
	check(err)
	e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{})
	check(err)
	defer e.Close(context.Background())
	fmt.Fprintf(b, "\n### A Go guest's own garbage collection, by fuel\n\nA Go guest's collector runs inside its calls, where the host cannot see it; but it executes wasm instructions, so the batches it runs in use more fuel, and fuel does not depend on the machine's load. %d batches of 64 orders through `runtime.Pool.Process` on one locked thread: a *burst* is a run of consecutive batches each over 1.1× the median batch's fuel; its extra CPU is its batches' thread CPU time over the median batch's, summed. `every` converts the period between bursts to time at the paced rate above (%.0f msgs/s).\n\n", n, rate)
	b.WriteString("| guest | median fuel/batch | p99 / max ÷ median | bursts | period (batches) | every | batches per burst | highest batch ÷ median | extra CPU per burst | median batch CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, g := range guests {
		if g.Records == 0 || g.Name == "echo (WAT)" {
			continue
		}
		trace, err := bench.TraceGuest(e, g, n, orders)
		check(wrap(g.Name, err))
		bursts, medFuel, medCPU := bench.FuelBursts(trace)
		fuels := make([]float64, len(trace))
		for i, t := range trace {
			fuels[i] = float64(t.Fuel)
		}
		p99 := slices.Sorted(slices.Values(fuels))[len(fuels)*99/100]
		var firsts []int
		var sizes []float64
		var peaks []float64
		var extras []float64
		for _, x := range bursts {
			firsts = append(firsts, x.First)
			sizes = append(sizes, float64(x.Batches))
			peaks = append(peaks, x.MaxRatio)
			extras = append(extras, float64(x.Extra))
		}
		period, every, size, peak, extra := "–", "–", "–", "–", "–"
		if len(firsts) > 1 {
			var gaps []float64
			for i := 1; i < len(firsts); i++ {
				gaps = append(gaps, float64(firsts[i]-firsts[i-1]))
			}
			p := median(gaps)
			period = fmt.Sprintf("%.0f (%.0f–%.0f)", p, minOf(gaps), maxOf(gaps))
			every = fmt.Sprintf("%.2f s", p*64/rate)
		}
		if len(bursts) > 0 {
			size, peak, extra = fmt.Sprintf("%.0f", median(sizes)), fmt.Sprintf("%.2f×", median(peaks)), msFine(time.Duration(median(extras)))
		}
		fmt.Fprintf(b, "| %s | %d | %.2f / %.2f | %d | %s | %s | %s | %s | %s | %s |\n", g.Name, medFuel, p99/float64(medFuel), maxOf(fuels)/float64(medFuel),
			len(bursts), period, every, size, peak, extra, msFine(medCPU))
	}
}
