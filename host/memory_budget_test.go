package host_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
)

// A pipeline whose pool cannot fit in the process's memory budget is
// refused at start, saying which fields to change.
func TestPoolOverTheMemoryBudgetIsRefusedAtStart(t *testing.T) {
	echo := writeModule(t, fixtures.WAT(t, "runtime/testdata/guests/echo.wat"))
	err := buildErr(t, fmt.Sprintf("wasm:\n  module: %s\n  cache_dir: none\n  pool_size: 1000000\n", echo))
	require.Error(t, err)
	for _, want := range []string{"memory budget exceeded", "a pool of 1000000 instances needs", "max_total_memory_mib", "pool_size", "max_memory_mib"} {
		assert.Contains(t, err.Error(), want)
	}
}

// Every swap warms a pool and retires one: after many swaps back and forth
// the pipeline holds the reservation of one pool, as it did at start.
func TestSwapsReleaseTheirReservations(t *testing.T) {
	r := newRig(t)
	r.stamp("a")
	r.stamp("b")
	before, _ := host.ReservedMemory()
	r.serve("budgetswap", "a", "", "")
	one, _ := host.ReservedMemory()
	require.Greater(t, one, before, "the serving pool holds a reservation")
	for i := 0; i < 10; i++ {
		v := []string{"b", "a"}[i%2]
		r.move(v)
		waitFor(t, "budgetswap", "serving "+v, serving(r.digests[v]))
	}
	assert.Eventually(t, func() bool { now, _ := host.ReservedMemory(); return now == one }, 30*time.Second, 10*time.Millisecond,
		"retired pools released their reservations")
}
