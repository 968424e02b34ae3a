package runtime_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/weirstream/weir/internal/fixtures"
	"github.com/weirstream/weir/runtime"
)

// An embedder's whole path: one engine per process, a module loaded
// (admitted, metered, compiled) once, a pool of warm instances, one call
// per batch. After Close the pool refuses at once with ErrClosed.
func Example() {
	ctx := context.Background()
	wasm, err := fixtures.BuildWAT("runtime/testdata/guests/echo.wat") // any weir ABI v1 module
	if err != nil {
		panic(err)
	}
	engine, err := runtime.NewEngine(ctx, runtime.EngineConfig{CacheDir: ""}) // "": compiled code in memory only
	if err != nil {
		panic(err)
	}
	defer engine.Close(ctx)

	mod, err := engine.Load(ctx, wasm)
	if err != nil {
		panic(err)
	}
	defer mod.Close(ctx)
	fmt.Println("loaded", mod.Manifest.ID())

	pool, err := mod.NewPool(ctx, runtime.PoolConfig{Size: 2})
	if err != nil {
		panic(err)
	}
	outcomes, err := pool.Process(ctx, []runtime.Record{{Value: []byte(`{"id":1}`)}, {Value: []byte(`{"id":2}`)}})
	if err != nil {
		panic(err)
	}
	for i, o := range outcomes {
		fmt.Printf("record %d: %d emit(s), unchanged %v\n", i, len(o.Emits), o.Emits[0].Unchanged)
	}

	pool.Close(ctx)
	_, err = pool.Process(ctx, []runtime.Record{{Value: []byte(`{"id":3}`)}})
	fmt.Println(errors.Is(err, runtime.ErrClosed), runtime.ClassOf(err))
	// Output:
	// loaded echo-wat@0.1.0
	// record 0: 1 emit(s), unchanged true
	// record 1: 1 emit(s), unchanged true
	// true host_error
}
