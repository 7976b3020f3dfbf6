//go:build !noui

// Package web holds the React app that `sallyport serve` serves at "/".
// The built files in dist/ are committed, so building the binary needs no
// Node; `go build -tags noui` leaves them out.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built app: index.html at its root, hashed files under
// assets/. It is safe for concurrent use.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path; "dist" is a constant.
		panic("web: " + err.Error())
	}
	return sub
}
