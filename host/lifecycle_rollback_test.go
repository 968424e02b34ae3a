package host_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// Issue 13, case 2: a version whose emitted values fail the pipeline's
// output schema is flagged record by record (schema_violation) and, as
// those failures are the guest's, rolled back automatically.
func TestSchemaViolatingVersionIsRolledBack(t *testing.T) {
	r := newRig(t)
	wasm, err := runtime.Pack(fixtures.Stamp(t, "g01", false), runtime.Manifest{ABI: runtime.ABIVersion, Name: "stamp", Version: "g01", Input: runtime.AnyType})
	require.NoError(t, err)
	r.push(wasm, "g01")
	bound := fmt.Sprintf("  schema:\n    proto_files: [orders.proto]\n    import_paths: [%s]\n    input: shop.v1.Order\n", protoDir) +
		"  rollback: { error_rate: 0.5, min_records: 20, window: 1m }"
	s := r.serve("violating", "g01", "", bound)

	r.push(fixtures.WAT(t, "runtime/testdata/guests/garble.wat"), "garble")
	r.move("garble")
	waitFor(t, "violating", "serving garble", serving(r.digests["garble"]))
	violations := 0
	for statusOf(t, "violating").Serving.ID != r.digests["g01"] {
		for _, m := range s.send(t, goodOrder, goodOrder, goodOrder, goodOrder, goodOrder) {
			if m.GetError() == nil {
				continue
			}
			violations++
			class, _ := m.MetaGet(host.MetaErrClass)
			require.Equal(t, "schema_violation", class, "the guest's output broke the output type")
			msg, _ := m.MetaGet(host.MetaError)
			assert.Contains(t, msg, "transform output")
		}
		require.Less(t, violations, 10_000, "no rollback happened")
	}
	assert.GreaterOrEqual(t, violations, 10, "rolled back once half of at least 20 records failed")
	st := statusOf(t, "violating")
	assert.Equal(t, r.digests["g01"], st.Serving.ID)
	assert.Equal(t, "rolled_back", st.History[len(st.History)-1].Outcome)
	assert.Contains(t, st.Rejected, r.digests["garble"])
	out := s.send(t, goodOrder)
	require.Len(t, out, 1)
	require.NoError(t, out[0].GetError())
	assert.Equal(t, "g01", stampOf(out[0]))
}
