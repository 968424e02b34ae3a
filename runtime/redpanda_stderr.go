package runtime

import (
	"bytes"
	"sync"
)

// maxStderrHead is how much of what a Redpanda guest wrote to stderr
// during a batch is kept, to say why it stopped: a Go guest's panic
// message comes first.
const maxStderrHead = 1 << 10

// stderrHead keeps the start of what a guest writes to stderr since the
// last reset; the log gets all of it, within its rate, as for any guest.
type stderrHead struct {
	mu  sync.Mutex
	buf []byte
}

func (h *stderrHead) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := maxStderrHead - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

func (h *stderrHead) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf = h.buf[:0]
}

// reason is the first paragraph written since the reset (a Go panic's
// "panic: …" line and what follows it up to the stack), clipped.
func (h *stderrHead) reason() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	first, _, _ := bytes.Cut(bytes.TrimSpace(h.buf), []byte("\n\n"))
	return clip(first, 256, len(first))
}
