package token

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseMasterKey(t *testing.T) {
	// 0xfb 0xff encode to "+/" and "-_", so each alphabet is exercised.
	key := bytes.Repeat([]byte{0xfb, 0xff}, MasterKeySize/2)
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"base64 std padded", base64.StdEncoding.EncodeToString(key), false},
		{"base64 std raw", base64.RawStdEncoding.EncodeToString(key), false},
		{"base64 url padded", base64.URLEncoding.EncodeToString(key), false},
		{"base64 url raw", base64.RawURLEncoding.EncodeToString(key), false},
		{"hex lower", hex.EncodeToString(key), false},
		{"hex upper", strings.ToUpper(hex.EncodeToString(key)), false},
		{"surrounding space", " \t" + base64.StdEncoding.EncodeToString(key) + "\n", false},
		{"empty", "", true},
		{"blank", "  \n", true},
		{"16 bytes base64", base64.StdEncoding.EncodeToString(key[:16]), true},
		{"33 bytes base64", base64.StdEncoding.EncodeToString(append(key, 1)), true},
		{"63 hex digits", hex.EncodeToString(key)[:63], true},
		{"64 non-hex characters", strings.Repeat("z", 64), true},
		{"mixed alphabets", "+" + base64.RawURLEncoding.EncodeToString(key)[1:], true},
		{"inner space", base64.StdEncoding.EncodeToString(key)[:20] + " " +
			base64.StdEncoding.EncodeToString(key)[20:], true},
		{"passphrase", "correct horse battery staple", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMasterKey(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %x, want an error", got)
				}
				if s := strings.TrimSpace(tt.in); len(s) > 4 && strings.Contains(err.Error(), s) {
					t.Errorf("error %q repeats the secret input", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !bytes.Equal(got, key) {
				t.Errorf("got %x, want %x", got, key)
			}
		})
	}
}

func TestLoadOrCreateMasterKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "secrets")
	path := filepath.Join(dir, "master.key")

	key, created, err := LoadOrCreateMasterKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !created || len(key) != MasterKeySize {
		t.Fatalf("got created %v, %d bytes; want true, %d", created, len(key), MasterKeySize)
	}
	if runtime.GOOS != "windows" {
		checkMode(t, path, 0o600)
		checkMode(t, dir, 0o700)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if parsed, err := ParseMasterKey(string(data)); err != nil || !bytes.Equal(parsed, key) {
		t.Errorf("file holds %q (%v), want the returned key in base64", data, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".master-key-*")); len(leftovers) > 0 {
		t.Errorf("got temporary files %v left behind", leftovers)
	}

	again, created, err := LoadOrCreateMasterKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if created || !bytes.Equal(again, key) {
		t.Errorf("second call: got created %v, key equal %v; want false, true",
			created, bytes.Equal(again, key))
	}
}

func TestLoadOrCreateMasterKeyFileRefuses(t *testing.T) {
	valid := base64.StdEncoding.EncodeToString(make([]byte, MasterKeySize))
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		unix    bool // the check applies on Unix only
	}{
		{"readable by group", valid, 0o640, true},
		{"readable by others", valid, 0o604, true},
		{"writable by group", valid, 0o620, true},
		{"garbage", "not a key", 0o600, false},
		{"empty", "", 0o600, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unix && runtime.GOOS == "windows" {
				t.Skip("file modes do not apply on Windows")
			}
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			key, created, err := LoadOrCreateMasterKeyFile(path)
			if err == nil {
				t.Fatalf("got %d bytes, created %v; want an error", len(key), created)
			}
			data, _ := os.ReadFile(path)
			if string(data) != tt.content {
				t.Errorf("file now holds %q, want it left as %q", data, tt.content)
			}
		})
	}

	t.Run("a directory", func(t *testing.T) {
		if _, _, err := LoadOrCreateMasterKeyFile(t.TempDir()); err == nil {
			t.Error("got no error, want one")
		}
	})
}

// TestCreateFileNeverReplaces covers the race in which another process
// creates the master key file between our check and our write.
func TestCreateFileNeverReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := createFile(path, []byte("second"))
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("got %v, want an error matching fs.ErrExist", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "first" {
		t.Errorf("file holds %q, want %q", data, "first")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("got %d files, want only the key file", len(entries))
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s: got mode %04o, want %04o", path, got, want)
	}
}
