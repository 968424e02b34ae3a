package weir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// act is what the test handler does to a record, by the record's value.
func act(r *Record) error {
	switch string(r.Value()) {
	case "set":
		r.SetValue([]byte("new"))
	case "drop":
		r.Drop()
	case "error":
		return errors.New("failed")
	case "route":
		r.Route("a", "b")
	case "emit":
		r.Emit([]byte("x"), "a")
		r.Emit([]byte("y"))
	case "meta":
		r.SetMeta("k", "v")
		r.DeleteMeta("gone")
	case "panic":
		panic("asked to")
	}
	return nil
}

var acts = []string{"keep", "set", "drop", "error", "route", "emit", "meta", "panic"}

func encodeBatch(values []string, meta int) []byte {
	le := binary.LittleEndian
	out := le.AppendUint32(nil, uint32(len(values)))
	for _, v := range values {
		out = appendBytes(out, v)
		out = le.AppendUint32(out, uint32(meta))
		for j := 0; j < meta; j++ {
			out = appendBytes(appendBytes(out, fmt.Sprint("k", j)), "v")
		}
	}
	return out
}

// TestReusedStateGivesTheFreshOutput: a batch decoded into state that
// earlier batches used (records that were rewritten, dropped, routed,
// fanned out, given metadata, or whose handler panicked) encodes exactly
// what the same batch gives on fresh state.
func TestReusedStateGivesTheFreshOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var reused batch
	for round := 0; round < 500; round++ {
		values := make([]string, rng.IntN(20))
		for i := range values {
			values[i] = acts[rng.IntN(len(acts))]
		}
		in := encodeBatch(values, rng.IntN(3))
		var fresh batch
		want, err := fresh.process(in, act)
		if err != nil {
			t.Fatal(err)
		}
		got, err := reused.process(in, act)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d %v: reused state encodes\n%x\nfresh state\n%x", round, values, got, want)
		}
	}
}

// TestPanicsFailOnlyTheirRecords: every panicking record gets an error
// entry, wherever it is in the batch, and the others their own verdicts.
func TestPanicsFailOnlyTheirRecords(t *testing.T) {
	var b batch
	out, err := b.process(encodeBatch([]string{"panic", "keep", "panic", "panic", "drop", "panic"}, 0), act)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	want := le.AppendUint32(nil, 6)
	for i, v := range []string{"panic", "keep", "panic", "panic", "drop", "panic"} {
		want = le.AppendUint32(want, uint32(i))
		switch v {
		case "panic":
			want = appendBytes(append(want, kindError), "handler panicked: asked to")
		case "keep":
			want = append(want, kindEmit, 0)
		case "drop":
			want = append(want, kindDrop)
		}
	}
	if !bytes.Equal(out, want) {
		t.Fatalf("got\n%x\nwant\n%x", out, want)
	}
}

// TestTruncatedBatchesAreRefused: every strict prefix of a batch with
// metadata fails to decode; none panics.
func TestTruncatedBatchesAreRefused(t *testing.T) {
	in := encodeBatch([]string{"keep", "set", "meta"}, 2)
	var b batch
	for n := 0; n < len(in); n++ {
		if _, err := b.process(in[:n], act); !errors.Is(err, errTruncated) {
			t.Fatalf("prefix of %d bytes: got %v, want errTruncated", n, err)
		}
	}
	if _, err := b.process(in, act); err != nil {
		t.Fatal(err)
	}
}

// FuzzProcess feeds arbitrary bytes to the full-value batch loop: it
// refuses them or answers a well-formed output, and never panics.
func FuzzProcess(f *testing.F) {
	f.Add(encodeBatch(acts, 2))
	f.Add(encodeBatch([]string{"keep", "set"}, 0))
	f.Fuzz(func(t *testing.T, in []byte) {
		var b batch
		out, err := b.process(in, act)
		if err != nil {
			return
		}
		if _, err := readOutput(out); err != nil {
			t.Fatalf("output of %x: %v", in, err)
		}
	})
}
