package iot_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirstream/weir/internal/fixtures"
)

// limits are the devices' limits as pipeline.yaml's cache holds them.
var limits = map[string][2]float64{
	"dev-1": {-20, 60}, "dev-2": {0, 40}, "dev-3": {10, 30}, "dev-4": {-40, 85}, "dev-5": {15, 25},
}

type reading struct {
	Device string  `json:"device"`
	At     string  `json:"at"`
	Temp   float64 `json:"temp"`
	Limits *struct {
		Min, Max float64
	} `json:"limits"`
}

// TestIoTExample runs examples/iot against the broker the tests use and
// checks every topic against what the readings file says should reach it:
// each reading outside its device's limits in alerts, the others in
// readings-ok, both with the limits merged in; the unknown device's
// readings and the cut-short line in readings-dlq.
func TestIoTExample(t *testing.T) {
	want, total := expected(t)
	require.NotEmpty(t, want["alerts"])
	require.NotEmpty(t, want["readings-ok"])
	require.Len(t, want["readings-dlq"], 4)

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "readings", "alerts", "readings-ok", "readings-dlq"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	broker := strings.Join(c.ListenAddrs(), ",")
	route, enrich := filepath.Join(t.TempDir(), "route.wasm"), filepath.Join(t.TempDir(), "enrich.wasm")
	require.NoError(t, os.WriteFile(route, fixtures.Go(t, "plugins/route"), 0o644))
	require.NoError(t, os.WriteFile(enrich, fixtures.Go(t, "plugins/enrich"), 0o644))
	env := append(os.Environ(), "KAFKA="+broker, "WEIR_ROUTE="+route, "WEIR_ENRICH="+enrich, "HTTP_ADDRESS=127.0.0.1:0",
		"XDG_CACHE_HOME="+fixtures.CacheHome(t))
	weir := fixtures.Weir(t)

	run(t, env, weir, "lint", "examples/iot/produce.yaml", "examples/iot/pipeline.yaml", "examples/iot/show.yaml")
	run(t, env, weir, "run", "examples/iot/produce.yaml")
	ctx := fixtures.Patient(t)
	pipeline := exec.CommandContext(ctx, weir, "run", "examples/iot/pipeline.yaml")
	pipeline.Dir, pipeline.Env = fixtures.Root(), env
	require.NoError(t, pipeline.Start())
	defer func() { _ = pipeline.Process.Kill(); _ = pipeline.Wait() }()

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics("alerts", "readings-ok", "readings-dlq"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	got, n := map[string][]string{}, 0
	for n < total && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			n++
			got[r.Topic] = append(got[r.Topic], checked(t, r))
		})
	}
	for topic, keys := range want {
		assert.ElementsMatch(t, keys, got[topic], topic)
	}
}

// expected sorts the readings file by the topic each line should reach,
// naming a reading by device and time (the cut-short line by its text).
func expected(t *testing.T) (map[string][]string, int) {
	f, err := os.Open(filepath.Join(fixtures.Root(), "examples/iot/readings.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	want, total := map[string][]string{}, 0
	for sc := bufio.NewScanner(f); sc.Scan(); total++ {
		var r reading
		lim, known := limits[r.Device], false
		if err := json.Unmarshal(sc.Bytes(), &r); err == nil {
			lim, known = limits[r.Device]
		}
		switch {
		case !known:
			want["readings-dlq"] = append(want["readings-dlq"], name(r, sc.Text()))
		case r.Temp < lim[0] || r.Temp > lim[1]:
			want["alerts"] = append(want["alerts"], name(r, ""))
		default:
			want["readings-ok"] = append(want["readings-ok"], name(r, ""))
		}
	}
	return want, total
}

func name(r reading, line string) string {
	if r.At == "" {
		return line
	}
	return r.Device + "@" + r.At
}

// checked names an output record, checking a routed one carries its
// device's limits and a dead letter says why it failed.
func checked(t *testing.T, r *kgo.Record) string {
	var rd reading
	err := json.Unmarshal(r.Value, &rd)
	if r.Topic == "readings-dlq" {
		assert.True(t, hasHeader(r, "weir_error_class"), "%s", r.Value)
		return name(rd, string(r.Value))
	}
	require.NoError(t, err, "%s", r.Value)
	if assert.NotNil(t, rd.Limits, "%s", r.Value) {
		lim := limits[rd.Device]
		assert.Equal(t, lim, [2]float64{rd.Limits.Min, rd.Limits.Max}, "%s", r.Value)
	}
	return name(rd, "")
}

func hasHeader(r *kgo.Record, key string) bool {
	for _, h := range r.Headers {
		if h.Key == key {
			return true
		}
	}
	return false
}

func run(t *testing.T, env []string, weir string, args ...string) {
	cmd := exec.Command(weir, args...)
	cmd.Dir, cmd.Env = fixtures.Root(), env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
