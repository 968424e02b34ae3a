package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/weirstream/weir/internal/fixtures"
)

// EnrichRedis is EnrichWeir with the profiles in a real redis-server
// through weir_redis: one MGET per batch. Benthos v4.77.0's open core has
// no Redis cache (its public components are io and pure), so this case
// has no Benthos counterpart.
const EnrichRedis = "weir enrich + route (weir_redis, real redis-server)"

// EnrichRedisCase is EnrichCases' weir case with its cache in the Redis
// at url, into which it loads examples/fraud/risk-memory.yaml's profiles.
func EnrichRedisCase(ctx context.Context, modules map[string]string, url string) (Case, error) {
	if err := loadProfiles(ctx, url); err != nil {
		return Case{}, err
	}
	cases, err := EnrichCases(modules)
	if err != nil {
		return Case{}, err
	}
	c := cases[0]
	c.Name = EnrichRedis
	c.Resources = fmt.Sprintf("cache_resources:\n  - label: risk_profiles\n    weir_redis: { url: %q }\n", url)
	return c, nil
}

// profileLine is one init_values entry of risk-memory.yaml, as
// examples/fraud/load-redis.sh reads it.
var profileLine = regexp.MustCompile(`^ *"(risk:[^"]*)": '(.*)'$`)

// loadProfiles writes the memory cache's profiles into the Redis at url.
func loadProfiles(ctx context.Context, url string) error {
	b, err := os.ReadFile(filepath.Join(fixtures.Root(), "examples/fraud/risk-memory.yaml"))
	if err != nil {
		return err
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	pipe := c.Pipeline()
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if m := profileLine.FindStringSubmatch(line); m != nil {
			pipe.Set(ctx, m[1], m[2], 0)
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("bench: no profiles found in examples/fraud/risk-memory.yaml")
	}
	_, err = pipe.Exec(ctx)
	return err
}
