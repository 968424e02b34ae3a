// Package conformance runs golden fixtures (the conformance vectors, or a
// module's own fixtures) against a module in the real runtime, and reports
// every difference by case, record and field. `weir transform test` and
// the SDKs' conformance tests both go through Run, so a new language's SDK
// is one more guest in a table, not a new test.
package conformance

import (
	"context"
	"fmt"

	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/sdk"
)

// Vectors returns the ABI conformance vectors (sdk/testdata/conformance.json).
func Vectors() runtime.Fixtures {
	f, err := runtime.ParseFixtures(sdk.Conformance)
	if err != nil { // the embedded document is checked by this package's tests
		panic(err)
	}
	return f
}

// Result is the outcome of one Run: every case, in order, with its diffs.
type Result struct {
	Cases []Case
}

// Case is one fixture case's outcome. It passed when Diffs is empty.
type Case struct {
	Name  string
	Diffs []Diff
}

// Diff is one difference between the verdict a case wants and the one the
// module gave.
type Diff struct {
	Record int    // index of the input record in its batch; -1 for the batch as a whole
	Field  string // what differs: "batch", "error", "outputs", "out[1].value", "out[0].meta.k", …
	Want   string // the wanted value, quoted, or "(none)"
	Got    string // the value the module gave, quoted, or "(none)"
}

// Failed counts the cases with differences.
func (r Result) Failed() int {
	n := 0
	for _, c := range r.Cases {
		if len(c.Diffs) > 0 {
			n++
		}
	}
	return n
}

// Run creates a pool of m with cfg (f.Config as the guest's config unless
// cfg.Config is set, f.FixtureGrants unless cfg.Grants is) and runs every case of f through it, each case one
// batch. A case's batch failure is one of its diffs, unless the case wants
// a failure of that class; an error is returned only when the pool cannot
// be created (the guest's init refused its config, say).
func Run(ctx context.Context, m *runtime.Module, f runtime.Fixtures, cfg runtime.PoolConfig) (Result, error) {
	if cfg.Config == nil {
		cfg.Config = f.Config
	}
	if cfg.Grants == nil {
		grants, err := f.FixtureGrants(m.Manifest)
		if err != nil {
			return Result{}, fmt.Errorf("conformance: %w", err)
		}
		cfg.Grants = grants
	}
	pool, err := m.NewPool(ctx, cfg)
	if err != nil {
		return Result{}, fmt.Errorf("conformance: %w", err)
	}
	defer pool.Close(ctx)
	res := Result{Cases: make([]Case, 0, len(f.Cases))}
	for _, c := range f.Cases {
		res.Cases = append(res.Cases, Case{Name: c.Name, Diffs: runCase(ctx, pool, c)})
	}
	return res, nil
}

func runCase(ctx context.Context, pool *runtime.Pool, c runtime.FixtureCase) []Diff {
	in := make([]runtime.Record, len(c.In))
	for i, r := range c.In {
		in[i] = runtime.Record{Value: []byte(r.Value), Meta: runtime.SortedMeta(r.Meta)}
	}
	out, err := pool.Process(ctx, in)
	switch {
	case c.BatchError != "" && err == nil:
		return []Diff{{Record: -1, Field: "batch", Want: "a " + string(c.BatchError) + " failure", Got: "verdicts"}}
	case c.BatchError != "" && runtime.ClassOf(err) != c.BatchError:
		return []Diff{{Record: -1, Field: "batch", Want: "a " + string(c.BatchError) + " failure", Got: err.Error()}}
	case c.BatchError != "":
		return nil
	case err != nil:
		return []Diff{{Record: -1, Field: "batch", Want: "verdicts", Got: err.Error()}}
	}
	return diffVerdicts(c.Want, runtime.Verdicts(in, out))
}
