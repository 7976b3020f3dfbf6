package token

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ParseMasterKey decodes a master key written as base64 (standard or URL
// alphabet, with or without padding) or as 64 hexadecimal digits. Surrounding
// white space is ignored. The key must be exactly 32 bytes. Errors never
// repeat the input, which is a secret.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("parse master key: empty")
	}
	if len(s) == 2*MasterKeySize {
		key, err := hex.DecodeString(s)
		if err != nil {
			return nil, errors.New("parse master key: 64 characters but not hexadecimal")
		}
		return key, nil
	}
	encodings := []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	}
	for _, enc := range encodings {
		key, err := enc.Strict().DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != MasterKeySize {
			return nil, fmt.Errorf("parse master key: %d bytes, want %d", len(key), MasterKeySize)
		}
		return key, nil
	}
	return nil, fmt.Errorf(
		"parse master key: want %d bytes as base64 or %d hexadecimal digits",
		MasterKeySize, 2*MasterKeySize)
}

// LoadOrCreateMasterKeyFile reads the master key from the file at path, or,
// when there is no such file, creates one holding 32 random bytes in base64,
// with mode 0600 in a directory created with mode 0700. created reports
// whether the key is new.
//
// On Unix it refuses an existing file that its group or other users may
// read or write (fix it with chmod 600), because whoever reads the master key
// can unseal every signing key. It never overwrites an existing file, even an
// unreadable one: replacing the master key would make the stored signing
// keys unusable. Two processes starting at once end up with the same key.
func LoadOrCreateMasterKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readMasterKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}

	key = make([]byte, MasterKeySize)
	rand.Read(key)
	err = createFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"))
	if errors.Is(err, fs.ErrExist) {
		// Another process created the file first; use its key.
		key, err = readMasterKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("create master key file: %w", err)
	}
	return key, true, nil
}

// readMasterKeyFile reads and parses the master key file at path. The error
// matches fs.ErrNotExist when there is no file.
func readMasterKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read master key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("read master key file %q: not a regular file", path)
	}
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf(
			"read master key file %q: mode %04o lets other users read it; run chmod 600",
			path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key file: %w", err)
	}
	key, err := ParseMasterKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("read master key file %q: %w", path, err)
	}
	return key, nil
}

// createFile writes data to a new file at path with mode 0600, creating the
// directory with mode 0700 if needed. The file appears whole or not at all:
// data goes to a temporary file that is then linked into place, which fails
// with an error matching fs.ErrExist if path already exists.
func createFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())

	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
