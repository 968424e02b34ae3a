package runtime

import (
	"fmt"
	"io"
	"os"
)

// ReadModule reads a module from r, named name in errors, reading at most
// limit+1 bytes: a source over the cap (a huge file, /dev/zero, an endless
// stream) is refused without being read whole. limit <= 0 means the
// default EngineConfig.MaxModuleBytes.
func ReadModule(r io.Reader, name string, limit int) ([]byte, error) {
	limit = moduleLimit(limit)
	// Read in fixed chunks and join once at the end: io.ReadAll grows one
	// buffer geometrically, leaving ~5× the cap of garbage behind before
	// refusing an endless source. Here a refused source costs the cap plus
	// one chunk, and an admitted module twice its size, briefly.
	const chunk = 1 << 20
	var chunks [][]byte
	total := 0
	lr := io.LimitReader(r, int64(limit)+1)
	for {
		c := make([]byte, chunk)
		n, err := io.ReadFull(lr, c)
		if n > 0 {
			chunks = append(chunks, c[:n])
			total += n
		}
		if total > limit {
			return nil, overCap(name, limit)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("weir: read module %s: %w", name, err)
		}
	}
	b := make([]byte, 0, total)
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b, nil
}

// ReadModuleFile is ReadModule of a file; a regular file over the cap is
// refused from its size, before reading.
func ReadModuleFile(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weir: read module: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > int64(moduleLimit(limit)) {
		return nil, overCap(path, moduleLimit(limit))
	}
	return ReadModule(f, path, limit)
}

func moduleLimit(limit int) int {
	if limit <= 0 {
		return EngineConfig{}.withDefaults().MaxModuleBytes
	}
	return limit
}

func overCap(name string, limit int) error {
	return refuse("module %s is over the %d-byte cap (EngineConfig.MaxModuleBytes); it was not read further", name, limit)
}
