package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The report's chart: the pipeline comparison (weir per guest language,
// bloblang, native Go, the peers) as horizontal bars of ns per message,
// hand-written SVG next to the report (benchmarks.svg), linked from the
// README. No library: the chart is a few rects and texts.

// bar is one case of the chart.
type bar struct {
	label string
	ns    float64
}

// pipelineBars are the pipeline rows of one batch size, in the table's
// order.
func pipelineBars(rows []*row, group string) []bar {
	var bars []bar
	for _, r := range rows {
		if r.group == group {
			bars = append(bars, bar{label: r.name, ns: median(r.ns)})
		}
	}
	return bars
}

// chartSVG draws bars, the longest the full width, each labelled with its
// case and value.
func chartSVG(title string, bars []bar) string {
	const width, labelW, barH, gap, top = 760, 250, 18, 6, 40
	height := top + len(bars)*(barH+gap) + 24
	most := 1.0
	for _, b := range bars {
		most = max(most, b.ns)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&s, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&s, `<text x="10" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", esc(title))
	span := float64(width - labelW - 90)
	for i, b := range bars {
		y := top + i*(barH+gap)
		w := max(1, b.ns/most*span)
		fill := "#2271b1"
		if !strings.HasPrefix(b.label, "weir") {
			fill = "#a7aaad" // not weir: bloblang, native, the peers, the baselines
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-8, y+barH-5, esc(b.label))
		fmt.Fprintf(&s, `<rect class="bar" x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %.0f ns/msg</title></rect>`+"\n", labelW, y, w, barH, fill, esc(b.label), b.ns)
		fmt.Fprintf(&s, `<text x="%.1f" y="%d">%s ns</text>`+"\n", float64(labelW)+w+6, y+barH-5, esc(fmt.Sprintf("%.0f", b.ns)))
	}
	fmt.Fprintf(&s, `<text x="10" y="%d" fill="#646970">ns per message, median of the rounds (shorter is faster); docs/benchmarks.md has the figures and the machine's load</text>`+"\n", height-8)
	s.WriteString("</svg>\n")
	return s.String()
}

func esc(text string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(text))
	return b.String()
}

// writeChart writes the chart next to the report at out (benchmarks.svg);
// without -out, nowhere.
func writeChart(out string, rows []*row) {
	if out == "" || len(rows) == 0 {
		return
	}
	path := filepath.Join(filepath.Dir(out), "benchmarks.svg")
	check(os.WriteFile(path, []byte(chartSVG("Through a Benthos pipeline, batches of 64", pipelineBars(rows, "64"))), 0o644))
}
