package host

import (
	"context"
	"encoding/json"
	"fmt"
	goruntime "runtime"
	"strings"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// Field names of the wasm processor.
const (
	fieldModule         = "module"
	fieldConfig         = "config"
	fieldTimeout        = "timeout"
	fieldPoolSize       = "pool_size"
	fieldMaxMemoryMiB   = "max_memory_mib"
	fieldMaxOutputBytes = "max_output_bytes"
	fieldRecycleCalls   = "recycle_after_calls"
	fieldRecycleMemMiB  = "recycle_above_memory_mib"
	fieldCacheDir       = "cache_dir"
	fieldMaxTotalMemMiB = "max_total_memory_mib"
	fieldPortMeta       = "port_metadata_key"
	fieldFuel           = "fuel"
	fieldInterrupt      = "interrupt"
	fieldWatch          = "watch"
	fieldWatchInterval  = "watch_interval"
	fieldRegistry       = "registry"
	fieldRollback       = "rollback"

	fieldMaxEmitsPerRecord   = "max_emits_per_record"
	fieldMaxEmitsPerBatch    = "max_emits_per_batch"
	fieldMaxExpandedBytes    = "max_expanded_bytes"
	fieldMaxMetadataPerBatch = "max_metadata_per_batch"
	fieldLogLinesPerSecond   = "guest_log_lines_per_second"
	fieldLogBytesPerSecond   = "guest_log_bytes_per_second"
)

// Metadata keys set on a failed message.
const (
	MetaError     = "weir_error"
	MetaErrClass  = "weir_error_class"
	MetaTransform = "weir_transform"
	MetaVersion   = "weir_version"
	MetaDigest    = "weir_digest"
	MetaErrField  = "weir_error_field" // the field path of a schema failure
)

func wasmProcessorSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Categories("Mapping", "Utility").
		Summary("Runs each batch through a sandboxed WebAssembly transform (weir ABI v1, or a Redpanda Data Transforms module as it is).").
		Description(`
The transform is a `+"`.wasm`"+` module that speaks weir's guest ABI (docs/abi.md) and carries a
manifest (name, version, ports). It is admitted (size, imports, exports, tables, memory)
and compiled once per process; compiled code is cached on disk by digest.

Each batch is one call into the guest, which gives a verdict per message:

- **keep** (possibly rewritten, with metadata changes): the message continues.
- **drop**: the message is removed.
- **route**: the message gets the metadata key `+"`weir_port`"+` (see `+"`port_metadata_key`"+`) set to a port
  the manifest declares; route on it with a `+"`switch`"+` output. Several ports make one copy each.
- **fan-out**: the message is replaced by several.
- **error**: the message is flagged as failed (`+"`catch`"+`, `+"`switch`"+` on `+"`errored()`"+`) with
  metadata `+"`weir_error`, `weir_error_class`, `weir_transform`, `weir_version`, `weir_digest`"+`;
  its batch-mates are unaffected.

If the guest traps, runs past `+"`timeout`"+`, or returns malformed output, every message of the batch
is flagged with that error (class `+"`trap`, `timeout` or `bad_output`"+`) and the instance is replaced.
A transform that declares fields (field projection, docs/abi.md §4b) never sees a record that is not
JSON: the host flags it alone, class `+"`bad_input`"+`, and it does not count against the version for
automatic rollback. Nothing is dropped silently.

The module can be a registry reference (`+"`local://…`, `oci://…`"+`). With `+"`watch: true`"+` a new version is
fetched, verified, admitted, checked against its golden fixtures and warmed, then swapped in between two
batches; a failed step leaves the serving version alone, and a version failing too many records right
after a swap is rolled back (docs/registry.md).

An Extism plugin (a module importing `+"`extism:host/env`"+`, e.g. built with go-pdk) runs unmodified on weir's
own Extism kernel: its export `+"`function`"+` is called once per message, under the same limits.`).
		Field(service.NewStringField(fieldModule).
			Description("The transform: a `.wasm` file, or a registry reference — `local://REPO:TAG` in the local store, `oci://HOST/REPO:TAG` in an OCI registry, either `@sha256:…` for a fixed digest (docs/registry.md).").
			Example("./build/plugins/mask.wasm").Example("local://weir/mask:stable").Example("oci://registry.example/weir/mask@sha256:…")).
		Field(service.NewBoolField(fieldWatch).
			Description("Follow the module: a file is watched for changes (fsnotify), a reference's tag is resolved every `watch_interval`. A new version goes live only after the whole swap protocol passes; in-flight batches finish on the old one.").
			Default(false)).
		Field(service.NewDurationField(fieldWatchInterval).
			Description("How often a watched registry reference is resolved.").
			Default("10s").Advanced()).
		Field(registryField()).
		Field(rollbackField()).
		Field(service.NewAnyField(fieldConfig).
			Description("Configuration handed to the guest's init, once per instance: a string as it is, anything else encoded as JSON. For a Redpanda Data Transforms module: `input_topic`, `output_topics`, `ports` (output topic → port) and `env` (docs/abi.md, \"Redpanda Data Transforms modules\").").
			Example(map[string]any{"fields": []any{map[string]any{"path": "customer.email", "action": "email"}}}).
			Optional()).
		Field(schemaField()).
		Field(capabilitiesField()).
		Field(service.NewDurationField(fieldTimeout).
			Description("Deadline of one batch inside the guest; past it the batch fails with class `timeout`.").
			Default("5s")).
		Field(service.NewIntField(fieldFuel).
			Description("Fuel budget of one batch: a unit is one executed wasm instruction (bulk memory and table operations are also charged for their length before they run). Running out fails the batch with class `fuel_exhausted` and replaces the instance. The fuel each batch used is exported as the `weir_fuel_used` counter.").
			Default(2_000_000_000).Advanced()).
		Field(service.NewStringAnnotatedEnumField(fieldInterrupt, map[string]string{
			"fuel":                  "Meter the module at load (default): near-native speed, stopped by fuel or at the next fuel check-in past the deadline.",
			"close_on_context_done": "wazero's WithCloseOnContextDone: exact deadlines, guest code 6–11× slower.",
		}).
			Description("How a running guest is stopped.").
			Default("fuel").Advanced()).
		Field(service.NewIntField(fieldPoolSize).
			Description("Number of guest instances (one per concurrently processed batch). 0 means one per CPU.").
			Default(0).Advanced()).
		Field(service.NewIntField(fieldMaxMemoryMiB).
			Description("Linear memory cap of each instance, in MiB.").
			Default(128).Advanced()).
		Field(service.NewIntField(fieldMaxOutputBytes).
			Description("Cap on what the guest may return for one batch.").
			Default(64<<20).Advanced()).
		Fields(limitFields()...).
		Fields(extismFields()...).
		Field(service.NewIntField(fieldRecycleCalls).
			Description("Replace an instance after this many batches (0: never).").
			Default(0).Advanced()).
		Field(service.NewIntField(fieldRecycleMemMiB).
			Description("Replace an instance whose memory grew past this many MiB (0: never).").
			Default(0).Advanced()).
		Field(service.NewIntField(fieldMaxTotalMemMiB).
			Description("Bound, in MiB, on the memory the wasm processors of this process reserve together. A pool reserves its worst case when it starts — `pool_size` × (`max_memory_mib`, the module's tables and a fixed per-instance overhead for the call stack) — and releases it when it closes; a pipeline whose pool does not fit is refused at start, and a hot swap (which warms the new pool while the old one serves) is refused rather than overcommitting. 0: half of the machine's memory, or of the cgroup's limit. The bound is the process's: set it on one processor, or the same on all (docs/RATIONALE.md, \"How much memory can a pipeline use?\").").
			Default(0).Advanced()).
		Field(service.NewStringField(fieldCacheDir).
			Description("Directory for compiled code, keyed by module digest and wazero version. Empty: the user cache directory (`weir/compiled`); `none`: memory only. The directory holds native code the process runs: it is created 0700, and refused if it, a directory above it or an entry in it is owned by another user or writable by others.").
			Default("").Advanced()).
		Field(service.NewStringField(fieldPortMeta).
			Description("Metadata key that carries the port a message was routed to.").
			Default("weir_port").Advanced()).
		Example("Mask PII", "Hide email local parts and all but the last four digits of card numbers; failed messages go to a dead-letter file.", `
pipeline:
  processors:
    - wasm:
        module: ./build/plugins/mask.wasm
        config:
          fields:
            - { path: customer.email, action: email }
            - { path: customer.card, action: last, keep: 4, with: "************" }
output:
  switch:
    cases:
      - check: errored()
        output:
          file: { path: ./dead-letter.jsonl, codec: lines }
      - output:
          stdout: {}
`)
}

func init() {
	err := service.RegisterBatchProcessor("wasm", wasmProcessorSpec(),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchProcessor, error) {
			return newWasmProcessor(conf, mgr)
		})
	if err != nil {
		panic(err)
	}
}

// wasmSettings is the parsed, validated processor config.
type wasmSettings struct {
	module   string
	source   moduleSource
	watch    bool
	policy   rollbackPolicy
	engine   engineKey
	totalMiB int // max_total_memory_mib: the process's memory budget, 0 for the default
	pool     runtime.PoolConfig
	portMeta string
	bind     *binding // nil when the transform is not schema-bound
}

func parseWasmSettings(conf *service.ParsedConfig) (s wasmSettings, err error) {
	if s.module, err = conf.FieldString(fieldModule); err != nil {
		return s, err
	}
	if s.watch, err = conf.FieldBool(fieldWatch); err != nil {
		return s, err
	}
	if s.policy, err = parseRollback(conf); err != nil {
		return s, err
	}
	if s.pool.Config, err = guestConfig(conf); err != nil {
		return s, err
	}
	if s.bind, err = parseBinding(conf); err != nil {
		return s, err
	}
	if s.bind != nil {
		if s.pool.Config, err = s.bind.withHints(s.pool.Config); err != nil {
			return s, err
		}
	}
	if s.pool.Timeout, err = conf.FieldDuration(fieldTimeout); err != nil {
		return s, err
	}
	if s.engine.interrupt, err = parseInterrupt(conf); err != nil {
		return s, err
	}
	fuel, err := conf.FieldInt(fieldFuel)
	if err != nil {
		return s, err
	}
	if fuel < 1 {
		return s, fmt.Errorf("field %s: must be >= 1, got %d", fieldFuel, fuel)
	}
	s.pool.Fuel = int64(fuel)
	ints := map[string]*int{}
	var size, memMiB, recycleMiB int
	ints[fieldPoolSize], ints[fieldMaxMemoryMiB], ints[fieldRecycleMemMiB] = &size, &memMiB, &recycleMiB
	ints[fieldMaxOutputBytes], ints[fieldRecycleCalls] = &s.pool.MaxOutputBytes, &s.pool.MaxCallsPerInstance
	ints[fieldMaxTotalMemMiB] = &s.totalMiB
	for name, dst := range ints {
		if *dst, err = conf.FieldInt(name); err != nil {
			return s, err
		}
		if *dst < 0 {
			return s, fmt.Errorf("field %s: must be >= 0, got %d", name, *dst)
		}
	}
	if memMiB < 1 || memMiB > 4096 {
		return s, fmt.Errorf("field %s: must be between 1 and 4096, got %d", fieldMaxMemoryMiB, memMiB)
	}
	s.engine.maxPages = uint32(memMiB * 16)
	if err := parseLimits(conf, &s.pool); err != nil {
		return s, err
	}
	if err := parseExtism(conf, &s.pool); err != nil {
		return s, err
	}
	s.pool.MaxMemoryBytes = uint64(recycleMiB) << 20
	s.pool.Size = size
	if size == 0 {
		s.pool.Size = goruntime.GOMAXPROCS(0)
	}
	if s.engine.cacheDir, err = conf.FieldString(fieldCacheDir); err != nil {
		return s, err
	}
	switch s.engine.cacheDir {
	case "":
		s.engine.cacheDir = DefaultCacheDir()
	case "none":
		s.engine.cacheDir = ""
	}
	if s.portMeta, err = conf.FieldString(fieldPortMeta); err != nil {
		return s, err
	}
	s.source, err = parseSource(conf, s.module)
	return s, err
}

func parseInterrupt(conf *service.ParsedConfig) (runtime.Interrupt, error) {
	v, err := conf.FieldString(fieldInterrupt)
	if err != nil {
		return 0, err
	}
	switch v {
	case "fuel":
		return runtime.InterruptFuel, nil
	case "close_on_context_done":
		return runtime.InterruptCloseOnContextDone, nil
	}
	return 0, fmt.Errorf("field %s: unknown value %q (want fuel or close_on_context_done)", fieldInterrupt, v)
}

// guestConfig encodes the `config` field as the JSON blob the guest gets.
func guestConfig(conf *service.ParsedConfig) ([]byte, error) {
	if !conf.Contains(fieldConfig) {
		return nil, nil
	}
	v, err := conf.FieldAny(fieldConfig)
	if err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldConfig, err)
	}
	return b, nil
}

type wasmProcessor struct {
	scratch  sync.Pool // *guestBatch, reused by one batch at a time
	slot     *slot
	portMeta string
	bind     *binding
	log      *service.Logger
	metrics  processorMetrics
}

func newWasmProcessor(conf *service.ParsedConfig, mgr *service.Resources) (*wasmProcessor, error) {
	s, err := parseWasmSettings(conf)
	if err != nil {
		return nil, err
	}
	if s.pool.Grants, err = parseGrants(conf, mgr); err != nil {
		return nil, err
	}
	metrics := newProcessorMetrics(mgr.Metrics())
	name := mgr.Label()
	if name == "" {
		name = s.module
	}
	// Benthos makes one processor per pipeline thread: those with the same
	// label and config share one slot (one pool, one watcher, one status).
	raw, err := conf.FieldAny()
	if err != nil {
		return nil, err
	}
	key, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	sl, err := sharedSlot(name, string(key), func() (*slot, error) {
		return newSlot(s, name, metrics, mgr.Logger())
	})
	if err != nil {
		return nil, err
	}
	return &wasmProcessor{scratch: sync.Pool{New: newGuestBatch}, slot: sl, portMeta: s.portMeta, bind: s.bind, log: mgr.Logger(), metrics: metrics}, nil
}

// newSlot loads the first version and starts following the source.
func newSlot(s wasmSettings, name string, metrics processorMetrics, log *service.Logger) (*slot, error) {
	ctx := context.Background()
	engine, err := sharedEngine(ctx, s.engine, s.totalMiB, log)
	if err != nil {
		return nil, err
	}
	var sl *slot
	sl = &slot{
		name: name, source: s.source, policy: s.policy, log: log, swaps: metrics.swaps, rejected: map[string]string{}, stop: func() {},
		admit: engine.Load,
		selfTest: func(ctx context.Context, mod *runtime.Module) error {
			if s.bind != nil {
				if err := s.bind.checkModule(mod); err != nil {
					return &runtime.Error{Class: runtime.ClassIncompatible, Transform: mod.Manifest.ID(), Cause: err}
				}
			}
			return mod.CheckFixtures(ctx, mod.Fixtures)
		},
		warm: func(ctx context.Context, mod *runtime.Module) (*runtime.Pool, error) {
			cfg := s.pool
			if s.bind != nil {
				cfg.Fields = s.bind.fieldHooks() // a version's own: its paths are its guest's
			}
			cfg.OnBatch = metrics.batchDone(sl.series.of(mod))
			cfg.OnLogsDropped = metrics.logsDropped(mod.Manifest)
			cfg.Logger = toSlog(log) // the engine is shared; the guest logs where its pipeline does
			return mod.NewPool(ctx, cfg)
		},
	}
	if err := sl.start(ctx); err != nil {
		return nil, err
	}
	v := sl.cur.Load()
	log.Infof("weir: loaded transform %s (%s) from %s, %d instances, interrupt by %s", v.mod.Manifest.ID(), v.mod.Digest, v.origin, s.pool.Size, s.engine.interrupt)
	if s.watch {
		var wctx context.Context
		wctx, sl.stop = context.WithCancel(ctx)
		sl.watching = true
		sl.watcherDone = make(chan struct{})
		go func() {
			defer close(sl.watcherDone)
			s.source.watch(wctx, func() { sl.update(wctx) })
		}()
	}
	return sl, nil
}

func (p *wasmProcessor) Close(ctx context.Context) error {
	releaseSlot(p.slot)
	return nil
}

// errorMessage is the text of a failure without the "weir: " prefix noise.
func errorMessage(err error) string { return strings.TrimPrefix(err.Error(), "weir: ") }
