package main

import (
	"fmt"
	"strings"

	"github.com/weirstream/weir/bench"
)

// eosTable compares the kafka delivery modes on the same pipeline through
// the Go mask, interleaved round by round.
func eosTable(b *strings.Builder, cases []bench.Case, orders [][]byte, rounds int) {
	const n = 50_000
	var mask bench.Case
	for _, c := range cases {
		if c.Name == "wasm Go guest (mask)" {
			mask = c
		}
	}
	var rows []*row
	for _, d := range bench.Deliveries {
		rows = append(rows, &row{name: d.Name, group: "eos", run: func() sample {
			rate, cpu, err := bench.KafkaDeliveryThroughput(mask.Processors[0], d, orders, n)
			check(err)
			return sample{ns: 1e9 / rate, cpu: cpu}
		}})
	}
	measure(rows, max(1, rounds/2))
	fmt.Fprintf(b, "\n## Exactly-once against at-least-once through Kafka\n\n%d orders preloaded into a 3-partition topic of an in-process Kafka (kfake), then timed through `kafka` input → wasm Go guest (mask) → `kafka` output until every record is done: in the output topic (at-least-once), or written and its offsets committed in one transaction (exactly-once, `transaction.max_batches` input batches of up to 1,024 records per transaction). CPU time is the whole process's, the broker's included.\n\n| delivery | msgs/s | ns/msg | CPU ns/msg | vs at-least-once |\n|---|---:|---:|---:|---:|\n", n)
	base := rows[0].ns
	for _, r := range rows {
		m := median(r.ns)
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f | %.2f× |\n", r.name, 1e9/m, m, median(r.cpu), medianRatio(base, r.ns))
	}
}
