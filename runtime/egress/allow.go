package egress

import (
	"fmt"
	"net/http"
	"net/url"

	"golang.org/x/net/http/httpguts"
)

// maxURLBytes bounds a guest's URL before it is parsed.
const maxURLBytes = 8 << 10

// allowURL parses raw and checks it against the allowlist: the grant's
// hosts ∩ the manifest's. The address rules are checked at dial time.
func (e *Engine) allowURL(raw string) (*url.URL, error) {
	if len(raw) > maxURLBytes {
		return nil, fmt.Errorf("URL of %d bytes refused: over %d", len(raw), maxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("URL %s refused: %v", quoteShort(raw), err)
	}
	return u, e.allow(u)
}

// allow checks a parsed URL (a guest's, or a redirect's).
func (e *Engine) allow(u *url.URL) error {
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("URL %s refused: scheme %q, want https (or http where granted)", quoteShort(u.String()), u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("URL %s refused: credentials in a URL are not allowed; the grant injects credentials as headers", describe(&url.URL{Scheme: u.Scheme, Host: u.Host}))
	}
	host := normalHost(u.Hostname())
	port, err := portOf(u.Scheme, u.Port())
	if err != nil || host == "" {
		return fmt.Errorf("URL %s refused: no host, or a bad port", describe(u))
	}
	if !e.declared(host) {
		return fmt.Errorf("host %s refused: the module's manifest does not declare it (declared: %v)", host, e.cfg.Declared)
	}
	for _, h := range e.grant.Hosts {
		if matches(h.Name, host) && h.allowsPort(u.Scheme, port) {
			return nil
		}
	}
	return fmt.Errorf("%s://%s:%d refused: not in the grant's hosts (grant the host, its port, and allow_http for http)", u.Scheme, host, port)
}

func (e *Engine) declared(host string) bool {
	for _, d := range e.cfg.Declared {
		if matches(d, host) {
			return true
		}
	}
	return false
}

// checkRedirect follows at most the grant's max_redirects, each checked
// like the first request; past the count the redirect itself is the
// answer (its status and Location passed through). A redirect to
// another host loses the injected headers.
func (e *Engine) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > e.grant.MaxRedirects {
		return http.ErrUseLastResponse
	}
	if err := e.allow(req.URL); err != nil {
		return &refusal{fmt.Sprintf("redirect %d to %s: %v", len(via), describe(req.URL), err)}
	}
	if req.URL.Host != via[0].URL.Host {
		for k := range e.inj.header {
			req.Header.Del(k)
		}
	}
	return nil
}

func validHeader(k, v string) bool {
	return httpguts.ValidHeaderFieldName(k) && httpguts.ValidHeaderFieldValue(v)
}
