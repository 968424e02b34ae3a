package host

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/runtime/egress"
)

// Field names of the http grant (docs/abi.md, "Capability http").
const (
	fieldHTTP             = "http"
	fieldHTTPHosts        = "hosts"
	fieldHTTPHostName     = "name"
	fieldHTTPHostPorts    = "ports"
	fieldHTTPAllowHTTP    = "allow_http"
	fieldHTTPAllowPrivate = "allow_private"
	fieldHTTPMethods      = "methods"
	fieldHTTPHeaders      = "headers"
	fieldHTTPRedirects    = "max_redirects"
	fieldHTTPConnect      = "connect_timeout"
	fieldHTTPTimeout      = "timeout"
	fieldHTTPReqBytes     = "max_request_bytes"
	fieldHTTPRespBytes    = "max_response_bytes"
	fieldHTTPHeaderBytes  = "max_header_bytes"
	fieldHTTPConcurrency  = "max_concurrency"
	fieldHTTPRequests     = "max_requests"
	fieldHTTPBatchBytes   = "max_batch_bytes"
	fieldHTTPCache        = "cache"
	fieldHTTPCacheTTL     = "cache_ttl"
	fieldHTTPRootCAs      = "root_cas_file"
)

// The http grant: hosts the transform may reach, its limits, the headers
// (credentials) the host injects, and an optional response cache
// (docs/abi.md, "Capability http").

var httpHostCapability = hostCapability{name: fieldHTTP, field: httpGrantField, grant: parseHTTPGrant}

// httpGrantField is the http capability's grant: what the pipeline lets
// a transform reach. A request must also match a host the module's
// manifest declares.
func httpGrantField() *service.ConfigField {
	return service.NewObjectField(fieldHTTP,
		service.NewObjectListField(fieldHTTPHosts,
			service.NewStringField(fieldHTTPHostName).
				Description("An exact host name, `*.example.com` for any subdomain (not the apex), or an IP address."),
			service.NewIntListField(fieldHTTPHostPorts).
				Description("Ports allowed. Empty: 443, and 80 with `allow_http`.").Default([]any{}),
			service.NewBoolField(fieldHTTPAllowHTTP).
				Description("Allow plain http besides https.").Default(false),
			service.NewBoolField(fieldHTTPAllowPrivate).
				Description("Let this exact name reach loopback, private, link-local or metadata addresses (checked on the resolved address). For tests and internal services only.").Default(false),
		).Description("The allowlist. A request's host must match an entry here and a host the manifest declares.").Default([]any{}),
		service.NewStringListField(fieldHTTPMethods).
			Description("Methods allowed. Empty: GET and HEAD.").Default([]any{}),
		service.NewStringMapField(fieldHTTPHeaders).
			Description("Headers the host adds to every request, overriding the guest's. Values may reference `{{env:NAME}}` or `{{file:/path}}`, resolved when the pool starts and never shown to the guest (not `${…}`: Benthos would expand it into the config).").
			Example(map[string]any{"Authorization": "Bearer {{env:RISK_API_TOKEN}}"}).Default(map[string]any{}),
		service.NewIntField(fieldHTTPRedirects).
			Description("Redirects followed, each checked like a first request. 0: the redirect is the answer.").Default(0),
		service.NewDurationField(fieldHTTPConnect).Description("Per connection: DNS, TCP and TLS.").Default("2s"),
		service.NewDurationField(fieldHTTPTimeout).Description("Per request; the batch `timeout` bounds it too.").Default("10s"),
		service.NewIntField(fieldHTTPReqBytes).Description("Request body cap.").Default(egress.DefaultMaxRequestBytes),
		service.NewIntField(fieldHTTPRespBytes).Description("Response body cap; larger answers are `too_large`.").Default(egress.DefaultMaxResponseBytes),
		service.NewIntField(fieldHTTPHeaderBytes).Description("Cap on the guest's request headers and on the response's headers.").Default(egress.DefaultMaxHeaderBytes),
		service.NewIntField(fieldHTTPConcurrency).Description("Requests in flight per transform version in this pipeline.").Default(egress.DefaultMaxConcurrency),
		service.NewIntField(fieldHTTPRequests).Description("Requests per batch, all the transform's fetch calls together; the rest are refused.").Default(egress.DefaultMaxRequests),
		service.NewIntField(fieldHTTPBatchBytes).Description("Response bodies of one batch together; past it a response is `too_large`.").Default(egress.DefaultMaxBatchBytes),
		service.NewStringField(fieldHTTPCache).
			Description("A cache resource that keeps GET responses with status 200 for `cache_ttl`. Empty: none.").Default(""),
		service.NewDurationField(fieldHTTPCacheTTL).Description("How long a cached response serves.").Default("1m"),
		service.NewStringField(fieldHTTPRootCAs).
			Description("PEM file of the CAs trusted for https. Empty: the system's.").Default("").Advanced(),
	).Description("Gated HTTP egress: the hosts the transform may fetch from (each also declared by its manifest), the limits of every call, and the headers the host injects (docs/abi.md, \"Capability http\").")
}

// parseHTTPGrant reads the http grant under pc, binding its cache to the
// resource named.
func parseHTTPGrant(pc *service.ParsedConfig, res *service.Resources) (runtime.Grant, error) {
	g, err := parseGrantCaps(pc)
	if err != nil {
		return nil, err
	}
	if g.Hosts, err = parseHosts(pc); err != nil {
		return nil, err
	}
	cfg := egress.Config{Grant: g, Observe: egressCounters(res.Metrics())}
	if cfg.RootCAs, err = rootCAs(pc); err != nil {
		return nil, err
	}
	name, err := pc.FieldString(fieldHTTPCache)
	if err != nil {
		return nil, err
	}
	if name != "" {
		if !res.HasCache(name) {
			return nil, fmt.Errorf("%s: %q is not a cache resource of this pipeline: declare it under cache_resources", fieldHTTPCache, name)
		}
		cfg.Cache = cacheResource{res: res, name: name}
	} else {
		cfg.Grant.CacheTTL = 0
	}
	return runtime.HTTPGrant{Config: cfg}, nil
}

func parseGrantCaps(pc *service.ParsedConfig) (egress.Grant, error) {
	var g egress.Grant
	var err error
	ints := []struct {
		field string
		dst   *int
	}{{fieldHTTPRedirects, &g.MaxRedirects}, {fieldHTTPReqBytes, &g.MaxRequestBytes}, {fieldHTTPRespBytes, &g.MaxResponseBytes},
		{fieldHTTPHeaderBytes, &g.MaxHeaderBytes}, {fieldHTTPConcurrency, &g.MaxConcurrency}, {fieldHTTPRequests, &g.MaxRequests},
		{fieldHTTPBatchBytes, &g.MaxBatchBytes}}
	for _, f := range ints {
		if *f.dst, err = pc.FieldInt(f.field); err != nil {
			return g, err
		}
	}
	durs := []struct {
		field string
		dst   *time.Duration
	}{{fieldHTTPConnect, &g.ConnectTimeout}, {fieldHTTPTimeout, &g.Timeout}, {fieldHTTPCacheTTL, &g.CacheTTL}}
	for _, f := range durs {
		if *f.dst, err = pc.FieldDuration(f.field); err != nil {
			return g, err
		}
	}
	if g.Methods, err = pc.FieldStringList(fieldHTTPMethods); err != nil {
		return g, err
	}
	g.Headers, err = pc.FieldStringMap(fieldHTTPHeaders)
	return g, err
}

func parseHosts(pc *service.ParsedConfig) ([]egress.Host, error) {
	list, err := pc.FieldObjectList(fieldHTTPHosts)
	if err != nil {
		return nil, err
	}
	hosts := make([]egress.Host, 0, len(list))
	for _, h := range list {
		var e egress.Host
		if e.Name, err = h.FieldString(fieldHTTPHostName); err != nil {
			return nil, err
		}
		if e.Ports, err = h.FieldIntList(fieldHTTPHostPorts); err != nil {
			return nil, err
		}
		if e.AllowHTTP, err = h.FieldBool(fieldHTTPAllowHTTP); err != nil {
			return nil, err
		}
		if e.AllowPrivate, err = h.FieldBool(fieldHTTPAllowPrivate); err != nil {
			return nil, err
		}
		hosts = append(hosts, e)
	}
	return hosts, nil
}

func rootCAs(pc *service.ParsedConfig) (*x509.CertPool, error) {
	path, err := pc.FieldString(fieldHTTPRootCAs)
	if err != nil || path == "" {
		return nil, err
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fieldHTTPRootCAs, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate", fieldHTTPRootCAs, path)
	}
	return pool, nil
}

// cacheResource is a Benthos cache resource as egress's response cache.
type cacheResource struct {
	res  *service.Resources
	name string
}

func (c cacheResource) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	var getErr error
	if err := c.res.AccessCache(ctx, c.name, func(cc service.Cache) { v, getErr = cc.Get(ctx, key) }); err != nil {
		return nil, false, err
	}
	if errors.Is(getErr, service.ErrKeyNotFound) {
		return nil, false, nil
	}
	return v, getErr == nil, getErr
}

func (c cacheResource) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	var setErr error
	if err := c.res.AccessCache(ctx, c.name, func(cc service.Cache) { setErr = cc.Set(ctx, key, value, &ttl) }); err != nil {
		return err
	}
	return setErr
}

// egressCounters counts every answer of the http capability:
// weir_egress_requests{outcome} (ok, refused, timeout, too_large,
// transport_error), weir_egress_cached (answered from the response cache)
// and weir_egress_response_bytes (bodies handed to the guest).
func egressCounters(m *service.Metrics) func(egress.Result) {
	requests := m.NewCounter("weir_egress_requests", "outcome")
	cached := m.NewCounter("weir_egress_cached")
	bytes := m.NewCounter("weir_egress_response_bytes")
	return func(r egress.Result) {
		requests.Incr(1, r.Code.String())
		if r.Cached {
			cached.Incr(1)
		}
		if len(r.Body) > 0 {
			bytes.Incr(int64(len(r.Body)))
		}
	}
}
