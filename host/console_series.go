package host

import (
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/weirstream/weir/runtime"
)

// The console's time series (docs/metrics.md, "The console's series"):
// per transform slot and per version, one point per second over the last
// seriesSeconds, in a fixed ring. The memory is bounded by construction:
// a slot keeps at most seriesVersions rings of seriesSeconds points of a
// fixed size (no map, no slice grows with the traffic), whatever the
// records, error classes or guests do.
const (
	seriesSeconds  = 600 // ten minutes, one point per second
	seriesVersions = 6   // rings per slot; a newer version's ring replaces the least recently used
	seriesClasses  = 8   // distinct failure classes per point; more are counted under classOther
	latencyBuckets = 48  // two per octave from 1 µs; the last holds every batch from about 12.6 s up
)

// classOther counts a point's failures beyond its seriesClasses classes.
const classOther = "other"

// seriesPoint is one second of one version.
type seriesPoint struct {
	sec      int64 // unix second; a point of another second is stale
	batches  int64
	records  int64
	dropped  int64
	failed   int64 // records flagged, whatever their class: what the dead-letter output gets
	fuel     int64
	replaced int64 // the pool's instance replacements during this second
	classes  [seriesClasses]classCount
	latency  [latencyBuckets]uint32 // batches by guest time
}

type classCount struct {
	class string
	n     int64
}

// versionSeries is one version's ring, fed by its batches.
type versionSeries struct {
	transform string   // name@version
	digest    string   // module digest
	labels    []string // the metrics' transform and version labels, made once

	mu           sync.Mutex
	points       [seriesSeconds]seriesPoint
	used         time.Time // the last batch: the least recently used ring goes first
	lastReplaced int64     // the pool's Replaced at the last batch
}

// point is the point of second now, emptied if it held an older second;
// the caller holds vs.mu.
func (vs *versionSeries) point(now time.Time) *seriesPoint {
	sec := now.Unix()
	p := &vs.points[sec%seriesSeconds]
	if p.sec != sec {
		*p = seriesPoint{sec: sec}
	}
	vs.used = now
	return p
}

// batchDone records one batch's fuel and guest time, as the pool reports
// them (runtime.PoolConfig.OnBatch).
func (vs *versionSeries) batchDone(fuel int64, d time.Duration) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	p := vs.point(time.Now())
	p.batches++
	p.fuel += fuel
	p.latency[latencyBucket(d)]++
}

// add records one batch's records and their fate; replaced is the pool's
// Replaced count now, of which the point takes what is new. It returns
// that increase.
func (vs *versionSeries) add(records int, t *batchTally, replaced int64) int64 {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	p := vs.point(time.Now())
	p.records += int64(records)
	p.dropped += int64(t.dropped)
	newly := max(replaced-vs.lastReplaced, 0)
	vs.lastReplaced = max(replaced, vs.lastReplaced)
	p.replaced += newly
	for _, c := range t.classes {
		p.failed += c.n
		p.count(c.class, c.n)
	}
	return newly
}

// count adds n failures of class, under classOther once the point's
// classes are all taken.
func (p *seriesPoint) count(class string, n int64) {
	last := &p.classes[seriesClasses-1]
	for i := range p.classes {
		c := &p.classes[i]
		switch {
		case c.class == class:
			c.n += n
			return
		case c.class == "" && i < seriesClasses-1:
			c.class, c.n = class, n
			return
		}
	}
	last.class = classOther
	last.n += n
}

// latencyBucket is d's bucket: two per octave above 1 µs.
func latencyBucket(d time.Duration) int {
	us := uint64(max(d.Microseconds(), 1))
	octave := bits.Len64(us) - 1 // 2^octave ≤ us
	half := 0
	if octave > 0 && us>>(octave-1)&1 == 1 { // the upper half of the octave
		half = 1
	}
	return min(2*octave+half, latencyBuckets-1)
}

// latencyUpper is the upper bound of bucket b (exclusive, in whole
// microseconds), the value a quantile in it is reported as: at most half
// an octave above the true one, never below.
func latencyUpper(b int) time.Duration {
	octave, half := b/2, b%2
	us := uint64(1) << octave
	switch {
	case octave == 0: // 0 and 1 µs
		us = 2
	case half == 1:
		us <<= 1
	default:
		us += us >> 1
	}
	return time.Duration(us) * time.Microsecond
}

// quantile is the upper bound of the bucket holding quantile q of the
// point's batches; 0 without batches.
func (p *seriesPoint) quantile(q float64) time.Duration {
	var n uint64
	for _, c := range p.latency {
		n += uint64(c)
	}
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	var seen uint64
	for b, c := range p.latency {
		if seen += uint64(c); seen >= rank {
			return latencyUpper(b)
		}
	}
	return latencyUpper(latencyBuckets - 1)
}

// slotSeries are one slot's version rings.
type slotSeries struct {
	mu       sync.Mutex
	versions []*versionSeries
}

// of is mod's ring, made on first use (a version that serves again, by a
// rollback, continues its own), dropping the least recently used ring
// past seriesVersions.
func (s *slotSeries) of(mod *runtime.Module) *versionSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, vs := range s.versions {
		if vs.digest == mod.Digest {
			return vs
		}
	}
	vs := &versionSeries{transform: mod.Manifest.ID(), digest: mod.Digest, labels: []string{mod.Manifest.Name, mod.Manifest.Version}, used: time.Now()}
	if len(s.versions) >= seriesVersions {
		i := 0
		for j, o := range s.versions {
			if o.lastUsed().Before(s.versions[i].lastUsed()) {
				i = j
			}
		}
		s.versions = slices.Delete(s.versions, i, i+1)
	}
	s.versions = append(s.versions, vs)
	return vs
}

func (vs *versionSeries) lastUsed() time.Time {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.used
}

// batchTally is what one batch's records came to, counted as the batch
// is applied and added to the version's ring once (versionSeries.add).
// It lives in the batch's reusable scratch: counting allocates nothing
// once its classes have been seen.
type batchTally struct {
	dropped int
	classes []classCount
}

func (t *batchTally) reset() {
	t.dropped = 0
	t.classes = t.classes[:0]
}

// fail counts one failed record of class; a nil tally counts nothing.
func (t *batchTally) fail(class string) {
	if t == nil {
		return
	}
	for i := range t.classes {
		if t.classes[i].class == class {
			t.classes[i].n++
			return
		}
	}
	t.classes = append(t.classes, classCount{class: class, n: 1})
}
