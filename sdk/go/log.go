package weir

import "fmt"

// Level is a log level understood by the host.
type Level uint32

// Log levels (docs/abi.md, weir.log).
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// Log writes a message to the host's logger, tagged with the transform.
func Log(level Level, msg string) { logString(level, msg) }

// Logf formats and logs at level.
func Logf(level Level, format string, args ...any) { logString(level, fmt.Sprintf(format, args...)) }
