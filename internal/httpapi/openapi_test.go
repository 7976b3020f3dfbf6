package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/httpapi"
)

// The OpenAPI document is checked against every response the tests get:
// each path, method and status must be documented, and the body must
// match the documented schema. The validator below knows the subset of
// JSON Schema the document uses and refuses any other keyword, so a
// constraint cannot be silently skipped.

// spec is the parsed embedded OpenAPI document.
var spec = func() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(httpapi.OpenAPI(), &m); err != nil {
		panic(fmt.Sprintf("parse openapi.json: %v", err))
	}
	return m
}()

// obj returns m[key] as an object, or nil.
func obj(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// operation finds the documented operation for method and a concrete
// request path, matching {param} segments of the templates.
func operation(method, path string) (tmpl string, op map[string]any) {
	path, _, _ = strings.Cut(path, "?")
	for t, item := range obj(spec, "paths") {
		if !matchTemplate(t, path) {
			continue
		}
		op, _ := item.(map[string]any)[strings.ToLower(method)].(map[string]any)
		return t, op
	}
	return "", nil
}

func matchTemplate(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") && strings.HasSuffix(ts[i], "}") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// checkSpec fails the test when r is not what the document says method on
// path answers. A 404 or 405 for an undocumented path or method, which
// the router itself produces, must still be a documented Error.
func checkSpec(t testing.TB, method, path string, r response) {
	t.Helper()
	if method == "HEAD" || method == "OPTIONS" {
		return // no body; CORS preflights are not API operations
	}
	tmpl, op := operation(method, path)
	if op == nil {
		if r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed {
			checkBody(t, method+" "+path, "application/json",
				map[string]any{"$ref": "#/components/schemas/Error"}, r)
			return
		}
		t.Errorf("openapi: %s %s (status %d) is not documented", method, path, r.Status)
		return
	}
	res := obj(obj(op, "responses"), fmt.Sprint(r.Status))
	if res == nil {
		t.Errorf("openapi: %s %s: status %d is not documented; body %s",
			method, tmpl, r.Status, r.Body)
		return
	}
	content := obj(res, "content")
	if len(content) == 0 {
		if len(r.Body) != 0 {
			t.Errorf("openapi: %s %s %d: documented without a body, got %q",
				method, tmpl, r.Status, r.Body)
		}
		return
	}
	for mt, media := range content {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), mt) {
			continue
		}
		where := fmt.Sprintf("%s %s %d", method, tmpl, r.Status)
		checkBody(t, where, mt, obj(media.(map[string]any), "schema"), r)
		return
	}
	t.Errorf("openapi: %s %s %d: Content-Type %q is not documented",
		method, tmpl, r.Status, r.Header.Get("Content-Type"))
}

func checkBody(t testing.TB, where, mediaType string, schema map[string]any, r response) {
	t.Helper()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), mediaType) {
		t.Errorf("openapi: %s: got Content-Type %q, want %s",
			where, r.Header.Get("Content-Type"), mediaType)
		return
	}
	if mediaType != "application/json" {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("openapi: %s: body is not JSON: %v; body %q", where, err, r.Body)
		return
	}
	for _, p := range validate(schema, v, "$") {
		t.Errorf("openapi: %s: %s; body %s", where, p, r.Body)
	}
}

// annotations are keywords that constrain nothing.
var annotations = map[string]bool{"description": true, "title": true, "example": true}

// validate checks v against schema and returns the problems it finds.
func validate(schema map[string]any, v any, at string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		target, err := resolve(ref)
		if err != nil {
			return []string{fmt.Sprintf("%s: %v", at, err)}
		}
		return validate(target, v, at)
	}
	var probs []string
	fail := func(format string, args ...any) {
		probs = append(probs, at+": "+fmt.Sprintf(format, args...))
	}
	for kw := range schema {
		switch kw {
		case "type", "required", "properties", "additionalProperties", "enum", "items",
			"format":
		default:
			if !annotations[kw] {
				fail("schema keyword %q is not supported by the test validator", kw)
			}
		}
	}
	if ty, ok := schema["type"]; ok && !typeMatches(ty, v) {
		fail("got %s, want type %v", jsonType(v), ty)
		return probs
	}
	if enum, ok := schema["enum"].([]any); ok {
		if !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
			fail("%v is not one of %v", v, enum)
		}
	}
	if f, ok := schema["format"].(string); ok && f == "date-time" {
		if s, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				fail("%q is not a date-time", s)
			}
		}
	}
	if m, ok := v.(map[string]any); ok {
		probs = append(probs, validateObject(schema, m, at)...)
	}
	if list, ok := v.([]any); ok {
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range list {
				probs = append(probs, validate(items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return probs
}

func validateObject(schema, m map[string]any, at string) []string {
	var probs []string
	req, _ := schema["required"].([]any)
	for _, name := range req {
		if _, ok := m[name.(string)]; !ok {
			probs = append(probs, fmt.Sprintf("%s: required property %q is missing", at, name))
		}
	}
	props, _ := schema["properties"].(map[string]any)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ps, ok := props[k].(map[string]any)
		if ok {
			probs = append(probs, validate(ps, m[k], at+"."+k)...)
			continue
		}
		switch ap := schema["additionalProperties"].(type) {
		case bool:
			if !ap {
				probs = append(probs, fmt.Sprintf("%s: property %q is not documented", at, k))
			}
		case map[string]any:
			probs = append(probs, validate(ap, m[k], at+"."+k)...)
		}
	}
	return probs
}

// resolve follows a local reference such as #/components/schemas/Error.
func resolve(ref string) (map[string]any, error) {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("reference %q is not local", ref)
	}
	cur := spec
	for _, part := range strings.Split(path, "/") {
		next := obj(cur, part)
		if next == nil {
			return nil, fmt.Errorf("reference %q does not resolve", ref)
		}
		cur = next
	}
	return cur, nil
}

func typeMatches(ty, v any) bool {
	switch ty := ty.(type) {
	case string:
		return typeIs(ty, v)
	case []any:
		return slices.ContainsFunc(ty, func(t any) bool {
			s, _ := t.(string)
			return typeIs(s, v)
		})
	}
	return false
}

func typeIs(ty string, v any) bool {
	got := jsonType(v)
	return got == ty || (ty == "number" && got == "integer")
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func TestSchemaValidator(t *testing.T) {
	user := map[string]any{"$ref": "#/components/schemas/User"}
	okUser := map[string]any{"id": "U", "email": "a@b.co", "role": "user",
		"created_at": "2026-01-02T03:04:05Z"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range okUser {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		schema map[string]any
		value  any
		ok     bool
	}{
		{"valid user", user, okUser, true},
		{"missing required", user, with("role", nil), false},
		{"wrong type", user, with("id", json.Number("7")), false},
		{"extra property", user, with("password_hash", "x"), false},
		{"bad date-time", user, with("created_at", "yesterday"), false},
		{"not an object", user, "user", false},
		{"enum hit", map[string]any{"enum": []any{"a", "b"}}, "b", true},
		{"enum miss", map[string]any{"enum": []any{"a", "b"}}, "c", false},
		{"integer", map[string]any{"type": "integer"}, json.Number("3"), true},
		{"not integer", map[string]any{"type": "integer"}, json.Number("3.5"), false},
		{"type list", map[string]any{"type": []any{"string", "null"}}, nil, true},
		{"array items", map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			[]any{"a", true}, false},
		{"unknown keyword", map[string]any{"minLength": 3}, "abc", false},
		{"dangling ref", map[string]any{"$ref": "#/components/schemas/Nope"}, "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := validate(tt.schema, tt.value, "$")
			if got := len(probs) == 0; got != tt.ok {
				t.Errorf("got ok %v (%v), want %v", got, probs, tt.ok)
			}
		})
	}
}

func TestOpenAPIDocument(t *testing.T) {
	if v := spec["openapi"]; v != "3.1.0" {
		t.Errorf("got openapi %v, want 3.1.0", v)
	}
	// Every reference resolves and every operation has responses.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := resolve(ref); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(spec, "#")
	for path, item := range obj(spec, "paths") {
		for method, op := range item.(map[string]any) {
			if len(obj(op.(map[string]any), "responses")) == 0 {
				t.Errorf("%s %s has no responses", method, path)
			}
		}
	}
	routes := []string{
		"POST /api/auth/signup", "POST /api/auth/login", "POST /api/auth/refresh",
		"POST /api/auth/logout", "GET /api/auth/me", "GET /api/auth/sessions",
		"DELETE /api/auth/sessions/{id}", "POST /api/auth/password", "GET /api/auth/verify",
		"GET /api/auth/revocations", "GET /api/admin/audit",
		"GET /.well-known/jwks.json", "GET /.well-known/openid-configuration",
		"GET /healthz", "GET /readyz", "GET /metrics", "GET /api/openapi.json",
	}
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if _, op := operation(method, path); op == nil {
			t.Errorf("route %s is not documented", r)
		}
	}
}

func TestOpenAPIErrorEnumIsCatalogue(t *testing.T) {
	enum := obj(obj(obj(obj(spec, "components"), "schemas"), "Error"), "properties")
	list, _ := obj(enum, "error")["enum"].([]any)
	var got []string
	for _, e := range list {
		got = append(got, e.(string))
	}
	var want []string
	for _, c := range httpapi.Codes {
		want = append(want, c.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Error enum\n got %v\nwant %v (httpapi.Codes)", got, want)
	}
}

func TestOpenAPIServed(t *testing.T) {
	ts := newServer(t)
	r := ts.do(t, request{method: "GET", path: "/api/openapi.json"})
	r.wantStatus(t, http.StatusOK)
	if !bytes.Equal(r.Body, httpapi.OpenAPI()) {
		t.Errorf("served document differs from the embedded one")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", ct)
	}
}

// seenCodes records every error code a response carried during the run.
var seenCodes sync.Map

func noteCode(r response) {
	if r.Status < 400 {
		return
	}
	if e := r.apiError(); e.Error != "" {
		seenCodes.Store(e.Error, true)
	}
}

// unreachableCodes are catalogue codes the server cannot produce: an
// internal error needs a bug.
var unreachableCodes = map[string]bool{
	"internal_error": true,
}

// TestMain checks, after a full run of the tests, that every error code
// the core server can produce was seen in some response.
func TestMain(m *testing.M) {
	code := m.Run()
	run := flag.Lookup("test.run")
	full := run != nil && run.Value.String() == "" && !testing.Short()
	if code == 0 && full {
		var missing []string
		for _, c := range httpapi.Codes {
			if _, ok := seenCodes.Load(c.Name); !ok && !unreachableCodes[c.Name] {
				missing = append(missing, c.Name)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test produced the error codes %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}
