package runtime

import (
	"bytes"
	"context"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// SetLogClock makes p's guest log limit read the time from now, with its
// buckets full, so a test can say exactly what gets through.
func SetLogClock(p *Pool, now func() time.Time) {
	p.log.setClock(now, p.cfg.LogLinesPerSecond, p.cfg.LogBytesPerSecond)
}

// FailHostModules makes NewEngine's instantiation of the host modules fail
// with err, after handing the runtime to seen; the returned func undoes it.
func FailHostModules(err error, seen func(wazero.Runtime)) (undo func()) {
	was := hostModules
	hostModules = func(_ context.Context, r wazero.Runtime, _ func(context.Context, api.Module) *callState) error {
		seen(r)
		return err
	}
	return func() { hostModules = was }
}

// ReserveInput asks one of p's instances for an input buffer of n bytes,
// as a batch of that size would.
func ReserveInput(ctx context.Context, p *Pool, n int) error {
	in, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	_, err = in.reserve(ctx, p.mod, n)
	p.release(in, err)
	return err
}

// Instances is how many instances of e's pools are open.
func Instances(e *Engine) int {
	n := 0
	e.states.Range(func(any, any) bool { n++; return true })
	return n
}

// GuestMemories copies the linear memory of every idle instance of p: a
// test looks in them for what a guest must never see.
func GuestMemories(p *Pool) [][]byte {
	var out [][]byte
	var back []*instance
	for {
		select {
		case in := <-p.idle:
			back = append(back, in)
			if in != nil {
				mem := in.mod.Memory()
				b, _ := mem.Read(0, mem.Size())
				out = append(out, bytes.Clone(b))
			}
			continue
		default:
		}
		break
	}
	for _, in := range back {
		p.idle <- in
	}
	return out
}
