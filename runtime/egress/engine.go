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

// FetchMany runs reqs concurrently (at most the grant's max_concurrency
// in flight across the engine) and answers each. Requests past the
// grant's max_requests are refused; the context (the batch deadline)
// bounds them all.
func (e *Engine) FetchMany(ctx context.Context, reqs []Request) []Result {
	out := make([]Result, len(reqs))
	budget := &batchBudget{left: int64(e.grant.MaxBatchBytes)}
	var wg sync.WaitGroup
	for i, r := range reqs {
		if i >= e.grant.MaxRequests {
			out[i] = failed(CodeRefused, fmt.Sprintf("request %d of the batch refused: the grant's max_requests is %d per batch", i, e.grant.MaxRequests))
			continue
		}
		select {
		case e.sem <- struct{}{}:
		case <-ctx.Done():
			out[i] = failed(CodeTimeout, fmt.Sprintf("request %d never started: the batch deadline passed while %d requests were in flight (max_concurrency)", i, e.grant.MaxConcurrency))
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-e.sem; wg.Done() }()
			out[i] = budget.charge(e.fetch(ctx, r), e.grant.MaxBatchBytes)
		}()
	}
	wg.Wait()
	for i := range out {
		out[i].Err = cut(e.inj.scrub(out[i].Err))
	}
	return out
}

// batchBudget is what is left of a batch's max_batch_bytes. What one
// batch holds is at most the budget plus max_concurrency responses being
// read.
type batchBudget struct{ left int64 }

// charge takes r's body from the budget, or turns r into too_large.
func (b *batchBudget) charge(r Result, limit int) Result {
	if r.Code != CodeOK {
		return r
	}
	if atomic.AddInt64(&b.left, -int64(len(r.Body))) < 0 {
		atomic.AddInt64(&b.left, int64(len(r.Body)))
		return failed(CodeTooLarge, fmt.Sprintf("response of %d bytes refused: the batch's responses passed the grant's max_batch_bytes %d", len(r.Body), limit))
	}
	return r
}

// MaxRequests is the grant's requests per call.
func (e *Engine) MaxRequests() int { return e.grant.MaxRequests }
