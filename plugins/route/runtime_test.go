//go:build !wasip1

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// loaded is the router built from source and loaded once per test binary.
var loaded struct {
	once sync.Once
	mod  *runtime.Module
	err  error
}

func routeModule(t testing.TB) *runtime.Module {
	wasm := fixtures.Go(t, "plugins/route")
	loaded.once.Do(func() {
		ctx := context.Background()
		var e *runtime.Engine
		if e, loaded.err = runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)}); loaded.err == nil {
			loaded.mod, loaded.err = e.Load(ctx, fixtures.Warm(t, wasm))
		}
	})
	require.NoError(t, loaded.err)
	return loaded.mod
}

func newPool(t testing.TB, config string) *runtime.Pool {
	p, err := routeModule(t).NewPool(context.Background(), runtime.PoolConfig{Size: 1, Config: []byte(config)})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func goldenFixtures(t *testing.T) runtime.Fixtures {
	raw, err := os.ReadFile("fixtures.json")
	require.NoError(t, err)
	f, err := runtime.ParseFixtures(raw)
	require.NoError(t, err)
	return f
}

// TestGoldenFixtures runs the fixtures the swap gate runs (fixtures.json,
// packed by make plugins) in the real runtime, projecting and scanning.
func TestGoldenFixtures(t *testing.T) {
	f := goldenFixtures(t)
	require.NoError(t, routeModule(t).CheckFixtures(context.Background(), f))
	f.Config = withoutProjection(t, string(f.Config))
	require.NoError(t, routeModule(t).CheckFixtures(context.Background(), f))
}

// TestGoldenFixturesCanFail proves the gate would refuse a router that
// routes wrongly: one wanted port changed, the check names the case.
func TestGoldenFixturesCanFail(t *testing.T) {
	f := goldenFixtures(t)
	f.Cases[1].Want[0].Out[0].Port = "clean"
	err := routeModule(t).CheckFixtures(context.Background(), f)
	require.Equal(t, runtime.ClassFixture, runtime.ClassOf(err))
	require.ErrorContains(t, err, f.Cases[1].Name)
}

func withoutProjection(t testing.TB, cfg string) []byte {
	var c map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg), &c))
	c["projection"] = false
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return b
}

// predicates are one condition per rule, rule i routing to port "c<i>" in
// mode all: the ports a record reaches are the conditions it meets.
var predicates = []string{
	`{"path":"s","equals":"é"}`,             // c0
	`{"path":"n","equals":1}`,               // c1
	`{"path":"b","equals":true}`,            // c2
	`{"path":"z","equals":null}`,            // c3
	`{"path":"s","in":["x","é",2]}`,         // c4
	`{"path":"n","in":["1",-0.5,1e0]}`,      // c5
	`{"path":"s","prefix":"ab"}`,            // c6
	`{"path":"s","regex":"^a.c$"}`,          // c7
	`{"path":"n","gte":1,"lt":10}`,          // c8
	`{"path":"n","gt":1}`,                   // c9
	`{"path":"z","exists":true}`,            // c10
	`{"path":"z","exists":false}`,           // c11
	`{"path":"l.*.v","gt":{"path":"max"}}`,  // c12: some element over the limit
	`{"path":"l.*.v","lte":{"path":"min"}}`, // c13: some element at or under it
}

var predicateCases = []struct {
	doc  string
	want []int // the conditions that hold
}{
	{`{"s":"é","n":1,"b":true,"z":null}`, []int{0, 1, 2, 3, 4, 5, 8, 10}},
	{`{"s":"\u00e9","n":1.0e0,"b":false}`, []int{0, 1, 4, 5, 8, 11}},
	{`{"s":"abc","n":"1","b":"true","z":0}`, []int{5, 6, 7, 10}}, // in holds the string "1"
	{`{"s":"abxc","n":10,"z":{}}`, []int{6, 9, 10}},
	{`{"s":["q","é"],"n":[0,5]}`, []int{11}}, // an array is not its elements
	{`{"s":"q","n":-0.5}`, []int{5, 11}},
	{`{"s":"ab","s":"é"}`, []int{0, 4, 6, 11}}, // every duplicate counts
	{`{"n":1e400}`, []int{9, 11}},              // out of float64's range: +Inf
	{`{"l":[{"v":3},{"v":12}],"max":10,"min":3}`, []int{11, 12, 13}},
	{`{"l":[{"v":5}],"max":10,"min":3}`, []int{11}},
	{`{"l":[{"v":5}],"max":"10","min":null}`, []int{11}},        // a bound that is not a number meets nothing
	{`{"max":10,"l":[{"v":10.5}],"min":11}`, []int{11, 12, 13}}, // bounds read before or after
	{`{"l":[{"v":5}],"max":1,"max":9}`, []int{11, 12}},          // some value over some bound
	{`{}`, []int{11}},
}

func predicateConfig(mode string) string {
	var rules []string
	for i, p := range predicates {
		rules = append(rules, fmt.Sprintf(`{"when":[%s],"to":"c%d"}`, p, i))
	}
	return fmt.Sprintf(`{"mode":%q,"default":"none","rules":[%s]}`, mode, strings.Join(rules, ","))
}

// TestEveryPredicate checks which conditions hold for each record,
// projecting and scanning, in one batch.
func TestEveryPredicate(t *testing.T) {
	cfg := predicateConfig("all")
	for name, pool := range map[string]*runtime.Pool{
		"projected": newPool(t, cfg),
		"scanned":   newPool(t, string(withoutProjection(t, cfg))),
	} {
		var in []runtime.Record
		for _, c := range predicateCases {
			in = append(in, runtime.Record{Value: []byte(c.doc)})
		}
		out, err := pool.Process(context.Background(), in)
		require.NoError(t, err)
		for i, c := range predicateCases {
			require.NoError(t, out[i].Err, "%s %s", name, c.doc)
			want := []string{"none"}
			if len(c.want) > 0 {
				want = nil
				for _, k := range c.want {
					want = append(want, fmt.Sprintf("c%d", k))
				}
			}
			require.Equal(t, want, ports(out[i]), "%s %s", name, c.doc)
		}
	}
}

func ports(o runtime.Outcome) []string {
	var ps []string
	for _, e := range o.Emits {
		ps = append(ps, e.Port)
	}
	return ps
}

// TestFirstAndAll runs the same rules in both modes: first takes the first
// matching rule, all every matching rule's ports once each, a drop rule
// adding none, and a record only drop rules match is dropped.
func TestFirstAndAll(t *testing.T) {
	rules := `"rules":[
		{"when":[{"path":"a","exists":true}],"to":["x","y"]},
		{"when":[{"path":"b","exists":true}],"to":["y","z"]},
		{"when":[{"path":"c","exists":true}],"to":"drop"},
		{"when":[{"path":"d","exists":true}],"to":""}]`
	cases := []struct {
		doc        string
		first, all []string // nil: dropped; "": the default port
	}{
		{doc: `{"a":1,"b":1}`, first: []string{"x", "y"}, all: []string{"x", "y", "z"}},
		{doc: `{"b":1,"c":1}`, first: []string{"y", "z"}, all: []string{"y", "z"}},
		{doc: `{"c":1,"d":1}`, first: nil, all: []string{""}},
		{doc: `{"c":1}`, first: nil, all: nil},
		{doc: `{"d":1,"a":1}`, first: []string{"x", "y"}, all: []string{"x", "y", ""}},
		{doc: `{"e":1}`, first: []string{"rest"}, all: []string{"rest"}},
	}
	first := newPool(t, `{"default":"rest",`+rules+`}`)
	all := newPool(t, `{"mode":"all","default":"rest",`+rules+`}`)
	for _, c := range cases {
		rec := []runtime.Record{{Value: []byte(c.doc)}}
		out, err := first.Process(context.Background(), rec)
		require.NoError(t, err)
		require.Equal(t, c.first, ports(out[0]), "first %s", c.doc)
		out, err = all.Process(context.Background(), rec)
		require.NoError(t, err)
		require.Equal(t, c.all, ports(out[0]), "all %s", c.doc) // in the rules' order, each port once
	}
}

// TestDefaultTargets: no rule matches, the default is the default port,
// a port, or drop.
func TestDefaultTargets(t *testing.T) {
	rules := `"rules":[{"when":[{"path":"a","equals":1}],"to":"one"}]`
	for def, want := range map[string][]string{`""`: {""}, `"other"`: {"other"}, `"drop"`: nil} {
		out, err := newPool(t, `{"default":`+def+`,`+rules+`}`).Process(context.Background(),
			[]runtime.Record{{Value: []byte(`{"a":2}`)}, {Value: []byte(`{"a":1}`)}})
		require.NoError(t, err)
		require.Equal(t, want, ports(out[0]), "default %s", def)
		require.Equal(t, []string{"one"}, ports(out[1]))
	}
}

// TestMalformedRecordIsFlagged: a record that is not JSON fails alone —
// at the host with bad_input when projecting, in the router with
// guest_error when scanning — and its batch-mates are routed.
func TestMalformedRecordIsFlagged(t *testing.T) {
	cfg := `{"rules":[{"when":[{"path":"a","equals":1}],"to":"one"}]}`
	in := []runtime.Record{{Value: []byte(`{"a":1}`)}, {Value: []byte(`{"a":1,}`)}, {Value: []byte(`{"a":1}`)}}
	for cfg, class := range map[string]runtime.Class{
		cfg:                               runtime.ClassBadInput,
		string(withoutProjection(t, cfg)): runtime.ClassGuest,
	} {
		out, err := newPool(t, cfg).Process(context.Background(), in)
		require.NoError(t, err)
		require.Equal(t, []string{"one"}, ports(out[0]))
		require.Equal(t, class, runtime.ClassOf(out[1].Err), "%v", out[1].Err)
		require.ErrorContains(t, out[1].Err, "offset 7")
		require.Equal(t, []string{"one"}, ports(out[2]))
	}
}

// TestOverlappingPathsScan: paths that meet in one value (a and a.b) are
// not projected — the host would report only the outer value — so the
// router scans, and both conditions see their values.
func TestOverlappingPathsScan(t *testing.T) {
	rt, err := newRouter([]byte(`{"rules":[{"when":[{"path":"a","exists":true},{"path":"a.*","equals":2}],"to":"both"}]}`))
	require.NoError(t, err)
	require.False(t, rt.project)
	out, err := newPool(t, `{"rules":[{"when":[{"path":"a","exists":true},{"path":"a.*","equals":2}],"to":"both"}]}`).
		Process(context.Background(), []runtime.Record{{Value: []byte(`{"a":{"b":2}}`)}, {Value: []byte(`{"a":{"b":3}}`)}})
	require.NoError(t, err)
	require.Equal(t, []string{"both"}, ports(out[0]))
	require.Equal(t, []string{""}, ports(out[1]))
}

// TestConfigRefusedByTheSchema: the manifest's config_schema refuses a
// misspelt predicate before any instance starts, naming the field.
func TestConfigRefusedByTheSchema(t *testing.T) {
	_, err := routeModule(t).NewPool(context.Background(), runtime.PoolConfig{Size: 1,
		Config: []byte(`{"rules":[{"when":[{"path":"a","equal":1}],"to":"x"}]}`)})
	require.Equal(t, runtime.ClassConfig, runtime.ClassOf(err), "%v", err)
	require.ErrorContains(t, err, "rules.0.when.0")
}

// TestConfigRefusedAtInit: what the schema cannot see (a regex that does
// not compile) fails the init, naming the rule and condition.
func TestConfigRefusedAtInit(t *testing.T) {
	_, err := routeModule(t).NewPool(context.Background(), runtime.PoolConfig{Size: 1,
		Config: []byte(`{"rules":[{"to":"x"},{"when":[{"path":"a","regex":"("}],"to":"x"}]}`)})
	require.Equal(t, runtime.ClassGuest, runtime.ClassOf(err), "%v", err)
	require.ErrorContains(t, err, "route: config: rule 1: when.0: regex: error parsing regexp: missing closing )")
}

// TestProjectedMatchesScanned routes the orders and the predicate cases
// both ways, with rules on the orders' fields, and requires the same
// ports for every record.
func TestProjectedMatchesScanned(t *testing.T) {
	cfg := `{"mode":"all","default":"none","rules":[
		{"when":[{"path":"amount","gte":400}],"to":"big"},
		{"when":[{"path":"country","in":["FR","DE"]},{"path":"currency","equals":"EUR"}],"to":"eu"},
		{"when":[{"path":"customer.email","regex":"@example\\.com$"}],"to":"example"},
		{"when":[{"path":"items.*.sku","prefix":"SKU-1"}],"to":"sku1"},
		{"when":[{"path":"items.*.qty","gt":{"path":"shipping.zip"}}],"to":"never"},
		{"when":[{"path":"items.*.price","lt":{"path":"amount"}},{"path":"coupon","exists":false}],"to":"cheap"}]}`
	var in []runtime.Record
	for _, line := range orderLines(t) {
		in = append(in, runtime.Record{Value: line})
	}
	for _, c := range predicateCases {
		in = append(in, runtime.Record{Value: []byte(c.doc)})
	}
	projected, scanned := newPool(t, cfg), newPool(t, string(withoutProjection(t, cfg)))
	seen := map[string]int{}
	for i := 0; i < len(in); i += 64 {
		batch := in[i:min(i+64, len(in))]
		want, err := scanned.Process(context.Background(), batch)
		require.NoError(t, err)
		got, err := projected.Process(context.Background(), batch)
		require.NoError(t, err)
		for j := range batch {
			require.NoError(t, got[j].Err)
			require.Equal(t, ports(want[j]), ports(got[j]), "%s", batch[j].Value)
			for _, p := range ports(got[j]) {
				seen[p]++
			}
		}
	}
	var routed []string
	for p := range seen {
		routed = append(routed, p)
	}
	sort.Strings(routed)
	require.Equal(t, []string{"big", "cheap", "eu", "example", "none", "sku1"}, routed, "every rule but one was exercised")
}

func orderLines(t testing.TB) [][]byte {
	data, err := os.ReadFile("../../bench/testdata/orders-1k.jsonl")
	require.NoError(t, err)
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}
