package bench

import (
	"os"
	"strings"
	"syscall"
	"time"
)

// CPUTime is the CPU time this process has used so far, user and system,
// over all its threads (getrusage RUSAGE_SELF): around a timed loop it
// counts the work of every goroutine the loop caused (GC included) and
// none of the time the process spent waiting for a core, so it moves less
// with the machine's load than wall time does.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// LoadAvg is the machine's load: the first three fields of /proc/loadavg
// (runnable tasks averaged over 1, 5 and 15 minutes), or "unknown".
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
