package host

import (
	"context"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// Every duration falls in the bucket whose bounds hold it, and the
// buckets' upper bounds rise: a quantile is never below the true value
// and at most half an octave above it.
func TestLatencyBucketsHoldTheirDurations(t *testing.T) {
	for b := 1; b < latencyBuckets; b++ {
		assert.GreaterOrEqual(t, latencyUpper(b), latencyUpper(b-1), "bucket %d", b)
	}
	for _, d := range []time.Duration{0, time.Microsecond, 1500 * time.Nanosecond, 2 * time.Microsecond, 3 * time.Microsecond,
		5 * time.Microsecond, 6 * time.Microsecond, 999 * time.Microsecond, time.Millisecond, 37 * time.Millisecond, time.Second} {
		b, us := latencyBucket(d), d.Truncate(time.Microsecond)
		assert.Less(t, us, latencyUpper(b), "%s in bucket %d", d, b)
		assert.LessOrEqual(t, latencyUpper(b), max(2*time.Microsecond, us*3/2+time.Microsecond), "%s: bucket %d's bound is within half an octave", d, b)
		if b > 0 {
			assert.LessOrEqual(t, latencyUpper(b-1), us, "%s in bucket %d", d, b)
		}
	}
	assert.Equal(t, latencyBuckets-1, latencyBucket(time.Hour), "whatever is slower goes in the last bucket")
}

func TestQuantiles(t *testing.T) {
	var p seriesPoint
	assert.Zero(t, p.quantile(0.5), "no batch, no latency")
	for range 98 {
		p.latency[latencyBucket(100*time.Microsecond)]++
	}
	p.latency[latencyBucket(50*time.Millisecond)] += 2
	assert.Equal(t, latencyUpper(latencyBucket(100*time.Microsecond)), p.quantile(0.5))
	assert.Equal(t, latencyUpper(latencyBucket(50*time.Millisecond)), p.quantile(0.99))
}

// A guest choosing its failure classes cannot grow a point: past
// seriesClasses distinct classes, the rest count under "other", and no
// failure is lost.
func TestSeriesClassesAreBounded(t *testing.T) {
	vs := &versionSeries{}
	var tally batchTally
	for i := range 50 {
		tally.fail(fmt.Sprintf("class_%d", i))
	}
	vs.add(50, &tally, 0)
	pt := vs.snapshot(time.Now().Add(time.Second)).Points
	require.Len(t, pt, 1)
	assert.Len(t, pt[0].Classes, seriesClasses)
	assert.Equal(t, int64(50-seriesClasses+1), pt[0].Classes[classOther])
	assert.Equal(t, int64(50), pt[0].Failed)
}

// The ring holds the last seriesSeconds seconds and forgets older ones;
// the second under way is not shown (it is not complete).
func TestSeriesRingForgetsOldSeconds(t *testing.T) {
	vs := &versionSeries{}
	start := time.Unix(1_000_000, 0)
	for s := range 2 * seriesSeconds {
		vs.mu.Lock()
		vs.point(start.Add(time.Duration(s) * time.Second)).records = int64(s)
		vs.mu.Unlock()
	}
	now := start.Add(2*seriesSeconds*time.Second - time.Second) // the last second, under way
	pts := vs.snapshot(now).Points
	require.Len(t, pts, seriesSeconds-1)
	assert.Equal(t, int64(seriesSeconds), pts[0].Records, "the oldest second kept")
	assert.Equal(t, int64(2*seriesSeconds-2), pts[len(pts)-1].Records, "the last complete second")
	assert.Less(t, unsafe.Sizeof(*vs), uintptr(512<<10), "a ring's size is fixed and small")
}

// A slot keeps at most seriesVersions rings: a new version's replaces the
// one used least recently; a version serving again keeps its own.
func TestSeriesVersionsAreBounded(t *testing.T) {
	var s slotSeries
	mod := func(i int) *runtime.Module {
		return &runtime.Module{Digest: fmt.Sprintf("sha256:%d", i), Manifest: runtime.Manifest{Name: "t", Version: fmt.Sprint(i)}}
	}
	first := s.of(mod(0))
	for i := 1; i < seriesVersions; i++ {
		s.of(mod(i))
	}
	first.batchDone(1, time.Millisecond) // used last
	assert.Same(t, first, s.of(mod(0)), "a version serving again keeps its ring")
	s.of(mod(seriesVersions))
	require.Len(t, s.versions, seriesVersions)
	assert.Same(t, first, s.versions[0], "the ring used last stays")
	for _, vs := range s.versions {
		assert.NotEqual(t, "sha256:1", vs.digest, "the ring used least recently went")
	}
}

// BenchmarkConsoleRecorder is what the console's recorder adds to a batch
// (its two calls: versionSeries.add and batchDone), next to a whole batch
// of 64 orders through the WAT echo guest (which includes it), in one
// process, interleaved by -count:
//
//	go test -run XXX -bench ConsoleRecorder -count 6 ./host
func BenchmarkConsoleRecorder(b *testing.B) {
	b.Run("part=recorder", func(b *testing.B) {
		vs := &versionSeries{}
		var t batchTally
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			vs.batchDone(1000, 20*time.Microsecond)
			vs.add(64, &t, 0)
		}
	})
	b.Run("part=batch", func(b *testing.B) {
		p := benchProcessor("wat")(b)
		defer p.Close(context.Background())
		runProcessor(b, p, orderBatches(b, 64))
	})
}
