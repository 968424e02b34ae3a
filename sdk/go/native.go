package weir

// ProcessFieldsBatch is the guest's weir_process_fields run natively,
// outside wasm: h handles every record of batch, a projected input batch
// as the host writes it (docs/abi.md §4b) for paths declared paths, and
// the answer is the output batch the host would read, or the error that
// fails the whole batch. It is for a transform's tests — a differential
// test of its projected path against its full-value one, a fuzz target —
// and runs the same code as the guest does. The output is a fresh copy.
func ProcessFieldsBatch(batch []byte, paths int, h FieldsHandler) ([]byte, error) {
	var b fieldsBatch
	out, err := b.process(batch, paths, h)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), out...), nil
}
