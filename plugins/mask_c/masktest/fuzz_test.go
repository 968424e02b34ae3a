package masktest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// FuzzMaskMatchesGo feeds every mask the same record: the C and Rust
// masks' output must be the Go mask's, byte for byte, or all must fail. Seeds: the Go
// mask's FuzzMask seeds and cases of the C code's own, and every 64th order.
func FuzzMaskMatchesGo(f *testing.F) {
	for _, c := range leakCases {
		f.Add([]byte(c))
	}
	for i, o := range orders(f) {
		if i%64 == 0 {
			f.Add([]byte(o))
		}
	}
	goMask := loadGo(f, fuzzConfig)
	pools := make([]*runtime.Pool, len(guests))
	for i, g := range guests {
		pools[i] = loadModule(f, g.module, fuzzConfig)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		values := []string{string(in)}
		want := run(t, goMask, values)
		for i, g := range guests {
			compare(t, g.lang, values, want, run(t, pools[i], values))
		}
	})
}

// FuzzConfigMatchesGo gives every mask the same config: all must refuse
// it, or all load it and mask sample records alike. What the C and Rust
// masks refuse by design is left out: protobuf mode, and the schema hint
// the host adds (the Go mask decodes its whole shape, the others never
// read it).
func FuzzConfigMatchesGo(f *testing.F) {
	for _, c := range []string{refMask, fuzzConfig, ``, `null`, `{}`, `{"fields":[]}`,
		`{"fields":[{"path":"a","action":"last","keep":2,"with":"é"}],"fields":[{"path":"b"}]}`,
		`{"FIELDS":[{"Path":"a","ACTION":"redact"},null]}`, `{"fields":[{"path":"a.*","action":"hmac"}],"hmac_key":"\ud800"}`,
		`{"fields":[{"path":"a","action":"last","keep":-0}]}`, `{"fields":[{"path":"a","action":"email","with":"\u0000"}]}`,
	} {
		f.Add([]byte(c))
	}
	goModule(f) // all compiled before the first input: a worker must answer each in time
	goParser(f)
	for _, g := range guests {
		g.module(f)
		g.parser(f)
	}
	samples := []string{`{"a":"x@y","b":[1,{"c":"abcdef"}],"customer":{"email":"jo@x","phone":"123456","card":true}}`, `{"a":{"b":null},"email":"e"}`}
	f.Fuzz(func(t *testing.T, config []byte) {
		if bytes.Contains(bytes.ToLower(config), []byte("weir_schema")) || bytes.Contains(config, []byte("protobuf")) {
			return
		}
		goErr := initError(t, goParser(t), string(config))
		refused := goErr != ""
		for _, g := range guests {
			gErr := initError(t, g.parser(t), string(config))
			require.Equal(t, refused, gErr != "", "config %q: Go %q, %s %q", config, goErr, g.lang, gErr)
		}
		if refused {
			return
		}
		for _, m := range []func(testing.TB) *runtime.Module{goModule, cModule, rustModule} {
			if _, err := newPool(t, m(t), string(config)); err != nil {
				return // the guests take it, a manifest's config_schema does not (the runtime's tests hold the schemas)
			}
		}
		requireSame(t, string(config), samples)
	})
}
