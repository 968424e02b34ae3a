package egress

import (
	"fmt"
	"net/netip"
)

// addressKind says why an address is not public; "" is public.
type addressKind string

// Addresses never dialled, whatever the grant: they reach no single
// remote host (0.0.0.0 reaches this host's own services on Linux).
var neverDialled = []struct {
	prefix netip.Prefix
	kind   addressKind
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
}

// nonPublic are the addresses dialled only for a host whose grant entry
// says allow_private. Metadata services come first so a refusal names them.
var nonPublic = []struct {
	prefix netip.Prefix
	kind   addressKind
}{
	{netip.MustParsePrefix("169.254.169.254/32"), "cloud metadata"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "cloud metadata"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64 (embeds an IPv4 address)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64 (embeds an IPv4 address)"},
	{netip.MustParsePrefix("2002::/16"), "6to4 (embeds an IPv4 address)"},
	{netip.MustParsePrefix("2001::/32"), "Teredo (embeds an IPv4 address)"},
}

// policy decides which resolved addresses a dial may reach.
type policy struct {
	public []netip.Prefix // treated as public: set only by tests (export_test.go)
}

// check returns nil when a may be dialled for a host entry with the
// given allowPrivate, or the refusal naming the address and its kind.
func (p policy) check(a netip.Addr, allowPrivate bool) error {
	a = a.Unmap()
	for _, r := range neverDialled {
		if r.prefix.Contains(a) {
			return fmt.Errorf("address %s is %s: never dialled", a, r.kind)
		}
	}
	for _, pub := range p.public {
		if pub.Contains(a) {
			return nil
		}
	}
	if allowPrivate {
		return nil
	}
	for _, r := range nonPublic {
		if r.prefix.Contains(a) {
			return fmt.Errorf("address %s is %s: refused unless the grant's entry for this exact host sets allow_private", a, r.kind)
		}
	}
	return nil
}
