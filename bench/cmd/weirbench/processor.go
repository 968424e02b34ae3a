package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/weirstream/weir/bench"
)

// processorRows build every case's processor once; each round measures
// each of them once, in alternating order.
func processorRows(cases []bench.ProcCase, orders [][]byte, benchtime time.Duration) []*row {
	var rows []*row
	for _, c := range cases {
		p, err := bench.NewProcessor(c.YAML)
		check(wrap(c.Name, err))
		rows = append(rows, &row{name: c.Name, group: "64", run: func() sample {
			cost, err := bench.MeasureProcessor(context.Background(), p, orders, 64, benchtime)
			check(wrap(c.Name, err))
			return sample{ns: cost.Wall, cpu: cost.CPU}
		}, close: func() { _ = p.Close(context.Background()) }})
	}
	return rows
}

func wrap(name string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// processorSection measures the processor-level table and returns the
// targets stated at that level.
func processorSection(b *strings.Builder, cases []bench.ProcCase, orders [][]byte, rounds int, benchtime time.Duration) targetRows {
	rows := measure(processorRows(cases, orders, benchtime), rounds)
	for _, r := range rows {
		r.close()
	}
	by := map[string]*row{}
	for _, r := range rows {
		by[r.name] = r
	}
	b.WriteString("## At the processor level\n\nEach case's processor built from its config as a pipeline would (`service.NewConfigSpec` with a processor field, `FieldProcessor`) and called directly with batches of 64 orders (`OwnedProcessor.ProcessBatch`: Benthos's processor wrapper and tracing included, no stream, no other goroutine); messages are built outside the timed sections. weir's cases run one instance (`pool_size: 1`), default interruption (fuel). The peers: a per-message ABI in the style of Redpanda Connect's `wasm` processor (`bench/peer_connect.go`: one export call per message, host functions to read and write the message, the guest's allocator), and the Extism Go SDK v1.7.1 with go-pdk v1.1.3 plugins; their guests are standard Go (`bench/guests/`), the masks the same byte scanner as the native floor (`bench/internal/scanmask`). The same two Extism plugins also run on weir's own Extism kernel (`runtime/extism*.go`: the `wasm` processor with `function:`, one call per message under weir's limits). The Redpanda case is the same `wasm` processor running the Redpanda Data Transforms SDK's own `mirror` example, unmodified (docs/abi.md, \"Redpanda Data Transforms modules\"): the echo on Redpanda's ABI, beside weir's Go echo on weir's.\n\n")
	b.WriteString("`spread` is the minimum–maximum of the per-round CPU figures; `× bloblang` is bloblang's CPU time over the case's, the median of the per-round ratios.\n\n")
	b.WriteString("| case | ns/msg | CPU ns/msg | CPU spread | CPU over no-op | × bloblang |\n|---|---:|---:|---:|---:|---:|\n")
	noop, blob := by[bench.ProcNoop], by[bench.ProcBloblang]
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f–%.0f | %+.2f µs | %.1f× |\n", r.name, median(r.ns), median(r.cpu),
			minOf(r.cpu), maxOf(r.cpu), medianDiff(r.cpu, noop.cpu)/1000, medianRatio(blob.cpu, r.cpu))
	}
	return processorTargets(by)
}

// processorTargets are the targets stated at the processor level,
// on CPU time, per round.
func processorTargets(by map[string]*row) targetRows {
	return targetRows{
		ratioTarget("weir Go mask faster than bloblang (bloblang / Go mask)", "≥ 4×", by[bench.ProcBloblang], by[bench.ProcGoMask], 4),
		ratioTarget("weir C mask faster than bloblang (bloblang / C mask)", "≥ 10×", by[bench.ProcBloblang], by[bench.ProcCMask], 10),
		ratioTarget("schema-bound Go mask over the unbound one (bound / unbound; the bound JSON stream with the mask's JSON paths, projecting)", "≤ 1.5×", by[bench.ProcGoMaskBound], by[bench.ProcGoMask], -1.5),
		diffTarget("weir WAT echo over the Benthos no-op processor", 0.10, by[bench.ProcWATEcho], by[bench.ProcNoop]),
		diffTarget("weir Go echo over the Benthos no-op processor", 0.25, by[bench.ProcGoEcho], by[bench.ProcNoop]),
		ratioTarget("weir Go echo cheaper than the Connect-style ABI's echo (Connect / weir)", "≥ 10×", by[bench.ProcConnectEcho], by[bench.ProcGoEcho], 10),
		ratioTarget("weir Go echo cheaper than Extism's echo (Extism / weir)", "≥ 100×", by[bench.ProcExtismEcho], by[bench.ProcGoEcho], 100),
		ratioTarget("the same go-pdk echo plugin cheaper on weir's Extism kernel than on the Extism Go SDK (SDK / kernel)", "≥ 3×", by[bench.ProcExtismEcho], by[bench.ProcKernelEcho], 3),
		ratioTarget("the same go-pdk mask plugin cheaper on weir's Extism kernel than on the Extism Go SDK (SDK / kernel)", "≥ 3×", by[bench.ProcExtismMask], by[bench.ProcKernelMask], 3),
	}
}

// ratioTarget is a/b per round; bound > 0 asks at least bound, < 0 at
// most -bound.
func ratioTarget(name, goal string, a, b *row, bound float64) targetRow {
	per := perRound(a.cpu, b.cpu, func(x, y float64) float64 { return x / y })
	m := median(per)
	met := m >= bound
	if bound < 0 {
		met = m <= -bound
	}
	return targetRow{name: name, goal: goal, measured: fmt.Sprintf("%.2f×", m),
		spread: fmt.Sprintf("%.2f–%.2f×", minOf(per), maxOf(per)),
		wall:   fmt.Sprintf("%.2f×", medianRatio(a.ns, b.ns)), met: met}
}

// diffTarget is a−b in µs per round, at most bound.
func diffTarget(name string, bound float64, a, b *row) targetRow {
	per := perRound(a.cpu, b.cpu, func(x, y float64) float64 { return (x - y) / 1000 })
	m := median(per)
	return targetRow{name: name, goal: fmt.Sprintf("≤ %+.2f µs", bound), measured: fmt.Sprintf("%+.3f µs", m),
		spread: fmt.Sprintf("%+.3f–%+.3f µs", minOf(per), maxOf(per)),
		wall:   fmt.Sprintf("%+.3f µs", medianDiff(a.ns, b.ns)/1000), met: m <= bound}
}

func perRound(a, b []float64, f func(x, y float64) float64) []float64 {
	out := make([]float64, min(len(a), len(b)))
	for i := range out {
		out[i] = f(a[i], b[i])
	}
	return out
}

func medianDiff(a, b []float64) float64 {
	return median(perRound(a, b, func(x, y float64) float64 { return x - y }))
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// targetRow is one of the targets as measured.
type targetRow struct {
	name, goal, measured, spread, wall string
	met                                bool
}

type targetRows []targetRow

func (t targetRows) write(b *strings.Builder) {
	if len(t) == 0 {
		return
	}
	b.WriteString("## Targets\n\nThe fast-path issue's targets, from this run. Ratios and differences are taken per round, on CPU time (the processor-level table below), then the median; `spread` is their minimum–maximum over the rounds, `on wall time` the median of the same on wall time. The latency target is the median over the paced rounds below of the Go mask's p99, beside the no-op pipeline's at the same rate.\n\n")
	b.WriteString("| target | goal | measured | spread | on wall time / reference | met |\n|---|---:|---:|---:|---:|:---:|\n")
	for _, r := range t {
		met := "not met"
		if r.met {
			met = "met"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", r.name, r.goal, r.measured, r.spread, r.wall, met)
	}
	b.WriteString("\n")
}
