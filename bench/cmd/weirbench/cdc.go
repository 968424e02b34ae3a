package main

import (
	"fmt"
	"strings"

	"github.com/weirstream/weir/bench"
)

// cdcTable times change data capture into Kafka: postgres_cdc → no-op or
// the Go mask → kafka, the two alternating round by round.
func cdcTable(b *strings.Builder, paths map[string]string, rounds int) {
	const n = 50_000
	cases := []struct{ name, processor string }{
		{"no-op", "noop: {}"},
		{"wasm Go guest (mask)", "wasm: { module: " + paths["mask"] + ", config: " + bench.CDCMaskFields + " }"},
	}
	var rows []*row
	for _, c := range cases {
		rows = append(rows, &row{name: c.name, group: "cdc", run: func() sample {
			rate, cpu, err := bench.CDCThroughput(c.processor, n)
			check(err)
			return sample{ns: 1e9 / rate, cpu: cpu}
		}})
	}
	measure(rows, max(1, rounds/2))
	fmt.Fprintf(b, "\n## Change data capture into Kafka\n\n%d row changes (the CDC ledger's inserts, updates and deletes, 100 per transaction) written into a throwaway PostgreSQL 15 cluster (`internal/testpg`), then timed through `postgres_cdc` → processor → `kafka` output (kfake, in process) until every change reached the topic. CPU time is this process's (the broker's included, PostgreSQL's not: it is another process).\n\n| processor | changes/s | ns/change | CPU ns/change |\n|---|---:|---:|---:|\n", n)
	for _, r := range rows {
		m := median(r.ns)
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f |\n", r.name, 1e9/m, m, median(r.cpu))
	}
}
