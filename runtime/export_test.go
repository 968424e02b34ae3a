package runtime

import "time"

// SetLogClock makes p's guest log limit read the time from now, with its
// buckets full, so a test can say exactly what gets through.
func SetLogClock(p *Pool, now func() time.Time) {
	p.log.setClock(now, p.cfg.LogLinesPerSecond, p.cfg.LogBytesPerSecond)
}
