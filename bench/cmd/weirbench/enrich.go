package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/weirstream/weir/bench"
	"github.com/weirstream/weir/internal/testredis"
)

// enrichSection measures the seed's enrichment and routing both ways,
// interleaved, through a real stream at batch 64, and returns its target.
func enrichSection(b *strings.Builder, paths map[string]string, orders [][]byte, rounds int) targetRows {
	cases, err := bench.EnrichCases(paths)
	check(err)
	srv, err := testredis.New()
	check(err)
	defer srv.Close()
	redisCase, err := bench.EnrichRedisCase(context.Background(), paths, srv.URL())
	check(err)
	cases = append(cases, redisCase)
	rows := measure(pipelineRows(cases, orders), rounds)
	by := map[string]*row{}
	b.WriteString("\n## Enrich and route\n\nEach order's risk profile looked up by `customer.id` in a memory cache (`examples/fraud/risk-memory.yaml`) and merged in at `risk`, then routed on `risk.score` (≥ 70 or no profile: `orders-review`, else `orders-clean`), through a real Benthos stream as in the pipeline table. weir: `plugins/enrich` (one kv lookup call per batch) then `plugins/route` (projected). Benthos: `branch` with a `cache` get and a `result_map`, `catch` for the misses, a bloblang `mutation` setting the port. The Redis case is weir's with the profiles in a real `redis-server` (`weir_redis`: one MGET per batch, `host/cache_redis_test.go` counts it); Benthos v4.77.0's open core has no Redis cache (its public components are `io` and `pure`), so it has no Benthos counterpart.\n\n")
	b.WriteString("| case | batch | ns/msg | CPU ns/msg |\n|---|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %.0f | %.0f |\n", r.name, r.group, median(r.ns), median(r.cpu))
		if r.group == "64" {
			by[r.name] = r
		}
	}
	return targetRows{ratioTarget("weir enrich + route cheaper than Benthos's branch + cache + bloblang, memory cache (Benthos / weir)", "≥ 3×", by[bench.EnrichBenthos], by[bench.EnrichWeir], 3)}
}
