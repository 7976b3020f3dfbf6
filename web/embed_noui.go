//go:build noui

// Package web holds the React app that `sallyport serve` serves at "/".
// This build (tag noui) leaves it out.
package web

import (
	"embed"
	"io/fs"
)

// empty is the zero embed.FS: a file system with no files.
var empty embed.FS

// Dist returns an empty file system: the app was left out of this build.
func Dist() fs.FS {
	return empty
}
