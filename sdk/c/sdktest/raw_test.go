package sdktest

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/weirstream/weir/internal/fixtures"
)

// rawGuest is a C guest on bare wazero, initialised with a config, whose
// exports the tests call by hand: for what the runtime never sends (a
// truncated or lying projected batch; weir_process to an instance that
// declared fields), which the guest must still survive.
type rawGuest struct {
	t   *testing.T
	mod api.Module
}

func loadRaw(t *testing.T, dir, config string) *rawGuest {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	_, err := rt.NewHostModuleBuilder("weir").NewFunctionBuilder().
		WithFunc(func(context.Context, int32, int32, int32) {}).Export("log").Instantiate(ctx)
	require.NoError(t, err)
	mod, err := rt.InstantiateWithConfig(ctx, fixtures.C(t, dir), wazero.NewModuleConfig().WithStartFunctions("_initialize"))
	require.NoError(t, err)
	g := &rawGuest{t: t, mod: mod}
	require.Empty(t, g.call("weir_init", []byte(config)), "init")
	return g
}

// call writes in through weir_buffer, calls export with its length and
// returns the bytes its result points at.
func (g *rawGuest) call(export string, in []byte) []byte {
	ctx := context.Background()
	ptr, err := g.mod.ExportedFunction("weir_buffer").Call(ctx, uint64(len(in)))
	require.NoError(g.t, err)
	require.True(g.t, g.mod.Memory().Write(uint32(ptr[0]), in))
	res, err := g.mod.ExportedFunction(export).Call(ctx, uint64(len(in)))
	require.NoError(g.t, err, export)
	if res[0] == 0 {
		return nil
	}
	out, ok := g.mod.Memory().Read(uint32(res[0]>>32), uint32(res[0]))
	require.True(g.t, ok, "%s: result %#x outside memory", export, res[0])
	return out
}

func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func str(b []byte, s string) []byte { return append(le32(b, uint32(len(s))), s...) }

// field appends field := path type value.
func field(b []byte, path uint32, typ byte, v string) []byte {
	return str(append(le32(b, path), typ), v)
}

// A batch cut anywhere, or with counts that lie, gets verdicts for its
// whole records only, and the guest neither traps nor reads past the end.
func TestFieldsTruncatedBatch(t *testing.T) {
	g := loadRaw(t, fieldsGuest, `{"paths":["a"]}`)
	rec := field(le32(nil, 1), 0, 1, "set:x")
	rec = str(str(le32(rec, 1), "k"), "v") // one metadata entry
	batch := le32(nil, 2)
	batch = append(append(batch, rec...), rec...)
	for cut := 0; cut <= len(batch); cut++ {
		out := g.call("weir_process_fields", batch[:cut])
		whole := 0
		if cut >= 4+len(rec) {
			whole = 1
		}
		if cut == len(batch) {
			whole = 2
		}
		require.Equal(t, uint32(whole), binary.LittleEndian.Uint32(out), "cut at %d", cut)
	}
	for _, lie := range [][]byte{
		le32(nil, 0xffffffff),                                                 // records
		le32(le32(nil, 1), 0xffffffff),                                        // fields
		field(le32(le32(nil, 1), 1), 0, 1, "")[:13],                           // a value length past the end
		le32(le32(field(le32(le32(nil, 1), 1), 0, 1, "keep"), 0x7fffffff), 0), // metadata
	} {
		assert.Equal(t, uint32(0), binary.LittleEndian.Uint32(g.call("weir_process_fields", lie)))
	}
}

// A host without projection calls weir_process: every record of a guest
// that declared fields must fail, none pass unread. The C mask relies on
// the SDK's default for this, so it is checked here too.
func TestProjectingGuestFailsClosedOnAFullValueHost(t *testing.T) {
	batch := le32(nil, 2)
	for _, v := range []string{`{"customer":{"email":"a@x"}}`, `{}`} {
		batch = le32(str(batch, v), 0)
	}
	for dir, config := range map[string]string{
		fieldsGuest:      `{"paths":["a"]}`,
		"plugins/mask_c": `{"fields":[{"path":"customer.email","action":"email"}]}`,
	} {
		out := loadRaw(t, dir, config).call("weir_process", batch)
		require.Equal(t, uint32(2), binary.LittleEndian.Uint32(out), dir)
		pos := 4
		for i := range 2 {
			require.Equal(t, uint32(i), binary.LittleEndian.Uint32(out[pos:]), dir)
			require.Equal(t, byte(3), out[pos+4], "%s: record %d: want an ERROR entry", dir, i)
			n := int(binary.LittleEndian.Uint32(out[pos+5:]))
			assert.Contains(t, string(out[pos+9:pos+9+n]), "it needs a host with field projection", dir)
			pos += 9 + n
		}
		assert.Equal(t, len(out), pos, dir)
	}
}
