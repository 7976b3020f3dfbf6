package token

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var updateCorpus = flag.Bool("update", false,
	"rewrite testdata/fuzz/FuzzVerify and the fuzz keys in testdata")

const corpusDir = "testdata/fuzz/FuzzVerify"

// fuzzKeys returns the fixed test keys that signed the seed corpus. They
// are test data only and protect nothing.
func fuzzKeys(t testing.TB) (es, ed *Key) {
	t.Helper()
	load := func(alg, file string) *Key {
		path := filepath.Join("testdata", file)
		if *updateCorpus {
			if _, err := os.Stat(path); os.IsNotExist(err) {
				writeKeyPEM(t, alg, path)
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		if block == nil {
			t.Fatalf("%s: no PEM block", path)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		signer := parsed.(crypto.Signer)
		return &Key{ID: "fuzz-" + alg, Algorithm: alg, Signer: signer, CreatedAt: testNow}
	}
	return load(ES256, "fuzz-es256.pem"), load(EdDSA, "fuzz-eddsa.pem")
}

func writeKeyPEM(t testing.TB, alg, path string) {
	k, err := GenerateKey(alg, testNow)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func fuzzVerifier(t testing.TB) *Verifier {
	es, ed := fuzzKeys(t)
	r := NewKeyring()
	r.Set([]*Key{es, ed})
	return testVerifier(r, VerifierOptions{CacheSize: 64})
}

// corpusSeeds returns the seed tokens by file name. The prefix of a name
// says what Verify must make of it: "valid", "expired" or "hostile".
func corpusSeeds(t testing.TB) map[string]string {
	es, ed := fuzzKeys(t)
	c := goodClaims()
	valid := signed(t, es, goodHeader(es), c)
	p := strings.Split(valid, ".")
	return map[string]string{
		"valid-es256": valid,
		"valid-eddsa": signed(t, ed, goodHeader(ed), c),
		"valid-aud-array": signed(t, es, goodHeader(es),
			with(c, "aud", []string{"x", testAudience})),
		"expired-es256": signed(t, es, goodHeader(es),
			with(c, "exp", testNow.Add(-time.Hour).Unix())),
		"hostile-alg-none": segment(t, with(goodHeader(es), "alg", "none")) + "." + p[1] + ".",
		"hostile-hs256-public-key": forge(t, jwt.SigningMethodHS256,
			[]byte(fmt.Sprint(es.Signer.Public())), with(goodHeader(es), "alg", "HS256"), c),
		"hostile-eddsa-under-es256-kid": forge(t, jwt.SigningMethodEdDSA, ed.Signer,
			with(goodHeader(es), "alg", EdDSA), c),
		"hostile-tampered":       p[0] + "." + segment(t, with(c, "role", "admin")) + "." + p[2],
		"hostile-zero-signature": p[0] + "." + p[1] + "." + b64(make([]byte, 64)),
		"hostile-jku":            signed(t, es, with(goodHeader(es), "jku", "https://x.test/"), c),
		"hostile-unknown-kid":    signed(t, es, with(goodHeader(es), "kid", "nope"), c),
		"hostile-exp-string":     signed(t, es, goodHeader(es), with(c, "exp", "9999999999")),
		"hostile-dots":           strings.Repeat(".", 100),
	}
}

// TestFuzzCorpus keeps the seed corpus meaningful: the valid seeds must
// still verify, so that the fuzzer starts from tokens that reach the claim
// checks. Run with -update to rewrite it.
func TestFuzzCorpus(t *testing.T) {
	if *updateCorpus {
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, tok := range corpusSeeds(t) {
			data := "go test fuzz v1\nstring(" + strconv.Quote(tok) + ")\n"
			path := filepath.Join(corpusDir, name)
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	files, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("got %d seed files, want at least 10", len(files))
	}
	v := fuzzVerifier(t)
	for _, f := range files {
		t.Run(f.Name(), func(t *testing.T) {
			tok := readSeed(t, filepath.Join(corpusDir, f.Name()))
			_, err := v.Verify(tok)
			switch kind, _, _ := strings.Cut(f.Name(), "-"); kind {
			case "valid":
				checkVerifyError(t, err, nil)
			case "expired":
				checkVerifyError(t, err, ErrExpired)
			case "hostile":
				checkVerifyError(t, err, ErrInvalid)
			default:
				t.Fatalf("seed name %q does not start with valid, expired or hostile", f.Name())
			}
		})
	}
}

func readSeed(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := strings.Cut(string(data), "\n")
	body = strings.TrimSpace(body)
	if header != "go test fuzz v1" || !strings.HasPrefix(body, "string(") ||
		!strings.HasSuffix(body, ")") {
		t.Fatalf("%s: not a one-string fuzz seed", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(body, "string("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// FuzzVerify checks that no input makes Verify panic, that every failure
// matches exactly one of ErrInvalid and ErrExpired, that a success carries
// the required claims, and that asking twice (the second time from the
// cache) gives the same answer.
func FuzzVerify(f *testing.F) {
	v := fuzzVerifier(f)
	f.Add("")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		c1, err1 := v.Verify(raw)
		c2, err2 := v.Verify(raw)
		if c1 != c2 || (err1 == nil) != (err2 == nil) ||
			errors.Is(err1, ErrExpired) != errors.Is(err2, ErrExpired) {
			t.Fatalf("first %+v, %v; then %+v, %v", c1, err1, c2, err2)
		}
		if err1 != nil {
			if errors.Is(err1, ErrInvalid) == errors.Is(err1, ErrExpired) {
				t.Fatalf("got %v, want exactly one of ErrInvalid and ErrExpired", err1)
			}
			return
		}
		if len(raw) > MaxTokenSize || c1.Issuer != testIssuer ||
			c1.Audience != testAudience || c1.Subject == "" || c1.SessionID == "" ||
			c1.ExpiresAt.IsZero() {
			t.Fatalf("accepted %q with claims %+v", raw, c1)
		}
	})
}
