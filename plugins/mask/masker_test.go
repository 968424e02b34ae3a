package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const refConfig = `{"fields":[{"path":"customer.email","action":"email"},{"path":"customer.phone","action":"last"},{"path":"customer.card","action":"last","with":"************"}]}`

func TestReferenceMasking(t *testing.T) {
	m, err := newMasker([]byte(refConfig))
	require.NoError(t, err)
	out, err := m.apply([]byte(`{"customer":{"email":"jane@x.com","phone":"+34-555-4701","card":"4822126380948868"}}`))
	require.NoError(t, err)
	assert.Equal(t, `{"customer":{"email":"***@x.com","phone":"***4701","card":"************8868"}}`, string(out))
}

func TestConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		``: "at least one field rule",
		`{"fields":[{"path":"a..b","action":"redact"}]}`:      "fields[0].path",
		`{"fields":[{"path":"a","action":"hmac"}]}`:           "needs hmac_key",
		`{"fields":[{"path":"a","action":"last","keep":-1}]}`: "fields[0].keep",
		`{"fields":`: "mask: config",
	} {
		_, err := newMasker([]byte(cfg))
		require.ErrorContains(t, err, want, cfg)
	}
}

func TestLastKeepsRunes(t *testing.T) {
	assert.Equal(t, "ñé", string(lastRunes([]byte("aañé"), 2)))
	assert.Equal(t, "ab", string(lastRunes([]byte("ab"), 4)))
	assert.Equal(t, "\x80b", string(lastRunes([]byte("a\x80b"), 2)), "a byte of invalid UTF-8 is one character")
}

// TestWordAtATimeMatchesBytes: lastIndexByte and lastRunes' one-load
// ASCII check agree with the byte-by-byte definitions at every length,
// with the byte sought (or a non-ASCII one) at every position.
func TestWordAtATimeMatchesBytes(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for at := -1; at < n; at++ {
			for _, c := range []byte{'@', 'A', 0x80, 0xff} {
				s := bytes.Repeat([]byte("x"), n)
				if at >= 0 {
					s[at] = c
				}
				if at > 0 {
					s[at-1] = '?' // the byte that '@'^1 would borrow from
				}
				require.Equal(t, bytes.LastIndexByte(s, '@'), lastIndexByte(s, '@'), "%q", s)
				for keep := 0; keep <= 9; keep++ {
					want := s
					if k := len(s) - keep; k > 0 && ascii(s[k:]) {
						want = s[k:]
					} else if k > 0 {
						want = lastRunesSlow(s, keep)
					}
					require.Equal(t, string(want), string(lastRunes(s, keep)), "%q keep %d", s, keep)
				}
			}
		}
	}
}

// BenchmarkMaskNative is the masker's own cost, natively, on the workload.
func BenchmarkMaskNative(b *testing.B) {
	data, err := os.ReadFile("../../bench/testdata/orders-1k.jsonl")
	require.NoError(b, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	m, err := newMasker([]byte(refConfig))
	require.NoError(b, err)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := m.apply([]byte(lines[i%len(lines)])); err != nil {
			b.Fatal(err)
		}
	}
}

func TestJSONRulesAreBounded(t *testing.T) {
	var rules []string
	for i := 0; i < 65; i++ {
		rules = append(rules, `{"path":"a","action":"redact"}`)
	}
	_, err := newMasker([]byte(`{"fields":[` + strings.Join(rules, ",") + `]}`))
	require.ErrorContains(t, err, "at most 64")
}
