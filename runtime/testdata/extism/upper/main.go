//go:build wasip1

// Command upper is an Extism plugin (go-pdk) for weir's kernel tests:
//   - "upper" returns its input upper-cased, followed by the config value
//     "suffix" if the pool sets one; an input "fail" makes it set an
//     error, an input "rc" makes it return 2 without one.
//   - "count" returns how many times it was called on this instance, kept
//     in the var "n", and logs each call.
//   - "grow" stores ever larger vars until the kernel refuses one.
package main

import (
	"strconv"

	"github.com/extism/go-pdk"
)

//go:wasmexport upper
func upper() int32 {
	in := pdk.Input()
	switch string(in) {
	case "fail":
		pdk.SetErrorString("upper: refusing the input \"fail\"")
		return 1
	case "rc":
		return 2
	}
	out := make([]byte, len(in))
	for i, c := range in {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	if suffix, ok := pdk.GetConfig("suffix"); ok {
		out = append(out, suffix...)
	}
	pdk.Output(out)
	return 0
}

//go:wasmexport count
func count() int32 {
	n := pdk.GetVarInt("n") + 1
	pdk.SetVarInt("n", n)
	pdk.Log(pdk.LogInfo, "count: call "+strconv.Itoa(n))
	pdk.OutputString(strconv.Itoa(n))
	return 0
}

//go:wasmexport grow
func grow() int32 {
	for i := 1; ; i++ {
		pdk.SetVar("v"+strconv.Itoa(i), make([]byte, 64<<10))
	}
}

func main() {}
