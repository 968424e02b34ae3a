// Command poison is a Redpanda transform (its SDK, unmodified) that
// mirrors every record but those whose value names a failure: "panic"
// panics (a trap), "loop" never returns (fuel or timeout), "error"
// returns an error from the callback (the SDK panics on it).
package main

import (
	"errors"

	"github.com/redpanda-data/redpanda/src/transform-sdk/go/transform"
)

func main() {
	transform.OnRecordWritten(poison)
}

var spin int

func poison(e transform.WriteEvent, w transform.RecordWriter) error {
	switch string(e.Record().Value) {
	case "panic":
		panic("poison record")
	case "loop":
		for {
			spin++
		}
	case "error":
		return errors.New("the callback failed")
	}
	return w.Write(e.Record())
}
