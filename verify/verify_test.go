package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerifyAlgorithms(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "EdDSA", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			k := newTestKey(t, "k-"+alg, alg)
			is := newFakeIssuer(t, k)
			v := mustNew(t, is)
			now := time.Now()
			c, err := v.Verify(context.Background(), sign(t, k, is.claimsFor(now), nil))
			if err != nil {
				t.Fatalf("Verify: got %v, want nil", err)
			}
			want := Claims{Issuer: is.srv.URL, Subject: "user-1", SessionID: "session-1",
				Role: "user", Email: "ada@example.com", ID: "token-1"}
			if c.Issuer != want.Issuer || c.Subject != want.Subject ||
				c.SessionID != want.SessionID || c.Role != want.Role ||
				c.Email != want.Email || c.ID != want.ID {
				t.Errorf("claims: got %+v, want %+v", *c, want)
			}
			if got := c.ExpiresAt.Unix(); got != now.Add(15*time.Minute).Unix() {
				t.Errorf("ExpiresAt: got %d, want %d", got, now.Add(15*time.Minute).Unix())
			}
			if len(c.Audience) != 1 || c.Audience[0] != DefaultAudience {
				t.Errorf("Audience: got %q, want [%q]", c.Audience, DefaultAudience)
			}
		})
	}
}

// TestHostileTokens feeds the verifier tokens an attacker could make, and
// genuine tokens with claims it must refuse.
func TestHostileTokens(t *testing.T) {
	good := newTestKey(t, "good", "ES256")
	ed := newTestKey(t, "ed", "EdDSA")
	rsaKey := newTestKey(t, "rsa", "RS256")
	other := newTestKey(t, "good", "ES256") // same kid, not published
	stranger := newTestKey(t, "stranger", "ES256")
	is := newFakeIssuer(t, good, ed, rsaKey)
	v := mustNew(t, is, WithKeyRefetchInterval(time.Hour))
	now := time.Now()

	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := is.claimsFor(now)
		if change != nil {
			change(c)
		}
		return c
	}
	valid := sign(t, good, claims(nil), nil)
	parts := strings.Split(valid, ".")
	enc := base64.RawURLEncoding.EncodeToString

	// The public key of good, as an attacker would use it for HS256.
	pubDER, err := x509.MarshalPKIXPublicKey(good.priv.Public().(*ecdsa.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	hmacWithPub := func(pub []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
		tok.Header["kid"] = "good"
		s, err := tok.SignedString(pub)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil))
		tok.Header["kid"] = "good"
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tamper := func() string {
		payload := claims(func(c jwt.MapClaims) { c["role"] = "admin" })
		b, _ := jsonMarshal(payload)
		return parts[0] + "." + enc(b) + "." + parts[2]
	}

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrTokenMissing},
		{"garbage", "not a token", ErrTokenInvalid},
		{"two parts", parts[0] + "." + parts[1], ErrTokenInvalid},
		{"four parts", valid + ".x", ErrTokenInvalid},
		{"alg none", none(), ErrTokenInvalid},
		{"alg none, no signature", strings.Join([]string{enc([]byte(
			`{"alg":"none","kid":"good"}`)), parts[1], ""}, "."), ErrTokenInvalid},
		{"HS256 keyed with the public key DER", hmacWithPub(pubDER), ErrTokenInvalid},
		{"HS256 keyed with the JWK x", hmacWithPub([]byte(jwkOf(good)["x"])),
			ErrTokenInvalid},
		{"EdDSA token naming the ES256 key", sign(t, &testKey{kid: "good", alg: "EdDSA",
			priv: ed.priv}, claims(nil), nil), ErrTokenInvalid},
		{"RS256 token naming the EdDSA key", sign(t, &testKey{kid: "ed", alg: "RS256",
			priv: rsaKey.priv}, claims(nil), nil), ErrTokenInvalid},
		{"PS256 with the RS256 key", sign(t, &testKey{kid: "rsa", alg: "PS256",
			priv: rsaKey.priv}, claims(nil), nil), ErrTokenInvalid},
		{"known kid, other key", sign(t, other, claims(nil), nil), ErrTokenInvalid},
		{"unknown kid", sign(t, stranger, claims(nil), nil), ErrTokenInvalid},
		{"no kid", sign(t, good, claims(nil), map[string]any{"kid": nil}), ErrTokenInvalid},
		{"kid not a string", sign(t, good, claims(nil), map[string]any{"kid": 7}),
			ErrTokenInvalid},
		{"embedded jwk", sign(t, stranger, claims(nil),
			map[string]any{"kid": "good", "jwk": jwkOf(stranger)}), ErrTokenInvalid},
		{"jwk header on a genuine token", sign(t, good, claims(nil),
			map[string]any{"jwk": jwkOf(good)}), ErrTokenInvalid},
		{"jku header", sign(t, good, claims(nil),
			map[string]any{"jku": "http://127.0.0.1:1/jwks"}), ErrTokenInvalid},
		{"x5u header", sign(t, good, claims(nil),
			map[string]any{"x5u": "http://127.0.0.1:1/cert"}), ErrTokenInvalid},
		{"x5c header", sign(t, good, claims(nil),
			map[string]any{"x5c": []string{"MIIB"}}), ErrTokenInvalid},
		{"crit header", sign(t, good, claims(nil),
			map[string]any{"crit": []string{"exp"}}), ErrTokenInvalid},
		{"tampered payload", tamper(), ErrTokenInvalid},
		{"signature cut", parts[0] + "." + parts[1] + ".", ErrTokenInvalid},
		{"padded base64", parts[0] + "." + parts[1] + "." + parts[2] + "==",
			ErrTokenInvalid},
		{"oversized", sign(t, good, claims(func(c jwt.MapClaims) {
			c["pad"] = strings.Repeat("a", MaxTokenSize)
		}), nil), ErrTokenInvalid},
		{"wrong issuer", sign(t, good, claims(func(c jwt.MapClaims) {
			c["iss"] = "http://127.0.0.1:1"
		}), nil), ErrTokenInvalid},
		{"issuer with slash", sign(t, good, claims(func(c jwt.MapClaims) {
			c["iss"] = is.srv.URL + "/"
		}), nil), ErrTokenInvalid},
		{"wrong audience", sign(t, good, claims(func(c jwt.MapClaims) {
			c["aud"] = "other"
		}), nil), ErrTokenInvalid},
		{"no audience", sign(t, good, claims(func(c jwt.MapClaims) {
			delete(c, "aud")
		}), nil), ErrTokenInvalid},
		{"no exp", sign(t, good, claims(func(c jwt.MapClaims) {
			delete(c, "exp")
		}), nil), ErrTokenInvalid},
		{"no sid", sign(t, good, claims(func(c jwt.MapClaims) {
			delete(c, "sid")
		}), nil), ErrTokenInvalid},
		{"no sub", sign(t, good, claims(func(c jwt.MapClaims) {
			delete(c, "sub")
		}), nil), ErrTokenInvalid},
		{"exp as a string", sign(t, good, claims(func(c jwt.MapClaims) {
			c["exp"] = "soon"
		}), nil), ErrTokenInvalid},
		{"nbf in the future", sign(t, good, claims(func(c jwt.MapClaims) {
			c["nbf"] = now.Add(time.Hour).Unix()
		}), nil), ErrTokenInvalid},
		{"iat in the future", sign(t, good, claims(func(c jwt.MapClaims) {
			c["iat"] = now.Add(time.Hour).Unix()
		}), nil), ErrTokenInvalid},
		{"expired", sign(t, good, claims(func(c jwt.MapClaims) {
			c["exp"] = now.Add(-time.Hour).Unix()
		}), nil), ErrTokenExpired},
		{"expired and forged", sign(t, stranger, claims(func(c jwt.MapClaims) {
			c["exp"] = now.Add(-time.Hour).Unix()
		}), map[string]any{"kid": "good"}), ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify: got %v, want %v", err, tt.want)
			}
			if c != nil {
				t.Errorf("claims: got %+v, want nil", *c)
			}
		})
	}

	// Within the leeway, a token that expired a moment ago still passes.
	recent := sign(t, good, claims(func(c jwt.MapClaims) {
		c["exp"] = now.Add(-5 * time.Second).Unix()
	}), nil)
	if _, err := v.Verify(context.Background(), recent); err != nil {
		t.Errorf("token expired 5s ago, leeway 30s: got %v, want nil", err)
	}
}

func TestExpiredToleratesNoLeeway(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	v := mustNew(t, is, WithLeeway(0))
	c := is.claimsFor(time.Now())
	c["exp"] = time.Now().Add(-2 * time.Second).Unix()
	if _, err := v.Verify(context.Background(), sign(t, k, c, nil)); !errors.Is(err,
		ErrTokenExpired) {
		t.Errorf("Verify: got %v, want %v", err, ErrTokenExpired)
	}
}

func TestAudienceOption(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	v := mustNew(t, is, WithAudience("billing"))
	tests := []struct {
		name string
		aud  any
		want error
	}{
		{"default audience refused", DefaultAudience, ErrTokenInvalid},
		{"configured audience", "billing", nil},
		{"in a list", []string{"other", "billing"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := is.claimsFor(time.Now())
			c["aud"] = tt.aud
			_, err := v.Verify(context.Background(), sign(t, k, c, nil))
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Verify: got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestUnknownKidRefetch(t *testing.T) {
	clk := newClock()
	old := newTestKey(t, "old", "ES256")
	next := newTestKey(t, "next", "ES256")
	is := newFakeIssuer(t, old)
	v := mustNew(t, is, withClock(clk.Now), WithKeyRefetchInterval(10*time.Second))
	ctx := context.Background()
	if got := is.jwksHits.Load(); got != 1 {
		t.Fatalf("key set fetches after New: got %d, want 1", got)
	}

	// A rotation on the server: the new key signs; the verifier learns of
	// it from the first token that names it.
	clk.Add(time.Minute)
	is.setKeys(next, old)
	if _, err := v.Verify(ctx, sign(t, next, is.claimsFor(clk.Now()), nil)); err != nil {
		t.Fatalf("token of the rotated key: got %v, want nil", err)
	}
	if got := is.jwksHits.Load(); got != 2 {
		t.Fatalf("key set fetches after rotation: got %d, want 2", got)
	}
	if _, err := v.Verify(ctx, sign(t, old, is.claimsFor(clk.Now()), nil)); err != nil {
		t.Fatalf("token of the old key after rotation: got %v, want nil", err)
	}

	// Forged kids cause at most one fetch per interval.
	for i := range 20 {
		forged := newTestKey(t, "forged-"+string(rune('a'+i)), "ES256")
		_, err := v.Verify(ctx, sign(t, forged, is.claimsFor(clk.Now()), nil))
		if !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("forged kid %d: got %v, want %v", i, err, ErrTokenInvalid)
		}
	}
	if got := is.jwksHits.Load(); got != 2 {
		t.Errorf("key set fetches after 20 forged kids within the interval: got %d, want 2",
			got)
	}
	clk.Add(11 * time.Second)
	forged := newTestKey(t, "forged-late", "ES256")
	_, _ = v.Verify(ctx, sign(t, forged, is.claimsFor(clk.Now()), nil))
	if got := is.jwksHits.Load(); got != 3 {
		t.Errorf("key set fetches after the interval: got %d, want 3", got)
	}
}

func TestRefetchFailureIsUnavailable(t *testing.T) {
	clk := newClock()
	old := newTestKey(t, "old", "ES256")
	is := newFakeIssuer(t, old)
	v := mustNew(t, is, withClock(clk.Now))
	is.srv.Close()
	clk.Add(time.Minute)
	next := newTestKey(t, "next", "ES256")
	_, err := v.Verify(context.Background(), sign(t, next, is.claimsFor(clk.Now()), nil))
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("unknown kid with the issuer down: got %v, want %v", err, ErrUnavailable)
	}
}

func TestRemovedKeyDropsCachedTokens(t *testing.T) {
	old := newTestKey(t, "old", "ES256")
	next := newTestKey(t, "next", "ES256")
	is := newFakeIssuer(t, old)
	v := mustNew(t, is)
	ctx := context.Background()
	tok := sign(t, old, is.claimsFor(time.Now()), nil)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	is.setKeys(next)
	if _, err := v.fetchKeys(ctx); err != nil {
		t.Fatalf("fetchKeys: %v", err)
	}
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("cached token of a removed key: got %v, want %v", err, ErrTokenInvalid)
	}
}

func TestAddedKeyKeepsCache(t *testing.T) {
	old := newTestKey(t, "old", "ES256")
	is := newFakeIssuer(t, old)
	v := mustNew(t, is)
	ctx := context.Background()
	tok := sign(t, old, is.claimsFor(time.Now()), nil)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	is.setKeys(newTestKey(t, "next", "ES256"), old)
	if _, err := v.fetchKeys(ctx); err != nil {
		t.Fatalf("fetchKeys: %v", err)
	}
	before := v.signatureChecks.Load()
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("Verify after a key was added: %v", err)
	}
	if got := v.signatureChecks.Load() - before; got != 0 {
		t.Errorf("signature checks after adding a key: got %d, want 0", got)
	}
}

func TestNewFails(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	tests := []struct {
		name    string
		issuer  func(is *fakeIssuer) string
		keys    []*testKey
		opts    []Option
		wantErr string
	}{
		{"issuer mismatch", func(is *fakeIssuer) string { return is.srv.URL + "/tenant" },
			[]*testKey{k}, nil, "read discovery"},
		{"nothing listening", func(*fakeIssuer) string { return "http://127.0.0.1:1" },
			[]*testKey{k}, nil, "read discovery"},
		{"no usable key", func(is *fakeIssuer) string { return is.srv.URL },
			nil, nil, "no usable key"},
		{"bad feed credential", func(is *fakeIssuer) string { return is.srv.URL },
			[]*testKey{k}, []Option{WithRevocationFeed("wrong", time.Second)},
			"refused the service credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := newFakeIssuer(t, tt.keys...)
			v, err := New(context.Background(), tt.issuer(is), tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New: got %v, %v; want an error containing %q", v, err, tt.wantErr)
			}
		})
	}
}

func TestIssuerTrailingSlash(t *testing.T) {
	k := newTestKey(t, "k", "ES256")
	is := newFakeIssuer(t, k)
	v, err := New(context.Background(), is.srv.URL+"/")
	if err != nil {
		t.Fatalf("New with a trailing slash: %v", err)
	}
	if got := v.Issuer(); got != is.srv.URL {
		t.Errorf("Issuer: got %q, want %q", got, is.srv.URL)
	}
}
