package conformance

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/weirstream/weir/runtime"
)

const none = "(none)"

// diffVerdicts compares verdicts record by record and field by field.
func diffVerdicts(want, got []runtime.FixtureOutcome) []Diff {
	var d []Diff
	if len(want) != len(got) {
		d = append(d, Diff{Record: -1, Field: "verdicts", Want: strconv.Itoa(len(want)), Got: strconv.Itoa(len(got))})
	}
	for i := range min(len(want), len(got)) {
		d = append(d, diffOutcome(i, want[i], got[i])...)
	}
	return d
}

func diffOutcome(rec int, want, got runtime.FixtureOutcome) []Diff {
	if want.Error != got.Error {
		return []Diff{{Record: rec, Field: "error", Want: quoteOrNone(want.Error), Got: quoteOrNone(got.Error)}}
	}
	var d []Diff
	if len(want.Out) != len(got.Out) {
		d = append(d, Diff{Record: rec, Field: "outputs", Want: strconv.Itoa(len(want.Out)), Got: strconv.Itoa(len(got.Out))})
	}
	for j := range min(len(want.Out), len(got.Out)) {
		d = append(d, diffRecord(rec, fmt.Sprintf("out[%d]", j), want.Out[j], got.Out[j])...)
	}
	return d
}

func diffRecord(rec int, at string, want, got runtime.FixtureRecord) []Diff {
	var d []Diff
	if want.Value != got.Value {
		d = append(d, Diff{Record: rec, Field: at + ".value", Want: strconv.Quote(want.Value), Got: strconv.Quote(got.Value)})
	}
	if want.Port != got.Port {
		d = append(d, Diff{Record: rec, Field: at + ".port", Want: quoteOrNone(want.Port), Got: quoteOrNone(got.Port)})
	}
	for _, k := range metaKeys(want.Meta, got.Meta) {
		w, wok := want.Meta[k]
		g, gok := got.Meta[k]
		if w != g || wok != gok {
			d = append(d, Diff{Record: rec, Field: at + ".meta." + k, Want: present(w, wok), Got: present(g, gok)})
		}
	}
	return d
}

func metaKeys(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func quoteOrNone(s string) string { return present(s, s != "") }

func present(s string, ok bool) string {
	if !ok {
		return none
	}
	return strconv.Quote(s)
}

// String renders a diff as one line: where, then want and got.
func (d Diff) String() string {
	where := "batch"
	if d.Record >= 0 {
		where = fmt.Sprintf("record %d", d.Record)
	}
	if d.Field != "batch" {
		where += " " + d.Field
	}
	return fmt.Sprintf("%s: want %s, got %s", where, d.Want, d.Got)
}

// Write prints one line per failing case with its diffs indented below,
// passing cases too when verbose, then a summary line.
func (r Result) Write(w io.Writer, verbose bool) {
	for _, c := range r.Cases {
		if len(c.Diffs) == 0 {
			if verbose {
				fmt.Fprintf(w, "ok    %s\n", c.Name)
			}
			continue
		}
		fmt.Fprintf(w, "FAIL  %s\n", c.Name)
		for _, d := range c.Diffs {
			fmt.Fprintf(w, "      %s\n", d)
		}
	}
	fmt.Fprintf(w, "%d cases, %d passed, %d failed\n", len(r.Cases), len(r.Cases)-r.Failed(), r.Failed())
}
