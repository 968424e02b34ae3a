package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/egress"
)

// HTTPModule is the host module of the http capability (docs/abi.md
// "http"), linked only for a module granted it.
const HTTPModule = "weir_http"

// Negative answers of weir_http.fetch and weir_http.take.
const (
	httpErrBounds    = -1 // a buffer lies outside guest memory (take: or nothing is kept, or it is too small)
	httpErrMalformed = -2 // the requests break the format or pass max_requests
)

// httpCall is one instance's http capability: its pool's engine, and the
// answer kept between fetch and take.
type httpCall struct {
	engine *egress.Engine
	answer []byte // reused across calls
	kept   bool
}

// fetch is weir_http.fetch(ptr, len) -> i64.
func (h *httpCall) fetch(ctx context.Context, s *callState, mod api.Module, ptr, n uint32) int64 {
	h.kept = false
	buf, ok := mod.Memory().Read(ptr, n)
	if !ok {
		return httpErrBounds
	}
	reqs, err := egress.DecodeRequests(buf, h.engine.MaxRequests())
	if err != nil {
		logHostError(s, err)
		return httpErrMalformed
	}
	if !s.deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, s.deadline)
		defer cancel()
	}
	results := h.engine.FetchMany(ctx, reqs)
	h.answer = egress.AppendResults(h.answer[:0], results)
	h.kept = true
	return int64(len(h.answer))
}

// take is weir_http.take(ptr, len) -> i32.
func (h *httpCall) take(mod api.Module, ptr, n uint32) int32 {
	if !h.kept || int(n) < len(h.answer) || !mod.Memory().Write(ptr, h.answer) {
		return httpErrBounds
	}
	h.kept = false
	return int32(len(h.answer))
}

// release drops a kept answer at the end of a batch, and the buffer when
// it grew large.
func (h *httpCall) release() {
	h.kept = false
	if cap(h.answer) > 1<<20 {
		h.answer = nil
	}
}

// logHostError writes a refusal of a host function's input to the
// guest's log, under its rate.
func logHostError(s *callState, err error) {
	if s == nil || s.log == nil {
		return
	}
	var we *egress.WireError
	msg := err.Error()
	if errors.As(err, &we) {
		msg = fmt.Sprintf("weir_http.fetch refused the call: %s", we.Msg)
	}
	if s.log.admit(len(msg)) {
		s.log.write(levelError, []byte(msg), len(msg))
	}
}
