//go:build !wasip1

package kv_test

import (
	"strings"
	"testing"

	"github.com/weirstream/weir/sdk/go/kv"
)

// GetMany answers each key in order, found, missing or invalid, and asks
// again, with room, for values over its first buffer.
func TestGetManyNative(t *testing.T) {
	big := strings.Repeat("v", 200<<10)
	kv.Native.Lock()
	kv.Native.Data["risk"] = map[string]string{"a": "1", "big": big, "c": "3"}
	kv.Native.Unlock()
	got := kv.GetMany("risk", [][]byte{[]byte("a"), []byte("nope"), nil, []byte("big"), []byte("c")})
	want := []struct {
		st kv.Status
		v  string
	}{{kv.Found, "1"}, {kv.Miss, ""}, {kv.InvalidKey, ""}, {kv.Found, big}, {kv.Found, "3"}}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Status != w.st || string(got[i].Value) != w.v {
			t.Errorf("key %d: %s %.10q, want %s %.10q", i, got[i].Status, got[i].Value, w.st, w.v)
		}
	}
	if r := kv.Get("risk", []byte("c")); r.Status != kv.Found || string(r.Value) != "3" {
		t.Errorf("Get: %s %q", r.Status, r.Value)
	}
	if len(kv.GetMany("risk", nil)) != 0 {
		t.Error("no keys, no results")
	}
}

func TestSetNative(t *testing.T) {
	if err := kv.Set("w", []byte("k"), []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if r := kv.Get("w", []byte("k")); string(r.Value) != "v" {
		t.Errorf("read back %q", r.Value)
	}
	if err := kv.Set("w", nil, []byte("v"), 0); err == nil || err.Error() != "kv: set: invalid_key" {
		t.Errorf("empty key: %v", err)
	}
}

func TestSetManyNative(t *testing.T) {
	errs, err := kv.SetMany("m", [][]byte{[]byte("a"), nil, []byte("b")}, [][]byte{[]byte("1"), []byte("x"), []byte("2")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[2] != nil || errs[1] == nil || errs[1].Error() != "kv: set: invalid_key" {
		t.Errorf("results %v", errs)
	}
	res := kv.GetMany("m", [][]byte{[]byte("a"), []byte("b")})
	if string(res[0].Value) != "1" || string(res[1].Value) != "2" {
		t.Errorf("read back %q %q", res[0].Value, res[1].Value)
	}
	if _, err := kv.SetMany("m", [][]byte{[]byte("a")}, nil, 0); err == nil {
		t.Error("keys and values of different lengths: want an error")
	}
}
