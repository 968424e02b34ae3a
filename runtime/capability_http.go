package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/weirstream/weir/runtime/egress"
	"github.com/weirstream/weir/runtime/internal/wasmbin"
)

// The http capability: gated HTTP egress, batched (docs/abi.md, "Capability
// http"). The engine that checks and runs requests is
// runtime/egress; this file declares, binds and links it.

// HTTPModule is the import module of the http capability's host functions.
const HTTPModule = "weir_http"

var httpCapability = &capability{
	name:   "http",
	module: HTTPModule,
	funcs: map[string]hostFunc{
		"fetch": {sig: wasmbin.FuncType{Params: repeat(wasmbin.ValI32, 2), Results: i64}, fn: hostHTTPFetch},
		"take":  {sig: wasmbin.FuncType{Params: repeat(wasmbin.ValI32, 2), Results: i32}, fn: hostHTTPTake},
	},
	declare: declareHTTP,
	bind:    bindHTTP,
	hint:    hintHTTP,
}

// maxHTTPHosts caps the host patterns a manifest declares.
const maxHTTPHosts = 64

// httpDecl is a manifest's http declaration: {"hosts": ["api.example.com"]}.
type httpDecl struct {
	Hosts []string `json:"hosts"`
}

func declareHTTP(raw json.RawMessage) (any, error) {
	var d httpDecl
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf(`want {"hosts": ["api.example.com", "*.example.net", …]}: %w`, err)
	}
	if len(d.Hosts) == 0 {
		return nil, fmt.Errorf("declares no host: list the hosts the module fetches from")
	}
	if len(d.Hosts) > maxHTTPHosts {
		return nil, fmt.Errorf("declares %d hosts, over the cap of %d", len(d.Hosts), maxHTTPHosts)
	}
	for _, h := range d.Hosts {
		if err := egress.CheckPattern(h); err != nil {
			return nil, fmt.Errorf("host %q: %v", h, err)
		}
	}
	return d, nil
}

// HTTPGrant grants the http capability: the egress engine's config but
// for the hosts the manifest declares, which binding adds. Every
// declared host must be covered by a granted one.
type HTTPGrant struct {
	egress.Config
}

// Capability implements Grant.
func (HTTPGrant) Capability() string { return "http" }

// httpBinding is a pool's http grant: one engine, shared by its instances
// (so max_concurrency is the pool's).
type httpBinding struct {
	engine *egress.Engine
}

func (b *httpBinding) Close() error {
	b.engine.Close()
	return nil
}

func bindHTTP(decl any, grant Grant, info BindInfo) (any, error) {
	d := decl.(httpDecl)
	g, ok := grant.(HTTPGrant)
	if !ok {
		return nil, fmt.Errorf("grant is a %T, want a runtime.HTTPGrant", grant)
	}
	for _, h := range d.Hosts {
		if !grantCovers(g.Grant, h) {
			return nil, fmt.Errorf("host %q is not granted", h)
		}
	}
	cfg := g.Config
	cfg.Declared = d.Hosts
	if cfg.CacheNamespace == "" {
		cfg.CacheNamespace = info.Manifest.Name + "/"
	}
	e, err := egress.New(cfg)
	if err != nil {
		return nil, err
	}
	return &httpBinding{engine: e}, nil
}

func grantCovers(g egress.Grant, declared string) bool {
	for _, h := range g.Hosts {
		if egress.Covers(h.Name, declared) {
			return true
		}
	}
	return false
}

func hintHTTP(decl any) string {
	var b strings.Builder
	b.WriteString("http:\n  hosts:\n")
	for _, h := range decl.(httpDecl).Hosts {
		fmt.Fprintf(&b, "    - name: %q\n", h)
	}
	return b.String()
}

// httpAnswer is an instance's answer kept between fetch and take, and
// what its current batch has left of the grant's budget.
type httpAnswer struct {
	buf    []byte // reused by the instance's next fetch
	kept   bool
	batch  time.Time // the hostDeadline of the batch the budget belongs to: each batch sets its own
	budget *egress.Budget
}

// budgetFor is the budget of the batch s is running, fresh for a new one.
func (a *httpAnswer) budgetFor(s *callState, e *egress.Engine) *egress.Budget {
	if a.budget == nil || !a.batch.Equal(s.hostDeadline) {
		a.batch, a.budget = s.hostDeadline, e.NewBudget()
	}
	return a.budget
}

func (s *callState) httpAnswer() *httpAnswer {
	if a, ok := s.local["http"].(*httpAnswer); ok {
		return a
	}
	a := &httpAnswer{}
	if s.local == nil {
		s.local = map[string]any{}
	}
	s.local["http"] = a
	return a
}

// hostHTTPFetch is weir_http.fetch(ptr, len) -> i64: it runs the requests
// at [ptr, ptr+len) under the pool's grant and the batch's deadline,
// keeps the answer and returns its length. A buffer outside memory or
// breaking the format fails the batch as bad_output.
func hostHTTPFetch(ctx context.Context, s *callState, mod api.Module, stack []uint64) {
	const fn = "weir_http.fetch"
	b, _ := s.binding("http").(*httpBinding)
	if b == nil {
		panic(misuse(fn, "the pool grants no http capability"))
	}
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	buf, ok := mod.Memory().Read(ptr, n)
	if !ok {
		panic(misuse(fn, "requests [%d, +%d) are outside linear memory of %d bytes", ptr, n, mod.Memory().Size()))
	}
	reqs, err := egress.DecodeRequests(buf, b.engine.MaxRequests())
	if err != nil {
		panic(misuse(fn, "%v", err))
	}
	if !s.hostDeadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, s.hostDeadline)
		defer cancel()
	}
	a := s.httpAnswer()
	results := b.engine.FetchWithin(ctx, reqs, a.budgetFor(s, b.engine))
	a.buf, a.kept = egress.AppendResults(a.buf[:0], results), true
	stack[0] = uint64(len(a.buf))
}

// hostHTTPTake is weir_http.take(ptr, len) -> i32: it copies the kept
// answer to [ptr, ptr+len) and returns its length. Nothing kept, a
// buffer too small or outside memory fails the batch as bad_output.
func hostHTTPTake(_ context.Context, s *callState, mod api.Module, stack []uint64) {
	const fn = "weir_http.take"
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	a := s.httpAnswer()
	switch {
	case !a.kept:
		panic(misuse(fn, "no answer to take: call weir_http.fetch first, and take its answer once"))
	case uint64(n) < uint64(len(a.buf)):
		panic(misuse(fn, "buffer of %d bytes for an answer of %d", n, len(a.buf)))
	case !mod.Memory().Write(ptr, a.buf):
		panic(misuse(fn, "buffer [%d, +%d) is outside linear memory of %d bytes", ptr, n, mod.Memory().Size()))
	}
	stack[0] = uint64(len(a.buf))
	a.kept = false
	if cap(a.buf) > 4<<20 {
		a.buf = nil // a large answer's buffer is not kept for the instance's life
	}
}
