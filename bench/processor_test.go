package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// TestProcCasesMask checks every processor case runs the workload, and
// that each masking case's output is, as JSON, the bloblang mapping's (the
// reference), and each echo's is its input, byte for byte.
func TestProcCasesMask(t *testing.T) {
	orders := loadOrders(t)
	pristine := cloneAll(orders)
	cases := ProcCases(modules(t))
	ref, err := ProcessOnce(procYAML(t, cases, ProcBloblang), orders, 64)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ref[0], orders[0]) {
		t.Fatal("the reference mask left the first order unchanged")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			out, err := ProcessOnce(c.YAML, orders, 64)
			if err != nil {
				t.Fatal(err)
			}
			for i := range out {
				switch {
				case c.Name == ProcNoop || isEcho(c.Name):
					if !bytes.Equal(out[i], orders[i]) {
						t.Fatalf("order %d: echo changed it:\n%s\n%s", i, out[i], orders[i])
					}
				default:
					assertSameJSON(t, i, out[i], ref[i])
				}
			}
		})
	}
	for i := range orders {
		if !bytes.Equal(orders[i], pristine[i]) {
			t.Fatalf("order %d was modified in place by a processor", i)
		}
	}
}

// TestMeasureProcessor checks the harness reports a cost for a tiny run.
func TestMeasureProcessor(t *testing.T) {
	p, err := NewProcessor("bench_native_scan: {}")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	c, err := MeasureProcessor(context.Background(), p, loadOrders(t), 64, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if c.Wall <= 0 || c.CPU < 0 {
		t.Fatalf("cost %+v: want a positive wall time and a CPU time", c)
	}
}

func isEcho(name string) bool {
	switch name {
	case ProcWATEcho, ProcGoEcho, ProcConnectEcho, ProcExtismEcho, ProcKernelEcho, ProcRedpandaMirror:
		return true
	}
	return false
}

func procYAML(t *testing.T, cases []ProcCase, name string) string {
	for _, c := range cases {
		if c.Name == name {
			return c.YAML
		}
	}
	t.Fatalf("no processor case %q", name)
	return ""
}

func assertSameJSON(t *testing.T, i int, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("order %d: output is not JSON: %v\n%s", i, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("order %d: masked differently from the reference:\n got %s\nwant %s", i, got, want)
	}
}

func loadOrders(t *testing.T) [][]byte {
	orders, err := LoadOrders(OrdersPath())
	if err != nil {
		t.Fatal(err)
	}
	return orders
}

func cloneAll(in [][]byte) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = bytes.Clone(b)
	}
	return out
}

// TestConnectPeerBounds checks the Connect-style host refuses a guest's
// out-of-bounds allocation and result with an error for the message.
func TestConnectPeerBounds(t *testing.T) {
	wasm, err := BuildModule("wat:bench/guests/connect_bad.wat")
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"read", "write"} {
		p, err := NewConnectPeer(context.Background(), wasm, fn)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Process(context.Background(), service.NewMessage([]byte(`{"a":1}`)))
		if !errors.Is(err, errGuestBounds) {
			t.Errorf("%s: error %v, want %v", fn, err, errGuestBounds)
		}
		_ = p.Close(context.Background())
	}
}
