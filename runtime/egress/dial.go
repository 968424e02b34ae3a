package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
)

// refusal is a request the grant does not allow; it becomes CodeRefused.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func refuse(format string, args ...any) error { return &refusal{fmt.Sprintf(format, args...)} }

// dial resolves addr's host once, checks every address it resolves to,
// and connects only to a checked address: what is checked is what is
// dialled, so a second answer (DNS rebinding) is never consulted. The
// dialer's Control checks the socket's address again before connecting.
func (e *Engine) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, refuse("address %q: %v", addr, err)
	}
	allowPrivate := e.privateAllowed(normalHost(host))
	ips, err := e.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if err := e.policy.check(ip, allowPrivate); err != nil {
			return nil, refuse("host %s: %v", host, err)
		}
	}
	d := net.Dialer{Timeout: e.grant.ConnectTimeout, Control: e.control(allowPrivate)}
	var last error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

func (e *Engine) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ips, err := e.cfg.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	return ips, nil
}

// control is the last check, on the address the socket connects to.
func (e *Engine) control(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return refuse("dial %s: not an IP address and port", address)
		}
		if err := e.policy.check(ap.Addr(), allowPrivate); err != nil {
			return refuse("dial: %v", err)
		}
		return nil
	}
}

// privateAllowed reports whether an exact grant entry for host sets
// allow_private (a wildcard entry never does).
func (e *Engine) privateAllowed(host string) bool {
	for _, h := range e.grant.Hosts {
		if h.AllowPrivate && h.Name == host {
			return true
		}
	}
	return false
}

// isRefusal reports whether err is, or wraps, a refusal.
func isRefusal(err error) (*refusal, bool) {
	var r *refusal
	ok := errors.As(err, &r)
	return r, ok
}

func portOf(scheme, port string) (int, error) {
	if port == "" {
		if scheme == "http" {
			return 80, nil
		}
		return 443, nil
	}
	return strconv.Atoi(port)
}
