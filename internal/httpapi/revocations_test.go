package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type feedJSON struct {
	Revocations []struct {
		SessionID string `json:"session_id"`
		RevokedAt int64  `json:"revoked_at"`
		Until     int64  `json:"until"`
	} `json:"revocations"`
	Cursor       string `json:"cursor"`
	PollInterval int    `json:"poll_interval"`
}

func (f feedJSON) has(sid string) bool {
	return slices.ContainsFunc(f.Revocations, func(e struct {
		SessionID string `json:"session_id"`
		RevokedAt int64  `json:"revoked_at"`
		Until     int64  `json:"until"`
	}) bool {
		return e.SessionID == sid
	})
}

func TestRevocationFeed(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ctx := context.Background()
	cred, err := ts.Svc.CreateService(ctx, "api-gateway")
	if err != nil {
		t.Fatal(err)
	}
	feed := func(t *testing.T, since string) feedJSON {
		t.Helper()
		path := "/api/auth/revocations"
		if since != "" {
			path += "?since=" + since
		}
		r := ts.do(t, request{method: "GET", path: path, token: cred})
		r.wantStatus(t, http.StatusOK)
		var f feedJSON
		r.decode(t, &f)
		return f
	}

	first := feed(t, "")
	if len(first.Revocations) != 0 || first.PollInterval <= 0 {
		t.Fatalf("got %+v, want no revocations and a poll interval", first)
	}

	g := ts.signup(t, uniqueEmail("feed"))
	sid := claimOf(t, g.Access, "sid").(string)
	ts.Clock.Advance(time.Second)
	ts.do(t, request{method: "POST", path: "/api/auth/logout", token: g.Access}).
		wantStatus(t, http.StatusNoContent)
	now := ts.Clock.Now()

	f := feed(t, first.Cursor)
	if !f.has(sid) {
		t.Fatalf("got %+v, want session %s", f, sid)
	}
	e := f.Revocations[0]
	if e.RevokedAt != now.Unix() {
		t.Errorf("got revoked_at %d, want %d", e.RevokedAt, now.Unix())
	}
	if want := now.Add(15*time.Minute + 30*time.Second).Unix(); e.Until != want {
		t.Errorf("got until %d, want the end of the last token's life %d", e.Until, want)
	}
	if f.Cursor == first.Cursor {
		t.Errorf("the cursor did not move: %s", f.Cursor)
	}

	// Once every token of the session has expired, it leaves the feed.
	ts.Clock.Advance(16 * time.Minute)
	if f := feed(t, ""); f.has(sid) {
		t.Errorf("an expired revocation is still in the feed: %+v", f)
	}

	bad := []struct {
		name, authz, path, code string
	}{
		{"no credential", "", "/api/auth/revocations", "invalid_credential"},
		{"user access token", "Bearer " + ts.login(t, g.Email).Access,
			"/api/auth/revocations", "invalid_credential"},
		{"unknown credential", "Bearer sps_" + strings.Repeat("A", 43),
			"/api/auth/revocations", "invalid_credential"},
		{"bare credential", cred, "/api/auth/revocations?since=abc", "invalid_request"},
		{"negative cursor", "Bearer " + cred, "/api/auth/revocations?since=-1",
			"invalid_request"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			ts.do(t, request{method: "GET", path: b.path, authz: b.authz}).wantError(t, b.code)
		})
	}

	t.Run("deleted service", func(t *testing.T) {
		if err := ts.Svc.DeleteService(ctx, "api-gateway"); err != nil {
			t.Fatal(err)
		}
		r := ts.do(t, request{method: "GET", path: "/api/auth/revocations", token: cred})
		r.wantError(t, "invalid_credential")
	})
}
