//go:build !wasip1

package http

import "errors"

// Outside a wasm host (native tests) there is no host to fetch through.
func fetch([]byte) ([]byte, error) {
	return nil, errors.New("weir http: FetchMany needs the weir host (GOOS=wasip1)")
}
