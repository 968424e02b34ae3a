package masktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// hmacValues masks each message with action hmac under key and returns the
// tokens.
func hmacValues(t *testing.T, module func(testing.TB) *runtime.Module, key string, msgs []string) []string {
	t.Helper()
	k, err := json.Marshal(key)
	require.NoError(t, err)
	p := loadModule(t, module, `{"hmac_key":`+string(k)+`,"fields":[{"path":"v","action":"hmac"}]}`)
	values := make([]string, len(msgs))
	for i, m := range msgs {
		v, err := json.Marshal(map[string]string{"v": m})
		require.NoError(t, err)
		values[i] = string(v)
	}
	var out []string
	for i, r := range run(t, p, values) {
		require.False(t, r.failed, "message %d: %s", i, r.msg)
		var got map[string]string
		require.NoError(t, json.Unmarshal([]byte(r.value), &got))
		out = append(out, got["v"])
	}
	return out
}

// RFC 4231 §4.2 and §4.3 (the test cases whose keys are valid UTF-8, as a
// JSON config's must be).
func TestHMACKnownVectors(t *testing.T) {
	for _, g := range guests {
		t.Run(g.lang, func(t *testing.T) {
			got := hmacValues(t, g.module, strings.Repeat("\x0b", 20), []string{"Hi There"})
			assert.Equal(t, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", got[0])
			got = hmacValues(t, g.module, "Jefe", []string{"what do ya want for nothing?"})
			assert.Equal(t, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", got[0])
		})
	}
}

// Every message length across two blocks (the padding's edges at 55, 56
// and 64 bytes), and keys shorter than, as long as and longer than a block
// (hashed first), against Go's crypto/hmac.
func TestHMACMatchesCryptoHMAC(t *testing.T) {
	var msgs []string
	for n := 0; n <= 200; n++ {
		msgs = append(msgs, strings.Repeat("m", n/2)+strings.Repeat("é", n%7)+strings.Repeat("x", n-n/2))
	}
	for _, g := range guests {
		for _, key := range []string{"k", strings.Repeat("k", 63), strings.Repeat("k", 64), strings.Repeat("k", 65), strings.Repeat("ké", 70)} {
			got := hmacValues(t, g.module, key, msgs)
			for i, m := range msgs {
				mac := hmac.New(sha256.New, []byte(key))
				mac.Write([]byte(m))
				require.Equal(t, hex.EncodeToString(mac.Sum(nil)), got[i], "%s mask: key of %d bytes, message of %d", g.lang, len(key), len(m))
			}
		}
	}
}
