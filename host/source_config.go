package host

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"os"
	"path/filepath"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/registry"
)

func registryField() *service.ConfigField {
	return service.NewObjectField(fieldRegistry,
		service.NewStringField("local_dir").
			Description("Root of the local store that `local://` references name. Empty: $WEIR_REGISTRY_DIR, else `./.weir/registry`.").
			Default(""),
		service.NewStringField("cache_dir").
			Description("Where the last known good version of each reference is kept, so a restart with the registry down still serves it. Empty: the user cache directory (`weir/lkg`).").
			Default(""),
		service.NewStringListField("trusted_keys").
			Description("PEM public keys (cosign.pub format). When set, only artifacts signed by one of them go live.").
			Default([]any{}),
		service.NewBoolField("plain_http").
			Description("Reach a registry that is not on loopback over plain HTTP (loopback registries always are).").
			Default(false),
		service.NewStringField("docker_config").
			Description("Credentials file. Empty: Docker's (~/.docker/config.json, $DOCKER_CONFIG) with its credential helpers.").
			Default(""),
	).Description("Where registry references are fetched from and how.").Advanced()
}

func rollbackField() *service.ConfigField {
	return service.NewObjectField(fieldRollback,
		service.NewFloatField("error_rate").
			Description("Roll back to the previous version when this share of records fails after a swap. 0 disables.").
			Default(0.5),
		service.NewDurationField("window").
			Description("How long after a swap the error rate is watched.").
			Default("1m"),
		service.NewIntField("min_records").
			Description("Records to see before judging the error rate.").
			Default(100),
	).Description("Automatic rollback of a swapped-in version that fails too many records.").Advanced()
}

func parseRollback(conf *service.ParsedConfig) (p rollbackPolicy, err error) {
	c := conf.Namespace(fieldRollback)
	if p.rate, err = c.FieldFloat("error_rate"); err != nil {
		return p, err
	}
	if p.rate < 0 || p.rate > 1 {
		return p, fmt.Errorf("field %s.error_rate: must be between 0 and 1, got %g", fieldRollback, p.rate)
	}
	if p.window, err = c.FieldDuration("window"); err != nil {
		return p, err
	}
	n, err := c.FieldInt("min_records")
	p.minRecords = int64(n)
	return p, err
}

// parseSource makes the module's source: a file or a registry reference.
func parseSource(conf *service.ParsedConfig, module string) (moduleSource, error) {
	interval, err := conf.FieldDuration(fieldWatchInterval)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		return nil, fmt.Errorf("field %s: must be positive", fieldWatchInterval)
	}
	if !registry.IsRef(module) {
		if _, err := os.Stat(module); err != nil {
			return nil, fmt.Errorf("field %s: %w", fieldModule, err)
		}
		return &fileSource{path: module, interval: interval}, nil
	}
	ref, err := registry.ParseRef(module)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldModule, err)
	}
	c := conf.Namespace(fieldRegistry)
	var opts registry.Options
	if opts.LocalDir, err = c.FieldString("local_dir"); err != nil {
		return nil, err
	}
	if opts.PlainHTTP, err = c.FieldBool("plain_http"); err != nil {
		return nil, err
	}
	if opts.DockerConfig, err = c.FieldString("docker_config"); err != nil {
		return nil, err
	}
	cacheDir, err := c.FieldString("cache_dir")
	if err != nil {
		return nil, err
	}
	if cacheDir == "" {
		cacheDir = defaultLKGDir()
	}
	keyFiles, err := c.FieldStringList("trusted_keys")
	if err != nil {
		return nil, err
	}
	var keys []*ecdsa.PublicKey
	for _, f := range keyFiles {
		k, err := registry.LoadPublicKey(f)
		if err != nil {
			return nil, fmt.Errorf("field %s.trusted_keys: %w", fieldRegistry, err)
		}
		keys = append(keys, k)
	}
	repo, err := registry.Open(context.Background(), ref, opts)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldModule, err)
	}
	return &registrySource{ref: ref, repo: repo, cache: registry.Cache{Dir: cacheDir}, keys: keys, interval: interval}, nil
}

func defaultLKGDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "weir", "lkg")
	}
	return filepath.Join(".weir", "lkg")
}
