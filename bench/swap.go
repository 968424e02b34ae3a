package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/host"
	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/internal/testregistry"
	"github.com/weirstream/weir/registry"
	"github.com/weirstream/weir/runtime"
)

// SwapResult is what a hot swap costs, over several swaps of a cached
// Go module through a real registry.
type SwapResult struct {
	Swaps         int
	TagToServing  []time.Duration // tag moved → the new version serves, as an operator sees it
	ResolveToLive []time.Duration // the slot's own time: resolve → fetch → admit → fixtures → warm → swap
	WorstBatch    time.Duration   // the slowest batch round trip during the swaps
	WorstSteady   time.Duration   // the slowest batch round trip with no swap going on
	Batches       int
	WatchInterval time.Duration
}

// Swap moves a tag between two versions of the Go mask plugin (both
// compiled once beforehand: the cached case) while batches of 64 orders
// stream through, and times each swap.
func Swap(orders [][]byte, swaps int) (SwapResult, error) {
	res := SwapResult{Swaps: swaps, WatchInterval: 5 * time.Millisecond}
	ctx := context.Background()
	srv, err := testregistry.New()
	if err != nil {
		return res, err
	}
	defer srv.Close()
	ref, err := registry.ParseRef("oci://" + srv.Host + "/weir/mask")
	if err != nil {
		return res, err
	}
	repo, err := registry.Open(ctx, ref, registry.Options{})
	if err != nil {
		return res, err
	}
	mask, err := fixtures.BuildGo("plugins/mask")
	if err != nil {
		return res, err
	}
	digests := map[string]string{}
	for _, v := range []string{"1.0.0", "2.0.0"} {
		wasm, err := runtime.Pack(mask, runtime.Manifest{ABI: runtime.ABIVersion, Name: "mask", Version: v})
		if err != nil {
			return res, err
		}
		desc, err := repo.Push(ctx, wasm, v)
		if err != nil {
			return res, err
		}
		digests[v] = desc.Digest.String()
	}
	if _, err := repo.Tag(ctx, "1.0.0", "live"); err != nil {
		return res, err
	}
	cache, err := os.MkdirTemp("", "weir-swapbench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(cache)

	b := service.NewStreamBuilder()
	if err := b.SetLoggerYAML("level: none"); err != nil {
		return res, err
	}
	if err := b.AddProcessorYAML(fmt.Sprintf(`
label: swapbench
wasm:
  module: oci://%s/weir/mask:live
  watch: true
  watch_interval: %s
  pool_size: 1
  registry: { cache_dir: %s }
  config:%s`, srv.Host, res.WatchInterval, cache, maskFields)); err != nil {
		return res, err
	}
	produce, err := b.AddBatchProducerFunc()
	if err != nil {
		return res, err
	}
	if err := b.AddBatchConsumerFunc(func(context.Context, service.MessageBatch) error { return nil }); err != nil {
		return res, err
	}
	stream, err := b.Build()
	if err != nil {
		return res, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = stream.Run(runCtx) }()
	defer func() { _ = stream.Stop(ctx) }()

	// Batches flow all along; each round trip is timed and tagged with
	// whether a swap was in progress.
	var mu sync.Mutex
	swapping, warmingUp := false, true
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			batch := make(service.MessageBatch, 64)
			for j := range batch {
				batch[j] = service.NewMessage(orders[(i*64+j)%len(orders)])
			}
			mu.Lock()
			during, warming := swapping, warmingUp
			mu.Unlock()
			began := time.Now()
			if err := produce(ctx, batch); err != nil {
				done <- err
				return
			}
			took := time.Since(began)
			mu.Lock()
			during = during || swapping
			warming = warming || warmingUp
			if warming {
				// the compile of the warm-up swaps competes for the CPUs
			} else if during && took > res.WorstBatch {
				res.WorstBatch = took
			} else if !during && took > res.WorstSteady {
				res.WorstSteady = took
			}
			res.Batches++
			mu.Unlock()
		}
	}()

	serving := func(id string) (host.Status, error) {
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			for _, st := range host.Transforms() {
				if st.Name == "swapbench" && st.Serving.ID == id {
					return st, nil
				}
			}
			time.Sleep(100 * time.Microsecond)
		}
		return host.Status{}, fmt.Errorf("swap to %s did not happen within a minute", id)
	}
	if _, err := serving(digests["1.0.0"]); err != nil {
		return res, err
	}
	versions := []string{"2.0.0", "1.0.0"}
	for i := -2; i < swaps; i++ { // two warm-up swaps compile both versions
		v := versions[(i+2)%2]
		mu.Lock()
		swapping, warmingUp = i >= 0, i < 0 // warm-up swaps compile: not what is measured
		mu.Unlock()
		moved := time.Now()
		if _, err := repo.Tag(ctx, v, "live"); err != nil {
			return res, err
		}
		st, err := serving(digests[v])
		if err != nil {
			return res, err
		}
		tagToServing := time.Since(moved)
		time.Sleep(20 * time.Millisecond) // in-flight batches finish on the old version
		mu.Lock()
		swapping = false
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		if i < 0 {
			continue
		}

		res.TagToServing = append(res.TagToServing, tagToServing)
		last := st.History[len(st.History)-1]
		res.ResolveToLive = append(res.ResolveToLive, time.Duration(last.TookMs*float64(time.Millisecond)))
	}
	close(stop)
	if err := <-done; err != nil {
		return res, err
	}
	return res, nil
}

// Percentiles returns the median and the maximum of ds.
func Percentiles(ds []time.Duration) (median, max time.Duration) {
	s := append([]time.Duration{}, ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0, 0
	}
	return s[len(s)/2], s[len(s)-1]
}
