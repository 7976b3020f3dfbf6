//go:build !noui

package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func TestDistHasTheBuiltApp(t *testing.T) {
	index, err := fs.ReadFile(Dist(), "index.html")
	if err != nil {
		t.Fatalf("read index.html: %v", err)
	}
	html := string(index)

	script := regexp.MustCompile(`<script[^>]*src="/assets/index-[^"]+\.js"`)
	if !script.MatchString(html) {
		t.Errorf("got index.html without a hashed module script:\n%s", html)
	}
	if inline := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`); inline.MatchString(html) {
		t.Errorf("got an inline script in index.html, want none (the CSP forbids it)")
	}
	for _, bad := range []string{"http://", "https://", "//fonts."} {
		if strings.Contains(html, bad) {
			t.Errorf("got %q in index.html, want no external resources", bad)
		}
	}

	assets, err := fs.ReadDir(Dist(), "assets")
	if err != nil {
		t.Fatalf("read assets: %v", err)
	}
	if len(assets) == 0 {
		t.Fatal("got no files in assets/, want the built bundle")
	}
}
