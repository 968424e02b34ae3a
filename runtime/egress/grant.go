package egress

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Defaults of a Grant's caps (docs/abi.md, "Capability http").
const (
	DefaultConnectTimeout   = 2 * time.Second
	DefaultTimeout          = 10 * time.Second
	DefaultMaxRequestBytes  = 64 << 10
	DefaultMaxResponseBytes = 1 << 20
	DefaultMaxHeaderBytes   = 16 << 10
	DefaultMaxConcurrency   = 8
	DefaultMaxRequests      = 256
	DefaultMaxBatchBytes    = 16 << 20
	// MaxRedirectsLimit bounds MaxRedirects whatever the grant asks.
	MaxRedirectsLimit = 10
)

// Grant is what a pipeline allows a transform's http capability. It is
// intersected with the hosts the module's manifest declares: a request
// must match both. Zero fields take the defaults above.
type Grant struct {
	Hosts            []Host            // the allowlist; empty allows nothing
	Methods          []string          // methods allowed; default GET and HEAD
	Headers          map[string]string // injected into every request; values may hold {{env:NAME}} and {{file:/path}}
	MaxRedirects     int               // redirects followed, each re-checked; default 0 (none), at most MaxRedirectsLimit
	ConnectTimeout   time.Duration     // per connection (DNS, TCP, TLS); default DefaultConnectTimeout
	Timeout          time.Duration     // per request, whole exchange; default DefaultTimeout; the batch deadline also bounds it
	MaxRequestBytes  int               // request body; default DefaultMaxRequestBytes
	MaxResponseBytes int               // response body; default DefaultMaxResponseBytes
	MaxHeaderBytes   int               // the guest's request headers, and the response's; default DefaultMaxHeaderBytes
	MaxConcurrency   int               // requests in flight per engine (one per pool); default DefaultMaxConcurrency
	MaxRequests      int               // requests per batch (all its fetch calls); the rest are refused; default DefaultMaxRequests
	MaxBatchBytes    int               // response bodies of one batch (all its fetch calls) together; past it a response is too_large; default DefaultMaxBatchBytes
	CacheTTL         time.Duration     // cache GET responses for this long when a cache is bound; 0 caches nothing
}

// Host is one allowlist entry.
type Host struct {
	Name         string // "api.example.com", "*.example.com" (any subdomain, not the apex) or an IP literal
	Ports        []int  // default 443, and 80 when AllowHTTP
	AllowHTTP    bool   // plain http besides https; default false
	AllowPrivate bool   // let this exact name reach private, loopback, link-local or metadata addresses; default false
}

// withDefaults is g with every zero field set to its default.
func (g Grant) withDefaults() Grant {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&g.MaxRequestBytes, DefaultMaxRequestBytes)
	def(&g.MaxResponseBytes, DefaultMaxResponseBytes)
	def(&g.MaxHeaderBytes, DefaultMaxHeaderBytes)
	def(&g.MaxConcurrency, DefaultMaxConcurrency)
	def(&g.MaxRequests, DefaultMaxRequests)
	def(&g.MaxBatchBytes, DefaultMaxBatchBytes)
	if g.ConnectTimeout == 0 {
		g.ConnectTimeout = DefaultConnectTimeout
	}
	if g.Timeout == 0 {
		g.Timeout = DefaultTimeout
	}
	if len(g.Methods) == 0 {
		g.Methods = []string{http.MethodGet, http.MethodHead}
	}
	return g
}

// validate names the first bad field of a defaulted grant.
func (g Grant) validate() error {
	for _, n := range []struct {
		name string
		v    int
	}{{"max_request_bytes", g.MaxRequestBytes}, {"max_response_bytes", g.MaxResponseBytes},
		{"max_header_bytes", g.MaxHeaderBytes}, {"max_concurrency", g.MaxConcurrency}, {"max_requests", g.MaxRequests},
		{"max_batch_bytes", g.MaxBatchBytes}} {
		if n.v < 0 {
			return fmt.Errorf("http grant: %s is %d, want a positive number (0 for the default)", n.name, n.v)
		}
	}
	if g.MaxRedirects < 0 || g.MaxRedirects > MaxRedirectsLimit {
		return fmt.Errorf("http grant: max_redirects is %d, want 0 to %d", g.MaxRedirects, MaxRedirectsLimit)
	}
	if g.ConnectTimeout < 0 || g.Timeout < 0 || g.CacheTTL < 0 {
		return fmt.Errorf("http grant: connect_timeout, timeout and cache_ttl must not be negative")
	}
	for _, m := range g.Methods {
		if m == "" || strings.ToUpper(m) != m || strings.ContainsAny(m, " \t\r\n") {
			return fmt.Errorf("http grant: method %q: want an upper-case method such as GET", m)
		}
	}
	for _, h := range g.Hosts {
		if err := h.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (h Host) validate() error {
	if err := validPattern(h.Name); err != nil {
		return fmt.Errorf("http grant: host %q: %v", h.Name, err)
	}
	if h.AllowPrivate && strings.HasPrefix(h.Name, "*.") {
		return fmt.Errorf("http grant: host %q: allow_private needs an exact name, not a wildcard", h.Name)
	}
	for _, p := range h.Ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("http grant: host %q: port %d out of range 1-65535", h.Name, p)
		}
	}
	return nil
}

// validPattern checks a grant's or a manifest's host pattern.
func validPattern(p string) error {
	name := strings.TrimPrefix(p, "*.")
	if _, err := netip.ParseAddr(name); err == nil {
		if name != p {
			return fmt.Errorf("a wildcard over an IP address means nothing")
		}
		return nil
	}
	if name == "" || normalHost(name) != name || !validName(name) {
		return fmt.Errorf("want a lower-case DNS name (letters, digits, '-', '.'), optionally after \"*.\", or an IP address")
	}
	return nil
}

func validName(s string) bool {
	if len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// normalHost is a URL's host as patterns are written: lower case, no
// trailing dot, and an IP address in its canonical form.
func normalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().String()
	}
	return h
}

// matches reports whether host (normalised) matches pattern. A wildcard
// never matches an IP address ("*.0.0.1" is not 127.0.0.1).
func matches(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+suffix) && validName(host) && !isAddr(host)
	}
	return pattern == host
}

func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// allowsPort reports whether h allows scheme on port.
func (h Host) allowsPort(scheme string, port int) bool {
	if scheme == "http" && !h.AllowHTTP {
		return false
	}
	if len(h.Ports) == 0 {
		return scheme == "https" && port == 443 || scheme == "http" && port == 80
	}
	return slices.Contains(h.Ports, port)
}
