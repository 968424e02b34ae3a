package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// FixturesSection carries a module's golden fixtures (JSON, the Fixtures
// type): batches and the verdicts the module must give them. A registry
// swap runs them in the real runtime before the version serves.
const FixturesSection = "weir.fixtures"

// Fixtures are golden input/output pairs. The format is the one of the ABI
// conformance vectors (sdk/testdata/conformance.json).
type Fixtures struct {
	// Config is handed to the guest's init for the fixture run.
	Config json.RawMessage `json:"config,omitempty"`
	// Function is, for an Extism plugin, the export the fixture run calls
	// per record (ExtismConfig.Function); a weir module has none.
	Function string `json:"function,omitempty"`
	// KV is, for a module declaring the kv capability, what each
	// namespace holds during the fixture run: namespace → guest key →
	// value, served from memory (FixtureGrants).
	KV    map[string]map[string]string `json:"kv,omitempty"`
	Cases []FixtureCase                `json:"cases"`
}

// FixtureCase is one batch and its expected verdicts.
type FixtureCase struct {
	Name       string           `json:"name"`
	In         []FixtureRecord  `json:"in"`
	Want       []FixtureOutcome `json:"want,omitempty"`
	BatchError Class            `json:"batch_error,omitempty"` // expected class of a whole-batch failure
}

// FixtureRecord is an input record, or an output one with its port.
type FixtureRecord struct {
	Value string            `json:"value"`
	Port  string            `json:"port,omitempty"`
	Meta  map[string]string `json:"meta,omitempty"`
}

// FixtureOutcome is the verdict on one input: its outputs (metadata after
// the guest's changes) or its error message.
type FixtureOutcome struct {
	Out   []FixtureRecord `json:"out"`
	Error string          `json:"error,omitempty"`
}

// ParseFixtures decodes and sanity-checks a fixtures document.
func ParseFixtures(raw []byte) (Fixtures, error) {
	var f Fixtures
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("fixtures: %w", err)
	}
	for i, c := range f.Cases {
		if c.BatchError == "" && len(c.Want) != len(c.In) {
			return f, fmt.Errorf("fixtures: case %d (%q): %d inputs but %d wanted verdicts", i, c.Name, len(c.In), len(c.Want))
		}
	}
	return f, nil
}

// PackFixtures returns module with fixtures in its "weir.fixtures" section,
// replacing any earlier one.
func PackFixtures(module, fixtures []byte) ([]byte, error) {
	if _, err := ParseFixtures(fixtures); err != nil {
		return nil, err
	}
	return packSection(module, FixturesSection, fixtures)
}

// CheckFixtures runs every case through a fresh instance and returns the
// first mismatch, naming the case and record.
func (m *Module) CheckFixtures(ctx context.Context, f Fixtures) error {
	if len(f.Cases) == 0 {
		return nil
	}
	grants, err := f.FixtureGrants(m.Manifest)
	if err != nil {
		return &Error{Class: ClassFixture, Transform: m.Manifest.ID(), Msg: "fixtures", Cause: err}
	}
	pool, err := m.NewPool(ctx, PoolConfig{Size: 1, Config: f.Config, Extism: ExtismConfig{Function: f.Function}, Grants: grants})
	if err != nil {
		return &Error{Class: ClassFixture, Transform: m.Manifest.ID(), Msg: "fixtures", Cause: err}
	}
	defer pool.Close(ctx)
	for _, c := range f.Cases {
		if err := checkCase(ctx, pool, c); err != nil {
			return &Error{Class: ClassFixture, Transform: m.Manifest.ID(), Msg: fmt.Sprintf("fixture %q", c.Name), Cause: err}
		}
	}
	return nil
}

func checkCase(ctx context.Context, pool *Pool, c FixtureCase) error {
	in := make([]Record, len(c.In))
	for i, r := range c.In {
		in[i] = Record{Value: []byte(r.Value), Meta: SortedMeta(r.Meta)}
	}
	out, err := pool.Process(ctx, in)
	switch {
	case c.BatchError != "" && ClassOf(err) == c.BatchError:
		return nil
	case c.BatchError != "":
		return fmt.Errorf("want a %s batch failure, got %v", c.BatchError, err)
	case err != nil:
		return err
	}
	got := Verdicts(in, out)
	for i := range got {
		if !reflect.DeepEqual(got[i], c.Want[i]) {
			return fmt.Errorf("record %d: got %s, want %s", i, jsonText(got[i]), jsonText(c.Want[i]))
		}
	}
	return nil
}

// Verdicts renders outcomes in the fixture format, applying each emit's
// metadata changes to its input's metadata.
func Verdicts(in []Record, out []Outcome) []FixtureOutcome {
	got := make([]FixtureOutcome, 0, len(out))
	for i, o := range out {
		v := FixtureOutcome{Out: []FixtureRecord{}}
		if o.Err != nil {
			v = FixtureOutcome{Error: errMsg(o.Err)}
		}
		for _, e := range o.Emits {
			v.Out = append(v.Out, FixtureRecord{Value: string(e.Value), Port: e.Port, Meta: applyMeta(in[i].Meta, e.MetaOps)})
		}
		got = append(got, v)
	}
	return got
}

// SortedMeta turns a map into metadata sorted by key.
func SortedMeta(m map[string]string) []Meta {
	var out []Meta
	for k, v := range m {
		out = append(out, Meta{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func errMsg(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Msg
	}
	return err.Error()
}

func applyMeta(meta []Meta, ops []MetaOp) map[string]string {
	m := map[string]string{}
	for _, kv := range meta {
		m[kv.Key] = kv.Value
	}
	for _, op := range ops {
		if op.Delete {
			delete(m, op.Key)
		} else {
			m[op.Key] = op.Value
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
