package audit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/sqlite"
)

// memSink is a small in-memory Sink for these tests. It refuses events of
// type "bad", and when gate is not nil each call waits for gate (or its
// context) after announcing itself on entered.
type memSink struct {
	mu      sync.Mutex
	events  []store.AuditEvent
	gate    chan struct{}
	entered chan struct{}
}

var errBad = errors.New("bad event")

func (s *memSink) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	if s.gate != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if e.Type == "bad" {
		return errBad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	return nil
}

func (s *memSink) stored() []store.AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

func gatedSink() *memSink {
	return &memSink{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
}

func TestWritesEveryEventInOrder(t *testing.T) {
	sink := &memSink{}
	w := New(sink, Options{Buffer: 1000, Batch: 7})
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var want []string
	for i := range 500 {
		e := store.AuditEvent{ID: fmt.Sprintf("%04d", i), Time: base, Type: "login",
			UserID: "u1", SessionID: "s1", Reason: "ok", IP: "192.0.2.1", UserAgent: "ua"}
		want = append(want, e.ID)
		w.Record(e)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	got := sink.stored()
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("stored IDs: got %d events %v..., want 500 in order", len(ids), ids[:3])
	}
	wantFirst := store.AuditEvent{ID: "0000", Time: base, Type: "login", UserID: "u1",
		SessionID: "s1", Reason: "ok", IP: "192.0.2.1", UserAgent: "ua"}
	if got[0] != wantFirst {
		t.Errorf("first event: got %+v, want %+v", got[0], wantFirst)
	}
	if w.Written() != 500 || w.Dropped() != 0 || w.Failed() != 0 {
		t.Errorf("counts: got written %d dropped %d failed %d, want 500 0 0",
			w.Written(), w.Dropped(), w.Failed())
	}
}

func TestRecordFillsIDAndTime(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	sink := &memSink{}
	w := New(sink, Options{Now: func() time.Time { return now }})
	w.Record(store.AuditEvent{Type: "logout"})
	w.Record(store.AuditEvent{ID: "given", Time: now.Add(-time.Hour), Type: "logout"})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := sink.stored()
	if len(got) != 2 {
		t.Fatalf("got %d events, want 2", len(got))
	}
	if !got[0].Time.Equal(now) || !strings.HasPrefix(got[0].ID, NewID(now)[:16]) {
		t.Errorf("event without ID and time: got ID %q time %v, want an ID for %v",
			got[0].ID, got[0].Time, now)
	}
	if got[1].ID != "given" || !got[1].Time.Equal(now.Add(-time.Hour)) {
		t.Errorf("event with ID and time: got %q %v, want them kept", got[1].ID, got[1].Time)
	}
}

func TestConcurrentRecord(t *testing.T) {
	sink := &memSink{}
	w := New(sink, Options{Buffer: 8000})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				w.Record(store.AuditEvent{ID: fmt.Sprintf("%d-%04d", g, i), Type: "login"})
			}
		})
	}
	wg.Wait()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range sink.stored() {
		seen[e.ID] = true
	}
	if len(seen) != 8000 {
		t.Errorf("got %d distinct events stored, want 8000", len(seen))
	}
}

// TestRecordDropsWhenFull holds the sink on the first event, fills the
// buffer, and checks that the next events are dropped, not waited for.
func TestRecordDropsWhenFull(t *testing.T) {
	sink := gatedSink()
	w := New(sink, Options{Buffer: 10})
	w.Record(store.AuditEvent{ID: "first"})
	<-sink.entered // the writer holds "first"; the buffer is empty
	for i := range 10 {
		w.Record(store.AuditEvent{ID: fmt.Sprint("fits", i)})
	}
	for i := range 5 {
		w.Record(store.AuditEvent{ID: fmt.Sprint("dropped", i)})
	}
	if got := w.Dropped(); got != 5 {
		t.Errorf("Dropped while full: got %d, want 5", got)
	}

	close(sink.gate)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(sink.stored()); got != 11 {
		t.Errorf("stored: got %d, want 11", got)
	}
	w.Record(store.AuditEvent{ID: "late"})
	if got := w.Dropped(); got != 6 {
		t.Errorf("Dropped after a Record past Close: got %d, want 6", got)
	}
}

// TestCloseGivesUp checks that Close returns when its context ends while
// the sink hangs, and that the events left are counted as dropped.
func TestCloseGivesUp(t *testing.T) {
	sink := gatedSink()
	w := New(sink, Options{Buffer: 10, Timeout: time.Hour})
	for i := range 4 {
		w.Record(store.AuditEvent{ID: fmt.Sprint(i)})
	}
	<-sink.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close with a done context: got %v, want context.Canceled", err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatalf("second Close: got %v, want nil once the writer stopped", err)
	}
	if w.Dropped() != 4 || w.Written() != 0 || w.Failed() != 0 {
		t.Errorf("counts: got dropped %d written %d failed %d, want 4 0 0",
			w.Dropped(), w.Written(), w.Failed())
	}
}

func TestSinkErrors(t *testing.T) {
	sink := &memSink{}
	var mu sync.Mutex
	var refused []string
	w := New(sink, Options{OnError: func(e store.AuditEvent, err error) {
		mu.Lock()
		defer mu.Unlock()
		if !errors.Is(err, errBad) {
			t.Errorf("OnError(%s): got %v, want errBad", e.ID, err)
		}
		refused = append(refused, e.ID)
	}})
	for i, typ := range []string{"login", "bad", "login", "bad", "logout"} {
		w.Record(store.AuditEvent{ID: fmt.Sprint(i), Type: typ})
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(refused, []string{"1", "3"}) {
		t.Errorf("OnError events: got %v, want [1 3]", refused)
	}
	if w.Failed() != 2 || w.Written() != 3 {
		t.Errorf("counts: got failed %d written %d, want 2 3", w.Failed(), w.Written())
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	times := []time.Time{
		base.Add(time.Nanosecond),
		base.Add(-time.Nanosecond),
		base,
		base.Add(time.Hour),
		base.Add(-365 * 24 * time.Hour),
		time.Unix(0, 0),
		time.Unix(0, 1),
		time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
		base.In(time.FixedZone("X", 5*3600)).Add(time.Millisecond),
	}
	type pair struct {
		id string
		t  time.Time
	}
	var pairs []pair
	for _, tm := range times {
		id := NewID(tm)
		if len(id) != 33 {
			t.Errorf("NewID(%v): got %q, want 33 characters", tm, id)
		}
		pairs = append(pairs, pair{id, tm})
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.id, b.id) })
	for i := 1; i < len(pairs); i++ {
		if pairs[i].t.Before(pairs[i-1].t) {
			t.Errorf("ID %s (%v) sorts after ID %s (%v), an earlier time", pairs[i].id,
				pairs[i].t, pairs[i-1].id, pairs[i-1].t)
		}
	}

	clamped := []struct {
		name string
		t    time.Time
		want string
	}{
		{"before 1970", time.Unix(-100, 0), "0000000000000000"},
		{"after 2262", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), "7fffffffffffffff"},
	}
	for _, tt := range clamped {
		if got := NewID(tt.t)[:16]; got != tt.want {
			t.Errorf("%s: got prefix %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestNewIDUnique(t *testing.T) {
	at := time.Now()
	seen := map[string]bool{}
	for range 10_000 {
		id := NewID(at)
		if seen[id] {
			t.Fatalf("NewID repeated %q for one instant", id)
		}
		seen[id] = true
	}
}

func TestSQLiteStore(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sallyport.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	w := New(s, Options{Batch: 16})
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var want []store.AuditEvent
	for i := range 100 {
		e := store.AuditEvent{Time: base.Add(time.Duration(i) * time.Second),
			Type: "login_failed", UserID: fmt.Sprint("u", i%3), Reason: "wrong password",
			IP: "192.0.2.1", UserAgent: "test"}
		e.ID = NewID(e.Time)
		want = append(want, e)
		w.Record(e)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Written() != 100 {
		t.Fatalf("Written: got %d, want 100 (failed %d)", w.Written(), w.Failed())
	}

	got, err := s.ListAudit(ctx, store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(want) // the store lists newest first
	if len(got) != len(want) {
		t.Fatalf("ListAudit: got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || !got[i].Time.Equal(want[i].Time) ||
			got[i].UserID != want[i].UserID || got[i].Reason != want[i].Reason {
			t.Fatalf("event %d: got %+v, want %+v", i, got[i], want[i])
		}
	}

	page, err := s.ListAudit(ctx, store.AuditFilter{UserID: "u1", BeforeID: want[10].ID,
		Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 5 || page[0].ID >= want[10].ID || page[0].UserID != "u1" {
		t.Errorf("paging by ID: got %d events starting %+v, want 5 of u1 before %s",
			len(page), page[0], want[10].ID)
	}

	// A taken ID is refused by the store and reported, not retried.
	var refused error
	w2 := New(s, Options{OnError: func(_ store.AuditEvent, err error) { refused = err }})
	w2.Record(want[0])
	if err := w2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(refused, store.ErrConflict) || w2.Failed() != 1 {
		t.Errorf("duplicate ID: got error %v, failed %d; want ErrConflict, 1",
			refused, w2.Failed())
	}
}
