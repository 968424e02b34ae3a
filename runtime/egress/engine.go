package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Resolver resolves a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config is one engine's: a pool's grant, what its module declares, and
// what the host binds.
type Config struct {
	Grant          Grant
	Declared       []string       // the manifest's hosts (same patterns as Host.Name); a request must match one
	Resolver       Resolver       // default net.DefaultResolver
	RootCAs        *x509.CertPool // trusted for https; default the system's roots
	Cache          Cache          // optional response cache (used when Grant.CacheTTL > 0)
	CacheNamespace string         // prefix of every cache key, e.g. the transform's name; one per grant
	Observe        func(Result)   // optional: told every answer (secrets scrubbed), e.g. to count it; must not block
}

// Engine runs one pool's requests. It is safe for concurrent use: every
// batch of every instance of the pool shares its concurrency cap.
type Engine struct {
	cfg       Config
	grant     Grant
	inj       injected
	policy    policy
	sem       chan struct{}
	transport *http.Transport
	client    *http.Client
}

// New checks cfg and resolves the grant's secret references. Its errors
// name the field or reference at fault, never a secret's value.
func New(cfg Config) (*Engine, error) {
	g := cfg.Grant.withDefaults()
	if err := g.validate(); err != nil {
		return nil, err
	}
	for _, d := range cfg.Declared {
		if err := validPattern(d); err != nil {
			return nil, fmt.Errorf("manifest: http host %q: %v", d, err)
		}
	}
	inj, err := resolveHeaders(g.Headers)
	if err != nil {
		return nil, err
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	e := &Engine{cfg: cfg, grant: g, inj: inj, sem: make(chan struct{}, g.MaxConcurrency)}
	e.transport = e.newTransport()
	e.client = &http.Client{Transport: e.transport, CheckRedirect: e.checkRedirect}
	return e, nil
}

func (e *Engine) newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                  nil, // a proxy would dial for us, past the address check
		DialContext:            e.dial,
		TLSClientConfig:        &tls.Config{RootCAs: e.cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    e.grant.ConnectTimeout,
		ForceAttemptHTTP2:      true,
		DisableCompression:     true, // the guest gets the bytes sent, counted against its cap
		MaxResponseHeaderBytes: int64(e.grant.MaxHeaderBytes),
		MaxIdleConnsPerHost:    e.grant.MaxConcurrency,
		IdleConnTimeout:        30 * time.Second,
	}
}

// Close drops idle connections. Requests in flight finish.
func (e *Engine) Close() { e.transport.CloseIdleConnections() }

// FetchMany runs reqs as one batch: FetchWithin under a fresh Budget.
func (e *Engine) FetchMany(ctx context.Context, reqs []Request) []Result {
	b := e.NewBudget()
	return e.FetchWithin(ctx, reqs, b)
}

// Budget is what is left of one batch's max_requests and max_batch_bytes,
// shared by every fetch of the batch.
type Budget struct {
	requests int
	bytes    int64
}

// NewBudget is a whole batch's budget.
func (e *Engine) NewBudget() *Budget {
	return &Budget{requests: e.grant.MaxRequests, bytes: int64(e.grant.MaxBatchBytes)}
}

// FetchWithin runs reqs concurrently (at most the grant's max_concurrency
// in flight across the engine) and answers each, charging b. Requests
// past what is left of the batch's max_requests are refused, responses
// past its max_batch_bytes are too_large; the context (the batch
// deadline) bounds them all. What one batch holds is at most
// max_batch_bytes plus max_concurrency responses being read.
func (e *Engine) FetchWithin(ctx context.Context, reqs []Request, b *Budget) []Result {
	out := make([]Result, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		if b.requests <= 0 {
			out[i] = failed(CodeRefused, fmt.Sprintf("request %d refused: the batch has made the grant's max_requests, %d per batch", i, e.grant.MaxRequests))
			continue
		}
		select {
		case e.sem <- struct{}{}:
		case <-ctx.Done():
			out[i] = failed(CodeTimeout, fmt.Sprintf("request %d never started: the batch deadline passed while %d requests were in flight (max_concurrency)", i, e.grant.MaxConcurrency))
			continue
		}
		b.requests--
		wg.Add(1)
		go func() {
			defer func() { <-e.sem; wg.Done() }()
			out[i] = b.charge(e.fetch(ctx, r), e.grant.MaxBatchBytes)
		}()
	}
	wg.Wait()
	for i := range out {
		out[i].Err = cut(e.inj.scrub(out[i].Err))
		if e.cfg.Observe != nil {
			e.cfg.Observe(out[i])
		}
	}
	return out
}

// charge takes r's body from the budget, or turns r into too_large.
func (b *Budget) charge(r Result, limit int) Result {
	if r.Code != CodeOK {
		return r
	}
	if atomic.AddInt64(&b.bytes, -int64(len(r.Body))) < 0 {
		atomic.AddInt64(&b.bytes, int64(len(r.Body)))
		return failed(CodeTooLarge, fmt.Sprintf("response of %d bytes refused: the batch's responses passed the grant's max_batch_bytes %d", len(r.Body), limit))
	}
	return r
}

// MaxRequests is the grant's requests per batch.
func (e *Engine) MaxRequests() int { return e.grant.MaxRequests }
