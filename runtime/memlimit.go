package runtime

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
)

// DefaultMaxTotalMemory is the default bound of a MemoryBudget: half of
// the memory this process may use (the cgroup's memory.max when it has
// one, physical memory otherwise), leaving the other half to the host
// (Benthos, its buffers, decoded batches). 4 GiB where neither is known.
func DefaultMaxTotalMemory() uint64 { return defaultMaxTotalMemory() }

var defaultMaxTotalMemory = sync.OnceValue(func() uint64 {
	avail := min(physicalMemory(), cgroupMemoryLimit())
	if avail == 0 || avail == ^uint64(0) {
		return 4 << 30
	}
	return avail / 2
})

// physicalMemory is MemTotal of /proc/meminfo, or all ones if unknown.
func physicalMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return ^uint64(0)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := bytes.CutPrefix(s.Bytes(), []byte("MemTotal:")); ok {
			kib, err := strconv.ParseUint(string(bytes.TrimSpace(bytes.TrimSuffix(rest, []byte("kB")))), 10, 64)
			if err == nil {
				return kib << 10
			}
		}
	}
	return ^uint64(0)
}

// cgroupMemoryLimit is the memory limit of this process's cgroup (v2
// memory.max, else v1 memory.limit_in_bytes), or all ones if none.
func cgroupMemoryLimit() uint64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64); err == nil {
			return n
		}
		return ^uint64(0) // "max": no limit
	}
	return ^uint64(0)
}
