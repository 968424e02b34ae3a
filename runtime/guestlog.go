package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Guest log limits (PoolConfig, docs/abi.md "Limits").
const (
	defaultLogLinesPerSecond = 100
	defaultLogBytesPerSecond = 64 << 10
	// logBurstSeconds is how many seconds of its rate a pool may log at once.
	logBurstSeconds = 10
	// logSummaryEvery spaces the lines that report what was dropped.
	logSummaryEvery = 10 * time.Second
	// maxLogBytes truncates a single guest log line.
	maxLogBytes = 16 << 10
)

// guestLog sends a pool's guest logs (weir.log, stdout, stderr) to the host
// logger, tagged with the transform, within a rate: a token bucket in lines
// and one in bytes, shared by the pool's instances, so a replaced instance
// does not start with a fresh burst. What does not fit is dropped and
// counted, and the count is reported (OnLogsDropped, a summary line).
type guestLog struct {
	logger    *slog.Logger
	transform string
	onDropped func(lines, bytes int64)

	mu           sync.Mutex
	now          func() time.Time // time.Now; tests inject a clock
	lines, bytes bucket
	total        logCount // dropped since the pool started
	unreported   logCount // dropped since the last call of onDropped
	unsummarized logCount // dropped since the last summary line
	lastSummary  time.Time
}

// logCount is guest log lines dropped whole, and bytes dropped in all
// (those lines' and the truncated tails of long ones).
type logCount struct{ lines, bytes int64 }

func (c *logCount) add(lines, bytes int64) { c.lines, c.bytes = c.lines+lines, c.bytes+bytes }

func newGuestLog(logger *slog.Logger, transform string, cfg PoolConfig) *guestLog {
	l := &guestLog{logger: logger, transform: transform, onDropped: cfg.OnLogsDropped}
	l.setClock(time.Now, cfg.LogLinesPerSecond, cfg.LogBytesPerSecond)
	return l
}

// setClock (re)starts the buckets full, reading the time from now.
func (l *guestLog) setClock(now func() time.Time, linesPerSecond, bytesPerSecond int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
	l.lines = newBucket(linesPerSecond, 1, now())
	l.bytes = newBucket(bytesPerSecond, maxLogBytes, now())
}

// admit takes the tokens of a line of total bytes, of which at most
// maxLogBytes are logged, or counts the line dropped. It runs before the
// line is read from guest memory: a dropped line costs no copy.
func (l *guestLog) admit(total int) bool {
	kept := min(total, maxLogBytes)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.lines.refill(now)
	l.bytes.refill(now)
	if !l.lines.take(1) || !l.bytes.take(float64(kept)) {
		l.drop(1, int64(total))
		return false
	}
	if total > kept {
		l.drop(0, int64(total-kept))
	}
	return true
}

func (l *guestLog) drop(lines, bytes int64) {
	l.total.add(lines, bytes)
	l.unreported.add(lines, bytes)
	l.unsummarized.add(lines, bytes)
}

// write logs an admitted line: head is its start, total its length.
func (l *guestLog) write(level uint32, head []byte, total int) {
	var msg string
	if total > len(head) || len(head) > maxLogBytes {
		msg = clip(head, maxLogBytes, total)
	} else {
		msg = string(bytes.TrimRight(head, "\n"))
	}
	l.logger.Log(context.Background(), slogLevel(level), msg, "transform", l.transform)
}

// dropped is what was dropped since the pool started.
func (l *guestLog) dropped() logCount {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// report hands what was dropped since the last report to onDropped and,
// at most every logSummaryEvery unless final, writes one summary line.
func (l *guestLog) report(final bool) {
	l.mu.Lock()
	unreported := l.unreported
	l.unreported = logCount{}
	var summary logCount
	if l.unsummarized != (logCount{}) && (final || l.now().Sub(l.lastSummary) >= logSummaryEvery) {
		summary, l.unsummarized, l.lastSummary = l.unsummarized, logCount{}, l.now()
	}
	lines, bytes := l.lines.rate, l.bytes.rate
	l.mu.Unlock()
	if unreported != (logCount{}) && l.onDropped != nil {
		l.onDropped(unreported.lines, unreported.bytes)
	}
	if summary != (logCount{}) {
		l.logger.Warn(fmt.Sprintf("weir: transform %q: dropped %d guest log lines (%d bytes in all, truncated lines included) over the limit of %.0f lines and %.0f bytes per second",
			l.transform, summary.lines, summary.bytes, lines, bytes), "transform", l.transform)
	}
}

// bucket is a token bucket: rate tokens a second, at most burst saved.
type bucket struct {
	tokens, rate, burst float64
	last                time.Time
}

func newBucket(rate int, minBurst float64, now time.Time) bucket {
	burst := max(float64(rate)*logBurstSeconds, minBurst)
	return bucket{tokens: burst, rate: float64(rate), burst: burst, last: now}
}

func (b *bucket) refill(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
}

func (b *bucket) take(n float64) bool {
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

func slogLevel(level uint32) slog.Level {
	switch level {
	case levelDebug:
		return slog.LevelDebug
	case levelWarn:
		return slog.LevelWarn
	case levelError:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// writer adapts the log to a WASI stdout or stderr: each write is a line.
func (l *guestLog) writer(level uint32) io.Writer {
	return logWriter{l, level}
}

type logWriter struct {
	l     *guestLog
	level uint32
}

// Write logs p, a view of guest memory, unless it is blank (a lone
// newline) or over the rate. It looks at no more than maxLogBytes of p.
func (w logWriter) Write(p []byte) (int, error) {
	if !blank(p) && w.l.admit(len(p)) {
		w.l.write(w.level, p[:min(len(p), maxLogBytes)], len(p))
	}
	return len(p), nil
}

// blank reports a short write of whitespace only, which is not a line.
func blank(p []byte) bool { return len(p) <= 64 && len(bytes.TrimSpace(p)) == 0 }
