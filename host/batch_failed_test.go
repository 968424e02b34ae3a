package host

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// A record the host refused before the guest saw it (bad_input: a
// projecting transform's record that is not JSON) is flagged like any
// failure, but it is the record's fault, not the version's: apply does
// not count it towards automatic rollback, while a guest's own failure
// counts.
func TestBadInputDoesNotCountAgainstTheVersion(t *testing.T) {
	p := conformanceProcessor(t)()
	defer p.Close(context.Background())
	v := p.slot.acquire()
	defer v.release()

	batch := messages([]string{"not json", "x", "y"}, 0)
	g := &guestBatch{index: []int{0, 1, 2}}
	outcomes := []runtime.Outcome{
		{Err: &runtime.Error{Class: runtime.ClassBadInput, Msg: "record is not JSON: offset 0: unexpected 'n'"}},
		{Err: &runtime.Error{Class: runtime.ClassGuest, Msg: "bad"}},
		{Emits: []runtime.Emit{{Unchanged: true}}},
	}
	out, failed := p.apply(v.mod, batch, g, outcomes)
	assert.Equal(t, 1, failed, "only the guest's failure counts against the version")
	require.Len(t, out, 3)
	for i, class := range []string{"bad_input", "guest_error", ""} {
		got, _ := out[i].MetaGet(MetaErrClass)
		assert.Equal(t, class, got, "message %d", i)
	}
}
