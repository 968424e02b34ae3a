//go:build !wasip1

package weir

import (
	"fmt"
	"os"
)

// Outside a wasm host (native tests), logs go to stderr.
func logString(level Level, msg string) { fmt.Fprintf(os.Stderr, "weir[%d]: %s\n", level, msg) }
