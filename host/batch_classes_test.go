package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/schema"
)

// watProcessor is a one-instance wasm processor running a test guest of
// runtime/testdata/guests.
func watProcessor(t *testing.T, guest string) *wasmProcessor {
	path := filepath.Join(t.TempDir(), guest+".wasm")
	require.NoError(t, os.WriteFile(path, fixtures.WAT(t, "runtime/testdata/guests/"+guest+".wat"), 0o644))
	conf, err := wasmProcessorSpec().ParseYAML(fmt.Sprintf("module: %s\npool_size: 1\ntimeout: 1s\ncache_dir: %s\n", path, fixtures.CacheDir(t)), nil)
	require.NoError(t, err)
	p, err := newWasmProcessor(conf, service.MockResources())
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// onProbation makes the serving version count its records and failures
// (as after a swap) without ever rolling back.
func onProbation(p *wasmProcessor) *version {
	p.slot.policy = rollbackPolicy{rate: 1, window: time.Hour, minRecords: 1 << 40}
	v := p.slot.cur.Load()
	v.probation = true
	return v
}

func flagged(batch service.MessageBatch) int {
	n := 0
	for _, m := range batch {
		if _, ok := m.MetaGet(MetaErrClass); ok || m.GetError() != nil {
			n++
		}
	}
	return n
}

// Issue 13, case 3: a batch the host cannot run (here its pool is
// closed) is retried until its context ends, then returned to Benthos as
// an error: no message is flagged for the dead-letter output, nothing
// counts against the version.
func TestHostFailureGoesBackToTheInput(t *testing.T) {
	p := watProcessor(t, "echo")
	v := onProbation(p)
	v.pool.Close(context.Background())
	for name, ctx := range map[string]func() (context.Context, context.CancelFunc){
		"shutdown": func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		},
		"retried until the context ends": func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 5*retryFirst)
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := ctx()
			defer cancel()
			batch := messages([]string{"a", "b"}, 0)
			out, err := p.ProcessBatch(ctx, batch)
			require.ErrorIs(t, err, runtime.ErrClosed)
			assert.Equal(t, runtime.ClassHost, runtime.ClassOf(err))
			assert.Nil(t, out)
			assert.Zero(t, flagged(batch), "nothing is flagged for the dead-letter output")
			assert.Zero(t, v.failed.Load(), "a host failure does not count against the version")
		})
	}
}

// A guest's batch failure (a trap) flags every message with its class and
// counts every record against the version.
func TestGuestBatchFailureIsFlaggedAndCounted(t *testing.T) {
	p := watProcessor(t, "trap")
	v := onProbation(p)
	batch := messages([]string{"a", "b", "c"}, 0)
	out, err := p.ProcessBatch(context.Background(), batch)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.Len(t, out[0], 3)
	for _, m := range out[0] {
		class, _ := m.MetaGet(MetaErrClass)
		assert.Equal(t, "trap", class)
	}
	assert.EqualValues(t, 3, v.failed.Load())
}

// A failure of the guest's output against the output type is counted
// against the version (apply), as a guest error is; an input's is not.
func TestOutputSchemaViolationCountsAgainstTheVersion(t *testing.T) {
	p := watProcessor(t, "echo")
	var err error
	p.bind, err = parseTestBinding(t)
	require.NoError(t, err)
	v := p.slot.acquire()
	defer v.release()
	batch := messages([]string{"in", "out"}, 0)
	g := &guestBatch{index: []int{-1, 0}, failed: []error{&schema.Error{Class: schema.ClassViolation, Type: "shop.v1.Order", Msg: "input"}, nil}}
	outcomes := []runtime.Outcome{{Emits: []runtime.Emit{{Value: []byte{0xff, 0xff}}}}}
	out, failed := p.apply(v.mod, batch, g, outcomes)
	assert.Equal(t, 1, failed, "only the output's violation is the guest's")
	for i, m := range out {
		class, _ := m.MetaGet(MetaErrClass)
		assert.Equal(t, "schema_violation", class, "message %d", i)
	}
}

// Every failure flagged carries a class of runtime's vocabulary: schema's
// classes are runtime's, and errors weir did not classify are classed
// where they arise, never guessed as a trap.
func TestOneFailureVocabulary(t *testing.T) {
	var c runtime.Class = schema.ClassViolation // the same type: no third vocabulary
	assert.Equal(t, runtime.ClassViolation, c)
	assert.Equal(t, runtime.ClassBadInput, schema.ClassBadInput)
	plain := errors.New("no bytes")
	assert.Equal(t, runtime.ClassBadInput, failureClass(inputFailure(plain)))
	assert.Equal(t, runtime.ClassBadOutput, failureClass(outputFailure(plain)))
	assert.Equal(t, runtime.ClassViolation, failureClass(inputFailure(&schema.Error{Class: schema.ClassViolation})))
	assert.Equal(t, runtime.Class(""), failureClass(plain))
	for class, guest := range map[runtime.Class]bool{
		runtime.ClassTrap: true, runtime.ClassTimeout: true, runtime.ClassFuel: true, runtime.ClassGuest: true,
		runtime.ClassBadOutput: true, runtime.ClassBadInput: false, runtime.ClassViolation: false, runtime.ClassHost: false,
	} {
		assert.Equal(t, guest, class.Guest(), "%s", class)
		want := 0
		if guest {
			want = 5
		}
		assert.Equal(t, want, guestFailures(&runtime.Error{Class: class}, 5), "%s", class)
	}
	bg := context.Background()
	assert.True(t, hostFault(bg, plain), "an unclassified batch failure is the host's")
	assert.True(t, hostFault(bg, &runtime.Error{Class: runtime.ClassHost}))
	assert.False(t, hostFault(bg, &runtime.Error{Class: runtime.ClassTrap}))
	assert.False(t, hostFault(bg, &runtime.Error{Class: runtime.ClassBadInput}), "a batch too large for the guest is flagged, not retried forever")
	cancelled, cancel := context.WithCancel(bg)
	cancel()
	assert.True(t, hostFault(cancelled, &runtime.Error{Class: runtime.ClassTrap}), "at shutdown the batch goes back to the input")

	assert.Equal(t, runtime.ClassSignature, refusalClass(refuse("verify signature", plain)))
	assert.Equal(t, runtime.ClassIncompatible, refusalClass(refuse("self-test", &runtime.Error{Class: runtime.ClassIncompatible})))
	assert.Equal(t, runtime.ClassAdmission, refusalClass(refuse("warm", fmt.Errorf("pool: %w", runtime.ErrMemoryBudget))))
}

// parseTestBinding binds to shop.v1.Order, in JSON.
func parseTestBinding(t *testing.T) (*binding, error) {
	dir := filepath.Join(fixtures.Root(), "examples/orders-proto/proto")
	conf, err := wasmProcessorSpec().ParseYAML(fmt.Sprintf("module: x\nschema:\n  proto_files: [orders.proto]\n  import_paths: [%s]\n  input: shop.v1.Order\n", dir), nil)
	require.NoError(t, err)
	return parseBinding(conf)
}
