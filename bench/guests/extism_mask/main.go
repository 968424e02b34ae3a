//go:build wasip1

// Command extism_mask is the reference masking (bench/internal/scanmask)
// as an Extism plugin (go-pdk): export "mask" returns its input masked.
package main

import (
	"github.com/extism/go-pdk"

	"github.com/weirstream/weir/bench/internal/scanmask"
)

// out is the masked message, reused.
var out []byte

//go:wasmexport mask
func mask() int32 {
	out = scanmask.Mask(out[:0], pdk.Input())
	pdk.Output(out)
	return 0
}

func main() {}
