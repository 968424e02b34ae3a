package weir

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// OnBatch sees every value, metadata or not, before the handler sees a
// record; the handler finds its record's place by Index. An OnBatch
// error, or panic, fails every record of the batch.
func TestOnBatch(t *testing.T) {
	defer func() { batchFunc = nil }()
	var seen []string
	OnBatch(func(values [][]byte) error {
		seen = seen[:0]
		for _, v := range values {
			seen = append(seen, string(v))
		}
		return nil
	})
	var b batch
	var order []int
	h := func(r *Record) error {
		if seen[r.Index()] != string(r.Value()) {
			t.Errorf("record %d: OnBatch saw %q, handler sees %q", r.Index(), seen[r.Index()], r.Value())
		}
		order = append(order, r.Index())
		return nil
	}
	out, err := b.process(encodeBatch([]string{"a", "bb", "", "c"}, 2), h)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 || len(order) != 4 || order[3] != 3 {
		t.Fatalf("seen %q, handled %v", seen, order)
	}
	want, _ := (&batch{}).process(encodeBatch([]string{"a", "bb", "", "c"}, 2), func(*Record) error { return nil })
	if string(out) != string(want) {
		t.Error("OnBatch changed the output of a keep-everything handler")
	}

	for _, f := range []func([][]byte) error{
		func([][]byte) error { return errors.New("store down") },
		func([][]byte) error { panic("store down") },
	} {
		OnBatch(f)
		out, err = b.process(encodeBatch([]string{"a", "b"}, 0), func(*Record) error { t.Error("handler ran"); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if msgs := errorEntries(out); len(msgs) != 2 || !strings.Contains(msgs[0], "store down") || msgs[0] != msgs[1] {
			t.Errorf("got %q, want two errors saying store down", msgs)
		}
	}
	if _, err := b.process(encodeBatch([]string{"a"}, 0)[:9], h); err == nil {
		t.Error("a truncated batch must fail in the scan")
	}
}

// errorEntries are the messages of an output made only of ERROR entries.
func errorEntries(out []byte) []string {
	le := binary.LittleEndian
	var msgs []string
	pos := 4
	for range le.Uint32(out) {
		if out[pos+4] != kindError {
			return nil
		}
		n := int(le.Uint32(out[pos+5:]))
		msgs = append(msgs, string(out[pos+9:pos+9+n]))
		pos += 9 + n
	}
	return msgs
}
