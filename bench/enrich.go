package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/weirstream/weir/internal/fixtures"
)

func init() {
	Modules["enrich"] = "go:plugins/enrich"
	Modules["route"] = "go:plugins/route"
}

// Names of the enrich + route cases (the seed's fraud screening without
// the mask: each order's risk profile looked up by customer id in a
// memory cache and merged in, then routed on the score).
const (
	EnrichWeir    = "weir enrich + route (memory cache)"
	EnrichBenthos = "Benthos branch + cache + bloblang (memory cache)"
	// EnrichFull is EnrichWeir with enrich on its full-value path (the
	// guest scans each record, as on a schema-bound pipeline): the A/B of
	// projection with insertion paths (docs/RATIONALE.md).
	EnrichFull = "weir enrich (full value) + route (memory cache)"
)

// EnrichFullCase is EnrichCases' weir case with enrich told it is
// schema-bound, so it does not project.
func EnrichFullCase(modules map[string]string) (Case, error) {
	cases, err := EnrichCases(modules)
	if err != nil {
		return Case{}, err
	}
	c := cases[0]
	c.Name = EnrichFull
	c.Processors = append([]string{strings.Replace(c.Processors[0], "on_miss: keep }", "on_miss: keep, weir_schema: {} }", 1)}, c.Processors[1:]...)
	return c, nil
}

// EnrichCases are the two pipelines doing the same enrichment and routing:
// weir's plugins, and Benthos's own processors as a user writes them. The
// cache is examples/fraud/risk-memory.yaml; a customer without a profile
// is kept unenriched and routed to review by both.
func EnrichCases(modules map[string]string) ([]Case, error) {
	profiles, err := os.ReadFile(filepath.Join(fixtures.Root(), "examples/fraud/risk-memory.yaml"))
	if err != nil {
		return nil, err
	}
	weir := []string{
		fmt.Sprintf(`wasm:
  module: %s
  pool_size: 1
  config: { key: customer.id, target: risk, on_miss: keep }
  capabilities:
    kv:
      namespaces:
        lookup: { cache: risk_profiles, prefix: "risk:" }`, modules["enrich"]),
		fmt.Sprintf(`wasm:
  module: %s
  pool_size: 1
  config:
    default: orders-clean
    rules:
      - { when: [ { path: risk.score, gte: 70 } ], to: orders-review }
      - { when: [ { path: risk.score, exists: false } ], to: orders-review }`, modules["route"]),
	}
	benthos := []string{`
branch:
  request_map: 'root = this.customer.id'
  processors:
    - cache: { resource: risk_profiles, operator: get, key: 'risk:${! content() }' }
  result_map: 'root.risk = content().parse_json()'`,
		`catch: []`, // a miss: kept unenriched, as on_miss keep
		`mutation: 'meta weir_port = if this.risk.score.or(100) >= 70 { "orders-review" } else { "orders-clean" }'`,
	}
	return []Case{
		{Name: EnrichWeir, Processors: weir, Resources: string(profiles)},
		{Name: EnrichBenthos, Processors: benthos, Resources: string(profiles)},
	}, nil
}
