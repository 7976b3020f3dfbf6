// Package migration reads the versioned schema changes that the SQL
// backends embed: files named NNNN_description.sql, numbered from 1
// without gaps. A migration, once released, is never edited; a change is
// a new file. Each backend applies them its own way.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// File is one versioned schema change.
type File struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the *.sql files in dir of fsys in version order and checks
// that they are numbered 1, 2, 3... without gaps.
func Load(fsys fs.FS, dir string) ([]File, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	// Glob returns names in lexical order, which the zero-padded prefix
	// makes the version order.
	files := make([]File, 0, len(names))
	for i, name := range names {
		base := path.Base(name)
		prefix, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil || version != i+1 {
			return nil, fmt.Errorf("migration %q: want a name starting with %04d_",
				base, i+1)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", base, err)
		}
		files = append(files, File{Version: version, Name: base, SQL: string(body)})
	}
	return files, nil
}
