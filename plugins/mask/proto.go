package main

import (
	"fmt"

	"github.com/weirstream/weir/sdk/go/pbwire"
)

// applyProto masks string fields of a binary protobuf record by number path,
// through nested and repeated messages.
func (m *masker) applyProto(doc []byte) ([]byte, error) {
	for i, r := range m.rules {
		out, err := pbwire.ReplaceAll(m.bufs[i%2][:0], doc, r.numbers, func(content []byte) []byte {
			return []byte(m.maskString(r, string(content)))
		})
		if err != nil {
			return nil, fmt.Errorf("mask: payload is not protobuf: %w", err)
		}
		m.bufs[i%2], doc = out, out
	}
	return doc, nil
}
