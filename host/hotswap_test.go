package host_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
	"github.com/weirstream/weir/registry"
)

// rig is a real registry holding stamp transforms under weir/stamp, the
// tag "live" being what pipelines follow.
type rig struct {
	t       *testing.T
	srv     *testregistry.Server
	repo    *registry.Repo
	cache   string
	digests map[string]string // version → artifact digest
}

func newRig(t *testing.T) *rig {
	srv := testregistry.Start(t)
	ref, err := registry.ParseRef("oci://" + srv.Host + "/weir/stamp")
	require.NoError(t, err)
	repo, err := registry.Open(context.Background(), ref, registry.Options{})
	require.NoError(t, err)
	return &rig{t: t, srv: srv, repo: repo, cache: t.TempDir(), digests: map[string]string{}}
}

// push stores wasm as tag and returns its digest.
func (r *rig) push(wasm []byte, tag string) string {
	desc, err := r.repo.Push(context.Background(), wasm, tag)
	require.NoError(r.t, err)
	r.digests[tag] = desc.Digest.String()
	return desc.Digest.String()
}

func (r *rig) stamp(version string) string {
	return r.push(fixtures.Stamp(r.t, version, false), version)
}

// move points "live" at tag.
func (r *rig) move(tag string) {
	_, err := r.repo.Tag(context.Background(), tag, "live")
	require.NoError(r.t, err)
}

// watched waits until the registry has answered n more manifest requests
// than now: a watcher following the tag has looked at it since, however
// slow the machine. Tests asserting that a tag move is not followed wait
// on this rather than sleeping for "several watch intervals".
func (r *rig) watched(n int64) {
	r.t.Helper()
	from := r.srv.ManifestRequests()
	fixtures.WaitUntil(r.t, fmt.Sprintf("%d more resolutions of the tag", n), func() bool {
		return r.srv.ManifestRequests() >= from+n
	})
}

// proc is a wasm processor following "live", with extra registry fields
// and extra YAML lines.
func (r *rig) proc(label, registryExtra, extra string) string {
	return fmt.Sprintf(`
label: %s
wasm:
  module: oci://%s/weir/stamp:live
  watch: true
  watch_interval: 10ms
  cache_dir: %s
  registry: { cache_dir: %s %s }
%s`, label, r.srv.Host, fixtures.CacheDir(r.t), r.cache, registryExtra, extra)
}

// serve starts a one-thread pipeline following "live", pointed at tag
// first, and waits until it serves it.
func (r *rig) serve(label, tag, registryExtra, extra string) *stream {
	r.move(tag)
	s := startStream(r.t, r.proc(label, registryExtra, extra), 1)
	waitFor(r.t, label, "serving "+tag, serving(r.digests[tag]))
	return s
}

// stream is a running Benthos stream fed by produce.
type stream struct {
	produce func(context.Context, service.MessageBatch) error
	mu      sync.Mutex
	out     service.MessageBatch
	stamps  map[string]int // stamp → records that came out with it
}

// served is how many records version's stamp has come out on.
func (s *stream) served(version string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stamps[version]
}

func (s *stream) output() service.MessageBatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(service.MessageBatch{}, s.out...)
}

func startStream(t *testing.T, processors string, threads int) *stream {
	t.Helper()
	b := service.NewStreamBuilder()
	require.NoError(t, b.SetLoggerYAML("level: none"))
	b.SetThreads(threads)
	require.NoError(t, b.AddProcessorYAML(processors))
	s := &stream{stamps: map[string]int{}}
	var err error
	s.produce, err = b.AddBatchProducerFunc()
	require.NoError(t, err)
	require.NoError(t, b.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.out = append(s.out, batch...)
		for _, m := range batch {
			s.stamps[stampOf(m)]++
		}
		return nil
	}))
	st, err := b.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		if err := st.Run(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("stream: %v", err)
		}
		close(done)
	}()
	t.Cleanup(func() {
		stopCtx, stopCancel := context.WithTimeout(context.Background(), fixtures.Patience)
		defer stopCancel()
		_ = st.Stop(stopCtx)
		cancel()
		<-done
	})
	return s
}

// send pushes one batch of values through and returns what came out of it.
func (s *stream) send(t *testing.T, values ...string) service.MessageBatch {
	t.Helper()
	before := len(s.output())
	batch := service.MessageBatch{}
	for _, v := range values {
		batch = append(batch, service.NewMessage([]byte(v)))
	}
	require.NoError(t, s.produce(context.Background(), batch))
	return s.output()[before:]
}

func stampOf(m *service.Message) string {
	v, _ := m.MetaGet("stamp")
	return v
}

func statusOf(t *testing.T, name string) host.Status {
	st, ok := lookup(name)
	require.True(t, ok, "no transform %q in %v", name, host.Transforms())
	return st
}

func lookup(name string) (host.Status, bool) {
	for _, s := range host.Transforms() {
		if s.Name == name {
			return s, true
		}
	}
	return host.Status{}, false
}

// waitFor polls the slot's status until ok (fixtures.WaitUntil) and
// returns the status that satisfied it.
func waitFor(t *testing.T, name, what string, ok func(host.Status) bool) host.Status {
	t.Helper()
	var st host.Status
	fixtures.WaitUntilShowing(t, what+" (status of "+name+")", func() bool {
		var found bool
		st, found = lookup(name)
		return found && ok(st)
	}, func() string { return fmt.Sprintf("%+v", st) })
	return st
}

func serving(id string) func(host.Status) bool {
	return func(st host.Status) bool { return st.Serving.ID == id }
}

// At full speed through 4 pipeline threads, the tag moves through 20
// versions: no record lost or duplicated, each stamped by exactly one
// version, and each producer (one batch in flight at a time) never sees
// an older version after a newer one. The tag moves on only once the
// version it names has served records, however slow the machine.
func TestSwapUnderLoad(t *testing.T) {
	r := newRig(t)
	const generations, producers, batchSize, minRecords = 20, 4, 64, 100_000
	for g := 1; g <= generations; g++ {
		r.stamp(fmt.Sprintf("g%02d", g))
	}
	r.move("g01")
	s := startStream(t, r.proc("swapload", "", ""), producers)
	waitFor(t, "swapload", "serving g01", serving(r.digests["g01"]))

	moved := make(chan struct{})
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; {
				select {
				case <-moved:
					if total.Load() >= minRecords {
						return
					}
				default:
				}
				batch := make(service.MessageBatch, batchSize)
				for i := range batch {
					batch[i] = service.NewMessage([]byte(fmt.Sprintf("%d:%d", p, seq)))
					seq++
				}
				if err := s.produce(context.Background(), batch); err != nil {
					errs <- err
					return
				}
				total.Add(batchSize)
			}
		}()
	}
	for g := 2; g <= generations; g++ {
		v := fmt.Sprintf("g%02d", g)
		r.move(v)
		waitFor(t, "swapload", "serving "+v, serving(r.digests[v]))
		fixtures.WaitUntil(t, v+" serving records", func() bool { return s.served(v) > 0 })
	}
	close(moved)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	fixtures.WaitUntil(t, fmt.Sprintf("only the serving and the previous version compiled after %d versions", generations),
		func() bool { return host.CompiledModules() <= 2 })

	out := s.output()
	require.EqualValues(t, total.Load(), len(out), "records in = records out")
	seen := map[string]int{}
	last := make([]map[int]int, producers) // producer → seq → generation
	for p := range last {
		last[p] = map[int]int{}
	}
	stamps := map[string]int{}
	for _, m := range out {
		b, err := m.AsBytes()
		require.NoError(t, err)
		seen[string(b)]++
		require.NoError(t, m.GetError(), "record %s", b)
		stamp := stampOf(m)
		require.Regexp(t, `^g\d\d$`, stamp, "record %s carries one version's stamp", b)
		stamps[stamp]++
		p, seq, _ := strings.Cut(string(b), ":")
		pi, _ := strconv.Atoi(p)
		si, _ := strconv.Atoi(seq)
		last[pi][si], _ = strconv.Atoi(stamp[1:])
	}
	for v, n := range seen {
		require.Equal(t, 1, n, "record %s came out %d times", v, n)
	}
	for p := range last {
		gen := 0
		for seq := 0; seq < len(last[p]); seq++ {
			g, ok := last[p][seq]
			require.True(t, ok, "producer %d record %d missing", p, seq)
			require.GreaterOrEqual(t, g, gen, "producer %d record %d: version went back from g%02d to g%02d", p, seq, gen, g)
			gen = g
		}
	}
	assert.Len(t, stamps, generations, "every version served records: %v", stamps)
	swaps := 0
	for _, ev := range statusOf(t, "swapload").History {
		if ev.Outcome == "swapped" {
			swaps++
		}
	}
	assert.Equal(t, generations-1, swaps)
	t.Logf("%d records, %d swaps, per version: %v", len(out), swaps, stamps)
}
