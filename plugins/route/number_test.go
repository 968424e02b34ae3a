package main

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	weir "github.com/weirstream/weir/sdk/go"
)

// TestPlainNumberIsStrconv: the fast path gives strconv's value for every
// number it takes, and leaves the others (exponents, many digits) to it.
func TestPlainNumberIsStrconv(t *testing.T) {
	seeds := []string{"0", "-0", "1", "483.93", "-0.5", "0.1", "0.3", "123456789012345", "1234567890.12345",
		"9.99999999999999", "0.000000000000001", "-100.000", "1e3", "1234567890123456", "0.12345678901234567", "1E400"}
	for _, s := range seeds {
		checkNumber(t, s)
	}
	for i := range 200000 { // prices, ids, readings
		checkNumber(t, strconv.Itoa(i*7919%1000003)+"."+strconv.Itoa(i%1000))
		checkNumber(t, "-"+strconv.Itoa(i)+".0"+strconv.Itoa(i*31))
	}
}

func checkNumber(t *testing.T, s string) {
	want, err := strconv.ParseFloat(s, 64)
	got, ok := number(weir.TypeNumber, []byte(s))
	require.True(t, ok, s)
	if err == nil {
		require.Equal(t, want, got, s)
	}
	if _, fast := plainNumber([]byte(s)); fast {
		require.NoError(t, err, s)
	}
}

// FuzzPlainNumber: on any input the fast path takes, it agrees with strconv.
func FuzzPlainNumber(f *testing.F) {
	for _, s := range []string{"1", "483.93", "-0.5", "123456789012345", "1.", ".5", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := plainNumber([]byte(s))
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || want != got {
			t.Fatalf("%q: fast %v, strconv %v (%v)", s, got, want, err)
		}
	})
}
