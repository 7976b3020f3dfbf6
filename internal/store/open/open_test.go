package open_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/open"
	"github.com/sallyport/sallyport/internal/store/testdb"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"postgres with password", "postgres://u:secret@h:5432/db?sslmode=disable",
			"postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres without password", "postgres://u@h/db", "postgres://u@h/db"},
		{"password parameter", "postgresql://h/db?user=u&password=secret",
			"postgresql://h/db?password=xxxxx&user=u"},
		{"mongodb", "mongodb://u:secret@h:27017/sallyport",
			"mongodb://u:xxxxx@h:27017/sallyport"},
		{"mongodb with several hosts", "mongodb://u:secret@h1:1,h2:2/db?replicaSet=rs",
			"mongodb://u:xxxxx@h1:1,h2:2/db?replicaSet=rs"},
		{"bad escape in the password", "mongodb://u:se%zcret@h/db?password=secret",
			"mongodb://u:xxxxx@h/db"},
		{"not a URL at all", "%zz", "(unparsable URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := open.Redact(tt.url)
			if got != tt.want {
				t.Errorf("Redact(%q): got %q, want %q", tt.url, got, tt.want)
			}
			if strings.Contains(got, "secret") {
				t.Errorf("Redact(%q): got %q, which holds the password", tt.url, got)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, url, label string
	}{
		{"plain path", filepath.Join(dir, "a.db"), "sqlite:" + filepath.Join(dir, "a.db")},
		{"sqlite URL", "sqlite://" + filepath.Join(dir, "b.db"),
			"sqlite:" + filepath.Join(dir, "b.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, label, err := open.Open(t.Context(), tt.url)
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.url, err)
			}
			defer st.Close()
			if label != tt.label {
				t.Errorf("label: got %q, want %q", label, tt.label)
			}
			if err := st.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name, url string
	}{
		{"unknown scheme", "mysql://u:secret@h/db"},
		{"empty sqlite path", "sqlite://"},
		{"bad postgres URL", "postgres://u:secret@h:notaport/db"},
		{"bad mongodb URL", "mongodb://u:secret@h:notaport/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, err := open.Open(t.Context(), tt.url)
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q): got nil error, want one", tt.url)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("Open(%q): error %q holds the password", tt.url, err)
			}
		})
	}
}

// TestOpenUnreachable opens servers that are not there: the error says
// the store is unavailable and keeps the password out.
func TestOpenUnreachable(t *testing.T) {
	// Port 1 on loopback: nothing listens there, so connecting is
	// refused at once.
	tests := []struct {
		name, url string
	}{
		{"postgres", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2"},
		{"mongodb", "mongodb://u:secret@127.0.0.1:1/db?serverSelectionTimeoutMS=500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, label, err := open.Open(t.Context(), tt.url)
			if err == nil {
				st.Close()
				t.Fatalf("Open(%q): got nil error, want one", tt.url)
			}
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("Open(%q): got %v, want %v", tt.url, err, store.ErrUnavailable)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(label, "secret") {
				t.Errorf("Open(%q): error %q or label %q holds the password", tt.url, err, label)
			}
		})
	}
}

// TestOpenEveryBackend opens each backend through its URL and checks the
// label.
func TestOpenEveryBackend(t *testing.T) {
	prefixes := map[string]string{
		"sqlite": "sqlite:/", "postgres": "postgres://", "mongo": "mongodb://",
	}
	for _, backend := range testdb.Backends() {
		t.Run(backend, func(t *testing.T) {
			url := testdb.URL(t, backend)
			st, label, err := open.Open(t.Context(), url)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer st.Close()
			if err := st.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if !strings.HasPrefix(label, prefixes[backend]) {
				t.Errorf("label: got %q, want it to start with %q", label, prefixes[backend])
			}
		})
	}
}
