package egress_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/weirstream/weir/runtime/egress"
)

// redirector answers /hop/N with a redirect to /hop/N-1 and /hop/0 with
// a redirect to its "to" query parameter.
func redirector(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Path[len("/hop/"):])
	if n == 0 {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		return
	}
	http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1)+"?"+r.URL.RawQuery, http.StatusFound)
}

// No redirect is followed by default: the 3xx is the answer, passed
// through. Granted ones are followed up to the count, each checked like
// a first request: a redirect to a private address or a host not
// granted is refused, and the target sees nothing.
func TestRedirects(t *testing.T) {
	dns := startDNS(t)
	target := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("auth=" + r.Header.Get("X-Api-Key")))
	})
	from := serve(t, redirector)
	for _, n := range []string{"edge.test", "public.test", "internal.test", "elsewhere.test"} {
		dns.answer(n, loopback)
	}
	tp := target.port(t)
	hosts := []egress.Host{
		local("edge.test", from.port(t)),
		local("public.test", tp),
		{Name: "internal.test", Ports: []int{tp}, AllowHTTP: true}, // granted, but not allow_private
	}
	t.Setenv("EGRESS_REDIRECT_KEY", "k3y-for-edge")
	grant := func(n int) egress.Grant {
		return egress.Grant{Hosts: hosts, MaxRedirects: n, Headers: map[string]string{"X-Api-Key": "{{env:EGRESS_REDIRECT_KEY}}"}}
	}
	hop := func(n int, to string) string {
		return from.at(t, "edge.test", "/hop/"+strconv.Itoa(n)) + "?to=" + to
	}
	toPublic := target.at(t, "public.test", "/")
	none := newEngine(t, dns, grant(0), "*.test")
	r := fetch1(t, none, get(hop(0, toPublic)))
	wantCode(t, r, egress.CodeOK)
	if r.Status != http.StatusFound || r.Header.Get("Location") != toPublic {
		t.Fatalf("status %d location %q, want the redirect passed through", r.Status, r.Header.Get("Location"))
	}
	if target.hits.Load() != 0 {
		t.Fatal("a redirect was followed with max_redirects 0")
	}

	two := newEngine(t, dns, grant(2), "*.test")
	r = fetch1(t, two, get(hop(1, toPublic)))
	wantCode(t, r, egress.CodeOK)
	if r.Status != 200 || string(r.Body) != "auth=" {
		t.Fatalf("status %d body %q: want the target's answer, without the injected header of another host", r.Status, r.Body)
	}
	r = fetch1(t, two, get(hop(2, toPublic)))
	if r.Status != http.StatusFound || target.hits.Load() != 1 {
		t.Fatalf("three hops with max_redirects 2: status %d, target hits %d; want the third redirect passed through", r.Status, target.hits.Load())
	}
	wantCode(t, fetch1(t, two, get(hop(0, target.at(t, "internal.test", "/")))), egress.CodeRefused, "loopback", "allow_private")
	wantCode(t, fetch1(t, two, get(hop(0, target.at(t, "elsewhere.test", "/")))), egress.CodeRefused, "redirect 1", "elsewhere.test")
	wantCode(t, fetch1(t, two, get(hop(0, "http://169.254.169.254/latest/meta-data/"))), egress.CodeRefused, "redirect 1", "169.254.169.254")
	if target.hits.Load() != 1 {
		t.Fatalf("refused redirects reached the target: %d hits", target.hits.Load())
	}
}
