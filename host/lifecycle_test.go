package host

import (
	"context"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// Every transition the lifecycle allows, and a sample of those it refuses.
func TestVersionStateTransitions(t *testing.T) {
	legal := [][2]versionState{
		{stateFetched, stateVerified}, {stateVerified, stateAdmitted}, {stateAdmitted, stateCompiled},
		{stateCompiled, stateSelfTested}, {stateSelfTested, stateServing}, {stateServing, stateDraining},
		{stateDraining, stateClosed}, {stateFetched, stateRejected}, {stateCompiled, stateRejected},
		{stateSelfTested, stateClosed}, {stateVerified, stateClosed},
	}
	for _, tr := range legal {
		l := &lifecycle{state: tr[0]}
		assert.NoError(t, l.to(tr[1]), "%s → %s", tr[0], tr[1])
		assert.Equal(t, tr[1].String(), l.rec.State)
	}
	illegal := [][2]versionState{
		{stateFetched, stateServing}, {stateVerified, stateServing}, {stateSelfTested, stateRejected},
		{stateServing, stateRejected}, {stateServing, stateClosed}, {stateClosed, stateServing},
		{stateRejected, stateServing}, {stateDraining, stateServing}, {stateFetched, stateFetched},
	}
	for _, tr := range illegal {
		l := &lifecycle{state: tr[0]}
		assert.ErrorContains(t, l.to(tr[1]), "no transition", "%s → %s", tr[0], tr[1])
		assert.Equal(t, tr[0], l.state, "a refused transition changes nothing")
	}
	assert.Equal(t, "self_tested", stateSelfTested.String())
	assert.Equal(t, "versionState(42)", versionState(42).String())
	assert.Panics(t, func() { newLifecycle("x", "x", stateServing) })
}

// stampSlot is a slot over a fake source offering stamp versions by
// name, serving the first.
func stampSlot(t *testing.T, first string, versions ...string) (*slot, *fakeSource) {
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: fixtures.CacheDir(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(ctx) })
	src := &fakeSource{next: first, modules: map[string][]byte{}}
	for _, v := range append(versions, first) {
		src.modules[v] = fixtures.Stamp(t, v, false)
	}
	s := &slot{name: "t", source: src, log: service.MockResources().Logger(), rejected: map[string]string{}, stop: func() {},
		admit: e.Load,
		warm: func(ctx context.Context, mod *runtime.Module) (*runtime.Pool, error) {
			return mod.NewPool(ctx, runtime.PoolConfig{Size: 1})
		},
	}
	require.NoError(t, s.start(ctx))
	return s, src
}

// stampOn is the stamp the serving version puts on a record.
func stampOn(t *testing.T, s *slot) string {
	v := s.acquire()
	defer v.release()
	out, err := v.pool.Process(context.Background(), []runtime.Record{{Value: []byte("x")}})
	require.NoError(t, err)
	return out[0].Emits[0].MetaOps[0].Value
}

// swapTo makes the source offer version and the slot follow it.
func follow(t *testing.T, s *slot, src *fakeSource, version string) {
	src.next = version
	s.update(context.Background())
	require.Equal(t, version, s.cur.Load().id)
}

// lifeOf is the last lifecycle record of version id.
func lifeOf(s *slot, id string) VersionRecord {
	st := s.status()
	for i := len(st.Versions) - 1; i >= 0; i-- {
		if st.Versions[i].ID == id {
			return st.Versions[i]
		}
	}
	return VersionRecord{}
}

// Issue 13, case 1: serve v1, swap to v2, roll back (v1 serves, v2 is
// rejected), roll back again: refused, saying why, and v2 never serves
// again; the watcher does not take v2 back, and still takes a good v3.
func TestRollbackTwiceNeverServesARejectedVersion(t *testing.T) {
	ctx := context.Background()
	s, src := stampSlot(t, "v1", "v2", "v3")
	follow(t, s, src, "v2")
	require.NoError(t, s.rollback(ctx, nil, "operator request"))
	assert.Equal(t, "v1", stampOn(t, s))
	assert.Contains(t, s.status().Rejected, "v2")

	err := s.rollback(ctx, nil, "operator request")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no version to roll back to from v1")
	assert.Contains(t, err.Error(), "v2 is rejected (rolled back: operator request)")
	assert.Equal(t, "v1", stampOn(t, s), "v2 never serves again")

	src.next = "v2" // the source still offers it
	s.update(ctx)
	assert.Equal(t, "v1", stampOn(t, s), "the watcher never takes a rejected digest")
	follow(t, s, src, "v3")
	assert.Equal(t, "v3", stampOn(t, s))

	fixtures.WaitUntil(t, "v2 drained", func() bool { return lifeOf(s, "v2").State == "closed" })
	v2 := lifeOf(s, "v2")
	assert.Equal(t, []string{"fetched", "verified", "admitted", "compiled", "self_tested", "serving", "draining", "closed"}, v2.States)
	assert.Equal(t, outcomeRolledBack, v2.Outcome)
	assert.False(t, v2.Until.IsZero())
	v1 := lifeOf(s, "v1")
	assert.Equal(t, []string{"compiled", "self_tested", "serving", "draining"}, v1.States[:4], "v1 came back from its kept compiled code")
	assert.Equal(t, outcomeReplaced, v1.Outcome)
}

// Rollback goes to the last version that served healthily, fetching it
// again when its code is no longer kept, and never to a rejected one.
func TestRollbackGoesToTheLastHealthyVersion(t *testing.T) {
	ctx := context.Background()
	s, src := stampSlot(t, "v1", "v2", "v3")
	follow(t, s, src, "v2")
	follow(t, s, src, "v3")
	require.NoError(t, s.rollback(ctx, nil, "v3 is slow"))
	assert.Equal(t, "v2", stampOn(t, s))
	require.NoError(t, s.rollback(ctx, nil, "v2 is wrong too"))
	assert.Equal(t, "v1", stampOn(t, s), "v1 served healthily before: fetched again")
	assert.Equal(t, []string{"fetched", "verified", "admitted", "compiled", "self_tested", "serving"}, lifeOf(s, "v1").States)
	err := s.rollback(ctx, nil, "and v1")
	require.ErrorContains(t, err, "v3 is rejected")
	assert.ErrorContains(t, err, "v2 is rejected")
	assert.Equal(t, "v1", stampOn(t, s))

	// an operator may pin a rejected digest: an explicit choice
	require.NoError(t, s.pin(ctx, "v3"))
	assert.Equal(t, "v3", stampOn(t, s))
	assert.NotContains(t, s.status().Rejected, "v3")
}

// A version refused at a step ends its lifecycle there, rejected, with
// the refusal's class.
func TestRefusedVersionIsRejectedAtItsStep(t *testing.T) {
	s, src := stampSlot(t, "v1")
	src.modules["bad"] = fixtures.WAT(t, "runtime/testdata/guests/tablebomb.wat")
	src.next = "bad"
	s.update(context.Background())
	bad := lifeOf(s, "bad")
	assert.Equal(t, []string{"fetched", "verified", "rejected"}, bad.States)
	assert.Equal(t, outcomeRejected, bad.Outcome)
	assert.Equal(t, string(runtime.ClassAdmission), bad.Class)
	assert.Equal(t, string(runtime.ClassAdmission), s.status().LastFailure.Class)
	assert.Contains(t, s.status().Rejected, "bad")
	assert.Equal(t, "v1", stampOn(t, s))
}

// Closing a slot (its last processor closed) ends the serving version's
// lifecycle as a replacement would: it drains, then is closed, its pool
// with it.
func TestClosingASlotClosesItsVersion(t *testing.T) {
	s, src := stampSlot(t, "v1", "v2")
	follow(t, s, src, "v2")
	v2 := s.cur.Load()
	closeSlot(s)
	rec := lifeOf(s, "v2")
	assert.Equal(t, []string{"serving", "draining", "closed"}, rec.States[len(rec.States)-3:])
	assert.Equal(t, "closed", rec.State)
	assert.Equal(t, outcomeStopped, rec.Outcome)
	assert.False(t, rec.Until.IsZero(), "when it stopped serving")
	_, err := v2.pool.Process(context.Background(), []runtime.Record{{Value: []byte("x")}})
	assert.ErrorIs(t, err, runtime.ErrClosed)
	fixtures.WaitUntil(t, "v1 drained", func() bool { return lifeOf(s, "v1").State == "closed" })
	assert.Equal(t, outcomeReplaced, lifeOf(s, "v1").Outcome)
}
