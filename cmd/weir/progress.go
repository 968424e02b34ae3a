package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// largeModule is the size from which the CLI tells a person waiting what
// it is doing: a standard-Go guest (megabytes) takes a noticeable time to
// move and to compile; a WAT, C or Rust guest does not.
const largeModule = 1 << 20

// redrawEvery bounds how often a progress line is redrawn on a terminal.
const redrawEvery = 100 * time.Millisecond

// isTerminal reports whether w is a terminal: only there does a progress
// line redraw itself (with \r and an erase-line escape); anywhere else
// (a file, a pipe, CI's log) it is plain text, written once.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// step is one thing a person waits for, told on w (the CLI's stderr, so
// stdout stays the command's output): "compiling mask.wasm, 3.6 MB … 1.2 s".
// On a terminal a transfer's bytes count up in place; elsewhere the line
// is written at the start and completed at the end.
type step struct {
	w     io.Writer
	tty   bool
	what  string // "pushing mask.wasm"
	began time.Time

	mu      sync.Mutex
	started bool // the line is begun
	drawn   time.Time
	size    int64
}

// startStep tells of a step of size bytes (0: not yet known, a transfer
// that learns it from its first report), unless size is known and below
// largeModule.
func startStep(w io.Writer, what string, size int64) *step {
	s := &step{w: w, tty: isTerminal(w), what: what, began: time.Now(), size: size}
	if size >= largeModule {
		s.begin()
	}
	return s
}

// startTimed tells of a step whatever its size: a toolchain's build.
func startTimed(w io.Writer, what string) *step {
	s := &step{w: w, tty: isTerminal(w), what: what, began: time.Now()}
	s.begin()
	return s
}

// begin writes the line's start; the caller holds s.mu or owns s.
func (s *step) begin() {
	s.started = true
	fmt.Fprint(s.w, s.line())
}

// line is the step and its size, if known, and the ellipsis.
func (s *step) line() string {
	if s.size == 0 {
		return s.what + " … "
	}
	return fmt.Sprintf("%s, %s … ", s.what, megabytes(s.size))
}

// progress is a registry.Progress: on a terminal the line shows done of
// total, redrawn at most every redrawEvery.
func (s *step) progress(done, total int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		if total < largeModule {
			return
		}
		s.size = total
		s.begin()
	}
	if !s.tty || done < total && time.Since(s.drawn) < redrawEvery {
		return
	}
	s.drawn = time.Now()
	fmt.Fprintf(s.w, "\r\x1b[K%s, %s of %s (%d%%) … ", s.what, megabytes(done), megabytes(total), done*100/max(total, 1))
}

// finish completes the line with the time taken, or with the failure
// (which the command reports itself, in full).
func (s *step) finish(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return
	}
	if s.tty && s.drawn != (time.Time{}) {
		fmt.Fprint(s.w, "\r\x1b[K"+s.line())
	}
	if err != nil {
		fmt.Fprintln(s.w, "failed")
		return
	}
	fmt.Fprintln(s.w, took(time.Since(s.began)))
}

// megabytes writes n bytes as a person reads them: "3.6 MB".
func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// took writes a duration to a tenth of a second, or in ms below one.
func took(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
