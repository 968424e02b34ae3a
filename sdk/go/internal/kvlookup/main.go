// Command kvlookup is the Go SDK's guest for the kv and metrics
// capabilities' tests: each record's value is a key, looked up in
// namespace "risk" with one kv.GetMany per batch. A found value replaces
// the record's; a miss keeps it with metadata kv=miss; any other result
// fails the record with the result's name. A value "set:K=V" writes V
// under K instead. Counters lookups and hits count keys and finds, gauge
// batch_size the last batch's size.
package main

import (
	"bytes"
	"errors"
	"time"

	weir "github.com/weirstream/weir/sdk/go"
	"github.com/weirstream/weir/sdk/go/kv"
	"github.com/weirstream/weir/sdk/go/metrics"
)

var (
	lookups   = metrics.Counter("lookups")
	hits      = metrics.Counter("hits")
	batchSize = metrics.Gauge("batch_size")
	results   []kv.Result
)

func init() {
	weir.OnBatch(func(keys [][]byte) error {
		results = kv.GetMany("risk", keys)
		lookups.Add(int64(len(keys)))
		batchSize.Set(int64(len(keys)))
		return nil
	})
	weir.Handle(handle)
}

func handle(r *weir.Record) error {
	if k, v, ok := bytes.Cut(r.Value(), []byte("=")); ok && bytes.HasPrefix(k, []byte("set:")) {
		return kv.Set("risk", k[4:], v, time.Hour)
	}
	res := results[r.Index()]
	switch res.Status {
	case kv.Found:
		hits.Add(1)
		r.SetValue(res.Value)
	case kv.Miss:
		r.SetMeta("kv", "miss")
	default:
		return errors.New("kv " + res.Status.String())
	}
	return nil
}

func main() {}
