package sdktest

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// weir_set_value writes the value into the output in place: every verdict
// that follows a rewrite (ports, metadata, failure, drop, fan-out, a value
// that grows the output) must read as if it had been copied, through the
// real host.
func TestSetValueInPlace(t *testing.T) {
	p := pool(t, "sdk/c/sdktest/rewrite", "")
	var in []runtime.Record
	for _, v := range []string{"R", "K", "F", "D", "E", "G", "K"} {
		in = append(in, runtime.Record{Value: []byte(v)})
	}
	out, err := p.Process(context.Background(), in)
	require.NoError(t, err)
	got := runtime.Verdicts(in, out)
	big := strings.Repeat("g", 5000)
	want := []runtime.FixtureOutcome{
		{Out: []runtime.FixtureRecord{{Value: "second", Port: "a", Meta: map[string]string{"k": "v"}}, {Value: "second", Port: "b", Meta: map[string]string{"k": "v"}}}},
		{Out: []runtime.FixtureRecord{{Value: "second"}}},
		{Error: "failed after a rewrite"},
		{Out: []runtime.FixtureRecord{}},
		{Out: []runtime.FixtureRecord{{Value: "second", Port: "a"}, {Value: "x"}}},
		{Out: []runtime.FixtureRecord{{Value: big, Port: "a"}, {Value: big, Port: "b"}}},
		{Out: []runtime.FixtureRecord{{Value: "second"}}},
	}
	assert.Equal(t, want, got)

	// Kept records put the next rewrite's header across the end of the
	// output's first allocation (4096 bytes: a 4-byte count, 6 per keep).
	in = nil
	for range 681 {
		in = append(in, runtime.Record{Value: []byte("N")})
	}
	in = append(in, runtime.Record{Value: []byte("K")}, runtime.Record{Value: []byte("G")}, runtime.Record{Value: []byte("K")})
	out, err = p.Process(context.Background(), in)
	require.NoError(t, err)
	got = runtime.Verdicts(in, out)
	assert.Equal(t, want[1], got[681])
	assert.Equal(t, want[5], got[682])
	assert.Equal(t, want[6], got[683])
	assert.Equal(t, runtime.FixtureOutcome{Out: []runtime.FixtureRecord{{Value: "N"}}}, got[0])
}
