package host

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// fanoutMeta checks the metadata that a guest reading none copies by
// fanning out (docs/abi.md, "A guest that reads no metadata"). The
// runtime's output limits count no metadata of such a guest's input, so
// the host counts, for each message emitted more than once, the entries
// and bytes every copy after the first starts from, and fails the batch
// bad_output past max_metadata_per_batch or max_expanded_bytes, as the
// runtime would. Only fanned-out messages have their metadata walked.
func fanoutMeta(v *version, batch service.MessageBatch, g *guestBatch, outcomes []runtime.Outcome) error {
	lim := v.pool.Limits()
	var entries, size int
	count := func(k, val string) error {
		entries, size = entries+1, size+len(k)+len(val)
		return nil
	}
	for i, m := range batch {
		if g.failure(i) != nil || len(outcomes[g.index[i]].Emits) < 2 {
			continue
		}
		e0, s0 := entries, size
		_ = m.MetaWalk(count)
		copies := len(outcomes[g.index[i]].Emits) - 1
		entries, size = e0+copies*(entries-e0), s0+copies*(size-s0)
		switch {
		case entries > lim.MaxMetadataPerBatch:
			return fanoutOver(v, i, lim.MaxMetadataPerBatch, "metadata entries", fieldMaxMetadataPerBatch)
		case size > lim.MaxExpandedBytes:
			return fanoutOver(v, i, lim.MaxExpandedBytes, "metadata bytes", fieldMaxExpandedBytes)
		}
	}
	return nil
}

func fanoutOver(v *version, idx, limit int, what, field string) error {
	return &runtime.Error{Class: runtime.ClassBadOutput, Transform: v.mod.Manifest.ID(),
		Msg: fmt.Sprintf("record %d: the batch's fan-out copies more than %d %s of its input: raise %s if this fan-out is intended", idx, limit, what, field)}
}
