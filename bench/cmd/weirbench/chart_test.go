package main

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// The chart of sample rows is well-formed XML with one bar per case of
// the batch size, the longest bar for the slowest case, and labels
// escaped.
func TestChartIsWellFormedWithItsBars(t *testing.T) {
	rows := []*row{
		{name: "weir mask (Go)", group: "64", ns: []float64{900, 1000, 1100}},
		{name: "weir mask (C)", group: "64", ns: []float64{500}},
		{name: "bloblang <mask> & co", group: "64", ns: []float64{2000}},
		{name: "native Go", group: "64", ns: []float64{300}},
		{name: "native Go", group: "1", ns: []float64{9000}},
	}
	svg := chartSVG("sample", pipelineBars(rows, "64"))
	dec := xml.NewDecoder(strings.NewReader(svg))
	var bars, texts []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := map[string]string{}
		for _, a := range el.Attr {
			attr[a.Name.Local] = a.Value
		}
		switch {
		case el.Name.Local == "rect" && attr["class"] == "bar":
			bars = append(bars, attr["width"])
		case el.Name.Local == "text":
			var s string
			if err := dec.DecodeElement(&s, &el); err != nil {
				t.Fatal(err)
			}
			texts = append(texts, s)
		}
	}
	if len(bars) != 4 {
		t.Fatalf("%d bars, want 4 (the batch-64 rows): %v", len(bars), bars)
	}
	if bars[2] != "420.0" {
		t.Errorf("the slowest case's bar is %s wide, want the full 420.0", bars[2])
	}
	if !strings.Contains(strings.Join(texts, "|"), "bloblang <mask> & co") {
		t.Errorf("the label did not come through escaped and back: %q", texts)
	}
}
