package egress_test

import (
	"encoding/binary"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/weirstream/weir/runtime/egress"
)

func encodeRequests(rs []egress.Request) []byte {
	str := func(b []byte, s string) []byte {
		return append(binary.LittleEndian.AppendUint32(b, uint32(len(s))), s...)
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(rs)))
	for _, r := range rs {
		b = str(str(b, r.Method), r.URL)
		n := 0
		for _, vs := range r.Header {
			n += len(vs)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
		for k, vs := range r.Header {
			for _, v := range vs {
				b = str(str(b, k), v)
			}
		}
		b = str(b, string(r.Body))
	}
	return b
}

func TestRequestsRoundTrip(t *testing.T) {
	in := []egress.Request{
		{Method: "POST", URL: "https://a.example/x", Header: http.Header{"X-A": {"1", "2"}}, Body: []byte("body")},
		{URL: "https://b.example/"},
	}
	out, err := egress.DecodeRequests(encodeRequests(in), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("decoded %+v, want %+v", out, in)
	}
}

// Hostile buffers: counts the bytes cannot hold are refused before
// anything is allocated for them, and so is a count over the grant's.
func TestRequestsHostileBuffers(t *testing.T) {
	huge := binary.LittleEndian.AppendUint32(nil, 0xffffffff)
	manyHeaders := append(encodeRequests([]egress.Request{{URL: "u"}})[:4+4+4+1], 0xff, 0xff, 0xff, 0x7f)
	cases := map[string][]byte{
		"empty":          nil,
		"huge count":     huge,
		"over max":       encodeRequests(make([]egress.Request, 11)),
		"huge string":    append(binary.LittleEndian.AppendUint32(nil, 1), 0xff, 0xff, 0xff, 0xff),
		"huge headers":   manyHeaders,
		"trailing bytes": append(encodeRequests(nil), 0),
		"truncated":      encodeRequests([]egress.Request{{URL: "https://x/"}})[:10],
	}
	for name, b := range cases {
		if _, err := egress.DecodeRequests(b, 10); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzDecodeRequests(f *testing.F) {
	f.Add(encodeRequests([]egress.Request{{Method: "GET", URL: "https://a/", Header: http.Header{"K": {"v"}}, Body: []byte("b")}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := egress.DecodeRequests(b, 64)
		if err == nil && len(rs) > 64 {
			t.Fatalf("%d requests decoded, over the max", len(rs))
		}
	})
}

func TestResultsSize(t *testing.T) {
	rs := []egress.Result{
		{Code: egress.CodeOK, Status: 200, Header: http.Header{"A": {"1", "22"}}, Body: []byte("hello"), Cached: true},
		{Code: egress.CodeRefused, Err: strings.Repeat("e", 30)},
	}
	if got, want := egress.ResultsSize(rs), len(egress.AppendResults(nil, rs)); got != want {
		t.Fatalf("ResultsSize %d, encoded %d", got, want)
	}
}
