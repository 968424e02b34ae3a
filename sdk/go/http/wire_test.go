package http

import (
	"encoding/binary"
	"testing"
)

func TestDecodeResults(t *testing.T) {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 2)
	b = append(b, 0, 1)
	b = le.AppendUint16(b, 200)
	b = appendStr(b, "")
	b = le.AppendUint32(b, 1)
	b = appendStr(appendStr(b, "Content-Type"), "text/plain")
	b = appendStr(b, "hello")
	b = append(b, 1, 0, 0, 0)
	b = appendStr(b, "host x refused")
	b = le.AppendUint32(b, 0)
	b = appendStr(b, "")
	rs, err := decodeResults(b, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Code != OK || !rs[0].Cached || rs[0].Status != 200 || string(rs[0].Body) != "hello" || rs[0].Get("content-type") != "text/plain" {
		t.Fatalf("first result %+v", rs[0])
	}
	if rs[1].Code != Refused || rs[1].Err != "host x refused" {
		t.Fatalf("second result %+v", rs[1])
	}
	for cut := range len(b) - 1 {
		if _, err := decodeResults(b[:cut], 2); err == nil {
			t.Fatalf("results cut at %d decoded", cut)
		}
	}
	if _, err := decodeResults(b, 3); err == nil {
		t.Fatal("a count that is not the requests' decoded")
	}
}
