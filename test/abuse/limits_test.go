package abuse

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// addressFree is the number of failed logins one client address gets
// before the default policy blocks it; the failure after them is still
// answered, and blocks the address for a second.
const addressFree = 30

// accountFree is the same for one account.
const accountFree = 5

// failLogin tries to log in as addr with a wrong password and returns the
// reply, which is checked to be 401 invalid_credentials or 429
// too_many_attempts with a Retry-After.
func (in *instance) failLogin(t *testing.T, addr string, header map[string]string) reply {
	t.Helper()
	r := in.do(t, call{method: "POST", path: "/api/auth/login", header: header,
		body: map[string]any{"email": addr, "password": "wrong password guess"}})
	switch r.Status {
	case http.StatusUnauthorized:
		r.wantError(t, http.StatusUnauthorized, "invalid_credentials")
	case http.StatusTooManyRequests:
		r.wantError(t, http.StatusTooManyRequests, "too_many_attempts")
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("429 with Retry-After %q, want whole seconds >= 1",
				r.Header.Get("Retry-After"))
		}
	default:
		t.Errorf("login: got %d %s, want 401 or 429", r.Status, r.Body)
	}
	return r
}

// statuses summarizes replies as a string of 'o' (401) and 'x' (429).
func statuses(rs []reply) string {
	var b strings.Builder
	for _, r := range rs {
		switch r.Status {
		case http.StatusUnauthorized:
			b.WriteByte('o')
		case http.StatusTooManyRequests:
			b.WriteByte('x')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// sprayPattern is what one address spraying a password over new accounts
// must see: the free failures and the blocking one answered, then 429s.
var sprayPattern = strings.Repeat("o", addressFree+1) + "xxxxx"

// TestForgedForwardedFor sprays one password over many accounts from one
// address while rotating X-Forwarded-For and its relatives. Without
// --trusted-proxies the headers must gain nothing; with the peer trusted,
// the forwarded address is the client.
func TestForgedForwardedFor(t *testing.T) {
	t.Parallel()
	t.Run("untrusted peer", func(t *testing.T) {
		t.Parallel()
		in := startServer(t)
		var got []reply
		for i := range len(sprayPattern) {
			fake := fmt.Sprintf("198.51.100.%d", i+1)
			got = append(got, in.failLogin(t, uniqueEmail("spray"), map[string]string{
				"X-Forwarded-For":  fake,
				"X-Real-IP":        fake,
				"Forwarded":        "for=" + fake,
				"True-Client-IP":   fake,
				"CF-Connecting-IP": fake,
			}))
		}
		if s := statuses(got); s != sprayPattern {
			t.Errorf("got %s, want %s: rotating forwarding headers escaped the "+
				"per-address limit", s, sprayPattern)
		}
	})

	t.Run("trusted proxy", func(t *testing.T) {
		t.Parallel()
		in := startServer(t, "--trusted-proxies", "127.0.0.1")
		// Each request from another client behind the proxy: none blocked.
		var got []reply
		for i := range len(sprayPattern) {
			xff := fmt.Sprintf("198.51.100.%d", i+1)
			got = append(got, in.failLogin(t, uniqueEmail("proxied"),
				map[string]string{"X-Forwarded-For": xff}))
		}
		if s, want := statuses(got), strings.Repeat("o", len(sprayPattern)); s != want {
			t.Errorf("distinct forwarded clients: got %s, want %s", s, want)
		}

		// One client behind the proxy is limited on its own address.
		const client = "203.0.113.9"
		got = nil
		for range len(sprayPattern) {
			got = append(got, in.failLogin(t, uniqueEmail("proxied"),
				map[string]string{"X-Forwarded-For": client}))
		}
		if s := statuses(got); s != sprayPattern {
			t.Errorf("one forwarded client: got %s, want %s", s, sprayPattern)
		}
		// Entries it writes itself, left of what the proxy appended, do
		// not help it.
		r := in.failLogin(t, uniqueEmail("proxied"),
			map[string]string{"X-Forwarded-For": "192.0.2.77, " + client})
		if r.Status != http.StatusTooManyRequests {
			t.Errorf("forged left entry: got %d, want 429", r.Status)
		}
		// Nor does passing through a second trusted hop.
		r = in.failLogin(t, uniqueEmail("proxied"),
			map[string]string{"X-Forwarded-For": client + ", 127.0.0.1"})
		if r.Status != http.StatusTooManyRequests {
			t.Errorf("through two trusted hops: got %d, want 429", r.Status)
		}
		// Other clients of the proxy, and the proxy itself, are not blocked.
		for _, h := range []map[string]string{{"X-Forwarded-For": "203.0.113.10"}, nil} {
			if r := in.failLogin(t, uniqueEmail("proxied"), h); r.Status != 401 {
				t.Errorf("XFF %q: got %d, want 401", h["X-Forwarded-For"], r.Status)
			}
		}
		// The audit log names the forwarded client, not the proxy.
		var out string
		found := waitFor(5*time.Second, func() bool {
			out = in.cli(t, "", "audit", "--limit", "1000")
			return regexp.MustCompile(`login_failed .* ` + regexp.QuoteMeta(client)).
				MatchString(out)
		})
		if !found {
			t.Errorf("audit log has no login_failed from %s:\n%s", client, tail(out, 2000))
		}
	})
}

// TestEmailVariantsShareALimit guesses at one account through spellings
// that fold to the same address: ASCII case, the Kelvin sign for K,
// fullwidth letters and padding. They must all count against the one
// account, while other accounts from the same address stay open.
func TestEmailVariantsShareALimit(t *testing.T) {
	t.Parallel()
	in := startServer(t)
	n := emailSeq.Add(1)
	addr := fmt.Sprintf("kate.k%d@example.com", n)
	pw := in.password("kate")
	in.signup(t, addr, pw)

	variants := []string{
		fmt.Sprintf("Kate.K%d@Example.COM", n),
		fmt.Sprintf("KATE.K%d@EXAMPLE.COM", n),
		fmt.Sprintf("\u212Aate.\u212A%d@example.com", n),
		fmt.Sprintf("\uff4b\uff41\uff54\uff45.k%d@example.com", n),
		fmt.Sprintf("\uff2b\uff21\uff34\uff25.\uff2b%d@example.com", n),
		fmt.Sprintf("  kate.k%d@example.com\t", n),
		fmt.Sprintf("kate.\u212A%d@EXAMPLE.com", n),
		fmt.Sprintf("Kate.k%d@example.com", n),
	}
	var got []reply
	for _, v := range variants {
		got = append(got, in.failLogin(t, v, nil))
	}
	want := strings.Repeat("o", accountFree+1) +
		strings.Repeat("x", len(variants)-accountFree-1)
	if s := statuses(got); s != want {
		t.Errorf("variants of one address: got %s, want %s", s, want)
	}
	// The owner must wait like everyone else; but it is the account that
	// is blocked, not the address: another account may still be tried.
	r := in.do(t, call{method: "POST", path: "/api/auth/login",
		body: map[string]any{"email": addr, "password": pw}})
	r.wantError(t, http.StatusTooManyRequests, "too_many_attempts")
	if r := in.failLogin(t, uniqueEmail("other"), nil); r.Status != http.StatusUnauthorized {
		t.Errorf("another account from the same address: got %d, want 401", r.Status)
	}
	wait, _ := strconv.Atoi(r.Header.Get("Retry-After"))
	time.Sleep(time.Duration(wait) * time.Second)
	in.login(t, addr, pw)
}
