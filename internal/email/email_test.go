package email

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

// domainOf returns a valid domain of n bytes, n at least 5: labels of at
// most 63 bytes followed by ".com".
func domainOf(n int) string {
	var labels []string
	rest := n - len(".com")
	for rest > 63 {
		l := min(63, rest-2) // leave a dot and at least one byte
		labels = append(labels, strings.Repeat("d", l))
		rest -= l + 1
	}
	labels = append(labels, strings.Repeat("e", rest), "com")
	return strings.Join(labels, ".")
}

func TestNormalizeAccepts(t *testing.T) {
	local64 := strings.Repeat("l", 64)
	label63 := strings.Repeat("x", 63)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "bob@example.com", "bob@example.com"},
		{"ASCII upper case", "Bob@Example.COM", "bob@example.com"},
		{"surrounding spaces", "  bob@example.com\t\r\n", "bob@example.com"},
		{"Unicode spaces", "\u00a0\u3000bob@example.com\u2003", "bob@example.com"},
		{"dots and plus",
			"first.last+tag@mail.example.co.uk", "first.last+tag@mail.example.co.uk"},
		{"atext specials",
			"a!#$%&'*+/=?^_`{|}~-z@example.com", "a!#$%&'*+/=?^_`{|}~-z@example.com"},
		{"digits and hyphens", "x@1-2.example-1.org", "x@1-2.example-1.org"},
		{"Kelvin sign kept", "\u212Aelvin@example.com", "\u212Aelvin@example.com"},
		{"Kelvin sign kept, rest folded", "\u212AELVIN@EXAMPLE.COM", "\u212Aelvin@example.com"},
		{"long s kept", "\u017Fam@example.com", "\u017Fam@example.com"},
		{"dotted capital I kept", "\u0130nci@example.com", "\u0130nci@example.com"},
		{"non-ASCII upper case kept", "ÉLISE@Exämple.com", "Élise@exämple.com"},
		{"non-ASCII domain", "用户@例子.广告", "用户@例子.广告"},
		{"decomposed accent kept", "e\u0301lise@example.com", "e\u0301lise@example.com"},
		{"local part 64 bytes", local64 + "@example.com", local64 + "@example.com"},
		{"254 bytes", local64 + "@" + domainOf(189), local64 + "@" + domainOf(189)},
		{"label 63 bytes", "a@" + label63 + ".com", "a@" + label63 + ".com"},
		{"punycode", "a@xn--bcher-kva.example", "a@xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Normalize(%+q): got %+q, %v; want %+q, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestNormalizeKeepsKelvinApart checks the case the folding rule exists
// for: strings.ToLower would merge these two addresses.
func TestNormalizeKeepsKelvinApart(t *testing.T) {
	kelvin, err := Normalize("\u212Aelvin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Normalize("kelvin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if kelvin == plain || kelvin == "kelvin@example.com" {
		t.Errorf("Normalize(Kelvin sign): got %+q, want it to differ from %+q", kelvin, plain)
	}
	if strings.ToLower("\u212Aelvin@example.com") != plain {
		t.Errorf("strings.ToLower no longer merges the Kelvin sign; update the package doc")
	}
}

func TestNormalizeRefuses(t *testing.T) {
	local65 := strings.Repeat("l", 65)
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"only spaces", " \t\u00a0\n"},
		{"invalid UTF-8", "bob\xff@example.com"},
		{"truncated UTF-8", "bob@example.co\xc3"},
		{"no at", "bob"},
		{"no local part", "@example.com"},
		{"no domain", "bob@"},
		{"two ats", "a@b@example.com"},
		{"single-label domain", "bob@localhost"},
		{"trailing dot", "bob@example.com."},
		{"leading dot in domain", "bob@.example.com"},
		{"empty label", "bob@example..com"},
		{"leading dot", ".bob@example.com"},
		{"trailing dot in local part", "bob.@example.com"},
		{"double dot", "b..ob@example.com"},
		{"display name", "Bob <bob@example.com>"},
		{"quoted display name", `"Bob" <bob@example.com>`},
		{"angle brackets", "<bob@example.com>"},
		{"trailing comment", "bob@example.com (Bob)"},
		{"leading comment", "(Bob)bob@example.com"},
		{"comment in domain", "bob@(x)example.com"},
		{"quoted local part", `"bob"@example.com`},
		{"quoted with space", `"bob smith"@example.com`},
		{"space inside", "bob smith@example.com"},
		{"space in domain", "bob@exa mple.com"},
		{"tab inside", "bob\t@example.com"},
		{"ideographic space inside", "bob\u3000@example.com"},
		{"NUL", "bob\x00@example.com"},
		{"DEL", "bob\x7f@example.com"},
		{"newline inside", "bob\n@example.com"},
		{"C1 control", "bob\u0080@example.com"},
		{"zero-width space", "bob\u200b@example.com"},
		{"right-to-left override", "bob\u202e@example.com"},
		{"line separator", "bob@exa\u2028mple.com"},
		{"byte order mark", "\ufeffbob@example.com"},
		{"domain literal", "bob@[127.0.0.1]"},
		{"IPv4 address", "bob@127.0.0.1"},
		{"numeric TLD", "bob@example.123"},
		{"hyphen at label start", "bob@-example.com"},
		{"hyphen at label end", "bob@example-.com"},
		{"underscore in domain", "bob@exa_mple.com"},
		{"plus in domain", "bob@exa+mple.com"},
		{"label 64 bytes", "a@" + strings.Repeat("x", 64) + ".com"},
		{"local part 65 bytes", local65 + "@example.com"},
		{"255 bytes", strings.Repeat("l", 64) + "@" + domainOf(190)},
		{"list", "bob@example.com,eve@example.com"},
		{"group", "friends: bob@example.com;"},
		{"backslash", `bo\b@example.com`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if !errors.Is(err, ErrInvalid) || got != "" {
				t.Errorf("Normalize(%+q): got %+q, %v; want \"\", ErrInvalid", tt.in, got, err)
			}
		})
	}
}

func TestDomainOf(t *testing.T) {
	for _, n := range []int{5, 67, 68, 69, 189, 190} {
		d := domainOf(n)
		if len(d) != n {
			t.Errorf("domainOf(%d): got %d bytes, want %d", n, len(d), n)
		}
		if err := checkDomain(d); err != nil {
			t.Errorf("checkDomain(domainOf(%d)): got %v, want nil", n, err)
		}
	}
}

// FuzzNormalize checks that Normalize never panics, that a result is
// stable under a second Normalize, and that it differs from the trimmed
// input only in ASCII letters A-Z turned to a-z.
func FuzzNormalize(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || out != "" {
				t.Fatalf("Normalize(%+q): got %+q, %v; want \"\", ErrInvalid", in, out, err)
			}
			return
		}

		again, err := Normalize(out)
		if err != nil || again != out {
			t.Errorf("Normalize(%+q) = %+q; Normalize of that: got %+q, %v; want it unchanged",
				in, out, again, err)
		}

		trimmed := strings.TrimFunc(in, unicode.IsSpace)
		if len(out) != len(trimmed) || len(out) > maxLen {
			t.Fatalf("Normalize(%+q): got %+q, want the %d bytes of %+q", in, out,
				len(trimmed), trimmed)
		}
		for i := range len(out) {
			c, o := trimmed[i], out[i]
			folded := 'A' <= c && c <= 'Z' && o == c+('a'-'A')
			if o != c && !folded {
				t.Fatalf("Normalize(%+q): got %+q, byte %d changed from %+q to %+q",
					in, out, i, c, o)
			}
		}
	})
}
