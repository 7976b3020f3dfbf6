package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/audit"
	"github.com/sallyport/sallyport/internal/store"
)

type auditJSON struct {
	Events []struct {
		ID     string `json:"id"`
		Time   string `json:"time"`
		Type   string `json:"type"`
		UserID string `json:"user_id"`
		Reason string `json:"reason"`
	} `json:"events"`
	Next string `json:"next"`
}

// admin signs up a user, makes it an admin and logs in again so that the
// token carries the role.
func (ts *testServer) admin(t *testing.T) grant {
	t.Helper()
	g := ts.signup(t, uniqueEmail("admin"))
	if _, err := ts.Svc.SetRole(context.Background(), g.Email, "admin"); err != nil {
		t.Fatal(err)
	}
	return ts.login(t, g.Email)
}

func TestAdminAudit(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ctx := context.Background()
	user := ts.signup(t, uniqueEmail("plain"))
	admin := ts.admin(t)

	// Five seeded events, numbered 1 to 5 in the reason, a minute apart
	// on a day long before the events the requests above record.
	base := time.Date(2020, 1, 2, 3, 0, 0, 0, time.UTC)
	for i := range 5 {
		uid := user.UserID
		if i%2 == 1 {
			uid = admin.UserID
		}
		at := base.Add(time.Duration(i) * time.Minute)
		e := store.AuditEvent{ID: audit.NewID(at), Time: at, Type: "seeded", UserID: uid,
			Reason: fmt.Sprint(i + 1), IP: "127.0.0.1"}
		if err := ts.Store.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	audit := func(t *testing.T, query string) auditJSON {
		t.Helper()
		r := ts.do(t, request{method: "GET", path: "/api/admin/audit" + query,
			token: admin.Access})
		r.wantStatus(t, http.StatusOK)
		var a auditJSON
		r.decode(t, &a)
		return a
	}
	ids := func(a auditJSON) []string {
		var out []string
		for _, e := range a.Events {
			if e.Type == "seeded" {
				out = append(out, e.Reason)
			}
		}
		return out
	}

	tests := []struct {
		name, query string
		want        string // the seeded events, by number, newest first
	}{
		{"all", "", "54321"},
		{"one user", "?user_id=" + user.UserID, "531"},
		{"since", "?since=2020-01-02T03:02:00Z&until=2021-01-01T00:00:00Z", "543"},
		{"until", "?until=2020-01-02T03:02:00Z", "21"},
		{"limit", "?limit=2&until=2021-01-01T00:00:00Z", "54"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fmt.Sprint(ids(audit(t, tt.query)))
			want := fmt.Sprint(splitDigits(tt.want))
			if got != want {
				t.Errorf("got events %s, want %s", got, want)
			}
		})
	}
	t.Run("paging", func(t *testing.T) {
		var all []string
		q := "?limit=2&until=2021-01-01T00:00:00Z"
		for range 5 {
			a := audit(t, q)
			all = append(all, ids(a)...)
			if a.Next == "" {
				break
			}
			q = "?limit=2&until=2021-01-01T00:00:00Z&before=" + a.Next
		}
		if got := fmt.Sprint(all); got != fmt.Sprint(splitDigits("54321")) {
			t.Errorf("paged through %s, want all five newest first", got)
		}
	})

	t.Run("auth events are recorded", func(t *testing.T) {
		// The audit writer stores events in the background.
		deadline := time.Now().Add(10 * time.Second)
		for {
			types := map[string]bool{}
			for _, e := range audit(t, "?user_id="+admin.UserID).Events {
				types[e.Type] = true
			}
			if types["signup"] && types["role_changed"] && types["login"] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("got event types %v, want signup, role_changed and login", types)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	bad := []struct {
		name  string
		query string
		token string
		code  string
	}{
		{"not an admin", "", user.Access, "forbidden"},
		{"no token", "", "", "token_missing"},
		{"limit 0", "?limit=0", admin.Access, "invalid_request"},
		{"limit 1001", "?limit=1001", admin.Access, "invalid_request"},
		{"limit a word", "?limit=ten", admin.Access, "invalid_request"},
		{"since a word", "?since=yesterday", admin.Access, "invalid_request"},
		{"until not RFC 3339", "?until=2026-01-02", admin.Access, "invalid_request"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			r := ts.do(t, request{method: "GET", path: "/api/admin/audit" + b.query,
				token: b.token})
			r.wantError(t, b.code)
		})
	}
}

func splitDigits(s string) []string {
	var out []string
	for _, c := range s {
		out = append(out, string(c))
	}
	return out
}

// TestMeUserCache checks that GET /me, which caches users, shows this
// process's changes at once and another process's within seconds.
func TestMeUserCache(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ctx := context.Background()
	g := ts.signup(t, uniqueEmail("cache"))
	role := func() string {
		var body struct {
			User userJSON `json:"user"`
		}
		ts.me(t, g.Access).decode(t, &body)
		return body.User.Role
	}
	if got := role(); got != "user" {
		t.Fatalf("got role %q, want user", got)
	}
	if _, err := ts.Svc.SetRole(ctx, g.Email, "editor"); err != nil {
		t.Fatal(err)
	}
	if got := role(); got != "editor" {
		t.Errorf("after SetRole in this process: got role %q, want editor", got)
	}

	// Another instance changes the role behind this one's back.
	admin := "admin"
	if err := ts.Store.UpdateUser(ctx, g.UserID, store.UserUpdate{Role: &admin,
		UpdatedAt: ts.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	ts.Clock.Advance(3 * time.Second)
	if got := role(); got != "admin" {
		t.Errorf("3 s after another instance's change: got role %q, want admin", got)
	}
}
