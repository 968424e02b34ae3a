package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// frozenClock is a log clock that moves only when told.
type frozenClock struct{ t time.Time }

func (c *frozenClock) now() time.Time { return c.t }

// floodPool is a logflood pool whose log limit reads clock, with every drop
// the pool reports added to reported.
func floodPool(t *testing.T, e *runtime.Engine, clock *frozenClock, reported *[2]int64) *runtime.Pool {
	cfg := bigBatch
	cfg.OnLogsDropped = func(lines, bytes int64) { reported[0], reported[1] = reported[0]+lines, reported[1]+bytes }
	p := newPool(t, e, wat(t, "logflood"), cfg)
	runtime.SetLogClock(p, clock.now)
	return p
}

// TestLogFloodIsRateLimited: a guest once wrote 3.3 GB of log in one 6 s
// batch. Now a million lines from one batch let the burst through (ten
// seconds at the default 100 lines a second), drop and count the rest,
// and say so in one summary line; a second later, the rate refills.
func TestLogFloodIsRateLimited(t *testing.T) {
	const line = "xxxxxxxxxxxxxx" // 14 bytes
	for _, c := range []struct {
		name  string
		fd    uint32
		n     int
		level string
	}{{"weir.log", 0, 1_000_000, "INFO"}, {"stdout", 1, 100_000, "INFO"}, {"stderr", 2, 100_000, "WARN"}} {
		t.Run(c.name, func(t *testing.T) {
			e, logs := newEngine(t, runtime.EngineConfig{})
			clock := &frozenClock{t: time.Unix(1e9, 0)}
			var reported [2]int64
			p := floodPool(t, e, clock, &reported)
			start := time.Now()
			_, err := p.Process(context.Background(), command(uint32(c.n), c.fd, uint32(len(line))))
			require.NoError(t, err)
			// reported, not asserted: the cost of a dropped call, guest loop included
			t.Logf("%d calls in %s, %s each", c.n, time.Since(start), time.Since(start)/time.Duration(c.n))
			written := strings.Count(logs.String(), "level="+c.level+" msg="+line+" transform=logflood@0.0.0")
			assert.Equal(t, 1000, written, "the burst")
			dropped := int64(c.n - 1000)
			lines, bytes := p.LogsDropped()
			assert.Equal(t, [2]int64{dropped, dropped * int64(len(line))}, [2]int64{lines, bytes})
			assert.Equal(t, [2]int64{lines, bytes}, reported, "reported after the batch")
			summary := fmt.Sprintf(`weir: transform \"logflood@0.0.0\": dropped %d guest log lines (%d bytes in all`, lines, bytes)
			assert.Equal(t, 1, strings.Count(logs.String(), summary), logs.String()[len(logs.String())-300:])

			clock.t = clock.t.Add(time.Second)
			_, err = p.Process(context.Background(), command(1000, c.fd, uint32(len(line))))
			require.NoError(t, err)
			written = strings.Count(logs.String(), "msg="+line+" ")
			assert.Equal(t, 1100, written, "one second more: 100 lines more")
			lines, _ = p.LogsDropped()
			assert.Equal(t, dropped+900, lines)
			assert.Equal(t, 1, strings.Count(logs.String(), "guest log lines ("), "the next summary waits ten seconds")
		})
	}
}

// TestLongLinesAreTruncatedAndCounted: 8 MiB without a newline is one line
// of 16 KiB in the log; the rest is counted as dropped bytes.
func TestLongLinesAreTruncatedAndCounted(t *testing.T) {
	for _, fd := range []uint32{0, 1, 2} {
		t.Run(fmt.Sprint("fd ", fd), func(t *testing.T) {
			e, logs := newEngine(t, runtime.EngineConfig{})
			clock := &frozenClock{t: time.Unix(1e9, 0)}
			var reported [2]int64
			p := floodPool(t, e, clock, &reported)
			var err error
			heap := allocated(func() { _, err = p.Process(context.Background(), command(3, fd, 8<<20)) })
			require.NoError(t, err)
			assert.Equal(t, 3, strings.Count(logs.String(), "x…(8372224 more bytes)"))
			assert.Less(t, len(logs.String()), 3*(16<<10)+4096, "three 16 KiB lines and a summary")
			lines, bytes := p.LogsDropped()
			assert.Equal(t, [2]int64{0, 3 * (8<<20 - 16<<10)}, [2]int64{lines, bytes})
			assert.Less(t, heap, uint64(4<<20), "the 8 MiB is never copied")
		})
	}
}

// TestOutOfBoundsLogLinesAreRateLimitedToo: each bad weir.log call is
// reported by an error line, under the same limit.
func TestOutOfBoundsLogLinesAreRateLimitedToo(t *testing.T) {
	e, logs := newEngine(t, runtime.EngineConfig{})
	clock := &frozenClock{t: time.Unix(1e9, 0)}
	var reported [2]int64
	p := floodPool(t, e, clock, &reported)
	_, err := p.Process(context.Background(), command(100_000, 0, 14, 0xfffffff0))
	require.NoError(t, err)
	assert.Equal(t, 1000, strings.Count(logs.String(), "out-of-bounds message (ptr 4294967280, len 14)"))
	lines, _ := p.LogsDropped()
	assert.Equal(t, int64(99_000), lines)
}
