package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// auditFixture appends five events, an hour apart, whose ids sort in
// time order, and returns them oldest first:
//
//	e1 ann at -3h, e2 bob at -2h, e3 ann at -1h, e4 ann at base, e5 bob at +1h
func auditFixture(t *testing.T, s store.Store) []store.AuditEvent {
	users := []string{"ann", "bob", "ann", "ann", "bob"}
	events := make([]store.AuditEvent, len(users))
	for i, user := range users {
		events[i] = store.AuditEvent{
			ID:        fmt.Sprintf("e%d", i+1),
			Time:      at(time.Duration(i-3) * time.Hour),
			Type:      "login",
			UserID:    user,
			SessionID: fmt.Sprintf("s%d", i+1),
			Reason:    "reason " + fmt.Sprint(i+1),
			IP:        "192.0.2.1",
			UserAgent: "agent " + user,
		}
	}
	// Appended out of order: the store sorts.
	for _, i := range []int{2, 0, 4, 1, 3} {
		mustAppendAudit(t, s, events[i])
	}
	return events
}

func mustAppendAudit(t *testing.T, s store.Store, e store.AuditEvent) {
	t.Helper()
	if err := s.AppendAudit(t.Context(), e); err != nil {
		t.Fatalf("AppendAudit(%q): %v", e.ID, err)
	}
}

func listAudit(t *testing.T, s store.Store, f store.AuditFilter) []store.AuditEvent {
	t.Helper()
	got, err := s.ListAudit(t.Context(), f)
	if err != nil {
		t.Fatalf("ListAudit(%+v): %v", f, err)
	}
	return got
}

func auditIDs(events []store.AuditEvent) []string {
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}

func testAuditRoundTrip(t *testing.T, s store.Store) {
	full := store.AuditEvent{
		ID: "0001-a", Time: base, Type: "reuse_detected", UserID: "ann",
		SessionID: "s1", Reason: "token reused", IP: "2001:db8::1",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
	}
	bare := store.AuditEvent{ID: "0002-b", Time: at(time.Second), Type: "key_rotated"}
	mustAppendAudit(t, s, full)
	mustAppendAudit(t, s, bare)

	got := listAudit(t, s, store.AuditFilter{})
	want := []store.AuditEvent{bare, full}
	if len(got) != len(want) {
		t.Fatalf("ListAudit: got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		checkUTC(t, "ListAudit", got[i].Time)
		g, w := got[i], want[i]
		g.Time, w.Time = ms(g.Time), ms(w.Time)
		if g != w {
			t.Errorf("ListAudit event %d: got %+v, want %+v", i, g, w)
		}
	}

	err := s.AppendAudit(t.Context(), store.AuditEvent{ID: full.ID, Time: base, Type: "login"})
	wantErr(t, "AppendAudit with a taken id", err, store.ErrConflict)
	if got := listAudit(t, s, store.AuditFilter{}); len(got) != 2 || got[1].Type != full.Type {
		t.Errorf("ListAudit after a refused append: got %+v, want the two events", got)
	}
}

func testListAudit(t *testing.T, s store.Store) {
	auditFixture(t, s)

	tests := []struct {
		name   string
		filter store.AuditFilter
		want   []string
	}{
		{"everything", store.AuditFilter{}, []string{"e5", "e4", "e3", "e2", "e1"}},
		{"one user", store.AuditFilter{UserID: "ann"}, []string{"e4", "e3", "e1"}},
		{"unknown user", store.AuditFilter{UserID: "nobody"}, nil},
		{"since, inclusive", store.AuditFilter{Since: at(-2 * time.Hour)},
			[]string{"e5", "e4", "e3", "e2"}},
		{"until, exclusive", store.AuditFilter{Until: at(-time.Hour)},
			[]string{"e2", "e1"}},
		{"since and until", store.AuditFilter{Since: at(-2 * time.Hour), Until: base},
			[]string{"e3", "e2"}},
		{"before an id", store.AuditFilter{BeforeID: "e4"}, []string{"e3", "e2", "e1"}},
		{"before the first id", store.AuditFilter{BeforeID: "e1"}, nil},
		{"limit", store.AuditFilter{Limit: 2}, []string{"e5", "e4"}},
		{"every filter", store.AuditFilter{UserID: "ann", Since: at(-4 * time.Hour),
			Until: at(time.Hour), BeforeID: "e4", Limit: 1}, []string{"e3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := auditIDs(listAudit(t, s, tt.filter))
			if !slices.Equal(got, tt.want) {
				t.Errorf("ListAudit(%+v): got %q, want %q", tt.filter, got, tt.want)
			}
		})
	}
}

// testListAuditPages reads a log of more than the default limit page by
// page, as an admin screen would.
func testListAuditPages(t *testing.T, s store.Store) {
	const n = 105
	for i := range n {
		when := at(time.Duration(i) * time.Second)
		mustAppendAudit(t, s, store.AuditEvent{ID: fmt.Sprintf("%04d", i), Time: when,
			Type: "login"})
	}

	first := listAudit(t, s, store.AuditFilter{})
	if len(first) != 100 {
		t.Fatalf("ListAudit with no limit: got %d events, want 100", len(first))
	}
	if first[0].ID != "0104" || first[99].ID != "0005" {
		t.Errorf("first page: got %q to %q, want %q to %q",
			first[0].ID, first[99].ID, "0104", "0005")
	}
	rest := listAudit(t, s, store.AuditFilter{BeforeID: first[99].ID})
	want := []string{"0004", "0003", "0002", "0001", "0000"}
	if got := auditIDs(rest); !slices.Equal(got, want) {
		t.Errorf("second page: got %q, want %q", got, want)
	}
}

func testDeleteAuditBefore(t *testing.T, s store.Store) {
	auditFixture(t, s)

	n, err := s.DeleteAuditBefore(t.Context(), at(-time.Hour))
	if err != nil {
		t.Fatalf("DeleteAuditBefore: %v", err)
	}
	if n != 2 {
		t.Errorf("DeleteAuditBefore: got %d removed, want 2", n)
	}
	got := auditIDs(listAudit(t, s, store.AuditFilter{}))
	// e3 is exactly at the cut-off and stays.
	if want := []string{"e5", "e4", "e3"}; !slices.Equal(got, want) {
		t.Errorf("events left: got %q, want %q", got, want)
	}

	n, err = s.DeleteAuditBefore(t.Context(), at(-time.Hour))
	if err != nil || n != 0 {
		t.Errorf("second DeleteAuditBefore: got %d, %v; want 0, nil", n, err)
	}
}
