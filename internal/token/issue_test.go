package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestIssue(t *testing.T) {
	ring, ks := testRing(t)
	base := Claims{
		Issuer: testIssuer, Audience: testAudience, Subject: "user-1", SessionID: "s-1",
		ExpiresAt: testNow.Add(time.Minute),
	}
	raw, err := Issue(ring, base)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d parts, want 3", len(parts))
	}

	var header map[string]any
	decodeSegment(t, parts[0], &header)
	wantHeader := map[string]any{"alg": ES256, "kid": ks.es.ID, "typ": "JWT"}
	if len(header) != len(wantHeader) {
		t.Errorf("got header %v, want %v", header, wantHeader)
	}
	for k, v := range wantHeader {
		if header[k] != v {
			t.Errorf("got header %s = %v, want %v", k, header[k], v)
		}
	}

	var payload map[string]any
	decodeSegment(t, parts[1], &payload)
	if jti, _ := payload["jti"].(string); len(jti) < 22 {
		t.Errorf("got jti %q, want a fresh ID", jti)
	}
	for _, absent := range []string{"nbf", "iat", "role", "email"} {
		if v, ok := payload[absent]; ok {
			t.Errorf("got %s = %v, want it left out when zero", absent, v)
		}
	}
	if exp, _ := payload["exp"].(float64); int64(exp) != base.ExpiresAt.Unix() {
		t.Errorf("got exp %v, want %d", payload["exp"], base.ExpiresAt.Unix())
	}
	if payload["aud"] != testAudience {
		t.Errorf("got aud %v, want the string %q", payload["aud"], testAudience)
	}
}

func TestIssueRefuses(t *testing.T) {
	ring, _ := testRing(t)
	good := Claims{
		Issuer: testIssuer, Audience: testAudience, Subject: "user-1", SessionID: "s-1",
		ExpiresAt: testNow.Add(time.Minute),
	}
	change := func(f func(*Claims)) Claims {
		c := good
		f(&c)
		return c
	}
	tests := []struct {
		name   string
		ring   *Keyring
		claims Claims
		want   error
	}{
		{"no signer", NewKeyring(), good, ErrNoSigningKey},
		{"no exp", ring, change(func(c *Claims) { c.ExpiresAt = time.Time{} }), nil},
		{"no iss", ring, change(func(c *Claims) { c.Issuer = "" }), nil},
		{"no aud", ring, change(func(c *Claims) { c.Audience = "" }), nil},
		{"no sub", ring, change(func(c *Claims) { c.Subject = "" }), nil},
		{"no sid", ring, change(func(c *Claims) { c.SessionID = "" }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Issue(tt.ring, tt.claims)
			if err == nil {
				t.Fatalf("got token %q, want an error", got)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("decode %q: %v", seg, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
}
