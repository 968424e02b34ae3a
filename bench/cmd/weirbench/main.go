// Command weirbench runs weir's benchmarks interleaved in one process and
// writes a markdown report:
//
//	go run ./bench/cmd/weirbench -out docs/benchmarks.md
//
// Every case runs once per round, rounds alternate the order of cases, and
// the report gives each case's median over the rounds, so slow drift of the
// machine spreads evenly instead of favouring whichever case ran first.
// Guests are built from source (Go, WAT, C) by internal/fixtures.
//
// -only runs some sections (processor, latency, pipeline, runtime, kafka,
// eos, cdc, protobuf, gc, swap), e.g. `-only processor,latency -rounds 2 -benchtime
// 200ms` to try the processor-level table and the paced latency runs alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/bench"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

func main() {
	out := flag.String("out", "", "write the markdown report here (default: stdout)")
	rounds := flag.Int("rounds", 5, "rounds of every case")
	benchtime := flag.Duration("benchtime", time.Second, "target time of one measurement")
	only := flag.String("only", "", "comma-separated sections to run (default all): "+strings.Join(sectionNames, ","))
	paced := flag.Duration("latency-time", 4*time.Second, "length of one paced latency run")
	flag.Parse()
	testing.Init()
	_ = flag.Set("test.benchtime", benchtime.String())
	run, err := selectSections(*only)
	check(err)

	orders, err := bench.LoadOrders(bench.OrdersPath())
	check(err)
	dir, err := os.MkdirTemp("", "weirbench-")
	check(err)
	defer os.RemoveAll(dir)
	paths, err := bench.ModulePaths(dir)
	check(err)

	loadStart := bench.LoadAvg()
	var targets targetRows
	var b strings.Builder
	if run["processor"] {
		targets = processorSection(&b, bench.ProcCases(paths), orders, *rounds, *benchtime)
	}
	if run["latency"] {
		targets = append(targets, latencySection(&b, paths, orders, max(1, *rounds/2), *paced)...)
	}
	if run["pipeline"] {
		rows := measure(pipelineRows(bench.Cases(paths), orders), *rounds)
		pipelineTable(&b, rows)
		writeChart(*out, rows)
	}
	if run["enrich"] {
		targets = append(targets, enrichSection(&b, paths, orders, *rounds)...)
	}
	if run["runtime"] {
		guests, err := bench.Guests()
		check(err)
		runtimeTable(&b, measure(runtimeRows(guests, orders), *rounds))
	}
	if run["kafka"] {
		kafkaTable(&b, bench.KafkaCases(paths), orders, *rounds)
	}
	if run["eos"] {
		eosTable(&b, bench.KafkaCases(paths), orders, *rounds)
	}
	if run["cdc"] {
		cdcTable(&b, paths, *rounds)
	}
	if run["protobuf"] {
		protobufTable(&b, *rounds)
	}
	if run["gc"] {
		gcTable(&b)
	}
	if run["swap"] {
		swapTable(&b, orders)
	}
	var report strings.Builder
	header(&report, *rounds, *benchtime, loadStart)
	targets.write(&report)
	report.WriteString(b.String())
	fmt.Print(report.String())
	if *out != "" {
		check(os.WriteFile(*out, []byte(report.String()), 0o644))
	}
}

// sectionNames are the report's sections, in order.
var sectionNames = []string{"processor", "latency", "pipeline", "enrich", "runtime", "kafka", "eos", "cdc", "protobuf", "gc", "swap"}

func selectSections(only string) (map[string]bool, error) {
	run := map[string]bool{}
	for _, s := range sectionNames {
		run[s] = only == ""
	}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if _, ok := run[s]; !ok {
			return nil, fmt.Errorf("-only: no section %q (have %s)", s, strings.Join(sectionNames, ", "))
		}
		run[s] = true
	}
	return run, nil
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// sample is one measurement of a row: wall and process CPU time per
// message, and the fuel units per message where metered.
type sample struct{ ns, cpu, fuel float64 }

// row is one measured case.
type row struct {
	name  string
	group string // batch size or interrupt mode
	run   func() sample
	ns    []float64 // wall ns/msg, per round
	cpu   []float64 // CPU ns/msg, per round
	fuel  float64
	close func() // releases what run uses, after the last round
}

func pipelineRows(cases []bench.Case, orders [][]byte) []*row {
	var rows []*row
	for _, c := range cases {
		for _, size := range []int{1, 64} {
			rows = append(rows, &row{name: c.Name, group: fmt.Sprint(size), run: func() sample {
				r := testing.Benchmark(func(b *testing.B) { bench.Run(b, c, size, orders) })
				return sample{ns: float64(r.T.Nanoseconds()) / float64(r.N), cpu: r.Extra["cpu-ns/msg"]}
			}})
		}
	}
	return rows
}

// runtimeRows are guest-major: each round measures a guest's interrupt
// modes back to back, so their ratio is taken over the same stretch of the
// machine's load.
func runtimeRows(guests []bench.Guest, orders [][]byte) []*row {
	engines := map[runtime.Interrupt]*runtime.Engine{}
	for _, mode := range bench.Modes {
		e, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{Interrupt: mode})
		check(err)
		engines[mode] = e
	}
	var rows []*row
	for _, g := range guests {
		for _, mode := range bench.Modes {
			e := engines[mode]
			rows = append(rows, &row{name: g.Name, group: mode.String(), run: func() sample {
				r := testing.Benchmark(func(b *testing.B) { bench.RunGuest(b, e, g, orders) })
				return sample{ns: r.Extra["ns/msg"], cpu: r.Extra["cpu-ns/msg"], fuel: r.Extra["fuel/msg"]}
			}})
		}
	}
	return rows
}

// measure runs every row once per round, alternating the order.
func measure(rows []*row, rounds int) []*row {
	for r := 0; r < rounds; r++ {
		order := make([]*row, len(rows))
		copy(order, rows)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, x := range order {
			m := x.run()
			x.ns, x.cpu, x.fuel = append(x.ns, m.ns), append(x.cpu, m.cpu), m.fuel
			fmt.Fprintf(os.Stderr, "round %d: %-42s %-22s %9.0f ns/msg %9.0f cpu-ns/msg\n", r+1, x.name, x.group, m.ns, m.cpu)
		}
	}
	return rows
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func header(b *strings.Builder, rounds int, benchtime time.Duration, loadStart string) {
	fmt.Fprintf(b, "# Benchmarks\n\nGenerated by `make bench` (`go run ./bench/cmd/weirbench -out docs/benchmarks.md`) on %s.\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(b, "Machine load (`/proc/loadavg`: runnable tasks averaged over 1, 5 and 15 minutes; the machine has %d CPUs): %s at the start, %s at the end.\n\n", goruntime.NumCPU(), loadStart, bench.LoadAvg())
	fmt.Fprintf(b, "Machine: %s/%s, %d CPUs (GOMAXPROCS %d), %s, wazero v1.12.0. Workload: `bench/testdata/orders-1k.jsonl` (1,024 orders, ~511 B each); the mask is the reference masking of `customer.email`, `.phone`, `.card`.\n\n",
		goruntime.GOOS, goruntime.GOARCH, goruntime.NumCPU(), goruntime.GOMAXPROCS(0), goruntime.Version())
	fmt.Fprintf(b, "Each figure is the median of %d interleaved rounds of ~%s each, all from one run. CPU time is the process's user + system time (getrusage) over the timed loop: all threads, GC included, none of the time spent waiting for a core.\n\n", rounds, benchtime)
}

func pipelineTable(b *strings.Builder, rows []*row) {
	b.WriteString("## Through a Benthos pipeline\n\nMessages pushed through a real Benthos stream (one processing thread, one guest instance, default interruption: fuel), the producer waiting for each batch to reach the output: the full cost per message on one core.\n\n")
	b.WriteString("`over empty` is the cost over a pipeline without processors; `over no-op` the cost over a Benthos batch processor that does nothing (Benthos's own per-processor work: tracing spans, batch bookkeeping).\n\n")
	b.WriteString("| case | batch | ns/msg | CPU ns/msg | msgs/s | over empty | over no-op |\n|---|---:|---:|---:|---:|---:|---:|\n")
	empty, noop := map[string]float64{}, map[string]float64{}
	for _, r := range rows {
		switch r.name {
		case "empty pipeline":
			empty[r.group] = median(r.ns)
		case "no-op batch processor":
			noop[r.group] = median(r.ns)
		}
	}
	for _, r := range rows {
		m := median(r.ns)
		fmt.Fprintf(b, "| %s | %s | %.0f | %.0f | %.0f | %+.2f µs | %+.2f µs |\n", r.name, r.group, m, median(r.cpu), 1e9/m, (m-empty[r.group])/1000, (m-noop[r.group])/1000)
	}
}

func runtimeTable(b *strings.Builder, rows []*row) {
	b.WriteString("\n## Interruption strategies (runtime only)\n\nOne batch of 64 orders through `runtime.Pool.Process`, without Benthos, per message; the empty call is a batch of none, per call. `none` is unprotected (a looping guest would hang the process), `fuel` is weir's load-time metering (the default), `close_on_context_done` is wazero's interruption switch.\n\n")
	b.WriteString("Each round measures a guest's three modes back to back; a ratio is the median over the rounds of that round's ratio, so a burst of load on the machine moves both sides of it. The ns columns are medians too.\n\n")
	b.WriteString("| guest | none ns | fuel ns | close_on_context_done ns | fuel CPU ns | fuel / none | ccd / none | fuel units/msg |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	by := map[string]map[string]*row{}
	var names []string
	for _, r := range rows {
		if by[r.name] == nil {
			by[r.name] = map[string]*row{}
			names = append(names, r.name)
		}
		by[r.name][r.group] = r
	}
	for _, n := range names {
		none, fuel, ccd := by[n]["none"], by[n]["fuel"], by[n]["close_on_context_done"]
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f | %.0f | %.2f× | %.2f× | %.0f |\n", n, median(none.ns), median(fuel.ns), median(ccd.ns), median(fuel.cpu),
			medianRatio(fuel.ns, none.ns), medianRatio(ccd.ns, none.ns), fuel.fuel)
	}
}

// medianRatio is the median of the per-round ratios a[i]/b[i].
func medianRatio(a, b []float64) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return median(r)
}

func kafkaTable(b *strings.Builder, cases []bench.Case, orders [][]byte, rounds int) {
	const n = 50_000
	var rows []*row
	for _, c := range cases {
		rows = append(rows, &row{name: c.Name, group: "kafka", run: func() sample {
			rate, cpu, err := bench.KafkaThroughput(c.Processors[0], orders, n)
			check(err)
			return sample{ns: 1e9 / rate, cpu: cpu}
		}})
	}
	measure(rows, max(1, rounds/2))
	fmt.Fprintf(b, "\n## Through Kafka\n\n%d orders preloaded into a 3-partition topic of an in-process Kafka (franz-go's kfake, sharing the CPUs), then timed through `kafka` input (consumer group, offset commits) → processor → `kafka` output (idempotent, acks=all) until all reached the output topic. CPU time is the whole process's, the broker's included.\n\n| processor | msgs/s | ns/msg | CPU ns/msg |\n|---|---:|---:|---:|\n", n)
	for _, r := range rows {
		m := median(r.ns)
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f |\n", r.name, 1e9/m, m, median(r.cpu))
	}
}

func protobufTable(b *strings.Builder, rounds int) {
	rows := []*row{}
	for _, mode := range []string{"pbwire", "generated"} {
		rows = append(rows, &row{name: mode, group: "protobuf", run: func() sample {
			r := testing.Benchmark(func(b *testing.B) { check(bench.GuestProtobuf(b, mode)) })
			return sample{ns: r.Extra["ns/msg"], cpu: r.Extra["cpu-ns/msg"]}
		}})
	}
	measure(rows, max(1, rounds/2))
	b.WriteString("\n## Protobuf inside a Go guest\n\nRewriting one string field of a 2.8 KB message (a `FileDescriptorProto`), batch of 64, in a Go guest (`bench/guests/protogo`): with `sdk/go/pbwire` (by field number, no reflection) against protobuf-go's generated types (`proto.Unmarshal`, set, `proto.Marshal`).\n\n| guest code | ns/msg | CPU ns/msg |\n|---|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %.0f | %.0f |\n", r.name, median(r.ns), median(r.cpu))
	}
}

func gcTable(b *strings.Builder) {
	b.WriteString("\n## GC pause while a guest burns its budget\n\nA metered guest looping for 1 s (`runtime/testdata/guests/loop.wat`) while the host forces a GC every 5 ms; the longest stop-the-world pause Go recorded (upper bound of its histogram bucket). The GC can stop the guest's goroutine only at a fuel check-in, so the bound follows the check-in interval (`EngineConfig.FuelCheckIn`).\n\n| fuel check-in interval | worst GC pause |\n|---:|---:|\n")
	loop, err := fixtures.BuildWAT("runtime/testdata/guests/loop.wat")
	check(err)
	goruntime.GC()
	base, err := bench.GCPause(nil, 0, time.Second)
	check(err)
	fmt.Fprintf(b, "| no guest running (baseline) | %s |\n", base)
	for _, checkIn := range []int64{1_000_000, 10_000_000, 100_000_000} {
		pause, err := bench.GCPause(loop, checkIn, time.Second)
		check(err)
		def := ""
		if checkIn == 1_000_000 {
			def = " (default)"
		}
		fmt.Fprintf(b, "| %d%s | %s |\n", checkIn, def, pause)
		fmt.Fprintf(os.Stderr, "gc pause: check-in %d: %s\n", checkIn, pause)
	}
}

func swapTable(b *strings.Builder, orders [][]byte) {
	res, err := bench.Swap(orders, 20)
	check(err)
	tagMed, tagMax := bench.Percentiles(res.TagToServing)
	liveMed, liveMax := bench.Percentiles(res.ResolveToLive)
	fmt.Fprintf(b, "\n## Hot swap\n\nThe Go mask plugin as two versions in a real OCI registry (distribution, in process), the processor following a tag every %s; batches of 64 orders stream through one thread all along. After two warm-up swaps (which compile both versions), the tag moves %d times between them: the cached case.\n\n", res.WatchInterval, res.Swaps)
	b.WriteString("| measure | median | worst |\n|---|---:|---:|\n")
	fmt.Fprintf(b, "| tag moved → new version serving (includes up to one watch interval) | %s | %s |\n", ms(tagMed), ms(tagMax))
	fmt.Fprintf(b, "| resolve → serving (fetch, verify, admit, fixtures, warm, swap) | %s | %s |\n", ms(liveMed), ms(liveMax))
	fmt.Fprintf(b, "\nWorst batch round trip (%d batches): %s during the swaps, %s between them.\n", res.Batches, ms(res.WorstBatch), ms(res.WorstSteady))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
