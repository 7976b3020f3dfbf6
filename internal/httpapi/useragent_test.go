package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestLongUserAgent: a long user agent is cut once, at the edge, to at
// most 512 bytes of valid UTF-8, for the session list and the audit log.
func TestLongUserAgent(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ua := "x" + strings.Repeat("é", 1000) // the cut falls inside a rune
	r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
		body: creds(uniqueEmail("ua"), testPassword, true), header: map[string]string{
			"User-Agent": ua}})
	r.wantStatus(t, http.StatusCreated)
	g := grantOf(t, r)

	r = ts.do(t, request{method: "GET", path: "/api/auth/sessions", token: g.Access})
	r.wantStatus(t, http.StatusOK)
	var list struct {
		Sessions []struct {
			UserAgent string `json:"user_agent"`
		} `json:"sessions"`
	}
	r.decode(t, &list)
	if len(list.Sessions) != 1 {
		t.Fatalf("got %d sessions, want 1", len(list.Sessions))
	}
	got := list.Sessions[0].UserAgent
	if len(got) > 512 || len(got) < 500 || !utf8.ValidString(got) || !strings.HasPrefix(ua, got) {
		t.Errorf("got a %d-byte user agent (valid UTF-8 %v), want a prefix of at most 512",
			len(got), utf8.ValidString(got))
	}
}
