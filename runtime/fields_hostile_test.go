package runtime_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// wire builds guest output and path declarations (docs/abi.md §4, §4b).
type wire []byte

func (w wire) u32(v uint32) wire { return binary.LittleEndian.AppendUint32(w, v) }
func (w wire) u8(v byte) wire    { return append(w, v) }
func (w wire) str(s string) wire { return append(w.u32(uint32(len(s))), s...) }

// decl is a weir_fields declaration of paths.
func decl(paths ...string) wire {
	w := wire{}.u32(uint32(len(paths)))
	for _, p := range paths {
		w = w.str(p)
	}
	return w
}

// emitFields starts an EMIT of record idx with flags (bit 3 added) and n
// replacements, to be followed by repl calls.
func (w wire) emitFields(idx uint32, flags byte, n uint32) wire {
	return w.u32(idx).u8(1).u8(flags | 8).u32(n)
}

func (w wire) repl(field uint32, typ byte, v string) wire { return w.u32(field).u8(typ).str(v) }

// reflectPool is a pool of fieldsreflect.wat declaring d and answering
// every batch with out.
func reflectPool(t *testing.T, e *runtime.Engine, d, out wire, cfg runtime.PoolConfig) *runtime.Pool {
	t.Helper()
	cfg.Config = append(wire{}.u32(uint32(len(d))), append(d, out...)...)
	return newPool(t, e, wat(t, "fieldsreflect"), cfg)
}

func reflectErr(t *testing.T, e *runtime.Engine, d, out wire, in []runtime.Record) error {
	t.Helper()
	_, err := reflectPool(t, e, d, out, runtime.PoolConfig{}).Process(context.Background(), in)
	return err
}

func TestHostileFieldReplacementsFailTheBatch(t *testing.T) {
	two := records(`{"a":"x","b":"y"}`)
	one := wire{}.u32(1)
	cases := []struct {
		name string
		out  wire
		want string
	}{
		{"index out of range", one.emitFields(0, 0, 1).repl(2, 1, "z"), "record 0: field index 2 out of order or out of range (2 fields, previous -1)"},
		{"decreasing", one.emitFields(0, 0, 2).repl(1, 1, "z").repl(0, 1, "z"), "field index 0 out of order or out of range (2 fields, previous 1)"},
		{"repeated", one.emitFields(0, 0, 2).repl(0, 1, "z").repl(0, 1, "z"), "field index 0 out of order or out of range (2 fields, previous 0)"},
		{"n larger than field_count", one.emitFields(0, 0, 3), "record 0: 3 field replacements, but the record has 2 fields"},
		{"n huge", one.emitFields(0, 0, 0xFFFFFFFF), "record 0: 4294967295 field replacements, but the record has 2 fields"},
		{"type 7", one.emitFields(0, 0, 1).repl(0, 7, "z"), "record 0: field 0: unknown replacement type 7 (0 raw JSON, 1 text)"},
		{"invalid UTF-8 text", one.emitFields(0, 0, 1).repl(0, 1, "a\xffb"), `record 0: field 0: type 1 (text) replacement "a\xffb" is not valid UTF-8`},
		{"raw JSON of two values", one.emitFields(0, 0, 1).repl(0, 0, "1 2"), `record 0: field 0: type 0 (raw JSON) replacement "1 2" is not one JSON value: invalid JSON at offset 2: unexpected data after the top-level value`},
		{"truncated raw JSON", one.emitFields(0, 0, 1).repl(0, 0, `{"k":`), "is not one JSON value: invalid JSON at offset 5: want a value"},
		{"empty raw JSON", one.emitFields(0, 0, 1).repl(0, 0, ""), "is not one JSON value: invalid JSON at offset 0: empty document"},
		{"bits 0 and 3", one.u32(0).u8(1).u8(1 | 8).str("v").u32(0), "record 0: emit flags 0x09: a whole value (bit 0) and field replacements (bit 3) exclude each other"},
		{"unknown flag", one.u32(0).u8(1).u8(16), "unknown emit flags 0x10"},
		{"truncated replacement", one.emitFields(0, 0, 1).u32(0).u8(1).u32(10).u8('z'), "length 10 exceeds the 1 bytes left"},
		{"trailing bytes", one.emitFields(0, 0, 0).u8(0), "1 trailing bytes after 1 entries"},
	}
	e, _ := newEngine(t, runtime.EngineConfig{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			heap := allocated(func() { err = reflectErr(t, e, decl("a", "b"), c.out, two) })
			require.ErrorIs(t, err, runtime.ErrBadOutput)
			assert.Contains(t, err.Error(), `transform "fieldsreflect@0.0.0": bad_output: output offset `)
			assert.Contains(t, err.Error(), c.want)
			assert.Less(t, heap, uint64(heapBound))
		})
	}
}

func TestFieldReplacementsFromWeirProcessAreRefused(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	out := wire{}.u32(1).emitFields(0, 0, 0)
	err := reflectErr(t, e, decl(), out, records(`{"a":"x"}`)) // no paths: weir_process
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.Contains(t, err.Error(), "record 0: emit flag bit 3 (field replacements) from weir_process: only weir_process_fields may send them")
}

func TestFieldReplacementsAreSpliced(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	in := []runtime.Record{{Value: []byte(`{"a":"x","n":[1,{"a":2}],"a":"y"}`), Meta: []runtime.Meta{{Key: "k", Value: "v"}}}}
	// fields: 0 "x" (a), 1 2 (n.*.a), 2 "y" (a)
	out := wire{}.u32(3).
		emitFields(0, 0, 2).repl(0, 1, "q\"\n\x01é").repl(2, 0, `{"z":[true]}`).
		emitFields(0, 0, 1).repl(1, 0, "null").
		u32(0).u8(1).u8(2 | 8).str("a").u32(0) // a plain keep, routed: port, then fields
	p := reflectPool(t, e, decl("a", "n.*.a"), out, runtime.PoolConfig{})
	o, err := p.Process(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, o[0].Emits, 3)
	assert.Equal(t, `{"a":"q\"\n\u0001é","n":[1,{"a":2}],"a":{"z":[true]}}`, string(o[0].Emits[0].Value))
	assert.False(t, o[0].Emits[0].Unchanged)
	assert.Equal(t, `{"a":"x","n":[1,{"a":null}],"a":"y"}`, string(o[0].Emits[1].Value), "each copy from the original value")
	assert.True(t, o[0].Emits[2].Unchanged)
	assert.Equal(t, "a", o[0].Emits[2].Port)
	assert.Equal(t, string(in[0].Value), string(o[0].Emits[2].Value))
	assert.Equal(t, `{"a":"x","n":[1,{"a":2}],"a":"y"}`, string(in[0].Value), "the input is not touched")
}

func TestRecordsThatAreNotJSONFailAlone(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	in := records(`{"a":"x"}`, `{"a" "x"}`, "", `{"a":"\ud800"}`, `{"a":"y"}`)
	// the guest keeps every record, the bad ones too: their verdicts are ignored
	out := wire{}.u32(5)
	for i := range 5 {
		out = out.emitFields(uint32(i), 0, 0)
	}
	o, err := reflectPool(t, e, decl("a"), out, runtime.PoolConfig{}).Process(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, o, 5)
	for _, i := range []int{0, 4} {
		require.NoError(t, o[i].Err)
		assert.True(t, o[i].Emits[0].Unchanged)
	}
	for i, want := range map[int]string{
		1: "record is not JSON: offset 5: want ':' after key",
		2: "record is not JSON: offset 0: empty document",
		3: `record is not JSON: offset 6: unpaired surrogate \ud800 in string`,
	} {
		require.ErrorIs(t, o[i].Err, runtime.ErrBadInput, "record %d", i)
		assert.Equal(t, runtime.ClassBadInput, runtime.ClassOf(o[i].Err))
		assert.Contains(t, o[i].Err.Error(), `transform "fieldsreflect@0.0.0": bad_input: `+want)
		assert.Empty(t, o[i].Emits)
	}
}

func TestARecordThatIsNotJSONHasNoFields(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	out := wire{}.u32(1).emitFields(0, 0, 1).repl(0, 1, "z")
	err := reflectErr(t, e, decl("a"), out, records(`{"a":`))
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.Contains(t, err.Error(), "record 0: 1 field replacements, but the record has 0 fields")
}

func TestProjectedEmptyBatch(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	o, err := reflectPool(t, e, decl("a"), wire{}.u32(0), runtime.PoolConfig{}).Process(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, o)
}

// TestReplacementsAreChargedBeforeTheyAreBuilt: the spliced value counts
// against max_expanded_bytes exactly, and a fan-out of large replacements
// is refused before its values are built.
func TestReplacementsAreChargedBeforeTheyAreBuilt(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	in := records(`{"a":"x"}`) // 9 bytes; "x" becomes a quoted text of L bytes: 8+L
	cfg := runtime.PoolConfig{MaxExpandedBytes: 100}
	at := wire{}.u32(1).emitFields(0, 0, 1).repl(0, 1, strings.Repeat("z", 92))
	o, err := reflectPool(t, e, decl("a"), at, cfg).Process(context.Background(), in)
	require.NoError(t, err, "exactly at the cap")
	assert.Len(t, o[0].Emits[0].Value, 100)
	over := wire{}.u32(1).emitFields(0, 0, 1).repl(0, 1, strings.Repeat("z", 93))
	_, err = reflectPool(t, e, decl("a"), over, cfg).Process(context.Background(), in)
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.Contains(t, err.Error(), "record 0: the batch's output passes the cap of 100 expanded bytes: raise max_expanded_bytes")

	// 9,000 emits of a 6 KiB replacement each would be 54 MB of values;
	// the cap of 1 MiB stops them after 170, allocating only what passed
	big := strings.Repeat("\x01", 1<<10) // quoted, six times as long
	bomb := wire{}.u32(9000)
	for range 9000 {
		bomb = bomb.emitFields(0, 0, 1).repl(0, 1, big)
	}
	cfg = runtime.PoolConfig{MaxExpandedBytes: 1 << 20, Fuel: bigBatch.Fuel, Timeout: bigBatch.Timeout}
	p := reflectPool(t, e, decl("a"), bomb, cfg)
	heap := allocated(func() { _, err = p.Process(context.Background(), in) })
	require.ErrorIs(t, err, runtime.ErrBadOutput)
	assert.Contains(t, err.Error(), "cap of 1048576 expanded bytes")
	assert.Less(t, heap, uint64(8<<20))
}

func TestFieldsAdmission(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	for name, want := range map[string]string{
		"fieldsonly":        `module exports "weir_fields" but not "weir_process_fields" (i32) -> (i64): field projection needs both`,
		"processfieldsonly": `module exports "weir_process_fields" but not "weir_fields" () -> (i64): field projection needs both`,
		"badfieldsig":       `export "weir_fields" has signature (i32) -> (i64), want () -> (i64)`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.Load(context.Background(), wat(t, name))
			require.ErrorIs(t, err, runtime.ErrAdmission)
			assert.Contains(t, err.Error(), want)
			assert.Contains(t, runtime.Inspect(wat(t, name), runtime.EngineConfig{}).Err.Error(), want)
		})
	}
}

func TestFieldDeclarationsAreBounded(t *testing.T) {
	many := make([]string, 65)
	for i := range many {
		many[i] = "a"
	}
	cases := []struct {
		name string
		decl wire
		want string
	}{
		{"a bad path", decl("a", "b.c", "a..b"), `guest_error: init: weir_fields: path 2 "a..b": has an empty segment`},
		{"too many paths", decl(many...), "guest_error: init: weir_fields: 65 paths, at most 64"},
		{"a path too long", decl(strings.Repeat("a", 1025)), "guest_error: init: weir_fields: path 0: 1025 bytes, at most 1024"},
		{"not UTF-8", decl("a\xff"), `guest_error: init: weir_fields: path 0 "a\xff": not valid UTF-8`},
		{"truncated count", wire{1, 0}, "guest_error: init: weir_fields: truncated: 2 bytes, want a u32 count"},
		{"truncated path", wire{}.u32(2).str("a").u32(5).u8('b'), "guest_error: init: weir_fields: path 1: length 5 exceeds the 1 bytes left"},
		{"count past the end", wire{}.u32(3).str("a"), "guest_error: init: weir_fields: path 1: truncated at byte 9"},
		{"trailing bytes", decl("a").u8(0), "guest_error: init: weir_fields: 1 trailing bytes after 1 paths"},
	}
	e, _ := newEngine(t, runtime.EngineConfig{})
	m, err := e.Load(context.Background(), wat(t, "fieldsreflect"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := runtime.PoolConfig{Config: append(wire{}.u32(uint32(len(c.decl))), c.decl...)}
			_, err := m.NewPool(context.Background(), cfg)
			require.ErrorIs(t, err, runtime.ErrGuest)
			assert.Contains(t, err.Error(), `transform "fieldsreflect@0.0.0": `+c.want)
		})
	}
	t.Run("over the result cap", func(t *testing.T) {
		cfg := runtime.PoolConfig{Config: wire{}.u32(1 << 20)} // declares a 1 MiB list
		_, err := m.NewPool(context.Background(), cfg)
		require.ErrorIs(t, err, runtime.ErrBadOutput)
		assert.Contains(t, err.Error(), "weir_fields: output of 1048576 bytes at pointer 65540 exceeds the cap of 65796")
	})
}

func TestATrapInWeirFieldsFailsTheStart(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	m, err := e.Load(context.Background(), wat(t, "fieldstrap"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	_, err = m.NewPool(context.Background(), runtime.PoolConfig{})
	require.ErrorIs(t, err, runtime.ErrTrap)
	assert.Contains(t, err.Error(), `transform "fieldstrap@0.0.0": trap: weir_fields`)
}

// TestNoPathsMeansNoProjection: a declaration of no paths keeps the
// full-value ABI (weir_process gets the record values).
func TestNoPathsMeansNoProjection(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	out := wire{}.u32(1).u32(0).u8(1).u8(1).str("whole")
	for _, d := range []wire{decl(), {}} {
		o, err := reflectPool(t, e, d, out, runtime.PoolConfig{}).Process(context.Background(), records("not JSON"))
		require.NoError(t, err)
		assert.Equal(t, "whole", string(o[0].Emits[0].Value))
	}
}

// TestFixturesRunThroughProjection: a module's golden fixtures are checked
// through the same Process path as its batches.
func TestFixturesRunThroughProjection(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	m, err := e.Load(context.Background(), projectionGuests[0].build(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	f := runtime.Fixtures{Config: []byte(`{"paths":["a"]}`), Cases: []runtime.FixtureCase{{
		Name: "set and bad input",
		In:   []runtime.FixtureRecord{{Value: `{"a":"set:x"}`}, {Value: `{`}},
		Want: []runtime.FixtureOutcome{{Out: []runtime.FixtureRecord{{Value: `{"a":"x"}`}}}, {Error: "record is not JSON: offset 1: want a string key"}},
	}}}
	require.NoError(t, m.CheckFixtures(context.Background(), f))
	f.Cases[0].Want[0].Out[0].Value = `{"a":"y"}`
	err = m.CheckFixtures(context.Background(), f)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `fixture "set and bad input": record 0: got {"out":[{"value":"{\"a\":\"x\"}"}]}`)
}
