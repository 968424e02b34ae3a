//go:build wasip1

// Command extism_echo is an echo as an Extism plugin (go-pdk): export
// "echo" returns its input.
package main

import "github.com/extism/go-pdk"

//go:wasmexport echo
func echo() int32 {
	pdk.Output(pdk.Input())
	return 0
}

func main() {}
