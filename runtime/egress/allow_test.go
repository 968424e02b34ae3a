package egress_test

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"testing"

	"github.com/weirstream/weir/runtime/egress"
)

// The allowlist is the grant's hosts ∩ the manifest's: each refusal
// names what was refused, and the server sees nothing.
func TestAllowlistIsGrantAndManifest(t *testing.T) {
	dns := startDNS(t)
	srv := serve(t, ok("hello"))
	p := srv.port(t)
	for _, n := range []string{"api.example.test", "a.svc.example.test", "undeclared.example.test", "other.test", "svc.example.test"} {
		dns.answer(n, loopback)
	}
	g := egress.Grant{Hosts: []egress.Host{
		local("api.example.test", p),
		local("undeclared.example.test", p),
		{Name: "*.svc.example.test", Ports: []int{p}, AllowHTTP: true},
		{Name: "https-only.example.test", Ports: []int{p}, AllowPrivate: true},
	}}
	e := newEngine(t, dns, g, "api.example.test", "*.example.test")
	cases := []struct {
		name, url string
		code      egress.Code
		says      string
	}{
		{"granted and declared", srv.at(t, "api.example.test", "/x"), egress.CodeOK, ""},
		{"upper case and trailing dot", srv.at(t, "API.Example.TEST.", "/x"), egress.CodeOK, ""},
		{"not granted", srv.at(t, "other.test", "/"), egress.CodeRefused, "not declare"},
		{"granted, declared by wildcard only", srv.at(t, "undeclared.example.test", "/"), egress.CodeOK, ""},
		{"wildcard grant is not the apex", srv.at(t, "svc.example.test", "/"), egress.CodeRefused, "not in the grant's hosts"},
		{"wrong port", "http://api.example.test:" + strconv.Itoa(p+1) + "/", egress.CodeRefused, "not in the grant's hosts"},
		{"http where only https granted", srv.at(t, "https-only.example.test", "/"), egress.CodeRefused, "allow_http"},
		{"scheme", "file:///etc/passwd", egress.CodeRefused, "scheme"},
		{"credentials in URL", "http://u:p@api.example.test:" + strconv.Itoa(p) + "/", egress.CodeRefused, "credentials"},
		{"unparseable", "http://[::1", egress.CodeRefused, "refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := srv.hits.Load()
			r := fetch1(t, e, get(c.url))
			wantCode(t, r, c.code, c.says)
			if c.code == egress.CodeOK && (r.Status != 200 || string(r.Body) != "hello") {
				t.Fatalf("status %d body %q", r.Status, r.Body)
			}
			if c.code != egress.CodeOK && srv.hits.Load() != before {
				t.Fatal("a refused request reached the server")
			}
		})
	}
	// A wildcard never matches an IP address.
	wild := newEngine(t, dns, egress.Grant{Hosts: []egress.Host{{Name: "*.0.0.1", Ports: []int{p}, AllowHTTP: true}}}, "*.0.0.1")
	wantCode(t, fetch1(t, wild, get(srv.URL)), egress.CodeRefused, "does not declare")
	// The wildcard grant reaches a subdomain only where its address is
	// public: a wildcard can never allow private addresses.
	wantCode(t, fetch1(t, e, get(srv.at(t, "a.svc.example.test", "/"))), egress.CodeRefused, "loopback", "allow_private")
}

// Private, loopback, link-local, CGNAT, unique-local and metadata
// addresses are refused on the resolved address unless the exact host is
// granted allow_private; unspecified and multicast never.
func TestNonPublicAddressesRefused(t *testing.T) {
	dns := startDNS(t)
	srv := serve(t, ok("secret internal page"))
	p := srv.port(t)
	cases := []struct{ addr, kind string }{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.20.0.1", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"169.254.169.254", "cloud metadata"},
		{"fd00:ec2::254", "cloud metadata"},
		{"169.254.1.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fc00::1", "unique-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"::ffff:10.0.0.1", "private"},
		{"64:ff9b::a00:1", "NAT64"},
	}
	var hosts []egress.Host
	for i, c := range cases {
		name := "n" + strconv.Itoa(i) + ".test"
		dns.answer(name, []netip.Addr{netip.MustParseAddr(c.addr)})
		hosts = append(hosts, egress.Host{Name: name, Ports: []int{p}, AllowHTTP: true})
	}
	e := newEngine(t, dns, egress.Grant{Hosts: hosts}, "*.test")
	for i, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			r := fetch1(t, e, get(srv.at(t, hosts[i].Name, "/")))
			wantCode(t, r, egress.CodeRefused, netip.MustParseAddr(c.addr).Unmap().String(), c.kind)
		})
	}
	if srv.hits.Load() != 0 {
		t.Fatalf("the server got %d requests", srv.hits.Load())
	}
}

// An IP literal in the URL is checked the same way: granting the address
// as a host is not enough without allow_private, and enough with it.
func TestAddressLiteralsNeedAllowPrivate(t *testing.T) {
	srv := serve(t, ok("hi"))
	p := srv.port(t)
	plain := newEngine(t, nil, egress.Grant{Hosts: []egress.Host{{Name: "127.0.0.1", Ports: []int{p}, AllowHTTP: true}}}, "127.0.0.1")
	wantCode(t, fetch1(t, plain, get(srv.URL)), egress.CodeRefused, "loopback")
	granted := newEngine(t, nil, egress.Grant{Hosts: []egress.Host{local("127.0.0.1", p)}}, "127.0.0.1")
	wantCode(t, fetch1(t, granted, get(srv.URL)), egress.CodeOK)
	if srv.hits.Load() != 1 {
		t.Fatalf("server hits %d, want 1", srv.hits.Load())
	}
}

// DNS rebinding: the name first resolves to a (test-)public address, then
// to loopback. Each dial resolves once and connects to what it checked,
// so the first request reaches the public server and the second is
// refused: loopback's server sees nothing.
func TestRebindingIsCheckedAtDialTime(t *testing.T) {
	dns := startDNS(t)
	internal := serve(t, ok("internal"))
	public := serveOn(t, "127.0.0.2:"+strconv.Itoa(internal.port(t)), ok("public"))
	public2 := netip.MustParseAddr("127.0.0.2")
	dns.answer("rebind.test", []netip.Addr{public2}, loopback)
	e := newEngine(t, dns, egress.Grant{Hosts: []egress.Host{{Name: "rebind.test", Ports: []int{internal.port(t)}, AllowHTTP: true}}}, "rebind.test")
	egress.TreatAsPublic(e, netip.PrefixFrom(public2, 32))

	first := fetch1(t, e, get(internal.at(t, "rebind.test", "/")))
	wantCode(t, first, egress.CodeOK)
	if string(first.Body) != "public" {
		t.Fatalf("first answer %q, want the public server's", first.Body)
	}
	second := fetch1(t, e, get(internal.at(t, "rebind.test", "/")))
	wantCode(t, second, egress.CodeRefused, "127.0.0.1", "loopback")
	if internal.hits.Load() != 0 || public.hits.Load() != 1 {
		t.Fatalf("internal hits %d, public hits %d; want 0 and 1", internal.hits.Load(), public.hits.Load())
	}
	if q := dns.questions("rebind.test"); q != 2 {
		t.Fatalf("%d lookups for two requests, want one per dial", q)
	}
}

// A name with one public and one private answer is refused: every
// resolved address is checked, not just the first.
func TestEveryResolvedAddressIsChecked(t *testing.T) {
	dns := startDNS(t)
	srv := serve(t, ok("internal"))
	dns.answer("mixed.test", []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("10.0.0.1")})
	e := newEngine(t, dns, egress.Grant{Hosts: []egress.Host{{Name: "mixed.test", Ports: []int{srv.port(t)}, AllowHTTP: true}}}, "mixed.test")
	egress.TreatAsPublic(e, netip.MustParsePrefix("127.0.0.2/32"))
	wantCode(t, fetch1(t, e, get(srv.at(t, "mixed.test", "/"))), egress.CodeRefused, "10.0.0.1", "private")
}

// https by name, verified against the grant's roots: the default scheme.
func TestHTTPSByName(t *testing.T) {
	dns := startDNS(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("tls " + r.Proto)) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	p, _ := strconv.Atoi(u.Port())
	dns.answer("example.com", loopback) // the test certificate's name
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	e, err := egress.New(egress.Config{Grant: egress.Grant{Hosts: []egress.Host{{Name: "example.com", Ports: []int{p}, AllowPrivate: true}}},
		Declared: []string{"example.com"}, Resolver: dns.resolver(), RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := fetch1(t, e, get("https://example.com:"+u.Port()+"/"))
	wantCode(t, r, egress.CodeOK)
	if string(r.Body) != "tls HTTP/1.1" {
		t.Fatalf("body %q", r.Body)
	}
	untrusted := newEngine(t, dns, egress.Grant{Hosts: []egress.Host{{Name: "example.com", Ports: []int{p}, AllowPrivate: true}}}, "example.com")
	wantCode(t, fetch1(t, untrusted, get("https://example.com:"+u.Port()+"/")), egress.CodeTransport, "certificate")
}
