package masktest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/runtime"
)

// FuzzMaskMatchesGo feeds both masks the same record: the C mask's output
// must be the Go mask's, byte for byte, or both must fail. Seeds: the Go
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
	goMask, cMask := loadGo(f, fuzzConfig), loadC(f, fuzzConfig)
	f.Fuzz(func(t *testing.T, in []byte) {
		values := []string{string(in)}
		compare(t, values, run(t, goMask, values), run(t, cMask, values))
	})
}

// FuzzConfigMatchesGo gives both masks the same config: both must refuse
// it, or both load it and mask sample records alike. What the C mask
// refuses by design is left out: protobuf mode, and the schema hint the
// host adds (the Go mask decodes its whole shape, the C mask never reads
// it).
func FuzzConfigMatchesGo(f *testing.F) {
	for _, c := range []string{refMask, fuzzConfig, ``, `null`, `{}`, `{"fields":[]}`,
		`{"fields":[{"path":"a","action":"last","keep":2,"with":"é"}],"fields":[{"path":"b"}]}`,
		`{"FIELDS":[{"Path":"a","ACTION":"redact"},null]}`, `{"fields":[{"path":"a.*","action":"hmac"}],"hmac_key":"\ud800"}`,
		`{"fields":[{"path":"a","action":"last","keep":-0}]}`, `{"fields":[{"path":"a","action":"email","with":"\u0000"}]}`,
	} {
		f.Add([]byte(c))
	}
	goModule(f) // all compiled before the first input: a worker must answer each in time
	cModule(f)
	goParser(f)
	cParser(f)
	samples := []string{`{"a":"x@y","b":[1,{"c":"abcdef"}],"customer":{"email":"jo@x","phone":"123456","card":true}}`, `{"a":{"b":null},"email":"e"}`}
	f.Fuzz(func(t *testing.T, config []byte) {
		if bytes.Contains(bytes.ToLower(config), []byte("weir_schema")) || bytes.Contains(config, []byte("protobuf")) {
			return
		}
		goErr, cErr := initError(t, goParser(t), string(config)), initError(t, cParser(t), string(config))
		if goErr != "" || cErr != "" {
			require.True(t, goErr != "" && cErr != "", "config %q: Go %q, C %q", config, goErr, cErr)
			return
		}
		for _, m := range []*runtime.Module{goModule(t), cModule(t)} {
			if _, err := newPool(t, m, string(config)); err != nil {
				return // both guests take it, a manifest's config_schema does not (the runtime's tests hold the schemas)
			}
		}
		requireSame(t, string(config), samples)
	})
}
