package clientip

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

const trusted = "10.0.0.0/8, 127.0.0.1, ::1 192.168.1.0/24"

func TestIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted string
		peer    string
		xff     []string // one header line each
		realIP  string
		want    string
	}{
		{"no proxy, no header", trusted, "203.0.113.7:5555", nil, "", "203.0.113.7"},
		{"untrusted peer, forged XFF", trusted, "203.0.113.7:5555",
			[]string{"198.51.100.1"}, "", "203.0.113.7"},
		{"untrusted peer, forged X-Real-IP", trusted, "203.0.113.7:5555",
			nil, "198.51.100.1", "203.0.113.7"},
		{"trust none, XFF from a local peer", "", "127.0.0.1:5555",
			[]string{"198.51.100.1"}, "", "127.0.0.1"},
		{"one trusted proxy", trusted, "127.0.0.1:5555",
			[]string{"203.0.113.7"}, "", "203.0.113.7"},
		{"chain of trusted proxies", trusted, "127.0.0.1:5555",
			[]string{"203.0.113.7, 10.1.2.3, 10.4.5.6"}, "", "203.0.113.7"},
		{"spoofed entries left of the real one", trusted, "127.0.0.1:5555",
			[]string{"1.1.1.1, 8.8.8.8, 203.0.113.7, 10.1.2.3"}, "", "203.0.113.7"},
		{"spoofed trusted address left of the real one", trusted, "127.0.0.1:5555",
			[]string{"10.9.9.9, 203.0.113.7"}, "", "203.0.113.7"},
		{"several header lines", trusted, "127.0.0.1:5555",
			[]string{"1.1.1.1, 203.0.113.7", "10.1.2.3"}, "", "203.0.113.7"},
		{"every hop trusted: leftmost", trusted, "127.0.0.1:5555",
			[]string{"10.1.1.1, 10.2.2.2"}, "", "10.1.1.1"},
		{"malformed rightmost: the peer", trusted, "127.0.0.1:5555",
			[]string{"203.0.113.7, garbage"}, "", "127.0.0.1"},
		{"malformed past a trusted hop: that hop", trusted, "127.0.0.1:5555",
			[]string{"203.0.113.7, unknown, 10.1.2.3"}, "", "10.1.2.3"},
		{"malformed left of the client: ignored", trusted, "127.0.0.1:5555",
			[]string{"<script>, 203.0.113.7"}, "", "203.0.113.7"},
		{"empty entries skipped", trusted, "127.0.0.1:5555",
			[]string{" , 203.0.113.7 ,, "}, "", "203.0.113.7"},
		{"empty header: the peer", trusted, "127.0.0.1:5555",
			[]string{""}, "", "127.0.0.1"},
		{"entry with a port", trusted, "127.0.0.1:5555",
			[]string{"203.0.113.7:41234"}, "", "203.0.113.7"},
		{"IPv6 entry with a port", trusted, "127.0.0.1:5555",
			[]string{"[2001:db8::7]:41234"}, "", "2001:db8::7"},
		{"IPv6 entry in brackets", trusted, "127.0.0.1:5555",
			[]string{"[2001:db8::7]"}, "", "2001:db8::7"},
		{"IPv6 peer trusted", trusted, "[::1]:5555",
			[]string{"2001:DB8::7"}, "", "2001:db8::7"},
		{"mapped entry normalized", trusted, "127.0.0.1:5555",
			[]string{"::ffff:203.0.113.7"}, "", "203.0.113.7"},
		{"mapped peer normalized and trusted", trusted, "[::ffff:10.0.0.1]:5555",
			[]string{"203.0.113.7"}, "", "203.0.113.7"},
		{"mapped untrusted peer normalized", trusted, "[::ffff:203.0.113.7]:5555",
			nil, "", "203.0.113.7"},
		{"zone dropped", "", "[fe80::1%eth0]:5555", nil, "", "fe80::1"},
		{"X-Real-IP from a trusted peer", trusted, "127.0.0.1:5555",
			nil, "203.0.113.7", "203.0.113.7"},
		{"X-Real-IP malformed", trusted, "127.0.0.1:5555",
			nil, "nonsense", "127.0.0.1"},
		{"XFF wins over X-Real-IP", trusted, "127.0.0.1:5555",
			[]string{"203.0.113.7"}, "198.51.100.1", "203.0.113.7"},
		{"peer without port", trusted, "203.0.113.7", nil, "", "203.0.113.7"},
		{"peer not an IP", trusted, "@:0", []string{"203.0.113.7"}, "", "@"},
		{"empty peer", trusted, "", []string{"203.0.113.7"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseTrusted(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if tt.realIP != "" {
				req.Header.Set("X-Real-IP", tt.realIP)
			}
			if got := r.IP(req); got != tt.want {
				t.Errorf("IP: got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRotatingForgedHeaderGainsNothing checks that a client sending a
// new X-Forwarded-For on every request, directly or through a trusted
// proxy that appends its real address, is seen at one address.
func TestRotatingForgedHeaderGainsNothing(t *testing.T) {
	r, err := ParseTrusted(trusted)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer, suffix, want string
	}{
		{"direct", "203.0.113.7:5555", "", "203.0.113.7"},
		{"through a proxy", "10.0.0.2:5555", ", 203.0.113.7", "203.0.113.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen := map[string]int{}
			for i := range 256 {
				req := httptest.NewRequest("POST", "/api/auth/login", nil)
				req.RemoteAddr = c.peer
				forged := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}).String()
				req.Header.Set("X-Forwarded-For", forged+c.suffix)
				req.Header.Set("X-Real-IP", forged)
				seen[r.IP(req)]++
			}
			if len(seen) != 1 || seen[c.want] != 256 {
				t.Errorf("256 forged headers: got addresses %v, want only %s", seen, c.want)
			}
		})
	}
}

func TestParseTrusted(t *testing.T) {
	tests := []struct {
		in   string
		want []string // nil for an error
	}{
		{"", []string{}},
		{"  ", []string{}},
		{"10.0.0.0/8,127.0.0.1, ::1", []string{"10.0.0.0/8", "127.0.0.1/32", "::1/128"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
		{"::ffff:10.0.0.1", []string{"10.0.0.1/32"}},
		{"::ffff:10.0.0.0/104", []string{"10.0.0.0/8"}},
		{"fd00::/8 192.168.0.0/16", []string{"fd00::/8", "192.168.0.0/16"}},
		{"10.0.0.0/33", nil},
		{"example.com", nil},
		{"10.0.0.1:80", nil},
		{"fe80::1%eth0", nil},
		{"::ffff:0.0.0.0/64", nil},
		{"10.0.0.0/8,,bogus", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseTrusted(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Errorf("got %v, want an error", r.Trusted())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range r.Trusted() {
				got = append(got, p.String())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestZeroResolverTrustsNothing(t *testing.T) {
	var r Resolver
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "127.0.0.1:1"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	if got := r.IP(req); got != "127.0.0.1" {
		t.Errorf("got %q, want 127.0.0.1", got)
	}
}

func FuzzIP(f *testing.F) {
	f.Add("127.0.0.1:1", "1.1.1.1, 203.0.113.7, 10.0.0.1", "")
	f.Add("[::1]:1", "[2001:db8::1]:80,garbage", "::ffff:1.2.3.4")
	f.Add("10.0.0.1", "", "203.0.113.7")
	r, err := ParseTrusted(trusted)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, peer, xff, realIP string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = peer
		req.Header.Set("X-Forwarded-For", xff)
		req.Header.Set("X-Real-IP", realIP)
		got := r.IP(req)
		p, ok := parseHost(peer)
		if !ok {
			return // an unparsable peer comes back as it is
		}
		a, err := netip.ParseAddr(got)
		if err != nil || a.Is4In6() || a.Zone() != "" {
			t.Fatalf("IP: got %q, want an address unmapped and without zone", got)
		}
		if !r.Trusts(p) && a != p {
			t.Errorf("IP with untrusted peer %q: got %q, want the peer", peer, got)
		}
	})
}
