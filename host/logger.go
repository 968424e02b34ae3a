package host

import (
	"context"
	"log/slog"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// benthosHandler sends the runtime's slog records (guest logs included) to
// Benthos's logger, so they share its level, format and destination.
type benthosHandler struct {
	log   *service.Logger
	attrs []any
}

func toSlog(l *service.Logger) *slog.Logger { return slog.New(&benthosHandler{log: l}) }

func (h *benthosHandler) Enabled(context.Context, slog.Level) bool { return h.log != nil }

func (h *benthosHandler) Handle(_ context.Context, r slog.Record) error {
	kv := append([]any{}, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		kv = append(kv, a.Key, a.Value.String())
		return true
	})
	l := h.log.With(kv...)
	switch {
	case r.Level >= slog.LevelError:
		l.Error(r.Message)
	case r.Level >= slog.LevelWarn:
		l.Warn(r.Message)
	case r.Level >= slog.LevelInfo:
		l.Info(r.Message)
	default:
		l.Debug(r.Message)
	}
	return nil
}

func (h *benthosHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	kv := append([]any{}, h.attrs...)
	for _, a := range attrs {
		kv = append(kv, a.Key, a.Value.String())
	}
	return &benthosHandler{log: h.log, attrs: kv}
}

func (h *benthosHandler) WithGroup(string) slog.Handler { return h }
