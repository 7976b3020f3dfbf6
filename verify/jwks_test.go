package verify

import (
	"encoding/json"
	"strings"
	"testing"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func TestParseJWKS(t *testing.T) {
	es := jwkOf(newTestKey(t, "es", "ES256"))
	ed := jwkOf(newTestKey(t, "ed", "EdDSA"))
	rs := jwkOf(newTestKey(t, "rs", "RS256"))
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
				continue
			}
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// A point that is not on P-256: x and y of all ones.
	offCurve := strings.Repeat("_", 43)

	tests := []struct {
		name    string
		keys    []map[string]string
		wantIDs []string
		wantErr string
	}{
		{"three good keys", []map[string]string{es, ed, rs}, []string{"es", "ed", "rs"}, ""},
		{"encryption key", []map[string]string{with(es, "use", "enc"), ed},
			[]string{"ed"}, ""},
		{"no alg", []map[string]string{with(es, "alg", ""), ed}, []string{"ed"}, ""},
		{"HS256 alg", []map[string]string{with(es, "alg", "HS256"), ed}, []string{"ed"}, ""},
		{"none alg", []map[string]string{with(es, "alg", "none"), ed}, []string{"ed"}, ""},
		{"alg of another kty", []map[string]string{with(es, "alg", "RS256"), ed},
			[]string{"ed"}, ""},
		{"alg of another curve", []map[string]string{with(es, "alg", "ES384"), ed},
			[]string{"ed"}, ""},
		{"no kid", []map[string]string{with(es, "kid", ""), ed}, []string{"ed"}, ""},
		{"off the curve", []map[string]string{with(es, "x", offCurve, "y", offCurve), ed},
			[]string{"ed"}, ""},
		{"short Ed25519", []map[string]string{with(ed, "x", "AAAA"), es}, []string{"es"}, ""},
		{"weak RSA", []map[string]string{with(rs, "n", strings.Repeat("A", 170)), es},
			[]string{"es"}, ""},
		{"even exponent", []map[string]string{with(rs, "e", "Ag"), es}, []string{"es"}, ""},
		{"duplicate kid keeps the first", []map[string]string{es, with(ed, "kid", "es")},
			[]string{"es"}, ""},
		{"nothing usable", []map[string]string{with(es, "alg", "HS256")}, nil,
			"no usable key"},
		{"empty", nil, nil, "no usable key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _ := json.Marshal(map[string]any{"keys": tt.keys})
			keys, err := parseJWKS(data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseJWKS: got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseJWKS: %v", err)
			}
			if len(keys) != len(tt.wantIDs) {
				t.Errorf("keys: got %d, want %d (%v)", len(keys), len(tt.wantIDs), tt.wantIDs)
			}
			for _, id := range tt.wantIDs {
				if _, ok := keys[id]; !ok {
					t.Errorf("key %q: missing", id)
				}
			}
			if k, ok := keys["es"]; ok && k.alg != "ES256" {
				t.Errorf("key es: alg %q, want ES256", k.alg)
			}
		})
	}
}

func TestParseJWKSMalformed(t *testing.T) {
	for _, doc := range []string{``, `[]`, `{"keys":"x"}`, `{"keys":[1]}`} {
		if _, err := parseJWKS([]byte(doc)); err == nil {
			t.Errorf("parseJWKS(%q): got nil error, want one", doc)
		}
	}
}
