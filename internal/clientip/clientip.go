// Package clientip finds the address of the client behind a request.
//
// The direct peer (the host of the request's RemoteAddr) is the client
// unless it is a trusted proxy. Only then do forwarding headers count:
// X-Forwarded-For is read from the right, past the trusted proxies that
// appended to it, and the first address not trusted is the client. Every
// entry left of it was written by the client or by proxies it chose, and
// is ignored, so a client that forges the header gains nothing.
// X-Real-IP counts only from a trusted peer that sent no X-Forwarded-For.
//
// Addresses come back in the canonical text form of package net/netip,
// IPv4-mapped IPv6 addresses as IPv4, without zone.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds client addresses given a set of trusted proxies. The zero
// value trusts nothing and so always returns the direct peer. A Resolver
// is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// ParseTrusted returns a Resolver that trusts the proxies in s, a comma-
// or space-separated list of IP addresses ("127.0.0.1", "::1") and CIDR
// networks ("10.0.0.0/8"). An empty s trusts none. It fails, quoting the
// entry, on anything else.
func ParseTrusted(s string) (Resolver, error) {
	var r Resolver
	for _, f := range strings.FieldsFunc(s, func(c rune) bool {
		return c == ',' || c == ' ' || c == '\t' || c == '\n'
	}) {
		p, err := parseEntry(f)
		if err != nil {
			return Resolver{}, fmt.Errorf("parse trusted proxies: %w", err)
		}
		r.trusted = append(r.trusted, p)
	}
	return r, nil
}

func parseEntry(f string) (netip.Prefix, error) {
	if strings.Contains(f, "/") {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("entry %q: not an IP network", f)
		}
		if p.Addr().Is4In6() {
			// ::ffff:10.0.0.0/104 names the IPv4 network 10.0.0.0/8.
			if p.Bits() < 96 {
				return netip.Prefix{}, fmt.Errorf("entry %q: mapped network too wide", f)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(f)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("entry %q: not an IP address or network", f)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Trusted returns the trusted networks, for logging at startup.
func (r Resolver) Trusted() []netip.Prefix {
	return append([]netip.Prefix(nil), r.trusted...)
}

// Trusts reports whether a is a trusted proxy.
func (r Resolver) Trusts(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// IP returns the address of the client that sent req. When RemoteAddr
// holds no IP address (a Unix socket, a test), it returns RemoteAddr's
// host part as it is.
func (r Resolver) IP(req *http.Request) string {
	peer, ok := parseHost(req.RemoteAddr)
	if !ok {
		host, _, err := net.SplitHostPort(req.RemoteAddr)
		if err != nil {
			return req.RemoteAddr
		}
		return host
	}
	if !r.Trusts(peer) {
		return peer.String()
	}

	if xff := req.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		return r.fromForwarded(peer, xff).String()
	}
	if xri, ok := parseHost(req.Header.Get("X-Real-IP")); ok {
		return xri.String()
	}
	return peer.String()
}

// fromForwarded walks the X-Forwarded-For values from the right, starting
// at the trusted peer, and returns the first untrusted hop. A malformed
// entry ends the walk: whoever wrote it cannot be vouched for, so the last
// well-formed hop is the best answer. So is the leftmost entry when every
// hop is trusted.
func (r Resolver) fromForwarded(peer netip.Addr, values []string) netip.Addr {
	hop := peer
	for i := len(values) - 1; i >= 0; i-- {
		rest := values[i]
		for rest != "" {
			var entry string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				rest, entry = rest[:j], rest[j+1:]
			} else {
				rest, entry = "", rest
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			a, ok := parseHost(entry)
			if !ok {
				return hop
			}
			hop = a
			if !r.Trusts(a) {
				return a
			}
		}
	}
	return hop
}

// parseHost parses an IP address, alone or with a port ("192.0.2.1:443",
// "[2001:db8::1]:443", "[2001:db8::1]"), and returns it unmapped and
// without zone.
func parseHost(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr == nil {
			a, err = ap.Addr(), nil
		} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			a, err = netip.ParseAddr(s[1 : len(s)-1])
		}
	}
	if err != nil || !a.IsValid() {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
