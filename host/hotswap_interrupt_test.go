package host

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// fakeSource offers the module next names; it never changes by itself.
type fakeSource struct {
	next    string
	modules map[string][]byte
}

func (f *fakeSource) resolve(context.Context) (string, error) { return f.next, nil }
func (f *fakeSource) fetch(_ context.Context, id string) (candidate, error) {
	return candidate{id: id, origin: id, wasm: f.modules[id]}, nil
}
func (f *fakeSource) lastGood(context.Context) (candidate, error) {
	return candidate{}, errors.New("none")
}
func (f *fakeSource) watch(context.Context, func()) {}
func (f *fakeSource) String() string                { return "fake" }

// interruptRig is a slot serving "b" after "a", with a swap to "stuck"
// to come; warm runs the hook before warming.
func interruptRig(t *testing.T, mode runtime.Interrupt, hook func(ctx context.Context, mod *runtime.Module)) (*slot, *fakeSource) {
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{Interrupt: mode})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(ctx) })
	echo := fixtures.WAT(t, "runtime/testdata/guests/echo.wat")
	src := &fakeSource{next: "a", modules: map[string][]byte{
		"a": echo, "b": fixtures.WAT(t, "runtime/testdata/guests/initlog.wat"),
		"stuck": fixtures.WAT(t, "runtime/testdata/guests/startloop.wat"),
	}}
	s := &slot{name: "t", source: src, log: service.MockResources().Logger(), rejected: map[string]string{}, stop: func() {},
		admit: func(ctx context.Context, wasm []byte) (*runtime.Module, error) { return e.Load(ctx, wasm) },
		warm: func(ctx context.Context, mod *runtime.Module) (*runtime.Pool, error) {
			if hook != nil {
				hook(ctx, mod)
			}
			return mod.NewPool(ctx, runtime.PoolConfig{Timeout: time.Hour}) // only a cancel stops a stuck start
		},
	}
	require.NoError(t, s.start(ctx))
	src.next = "b"
	s.update(ctx)
	require.Equal(t, "b", s.cur.Load().id)
	src.next = "stuck"
	return s, src
}

// TestRollbackDoesNotWaitForAStuckPrepare: a swap whose warm-up never
// ends (a fake that ignores its context, as a guest in a long start-up
// would under fuel) is being prepared; an operator rollback returns while
// it is still stuck, and what the stuck prepare made never serves.
func TestRollbackDoesNotWaitForAStuckPrepare(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s, _ := interruptRig(t, runtime.InterruptFuel, func(_ context.Context, mod *runtime.Module) {
		if mod.Manifest.Name == "startloop" {
			close(entered)
			<-release
		}
	})
	updated := make(chan struct{})
	go func() { s.update(context.Background()); close(updated) }()
	<-entered

	rolledBack := make(chan error, 1)
	go func() { rolledBack <- s.rollback(context.Background(), nil, "operator request") }()
	select {
	case err := <-rolledBack:
		require.NoError(t, err)
	case <-updated:
		t.Fatal("the stuck prepare finished first: it was never stuck")
	case <-time.After(time.Minute): // a ceiling, not a timing: nothing else can end the wait
		t.Fatal("rollback waits behind the stuck prepare")
	}
	assert.Equal(t, "a", s.cur.Load().id, "rolled back while the swap was stuck")
	require.NoError(t, s.pin(context.Background(), ""), "pin does not wait either")
	s.unpin()

	close(release) // the stuck warm-up ends now
	<-updated
	assert.Equal(t, "a", s.cur.Load().id, "the interrupted swap never goes live")
}

// TestRollbackCancelsALoopingStartFunction: under close_on_context_done,
// a swap to a module whose start function loops is being prepared (the
// pool's timeout is an hour); a rollback cancels it and returns, the swap
// ends without going live, and the core it spun is free again.
func TestRollbackCancelsALoopingStartFunction(t *testing.T) {
	starting := make(chan struct{})
	s, _ := interruptRig(t, runtime.InterruptCloseOnContextDone, func(_ context.Context, mod *runtime.Module) {
		if mod.Manifest.Name == "startloop" {
			close(starting)
		}
	})
	updated := make(chan struct{})
	go func() { s.update(context.Background()); close(updated) }()
	<-starting
	require.NoError(t, s.rollback(context.Background(), nil, "operator request"))
	assert.Equal(t, "a", s.cur.Load().id)
	<-updated // the cancelled start function returned: the swap is over
	assert.Equal(t, "a", s.cur.Load().id)
	status := s.status()
	for _, ev := range status.History {
		assert.NotEqual(t, "failed", ev.Outcome, "an interrupted swap is not a failure: %+v", ev)
	}
}
