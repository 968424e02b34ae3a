package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// TestProcessAfterCloseFailsAtOnce: a closed pool answers ErrClosed, a
// host error, even to a context that never ends.
func TestProcessAfterCloseFailsAtOnce(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "echo"), runtime.PoolConfig{Size: 1})
	p.Close(context.Background())
	_, err := p.Process(context.Background(), records("a"))
	require.ErrorIs(t, err, runtime.ErrClosed)
	assert.Equal(t, runtime.ClassHost, runtime.ClassOf(err))
	assert.Equal(t, 0, runtime.Instances(e))
}

// TestCloseWaitsForBatchesInFlight: Close called while a batch loops in
// the guest returns only after that batch has, and leaves no instance
// open; a batch waiting for an instance meanwhile fails with ErrClosed.
func TestCloseWaitsForBatchesInFlight(t *testing.T) {
	e, logs := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "logloop"), runtime.PoolConfig{Size: 1, Timeout: shortTimeout.Timeout})
	running := make(chan error, 1)
	go func() {
		_, err := p.Process(context.Background(), records("a"))
		running <- err
	}()
	fixtures.WaitUntil(t, "the batch looping in the guest", func() bool { return strings.Contains(logs.String(), "looping") })
	waiting := make(chan error, 1)
	go func() {
		_, err := p.Process(context.Background(), records("b"))
		waiting <- err
	}()

	p.Close(context.Background())
	// Had Close not waited, the batch's instance would still be busy in the
	// guest, out of the pool's reach, and open now. (Its goroutine's send
	// below may come after Close returns: Process has returned by then.)
	assert.Equal(t, 0, runtime.Instances(e), "the instance of the batch in flight is closed too")
	assert.ErrorIs(t, <-running, runtime.ErrTimeout, "the batch in flight ran to its deadline")
	require.ErrorIs(t, <-waiting, runtime.ErrClosed)
}

// TestNewEngineClosesItsRuntimeOnAFailedStart: when instantiating the host
// modules fails, the wazero runtime NewEngine made is closed.
func TestNewEngineClosesItsRuntimeOnAFailedStart(t *testing.T) {
	var r wazero.Runtime
	undo := runtime.FailHostModules(errors.New("no host modules today"), func(got wazero.Runtime) { r = got })
	defer undo()
	_, err := runtime.NewEngine(context.Background(), runtime.EngineConfig{})
	require.ErrorContains(t, err, "no host modules today")
	require.NotNil(t, r)
	_, err = r.CompileModule(context.Background(), wat(t, "echo"))
	assert.Error(t, err, "the runtime was closed")
}

// TestBatchTooLargeForTheGuestIsTheInputs: a batch a 32-bit guest cannot
// address is bad_input (it is not the guest's doing and will not succeed
// on retry), not bad_output; nothing of its size is allocated first.
func TestBatchTooLargeForTheGuestIsTheInputs(t *testing.T) {
	e, _ := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "echo"), runtime.PoolConfig{Size: 1})
	err := runtime.ReserveInput(context.Background(), p, 1<<31)
	require.ErrorIs(t, err, runtime.ErrBadInput)
	assert.ErrorContains(t, err, "too large for a 32-bit guest")
}

// A batch that cannot get an instance fails as the host's (host_error),
// never as the guest's: waiting past its context, or when the instance
// that timed out cannot be replaced (here: the engine was closed; the
// replacement's own failure reads as a trap, the batch's is the host's).
func TestAcquireFailuresAreTheHosts(t *testing.T) {
	ctx := context.Background()
	e, logs := newEngine(t, runtime.EngineConfig{})
	p := newPool(t, e, wat(t, "logloop"), runtime.PoolConfig{Size: 1, Timeout: shortTimeout.Timeout})
	running := make(chan error, 1)
	go func() {
		_, err := p.Process(ctx, records("a"))
		running <- err
	}()
	fixtures.WaitUntil(t, "the only instance busy", func() bool { return strings.Contains(logs.String(), "looping") })
	waiting, cancel := context.WithCancel(ctx)
	cancel()
	_, err := p.Process(waiting, records("b"))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, runtime.ClassHost, runtime.ClassOf(err))
	assert.ErrorContains(t, err, "waiting for an instance")
	require.ErrorIs(t, <-running, runtime.ErrTimeout)

	require.NoError(t, e.Close(ctx))
	_, err = p.Process(ctx, records("c"))
	assert.Equal(t, runtime.ClassHost, runtime.ClassOf(err))
	assert.ErrorContains(t, err, "replace instance")
}
