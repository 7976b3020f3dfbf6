package abuse

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// auditEvent is one entry of GET /api/admin/audit.
type auditEvent struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	UserID    string    `json:"user_id"`
	SessionID string    `json:"session_id"`
	Reason    string    `json:"reason"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

// wantEvent describes an audit entry a test expects; empty fields are
// not checked, except that HTTP events must carry an address and agent.
type wantEvent struct {
	typ, user, session, reason string
	// agent is the User-Agent of the request; "" for CLI events.
	agent string
}

func (w wantEvent) matches(e auditEvent) bool {
	return e.Type == w.typ && e.UserID == w.user &&
		(w.session == "" || e.SessionID == w.session) &&
		(w.reason == "" || strings.Contains(e.Reason, w.reason)) &&
		(w.agent == "" || e.UserAgent == w.agent && e.IP == "127.0.0.1")
}

func (w wantEvent) String() string {
	return fmt.Sprintf("%s user=%s session=%s reason=%q agent=%q", w.typ, w.user, w.session,
		w.reason, w.agent)
}

// TestAuditLog performs every kind of auth event and finds each in the
// audit log, both through `sallyport audit` and GET /api/admin/audit,
// with its time, user, session, address and user agent; the endpoint is
// for admins only and pages with "next"; and the retention setting
// removes old events.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	in := startServer(t, "--refresh-grace", "1s")
	begin := time.Now().Add(-time.Second)
	as := func(step string) map[string]string {
		return map[string]string{"User-Agent": "abuse-suite/" + step}
	}
	post := func(path, step, tok string, body any) reply {
		return in.do(t, call{method: "POST", path: path, header: as(step), token: tok,
			body: body})
	}

	// The user's life, one event after another.
	addr := uniqueEmail("audited")
	pw := in.password("audited")
	r := post("/api/auth/signup", "signup", "", map[string]any{"email": addr, "password": pw,
		"return_refresh_token": true})
	r.wantStatus(t, http.StatusCreated)
	first := in.grantOf(t, r)
	user := first.UserID

	post("/api/auth/login", "bad-login", "", map[string]any{"email": addr,
		"password": "not the password"}).
		wantError(t, http.StatusUnauthorized, "invalid_credentials")

	r = post("/api/auth/login", "login", "", map[string]any{"email": addr, "password": pw,
		"return_refresh_token": true})
	r.wantStatus(t, http.StatusOK)
	stolen := in.grantOf(t, r)
	r = post("/api/auth/refresh", "refresh", "", map[string]any{
		"refresh_token": stolen.Refresh, "return_refresh_token": true})
	r.wantStatus(t, http.StatusOK)
	time.Sleep(1500 * time.Millisecond) // past the 1 s grace window
	post("/api/auth/refresh", "reuse", "", map[string]any{"refresh_token": stolen.Refresh}).
		wantError(t, http.StatusUnauthorized, "refresh_token_reused")

	here := in.login(t, addr, pw)
	there := in.login(t, addr, pw)
	r = in.do(t, call{method: "DELETE", path: "/api/auth/sessions/" + there.SessionID,
		token: here.Access, header: as("revoke")})
	r.wantStatus(t, http.StatusNoContent)
	next := in.password("audited-next")
	post("/api/auth/password", "password", here.Access, map[string]any{
		"current_password": pw, "new_password": next}).wantStatus(t, http.StatusNoContent)
	post("/api/auth/logout", "logout", here.Access, nil).wantStatus(t, http.StatusNoContent)

	in.cli(t, "", "user", "set-role", "--email", addr, "--role", "auditor")
	other := uniqueEmail("disabled")
	otherPW := in.password("disabled")
	victim := in.signup(t, other, otherPW)
	in.cli(t, "", "user", "disable", "--email", other)
	post("/api/auth/login", "disabled-login", "", map[string]any{"email": other,
		"password": otherPW}).wantError(t, http.StatusForbidden, "account_disabled")

	want := []wantEvent{
		{typ: "signup", user: user, session: first.SessionID, agent: "abuse-suite/signup"},
		{typ: "login_failed", user: user, reason: "invalid_credentials",
			agent: "abuse-suite/bad-login"},
		{typ: "login", user: user, session: stolen.SessionID, agent: "abuse-suite/login"},
		{typ: "refresh", user: user, session: stolen.SessionID, agent: "abuse-suite/refresh"},
		{typ: "reuse_detected", user: user, session: stolen.SessionID,
			agent: "abuse-suite/reuse"},
		{typ: "session_revoked", user: user, session: there.SessionID,
			agent: "abuse-suite/revoke"},
		{typ: "password_changed", user: user, session: here.SessionID,
			agent: "abuse-suite/password"},
		{typ: "logout", user: user, session: here.SessionID, reason: "local",
			agent: "abuse-suite/logout"},
		{typ: "role_changed", user: user, reason: "auditor"},
		{typ: "user_disabled", user: victim.UserID},
		{typ: "login_failed", user: victim.UserID, reason: "account_disabled",
			agent: "abuse-suite/disabled-login"},
	}

	// An admin, and a user who is not one.
	admin := uniqueEmail("admin")
	adminPW := in.password("admin")
	in.signup(t, admin, adminPW)
	in.cli(t, "", "user", "set-role", "--email", admin, "--role", "admin")
	adminTok := in.login(t, admin, adminPW).Access
	plain := in.signup(t, uniqueEmail("plain"), in.password("plain"))

	t.Run("admin endpoint", func(t *testing.T) {
		in.do(t, call{method: "GET", path: "/api/admin/audit"}).
			wantError(t, http.StatusUnauthorized, "token_missing")
		in.do(t, call{method: "GET", path: "/api/admin/audit", token: "not.a.token"}).
			wantError(t, http.StatusUnauthorized, "token_invalid")
		in.do(t, call{method: "GET", path: "/api/admin/audit", token: plain.Access}).
			wantError(t, http.StatusForbidden, "forbidden")
		in.do(t, call{method: "GET", path: "/api/admin/audit?limit=0", token: adminTok}).
			wantError(t, http.StatusBadRequest, "invalid_request")
		in.do(t, call{method: "GET", path: "/api/admin/audit?since=yesterday",
			token: adminTok}).wantError(t, http.StatusBadRequest, "invalid_request")

		var events []auditEvent
		complete := waitFor(5*time.Second, func() bool {
			events = in.auditPages(t, adminTok, "", 3)
			return missing(want, events) == nil
		})
		if !complete {
			for _, w := range missing(want, events) {
				t.Errorf("audit log lacks %v", w)
			}
			t.Logf("audit log: %+v", events)
		}
		now := time.Now().Add(time.Second)
		for _, e := range events {
			if e.Time.Before(begin) || e.Time.After(now) {
				t.Errorf("event %s %s: time %v outside the test's run", e.ID, e.Type, e.Time)
			}
		}
		// Filtered by user: only that user's events.
		mine := in.auditPages(t, adminTok, "&user_id="+victim.UserID, 100)
		if len(mine) == 0 {
			t.Errorf("user_id filter: got no events for %s", victim.UserID)
		}
		for _, e := range mine {
			if e.UserID != victim.UserID {
				t.Errorf("user_id filter: got an event of %s", e.UserID)
			}
		}
		// Nothing secret in the events.
		raw, _ := json.Marshal(events)
		for _, what := range in.secrets.leaked(string(raw)) {
			t.Errorf("audit log holds a secret: %s", what)
		}
	})

	t.Run("command line", func(t *testing.T) {
		out := in.cli(t, "", "audit", "--limit", "1000")
		for _, w := range want {
			row := fmt.Sprintf(`(?m)^\S+ +%s +%s +`, w.typ, w.user)
			if w.session != "" {
				row += regexp.QuoteMeta(w.session) + " +"
			}
			if !regexp.MustCompile(row).MatchString(out) {
				t.Errorf("sallyport audit lacks %v:\n%s", w, out)
			}
		}
		byUser := in.cli(t, "", "audit", "--user", strings.ToUpper(other))
		rows := strings.Split(strings.TrimSpace(byUser), "\n")[1:]
		if len(rows) < 3 { // signup, user_disabled, login_failed
			t.Errorf("audit --user %s: got %d rows, want at least 3:\n%s", other, len(rows),
				byUser)
		}
		for _, row := range rows {
			if !strings.Contains(row, victim.UserID) {
				t.Errorf("audit --user %s: got another user's row %q", other, row)
			}
		}
		future := in.cli(t, "", "audit", "--since", time.Now().Add(time.Hour).Format(time.RFC3339))
		if n := strings.Count(strings.TrimSpace(future), "\n"); n != 0 {
			t.Errorf("audit --since in the future: got %d rows, want none:\n%s", n, future)
		}
	})

	t.Run("retention", func(t *testing.T) {
		time.Sleep(1100 * time.Millisecond)
		in.restart(t, "--audit-retention", "1s")
		out := in.cli(t, "", "audit", "--limit", "1000")
		if rows := strings.Split(strings.TrimSpace(out), "\n"); len(rows) != 1 {
			t.Errorf("after a restart with --audit-retention 1s: got %d events, want none:\n%s",
				len(rows)-1, out)
		}
		left := in.auditPages(t, adminTok, "", 100)
		if len(left) != 0 {
			t.Errorf("after a restart with --audit-retention 1s: the endpoint lists %d events",
				len(left))
		}
		// New events are still recorded.
		in.login(t, admin, adminPW)
		if !waitFor(5*time.Second, func() bool {
			return len(in.auditPages(t, adminTok, "", 100)) > 0
		}) {
			t.Errorf("no event recorded after the restart")
		}
	})
}

// auditPages reads the whole audit log through the admin endpoint, limit
// events a page, following "next", and checks the pages fit together.
func (in *instance) auditPages(t *testing.T, tok, query string, limit int) []auditEvent {
	t.Helper()
	var all []auditEvent
	seen := map[string]bool{}
	before := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("audit paging does not end")
		}
		path := fmt.Sprintf("/api/admin/audit?limit=%d%s", limit, query)
		if before != "" {
			path += "&before=" + before
		}
		r := in.do(t, call{method: "GET", path: path, token: tok})
		r.wantStatus(t, http.StatusOK)
		var body struct {
			Events []auditEvent `json:"events"`
			Next   string       `json:"next"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("audit page: %v", err)
		}
		if len(body.Events) > limit {
			t.Fatalf("audit page of %d events, want at most %d", len(body.Events), limit)
		}
		for i, e := range body.Events {
			if seen[e.ID] {
				t.Errorf("audit event %s listed twice", e.ID)
			}
			seen[e.ID] = true
			if i > 0 && e.ID >= body.Events[i-1].ID {
				t.Errorf("audit events out of order: %s after %s", e.ID, body.Events[i-1].ID)
			}
		}
		all = append(all, body.Events...)
		if body.Next == "" {
			return all
		}
		if len(body.Events) != limit {
			t.Errorf("a page of %d events with next %q, want a full page", len(body.Events),
				body.Next)
		}
		before = body.Next
	}
}

// missing returns the wanted events that events lacks.
func missing(want []wantEvent, events []auditEvent) []wantEvent {
	var out []wantEvent
	for _, w := range want {
		found := false
		for _, e := range events {
			if w.matches(e) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}
