package verify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// benchSetup returns a verifier with a revocation feed and a valid ES256
// token, as a service in production would have them.
func benchSetup(b *testing.B, opts ...Option) (*Verifier, string, *testKey) {
	b.Helper()
	k := newTestKey(b, "k", "ES256")
	is := newFakeIssuer(b, k)
	opts = append([]Option{WithRevocationFeed(is.credential, time.Second),
		WithFeedGrace(time.Hour)}, opts...)
	v := mustNew(b, is, opts...)
	return v, sign(b, k, is.claimsFor(time.Now()), nil), k
}

// BenchmarkSignatureOnly is the raw ES256 check, for comparison with
// BenchmarkVerifyCold.
func BenchmarkSignatureOnly(b *testing.B) {
	_, tok, k := benchSetup(b)
	i := strings.LastIndexByte(tok, '.')
	sig, err := jwt.NewParser().DecodeSegment(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := k.priv.Public()
	for b.Loop() {
		if err := jwt.SigningMethodES256.Verify(tok[:i], sig, pub); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCold(b *testing.B) {
	v, tok, _ := benchSetup(b, WithCacheSize(0))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	v, tok, _ := benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNoContent)
})

// BenchmarkBareHandler is the handler without the middleware, the baseline
// for BenchmarkMiddlewareParallel.
func BenchmarkBareHandler(b *testing.B) {
	_, tok, _ := benchSetup(b)
	benchHandler(b, okHandler, tok)
}

func BenchmarkMiddlewareParallel(b *testing.B) {
	v, tok, _ := benchSetup(b)
	benchHandler(b, v.Middleware(okHandler), tok)
}

func benchHandler(b *testing.B, h http.Handler, tok string) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/private", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			h.ServeHTTP(w, r)
			if w.status != http.StatusNoContent {
				b.Fatalf("status: got %d, want 204", w.status)
			}
		}
	})
}

// discardWriter is a ResponseWriter that keeps only the status, so the
// benchmarks measure the handlers rather than a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
