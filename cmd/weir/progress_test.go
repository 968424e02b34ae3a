package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
)

// padded is wasm with a custom section of n bytes appended: a module as
// large as a standard-Go guest that compiles as fast as the small one
// (a Go guest's compile under -race takes a minute here).
func padded(wasm []byte, n int) []byte {
	payload := append([]byte{3}, "pad"...)
	payload = append(payload, make([]byte, n)...)
	out := append(slices.Clone(wasm), 0) // custom section
	out = binary.AppendUvarint(out, uint64(len(payload)))
	return append(out, payload...)
}

// A large module's push, pull and compile each say what they do, how big
// and how long, on one plain line when the output is not a terminal; a
// small module's say nothing. Stdout stays the command's own output.
func TestLargeModulesShowProgress(t *testing.T) {
	srv := testregistry.Start(t)
	mask := writeFile(t, "mask.wasm", padded(fixtures.Stamp(t, "large", false), 3<<20))
	stamp := writeFile(t, "stamp.wasm", fixtures.Stamp(t, "small", false))
	local := "--registry-dir=" + t.TempDir()
	base := "oci://" + srv.Host + "/weir/progress"
	line := func(what string) string { return `(?m)^` + what + `, \d+\.\d MB … \d+(\.\d)? m?s$` }

	out, err := runTransform(t, "push", local, mask, base+":large")
	require.NoError(t, err, out)
	assert.Regexp(t, line(`pushing mask\.wasm`), out)
	out, err = runTransform(t, "pull", local, "-o", filepath.Join(t.TempDir(), "m.wasm"), base+":large")
	require.NoError(t, err, out)
	assert.Regexp(t, line(`pulling oci://`+srv.Host+`/weir/progress:large`), out)
	out, err = runTransform(t, "test", mask) // compiled, then it has no fixtures to run
	require.ErrorContains(t, err, "carries no fixtures")
	assert.Regexp(t, line(`compiling mask\.wasm`), out)
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\r")

	out, err = runTransform(t, "push", local, stamp, base+":small")
	require.NoError(t, err, out)
	assert.NotContains(t, out, "pushing")
	out, err = runTransform(t, "pull", local, "-o", filepath.Join(t.TempDir(), "s.wasm"), base+":small")
	require.NoError(t, err, out)
	assert.NotContains(t, out, "pulling")
}

// On a terminal a transfer counts up in place, then leaves the same line
// as elsewhere.
func TestProgressRedrawsOnATerminal(t *testing.T) {
	var w bytes.Buffer
	s := &step{w: &w, tty: true, what: "pushing mask.wasm", began: time.Now()}
	s.progress(1<<20, 4<<20)
	s.progress(4<<20, 4<<20)
	s.finish(nil)
	assert.Regexp(t, `^pushing mask\.wasm, 4\.2 MB … \r\x1b\[Kpushing mask\.wasm, 1\.0 MB of 4\.2 MB \(25%\) … `+
		`\r\x1b\[Kpushing mask\.wasm, 4\.2 MB of 4\.2 MB \(100%\) … \r\x1b\[Kpushing mask\.wasm, 4\.2 MB … \d+ ms\n$`, w.String())
}

// frames counts the status blocks written, and acts on the nth.
type frames struct {
	mu  sync.Mutex
	buf bytes.Buffer
	n   int
	at  map[int]func()
}

func (f *frames) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if bytes.HasPrefix(p, []byte("--- ")) {
		f.n++
		if do := f.at[f.n]; do != nil {
			defer do()
		}
	}
	return f.buf.Write(p)
}

// status --watch refreshes at its interval, a plain block each time when
// not on a terminal, and exits cleanly on Ctrl-C (SIGINT) or when its
// context ends.
func TestStatusWatch(t *testing.T) {
	api, err := host.StartAdmin(host.AdminConfig{Address: "127.0.0.1:0", Token: "t", AuditFile: filepath.Join(t.TempDir(), "audit.log")},
		service.MockResources().Logger())
	require.NoError(t, err)
	defer api.Close()
	watch := func(ctx context.Context, w *frames, args ...string) error {
		app := &cli.App{Name: "weir", Commands: []*cli.Command{transformCommand()}, Writer: w, ErrWriter: w, ExitErrHandler: func(*cli.Context, error) {}}
		return app.RunContext(ctx, append([]string{"weir", "transform", "status", "--watch", "--interval", "100ms", "--admin", api.Addr(), "--token", "t"}, args...))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &frames{at: map[int]func(){3: cancel}}
	require.NoError(t, watch(ctx, w, "nobody"))
	out := w.buf.String()
	assert.Equal(t, 3, strings.Count(out, "--- "), out)
	assert.Equal(t, 3, strings.Count(out, `error: no transform named "nobody"`), "a failed refresh is shown, and the watch goes on")
	assert.NotContains(t, out, "\x1b")

	w = &frames{at: map[int]func(){2: func() { _ = syscall.Kill(os.Getpid(), syscall.SIGINT) }}}
	require.NoError(t, watch(context.Background(), w), "Ctrl-C ends the watch, cleanly")
	assert.GreaterOrEqual(t, w.n, 2)

	err = watch(context.Background(), &frames{}, "--interval", "1ms")
	assert.ErrorContains(t, err, "--interval 1ms: at least 100ms")
}

// On a terminal each refresh clears the screen first; elsewhere it is a
// plain block.
func TestWatchFramesClearOnlyATerminal(t *testing.T) {
	var tty, plain bytes.Buffer
	writeFrame(&tty, true, time.Second, []byte("mask  mask@1\n"), nil)
	writeFrame(&plain, false, time.Second, []byte("mask  mask@1\n"), nil)
	assert.Regexp(t, `^\x1b\[H\x1b\[2J\d\d:\d\d:\d\d  every 1s, Ctrl-C to stop\n\nmask  mask@1\n$`, tty.String())
	assert.Regexp(t, `^--- \d\d:\d\d:\d\d\nmask  mask@1\n\n$`, plain.String())
}
