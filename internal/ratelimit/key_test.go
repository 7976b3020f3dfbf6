package ratelimit

import (
	"regexp"
	"strings"
	"testing"
)

func TestAccountKeyMergesVariants(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"ASCII case", "Bob@Example.com", "bob@example.com"},
		{"all caps", "BOB@EXAMPLE.COM", "bob@example.com"},
		{"surrounding space", " \tbob@example.com\n", "bob@example.com"},
		{"Kelvin sign", "\u212Aelvin@x.io", "kelvin@x.io"},
		{"fullwidth letters", "\uff22\uff4f\uff42@example.com", "bob@example.com"},
		{"fullwidth at sign", "bob\uff20example.com", "bob@example.com"},
		{"composed and decomposed", "e\u0301lise@example.com", "\u00e9lise@example.com"},
		{"Unicode case", "\u00c9LISE@example.com", "\u00e9lise@example.com"},
		{"long s", "\u017fam@example.com", "sam@example.com"},
		{"sharp s", "stra\u00dfe@example.com", "strasse@example.com"},
		{"Greek capitals", "\u03a3\u039f\u03a6\u0399\u0391@x.gr",
			"\u03c3\u03bf\u03c6\u03b9\u03b1@x.gr"},
		{"a megabyte of padding", strings.Repeat(" ", 1<<20) + "\u212Aim@example.com\n",
			"kim@example.com"},
		{"longest address", strings.Repeat("\uff42", 63) + "@" + strings.Repeat("x", 60),
			strings.Repeat("b", 63) + "@" + strings.Repeat("X", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ka, kb := AccountKey(tt.a), AccountKey(tt.b); ka != kb {
				t.Errorf("AccountKey(%+q) = %s, AccountKey(%+q) = %s; want equal",
					tt.a, ka, tt.b, kb)
			}
		})
	}
}

func TestAccountKeyKeepsAddressesApart(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"other local part", "bob@example.com", "rob@example.com"},
		{"other domain", "bob@example.com", "bob@example.org"},
		{"accent", "elise@example.com", "\u00e9lise@example.com"},
		{"plus tag", "bob+x@example.com", "bob@example.com"},
		// Past 254 bytes no account matches, and input is not normalized.
		{"too long to be an address", strings.Repeat("b", 255) + "@x.io",
			strings.Repeat("B", 255) + "@x.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if AccountKey(tt.a) == AccountKey(tt.b) {
				t.Errorf("AccountKey(%+q) == AccountKey(%+q); want different", tt.a, tt.b)
			}
		})
	}
}

func TestAccountKeyShape(t *testing.T) {
	shape := regexp.MustCompile(`^acct:[0-9a-f]{64}$`)
	for _, in := range []string{"", "bob@example.com", strings.Repeat("x", 10_000)} {
		got := AccountKey(in)
		if !shape.MatchString(got) {
			t.Errorf("AccountKey(%d bytes): got %q, want acct: and 64 hex digits", len(in), got)
		}
		if in != "" && strings.Contains(got, "bob") {
			t.Errorf("AccountKey(%q): got %q, which holds the raw email", in, got)
		}
	}
}

func TestAddrKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "ip:192.0.2.1"},
		{"::ffff:192.0.2.1", "ip:192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "ip:2001:db8:1:2::/64"},
		{"fe80::1%eth0", "ip:fe80::/64"},
		{"::1", "ip:::/64"},
		{"not-an-ip", "ip:not-an-ip"},
		{"", "ip:"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := AddrKey(tt.in); got != tt.want {
				t.Errorf("AddrKey(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
