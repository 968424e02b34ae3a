package host

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// limitFields are the wasm processor's caps on what a guest's output may
// expand to and how much it may log (docs/abi.md, "Limits").
func limitFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewIntField(fieldMaxEmitsPerRecord).
			Description("Cap on the messages one input may become (fan-out, routes to several ports). Past it the whole batch fails with class `bad_output`, naming the record.").
			Default(10_000).Advanced(),
		service.NewIntField(fieldMaxEmitsPerBatch).
			Description("Cap on the messages one batch may become, or its message count if larger. Past it the batch fails with class `bad_output`.").
			Default(100_000).Advanced(),
		service.NewIntField(fieldMaxExpandedBytes).
			Description("Cap on the bytes one batch's output messages carry: every value (an unchanged one counts its input's), port name and metadata key and value (the input's, which every output inherits, plus the guest's changes); or the batch's own bytes if more. Past it the batch fails with class `bad_output`.").
			Default(256 << 20).Advanced(),
		service.NewIntField(fieldMaxMetadataPerBatch).
			Description("Cap on the metadata entries one batch's output messages carry: each output's inherited entries plus the guest's changes; or the batch's own entries if more. Past it the batch fails with class `bad_output`.").
			Default(1_000_000).Advanced(),
		service.NewIntField(fieldLogLinesPerSecond).
			Description("Guest log lines (`weir.log` calls, writes to stdout or stderr) let through per second, with a burst of ten seconds' worth, shared by the version's instances. The rest are dropped, counted by the `weir_guest_log_dropped` metric and reported in a summary line.").
			Default(100).Advanced(),
		service.NewIntField(fieldLogBytesPerSecond).
			Description("The same limit in bytes (`weir_guest_log_dropped_bytes`). A line is cut at 16 KiB whatever the rate.").
			Default(64 << 10).Advanced(),
	}
}

// parseLimits reads the caps into cfg; each must be at least 1.
func parseLimits(conf *service.ParsedConfig, cfg *runtime.PoolConfig) error {
	for name, dst := range map[string]*int{
		fieldMaxEmitsPerRecord:   &cfg.MaxEmitsPerRecord,
		fieldMaxEmitsPerBatch:    &cfg.MaxEmitsPerBatch,
		fieldMaxExpandedBytes:    &cfg.MaxExpandedBytes,
		fieldMaxMetadataPerBatch: &cfg.MaxMetadataPerBatch,
		fieldLogLinesPerSecond:   &cfg.LogLinesPerSecond,
		fieldLogBytesPerSecond:   &cfg.LogBytesPerSecond,
	} {
		v, err := conf.FieldInt(name)
		if err != nil {
			return err
		}
		if v < 1 {
			return fmt.Errorf("field %s: must be >= 1, got %d", name, v)
		}
		*dst = v
	}
	return nil
}
