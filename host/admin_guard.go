package host

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// guard decides who a request is and whether it may go on: the checks
// against a browser on the same machine (DNS rebinding, cross-origin
// requests) and the credential a change needs (docs/registry.md, "Admin
// API: authentication, audit trail, limits").
type guard struct {
	tokenSum [sha256.Size]byte // of the bearer token, compared in constant time
	hosts    map[string]bool   // host names, beyond loopback names and IPs, a Host may name
}

func newGuard(token string, hosts []string) *guard {
	g := &guard{tokenSum: sha256.Sum256([]byte(token)), hosts: map[string]bool{}}
	for _, h := range hosts {
		g.hosts[strings.ToLower(h)] = true
	}
	return g
}

// deniedRequest is why guard turned a request away, with the status to
// answer.
type deniedRequest struct {
	code int
	why  string
}

func (r *deniedRequest) Error() string { return r.why }

func deny(code int, format string, args ...any) *deniedRequest {
	return &deniedRequest{code: code, why: fmt.Sprintf(format, args...)}
}

// check returns the request's actor, or why it is refused.
func (g *guard) check(r *http.Request) (string, *deniedRequest) {
	if err := g.checkHost(r.Host); err != nil {
		return "anonymous", err
	}
	if err := checkOrigin(r); err != nil {
		return "anonymous", err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := checkJSON(r); err != nil {
			return "anonymous", err
		}
	}
	return g.authenticate(r)
}

// checkHost refuses a Host naming what this API is not: a page whose name
// was rebound to 127.0.0.1 still sends its own name. IP addresses cannot
// be rebound, so any is accepted, as are localhost and the names
// configured ($WEIR_ADMIN_HOSTS, the admin address's host).
func (g *guard) checkHost(hostport string) *deniedRequest {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	switch {
	case host == "":
		return deny(http.StatusBadRequest, "no Host header")
	case net.ParseIP(host) != nil, host == "localhost", g.hosts[host]:
		return nil
	}
	return deny(http.StatusForbidden, "Host %q is not this admin API's name (DNS rebinding?): "+
		"use an IP address or localhost, or add the name to %s", clip(hostport, 100), EnvAdminHosts)
}

// checkOrigin refuses a request a browser sent from another site: an
// Origin other than the API's own, or a Sec-Fetch-Site other than
// same-origin or none (typed by the user). The CLI sends neither.
func checkOrigin(r *http.Request) *deniedRequest {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return deny(http.StatusForbidden, "cross-origin request (Sec-Fetch-Site: %q) refused", clip(site, 40))
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if u, err := url.Parse(origin); err != nil || !strings.EqualFold(u.Host, r.Host) {
		return deny(http.StatusForbidden, "cross-origin request (Origin %q, not %q) refused", clip(origin, 100), clip(r.Host, 100))
	}
	return nil
}

// checkJSON refuses a change whose body is not declared JSON: a browser
// sends text/plain, form or multipart bodies across origins without
// asking, application/json only after a preflight this API never grants.
func checkJSON(r *http.Request) *deniedRequest {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return deny(http.StatusUnsupportedMediaType, "Content-Type %q: a change takes application/json", clip(ct, 100))
	}
	return nil
}

// authenticate names the request's actor from its credential: a client
// certificate the TLS layer verified, else the bearer token. A read (GET)
// needs none from a loopback peer; anything else without one is refused.
func (g *guard) authenticate(r *http.Request) (string, *deniedRequest) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return "cert:" + r.TLS.VerifiedChains[0][0].Subject.String(), nil
	}
	auth := r.Header.Get("Authorization")
	if auth != "" {
		token, ok := strings.CutPrefix(auth, "Bearer ")
		actor := tokenID(token)
		sum := sha256.Sum256([]byte(token)) // equal lengths: the comparison leaks nothing
		if !ok || subtle.ConstantTimeCompare(sum[:], g.tokenSum[:]) != 1 {
			return actor, deny(http.StatusUnauthorized, "wrong bearer token")
		}
		return actor, nil
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && loopbackPeer(r) {
		return "anonymous", nil
	}
	return "anonymous", deny(http.StatusUnauthorized, "a credential is needed: "+
		"Authorization: Bearer <token> (weir transform reads the token file by itself) or a client certificate")
}

func loopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}
