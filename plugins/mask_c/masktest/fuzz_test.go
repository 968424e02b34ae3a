package masktest

import (
	"testing"
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
	goMask, cMask := loadGo(f, newEngine(f), fuzzConfig), loadC(f, fuzzConfig)
	f.Fuzz(func(t *testing.T, in []byte) {
		values := []string{string(in)}
		compare(t, values, runGo(t, goMask, values), runC(t, cMask, values))
	})
}
