package sdktest

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/weirstream/weir/runtime"
)

var runtimeDefault = runtime.EngineConfig{}

func message() []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 1<<63+5)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, "hello")
	b = protowire.AppendTag(b, 3, protowire.Fixed32Type)
	b = protowire.AppendFixed32(b, 0xdeadbeef)
	b = protowire.AppendTag(b, 536870911, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, 42)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	return protowire.AppendBytes(b, nil)
}

func TestWireRoundTrips(t *testing.T) {
	m := message()
	in := [][]byte{m, {}}
	for n := 1; n < len(m); n++ {
		in = append(in, m[:n])
	}
	got := results(t, pool(t, "pb", runtimeDefault), in)
	assert.Equal(t, string(m), got[0])
	assert.Equal(t, "", got[1])
	for i, cut := range in[2:] {
		// Go's reader is the reference: a prefix is malformed exactly when it fails to parse.
		valid := true
		for b := cut; len(b) > 0; {
			_, _, n := protowire.ConsumeField(b)
			if n < 0 {
				valid = false
				break
			}
			b = b[n:]
		}
		if valid {
			assert.Equal(t, string(cut), got[i+2], "prefix %d", len(cut))
		} else {
			assert.Equal(t, "fail: bad", got[i+2], "prefix %d", len(cut))
		}
	}
}

func TestWireRefusesFieldZeroAndGroups(t *testing.T) {
	got := results(t, pool(t, "pb", runtimeDefault), [][]byte{{0x00, 0x01}, {0x0b}, {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}})
	assert.Equal(t, []string{"fail: bad", "fail: bad", "fail: bad"}, got)
}

// log() reaches the host's logger at its level, tagged with the transform.
func TestLogReachesTheHost(t *testing.T) {
	var (
		mu    sync.Mutex
		lines strings.Builder
	)
	h := slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return lines.Write(b)
	}), nil)
	results(t, pool(t, "log", runtime.EngineConfig{Logger: slog.New(h)}), [][]byte{[]byte("hello from as")})
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, lines.String(), "level=WARN")
	assert.Contains(t, lines.String(), "hello from as")
	assert.Contains(t, lines.String(), "helpers@1.0.0")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
