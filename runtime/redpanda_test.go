package runtime_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// redpandaPool loads a Redpanda module and starts a pool of it with
// config (the processor's `config`, as JSON).
func redpandaPool(t testing.TB, wasm []byte, ecfg runtime.EngineConfig, cfg runtime.PoolConfig, config any) *runtime.Pool {
	t.Helper()
	ecfg.CacheDir = fixtures.CacheDir(t)
	e, logs := newEngine(t, ecfg)
	m, err := e.Load(context.Background(), wasm)
	require.NoError(t, err)
	defer m.Close(context.Background())
	if config != nil {
		cfg.Config, err = json.Marshal(config)
		require.NoError(t, err)
	}
	p, err := m.NewPool(context.Background(), cfg)
	require.NoError(t, err, logs.String())
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func rec(value string, meta ...string) runtime.Record {
	r := runtime.Record{Value: []byte(value)}
	for i := 0; i+1 < len(meta); i += 2 {
		r.Meta = append(r.Meta, runtime.Meta{Key: meta[i], Value: meta[i+1]})
	}
	return r
}

// verdict is an outcome in short: the values emitted, or the error class.
type verdict struct {
	Values []string
	Ports  []string
	Class  runtime.Class
}

func verdicts(outcomes []runtime.Outcome) []verdict {
	var out []verdict
	for _, o := range outcomes {
		v := verdict{Class: runtime.ClassOf(o.Err)}
		for _, e := range o.Emits {
			v.Values = append(v.Values, string(e.Value))
			v.Ports = append(v.Ports, e.Port)
		}
		out = append(out, v)
	}
	return out
}

func kept(values ...string) verdict {
	return verdict{Values: values, Ports: make([]string, len(values))}
}

func TestRedpandaMirrorIsIdentity(t *testing.T) {
	p := redpandaPool(t, fixtures.Warm(t, fixtures.Redpanda(t, "mirror")), runtime.EngineConfig{}, runtime.PoolConfig{}, nil)
	in := []runtime.Record{rec("a", "kafka_key", "k", "tenant", "acme"), rec(""), rec("ccc", "kafka_timestamp_unix_ms", "1700000000000")}
	out, err := p.Process(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, out, 3)
	for i, o := range out {
		require.NoError(t, o.Err)
		require.Len(t, o.Emits, 1)
		assert.True(t, o.Emits[i*0].Unchanged, "record %d", i)
		assert.Equal(t, string(in[i].Value), string(o.Emits[0].Value))
		assert.Empty(t, o.Emits[0].MetaOps, "key and headers come back as they went: record %d", i)
		assert.Equal(t, "", o.Emits[0].Port)
	}
}

func TestRedpandaRegexpFilterDropsWhatDoesNotMatch(t *testing.T) {
	wasm := fixtures.Warm(t, fixtures.Redpanda(t, "regexp_filter"))
	byValue := redpandaPool(t, wasm, runtime.EngineConfig{}, runtime.PoolConfig{}, map[string]any{"env": map[string]string{"PATTERN": "^a", "MATCH_VALUE": "1"}})
	out, err := byValue.Process(context.Background(), []runtime.Record{rec("apple"), rec("banana"), rec("avocado", "kafka_key", "b")})
	require.NoError(t, err)
	assert.Equal(t, []verdict{kept("apple"), {}, kept("avocado")}, verdicts(out))

	byKey := redpandaPool(t, wasm, runtime.EngineConfig{}, runtime.PoolConfig{}, map[string]any{"env": map[string]string{"PATTERN": "^eu-"}})
	out, err = byKey.Process(context.Background(), []runtime.Record{rec("1", "kafka_key", "eu-west"), rec("2", "kafka_key", "us-east"), rec("3")})
	require.NoError(t, err)
	assert.Equal(t, []verdict{kept("1"), {}, {}}, verdicts(out), "no key: dropped, as the example says")
}

func TestRedpandaRegexpFilterWithoutItsVariableFailsAtStart(t *testing.T) {
	e, logs := newEngine(t, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	m, err := e.Load(context.Background(), fixtures.Warm(t, fixtures.Redpanda(t, "regexp_filter")))
	require.NoError(t, err)
	defer m.Close(context.Background())
	_, err = m.NewPool(context.Background(), runtime.PoolConfig{})
	require.ErrorIs(t, err, runtime.ErrTrap)
	assert.Contains(t, err.Error(), "before its first read_batch_header")
	assert.Contains(t, err.Error(), "stderr: panic: Missing PATTERN variable", "the error says why")
	assert.Contains(t, logs.String(), "Missing PATTERN variable", "the guest's panic reaches the log")
}

func TestRedpandaTranscodingFansOutAndFlagsBadRows(t *testing.T) {
	p := redpandaPool(t, fixtures.Warm(t, fixtures.Redpanda(t, "transcoding")), runtime.EngineConfig{}, runtime.PoolConfig{}, nil)
	out, err := p.Process(context.Background(), []runtime.Record{rec("k1,foo,1\nk2,bar,2"), rec("x,y,notanumber"), rec("k3,baz,3", "kafka_key", "old")})
	require.NoError(t, err)
	assert.Equal(t, []verdict{kept(`{"a":"foo","b":1}`, `{"a":"bar","b":2}`), {Class: runtime.ClassTrap}, kept(`{"a":"baz","b":3}`)}, verdicts(out))
	assert.Contains(t, out[1].Err.Error(), `stderr: panic: transforming record failed: strconv.Atoi: parsing "notanumber": invalid syntax`)
	assert.Equal(t, []runtime.MetaOp{{Key: "kafka_key", Value: "k1"}}, out[0].Emits[0].MetaOps, "the first column is the key")
	assert.Equal(t, []runtime.MetaOp{{Key: "kafka_key", Value: "k3"}}, out[2].Emits[0].MetaOps)
}

func TestRedpandaValidationRoutesInvalidJSONToAPort(t *testing.T) {
	p := redpandaPool(t, fixtures.Warm(t, fixtures.Redpanda(t, "validation")), runtime.EngineConfig{}, runtime.PoolConfig{},
		map[string]any{"output_topics": []string{"orders", "invalid_json"}, "ports": map[string]string{"invalid_json": "triage"}})
	out, err := p.Process(context.Background(), []runtime.Record{rec(`{"a":1}`), rec(`{"a":`), rec(`[]`)})
	require.NoError(t, err)
	assert.Equal(t, []verdict{kept(`{"a":1}`), {Values: []string{`{"a":`}, Ports: []string{"triage"}}, kept(`[]`)}, verdicts(out))

	unmapped := redpandaPool(t, fixtures.Warm(t, fixtures.Redpanda(t, "validation")), runtime.EngineConfig{}, runtime.PoolConfig{}, nil)
	out, err = unmapped.Process(context.Background(), []runtime.Record{rec(`{"a":`), rec(`{}`)})
	require.NoError(t, err)
	assert.Equal(t, []verdict{{Class: runtime.ClassBadOutput}, kept(`{}`)}, verdicts(out), "a topic the config does not name is the guest's error, flagged")
	assert.Contains(t, out[0].Err.Error(), `topic "invalid_json"`)
}

// A record whose transform stops the guest is flagged with why; a fresh
// guest goes on with the next record.
func TestRedpandaPoisonRecordsAreFlaggedAndTheNextFlows(t *testing.T) {
	p := redpandaPool(t, fixtures.Warm(t, fixtures.RedpandaGuest(t, "runtime/testdata/guests/redpanda/poison")), runtime.EngineConfig{},
		runtime.PoolConfig{Fuel: 200_000_000}, nil)
	out, err := p.Process(context.Background(), []runtime.Record{rec("a"), rec("panic"), rec("b"), rec("loop"), rec("c"), rec("error"), rec("d")})
	require.NoError(t, err)
	assert.Equal(t, []verdict{kept("a"), {Class: runtime.ClassTrap}, kept("b"), {Class: runtime.ClassFuel}, kept("c"), {Class: runtime.ClassTrap}, kept("d")}, verdicts(out))
	assert.Contains(t, out[1].Err.Error(), "stderr: panic: poison record", "the guest's panic says why")
	assert.Contains(t, out[5].Err.Error(), "stderr: panic: transforming record failed: the callback failed")
	assert.NotContains(t, out[3].Err.Error(), "stderr", "a guest stopped for its fuel wrote nothing")
	out, err = p.Process(context.Background(), []runtime.Record{rec("e")})
	require.NoError(t, err)
	assert.Equal(t, []verdict{kept("e")}, verdicts(out), "the pool serves the next batch")
}

func hostileRecords() []runtime.Record {
	var in []runtime.Record
	for _, v := range []string{"k1", "p", "k2", "n", "k3", "h", "k4", "o", "u", "t", "k5", "l", "k6"} {
		in = append(in, rec(v))
	}
	return in
}

var hostileVerdicts = []verdict{kept("k1"), {Class: runtime.ClassBadOutput}, kept("k2"), {Class: runtime.ClassBadOutput}, kept("k3"),
	{Class: runtime.ClassBadOutput}, kept("k4"), {Class: runtime.ClassBadOutput}, {Class: runtime.ClassBadOutput},
	{Class: runtime.ClassTrap}, kept("k5"), {Class: runtime.ClassFuel}, kept("k6")}

// A guest passing bad pointers, lengths, payloads and options breaks
// only its own record.
func TestRedpandaHostileGuestCannotCrashTheHost(t *testing.T) {
	p := redpandaPool(t, fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/hostile.wat"), runtime.EngineConfig{}, runtime.PoolConfig{Fuel: 10_000_000}, nil)
	out, err := p.Process(context.Background(), hostileRecords())
	require.NoError(t, err)
	assert.Equal(t, hostileVerdicts, verdicts(out))
	assert.Contains(t, out[1].Err.Error(), "outside linear memory")
	assert.Contains(t, out[5].Err.Error(), "header count")
	assert.Contains(t, out[7].Err.Error(), "write options")
}

func TestRedpandaTimeoutUnderCloseOnContextDone(t *testing.T) {
	p := redpandaPool(t, fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/hostile.wat"),
		runtime.EngineConfig{Interrupt: runtime.InterruptCloseOnContextDone}, runtime.PoolConfig{Timeout: 100 * time.Millisecond}, nil)
	out, err := p.Process(context.Background(), []runtime.Record{rec("l"), rec("k")})
	require.NoError(t, err)
	assert.Equal(t, []verdict{{Class: runtime.ClassTimeout}, kept("k")}, verdicts(out))
}

func TestRedpandaAdmission(t *testing.T) {
	for file, want := range map[string]string{
		"schemaregistry.wat": "redpanda_schema_registry.delete_subject: no such function",
		"badsig.wat":         "read_batch_header has the wrong signature",
		"reactor.wat":        `no export "_start"`,
	} {
		r := runtime.Inspect(fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/"+file), runtime.EngineConfig{})
		require.ErrorIs(t, r.Err, runtime.ErrAdmission, file)
		assert.Contains(t, r.Err.Error(), want, file)
	}
	r := runtime.Inspect(fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/hostile.wat"), runtime.EngineConfig{})
	require.NoError(t, r.Err)
	assert.Equal(t, "redpanda", r.ABI, "chosen by its imports")
	assert.Equal(t, "redpanda", r.Manifest.Name, "a module without a manifest is named after its digest")
	assert.Equal(t, "sha256-"+r.Digest[7:19], r.Manifest.Version)

	packed, err := runtime.Pack(fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/hostile.wat"), runtime.Manifest{ABI: runtime.ABIVersion, Name: "hostile", Version: "1.0.0"})
	require.NoError(t, err)
	r = runtime.Inspect(packed, runtime.EngineConfig{})
	require.NoError(t, r.Err)
	assert.Equal(t, "hostile@1.0.0", r.Manifest.ID(), "weir transform pack names a Redpanda module")
}

func TestRedpandaStartFailures(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	m, err := e.Load(context.Background(), fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/hostile.wat"))
	require.NoError(t, err)
	defer m.Close(context.Background())
	for config, want := range map[string]string{
		`{"topics": []}`:                         "unknown field",
		`{"env": {"REDPANDA_INPUT_TOPIC": "x"}}`: "input_topic and output_topics",
		`{"output_topics": [""]}`:                "empty topic name",
	} {
		_, err := m.NewPool(context.Background(), runtime.PoolConfig{Config: []byte(config)})
		require.Equal(t, runtime.ClassConfig, runtime.ClassOf(err), config)
		assert.Contains(t, err.Error(), want, config)
	}
	ret, err := e.Load(context.Background(), fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/returns.wat"))
	require.NoError(t, err)
	defer ret.Close(context.Background())
	_, err = ret.NewPool(context.Background(), runtime.PoolConfig{})
	require.ErrorIs(t, err, runtime.ErrTrap)
	assert.Contains(t, err.Error(), "_start returned")
}

// Whatever bytes a guest writes as a record payload or as write options,
// the host parses them within their bounds: the record is kept (routed)
// or flagged bad_output, and the batch never fails.
func FuzzRedpandaPayloads(f *testing.F) {
	f.Add([]byte("\x01\x02v\x00"))                    // null key, value "v", no headers
	f.Add([]byte("\x02k\x02v\x04\x02h\x02x\x00\x00")) // key, value, two headers (one with empty key and value)
	f.Add([]byte("\x01\x00\xd0\x0f"))                 // a header count that cannot fit
	f.Add([]byte("\x01\x0coutput"))                   // as options: topic "output"
	f.Add([]byte("\x01\x0coutput\x01\x02x"))          // as options: two topics, the last wins
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	p := redpandaPool(f, fixtures.RawWAT(f, "runtime/testdata/guests/redpanda/reflect.wat"), runtime.EngineConfig{}, runtime.PoolConfig{}, map[string]any{"output_topics": []string{"output", "x"}})
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > 63 {
			payload = payload[:63]
		}
		out, err := p.Process(context.Background(), []runtime.Record{{Value: payload}, {Value: payload}})
		require.NoError(t, err)
		require.Len(t, out, 2)
		for i, o := range out {
			if o.Err != nil {
				require.Equal(t, runtime.ClassBadOutput, runtime.ClassOf(o.Err), "record %d: %v", i, o.Err)
				require.Empty(t, o.Emits)
				continue
			}
			require.Len(t, o.Emits, 1, "record %d", i)
		}
		if out[1].Err == nil {
			require.Equal(t, "v", string(out[1].Emits[0].Value), "options never change the payload")
		}
	})
}

// A transform built with transform/sr looks up the schemas the config
// gives it, by ID and by subject and version; creating one is refused.
func TestRedpandaSchemaRegistry(t *testing.T) {
	schemas := []map[string]any{
		{"subject": "orders-value", "id": 7, "schema": "syntax = \"proto3\";", "references": []map[string]any{{"name": "common.proto", "subject": "common", "version": 2}}},
		{"subject": "orders-value", "version": 2, "id": 9, "type": "json", "schema": `{"type":"object"}`},
	}
	p := redpandaPool(t, fixtures.Warm(t, fixtures.RedpandaGuest(t, "runtime/testdata/guests/redpanda/registry")), runtime.EngineConfig{}, runtime.PoolConfig{},
		map[string]any{"schema_registry": schemas})
	out, err := p.Process(context.Background(), []runtime.Record{rec("id:7"), rec("id:9"), rec("id:8"), rec("subject:orders-value:1"),
		rec("subject:orders-value:-1"), rec("subject:orders-value:3"), rec("subject:nothing:-1"), rec("create:x")})
	require.NoError(t, err)
	assert.Equal(t, []verdict{
		kept(`type 1: syntax = "proto3"; ref common.proto=common@2`),
		kept(`type 2: {"type":"object"}`),
		kept("error: unable to find a schema definition with id 8"),
		kept(`7@1 type 1: syntax = "proto3"; ref common.proto=common@2`),
		kept(`9@2 type 2: {"type":"object"}`),
		kept("error: unable to find a schema orders-value with version 3"),
		kept("error: unable to find a schema nothing with version -1"),
		kept("error: unable to create new schema"),
	}, verdicts(out))
}

func TestRedpandaSchemaRegistryConfigIsChecked(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	m, err := e.Load(context.Background(), fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/hostile.wat"))
	require.NoError(t, err)
	defer m.Close(context.Background())
	for config, want := range map[string]string{
		`{"schema_registry": [{"subject": "a", "schema": "x"}]}`:                      "id must be > 0",
		`{"schema_registry": [{"subject": "a", "id": 1}, {"subject": "b", "id": 1}]}`: "id 1 is given twice",
		`{"schema_registry": [{"subject": "a", "id": 1}, {"subject": "a", "id": 2}]}`: `subject "a" has version 1 twice`,
		`{"schema_registry": [{"subject": "a", "id": 1, "type": "xml"}]}`:             `type "xml"`,
		`{"schema_registry": [{"id": 1}]}`:                                            "no subject",
	} {
		_, err := m.NewPool(context.Background(), runtime.PoolConfig{Config: []byte(config)})
		require.Equal(t, runtime.ClassConfig, runtime.ClassOf(err), config)
		assert.Contains(t, err.Error(), want, config)
	}

	bad, err := e.Load(context.Background(), fixtures.RawWAT(t, "runtime/testdata/guests/redpanda/registrybadptr.wat"))
	require.NoError(t, err)
	defer bad.Close(context.Background())
	_, err = bad.NewPool(context.Background(), runtime.PoolConfig{Config: []byte(`{"schema_registry": [{"subject": "a", "id": 1}]}`)})
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.Contains(t, err.Error(), "get_schema_definition_len: argument 1: pointer 65533: [65533, 65537) is outside linear memory of 65536 bytes")
}
