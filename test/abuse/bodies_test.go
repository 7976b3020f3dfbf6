package abuse

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// maxBody is the largest request body the server reads.
const maxBody = 1 << 20

// endpoint is one route with the method it serves; auth says whether the
// request carries the owner's access token, reads whether the handler
// decodes a JSON body.
type endpoint struct {
	method, path string
	auth, reads  bool
}

var endpoints = []endpoint{
	{"POST", "/api/auth/signup", false, true},
	{"POST", "/api/auth/login", false, true},
	{"POST", "/api/auth/refresh", false, true},
	{"POST", "/api/auth/logout", true, true},
	{"POST", "/api/auth/logout", false, true},
	{"POST", "/api/auth/password", true, true},
	{"GET", "/api/auth/me", true, false},
	{"GET", "/api/auth/sessions", true, false},
	{"DELETE", "/api/auth/sessions/NOSUCHSESSION", true, false},
	{"GET", "/api/auth/verify", true, false},
	{"POST", "/api/auth/verify", true, false},
	{"GET", "/api/auth/revocations", false, false},
	{"GET", "/api/admin/audit", true, false},
	{"GET", "/api/openapi.json", false, false},
	{"GET", "/api/no-such-route", false, false},
	{"PUT", "/api/auth/login", false, false},
	{"GET", "/.well-known/jwks.json", false, false},
	{"GET", "/.well-known/openid-configuration", false, false},
	{"GET", "/healthz", false, false},
	{"GET", "/readyz", false, false},
	{"GET", "/metrics", false, false},
}

// malformed is a body no endpoint may accept, with the Content-Type it is
// sent with ("" for application/json).
type malformed struct {
	name  string
	body  string
	ctype string
}

// malformedBodies returns the table of hostile bodies. Every address in
// them contains "junk", so that a user created by mistake shows up.
func malformedBodies() []malformed {
	deepArrays := strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000)
	deepObjects := strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000)
	pad := func(s string, n int) string { return s + strings.Repeat("a", n-len(s)) }
	huge := maxBody - 200
	return []malformed{
		{"invalid JSON", `{"email": "junk1@example.com", "password": `, ""},
		{"a lone brace", `{`, ""},
		{"not JSON at all", `email=junk@example.com&password=hunter2hunter2`, ""},
		{"trailing garbage", `{"email":"junk2@example.com","password":"long enough pw"} x`, ""},
		{"two objects", `{"email":"junk3@example.com","password":"long enough pw"}{}`, ""},
		{"byte order mark", "\xef\xbb\xbf{\"email\":\"junk4@example.com\"}", ""},
		{"single quotes", `{'email':'junk5@example.com','password':'long enough pw'}`, ""},
		{"an array", `[{"email":"junk6@example.com","password":"long enough pw"}]`, ""},
		{"a number", `12345`, ""},
		{"a string", `"junk7@example.com"`, ""},
		{"null", `null`, ""},
		{"true", `true`, ""},
		{"numbers for strings", `{"email": 12, "password": 34, "refresh_token": 5,
			"current_password": 6, "new_password": 7, "scope": 8}`, ""},
		{"objects for strings", `{"email": {"$ne": null}, "password": {"$gt": ""},
			"refresh_token": {"$ne": ""}, "current_password": {"$ne": ""},
			"new_password": {"a": 1}, "scope": {"$in": ["global"]}}`, ""},
		{"arrays for strings", `{"email": ["junk8@example.com"], "password": ["x"],
			"refresh_token": ["x"], "current_password": ["x"], "new_password": ["x"],
			"scope": ["global"]}`, ""},
		{"a string for a boolean", `{"email": "junk9@example.com", "password": "long enough pw",
			"return_refresh_token": "yes", "refresh_token": "x", "current_password": 1,
			"scope": 1}`, ""},
		{"nested junk", `{"email": "junk10@example.com", "password": {"a": [1, {"b": [null,
			true, {"c": ["d", {"e": {}}]}]}]}, "refresh_token": [[[{}]]],
			"current_password": {"x": [[]]}, "scope": [{"y": null}]}`, ""},
		{"NUL byte, escaped", `{"email": "junk11\u0000@example.com",
			"password": "long\u0000enough pw", "refresh_token": "\u0000",
			"current_password": "\u0000", "new_password": "\u0000", "scope": "local\u0000"}`, ""},
		{"NUL byte, raw", "{\"email\": \"junk12\x00@example.com\", \"password\": \"x\x00\"}", ""},
		{"invalid UTF-8", "{\"email\": \"junk13\xff\xfe@example.com\", \"password\": " +
			"\"long enough \xc3\x28\", \"refresh_token\": \"\xff\", \"current_password\": " +
			"\"\xff\xff\xff\xff\xff\xff\xff\xff\", \"new_password\": \"\xed\xa0\x80\xed\xa0\x80" +
			"\xed\xa0\x80\xed\xa0\x80\", \"scope\": \"\xff\"}", ""},
		{"lone surrogate escapes", `{"email": "junk14\ud800@example.com",
			"password": "\udc00\udc00\udc00\udc00\udc00\udc00\udc00\udc00",
			"refresh_token": "\ud800", "scope": "\ud800"}`, ""},
		{"10,000 nested arrays", `{"email": ` + deepArrays + `, "password": ` + deepArrays +
			`, "refresh_token": ` + deepArrays + `, "scope": ` + deepArrays + `}`, ""},
		{"10,000 nested objects", `{"email": "junk15@example.com", "password": ` + deepObjects +
			`, "refresh_token": ` + deepObjects + `, "current_password": ` + deepObjects +
			`, "scope": ` + deepObjects + `}`, ""},
		{"a huge number", `{"email": 1e999999, "password": 1e999999, "refresh_token": 1e999999,
			"current_password": 1e999999, "scope": 1e999999}`, ""},
		{"huge email just under 1 MiB", `{"email": "` + pad("junk16", huge) +
			`@example.com", "password": "long enough pw", "refresh_token": "` +
			pad("r", 1000) + `", "current_password": "` + pad("c", 1000) + `", "scope": "` +
			pad("s", 1000) + `"}`, ""},
		{"huge password just under 1 MiB", `{"email": "junk17@example.com", "password": "` +
			pad("p", huge) + `", "current_password": "` + pad("c", 1000) +
			`", "new_password": "` + pad("n", 1000) + `"}`, ""},
		{"huge refresh token just under 1 MiB", `{"refresh_token": "` + pad("r", huge) +
			`", "current_password": "wrong password", "new_password": "` +
			pad("n", 1000) + `"}`, ""},
		{"huge scope and current password", `{"scope": "` + pad("global", huge/2) +
			`", "current_password": "` + pad("c", huge/2) + `", "new_password": "n"}`, ""},
		{"100,000 repeated keys", "{" + strings.Repeat(`"k":1,`, 100_000) +
			`"email": "junk18@example.com", "password": 1, "refresh_token": 1,
			"current_password": 1, "scope": 1}`, ""},
		{"form-encoded", `email=junk19%40example.com&password=long+enough+pw`,
			"application/x-www-form-urlencoded"},
		{"JSON as text/plain", `{"email":"junk20@example.com","password":"long enough pw"}`,
			"text/plain"},
		{"JSON as multipart", `{"email":"junk21@example.com","password":"long enough pw"}`,
			"multipart/form-data; boundary=x"},
		{"broken Content-Type", `{"email":"junk22@example.com","password":"long enough pw"}`,
			"application/json; charset"},
	}
}

// TestMalformedBodies sends every malformed body to every endpoint, then
// oversized bodies to every endpoint that reads one. Each answer must be
// a 4xx in the JSON error shape (a route that ignores its body may also
// answer 2xx), never a 5xx, and nothing may be half-written: no user from
// a failed sign-up, no session from a failed login, no changed password,
// no ended session.
func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	// Limits off, so that each body reaches the deepest code it can.
	in := startServer(t, "--rate-limit=false", "--log-level", "debug")
	addr := uniqueEmail("owner")
	pw := in.password("owner")
	owner := in.signup(t, addr, pw)
	in.secrets.add("table password", "long enough pw")

	for _, m := range malformedBodies() {
		t.Run(m.name, func(t *testing.T) {
			for _, e := range endpoints {
				c := call{method: e.method, path: e.path, body: m.body, ctype: m.ctype}
				if e.auth {
					c.token = owner.Access
				}
				r := in.do(t, c)
				checkRefused(t, e, r)
			}
		})
	}

	for _, size := range []int{maxBody + 1, 2 * maxBody, 8 * maxBody} {
		t.Run(fmt.Sprintf("%d-byte body", size), func(t *testing.T) {
			body := `{"email": "junk-big@example.com", "password": "` +
				strings.Repeat("a", size) + `"}`
			body = body[:size-2] + `"}`
			for _, e := range endpoints {
				if !e.reads {
					continue
				}
				c := call{method: e.method, path: e.path, body: body}
				if e.auth {
					c.token = owner.Access
				}
				in.do(t, c).wantError(t, http.StatusRequestEntityTooLarge, "payload_too_large")
			}
		})
	}

	// Nothing half-written.
	users := in.cli(t, "", "user", "list")
	if strings.Contains(users, "junk") {
		t.Errorf("a refused sign-up left a user:\n%s", users)
	}
	if n := countUsers(users); n != 1 {
		t.Errorf("got %d users, want only the owner:\n%s", n, users)
	}
	r := in.do(t, call{method: "GET", path: "/api/auth/sessions", token: owner.Access})
	r.wantStatus(t, http.StatusOK)
	if n := strings.Count(string(r.Body), `"id"`); n != 1 {
		t.Errorf("owner has %d sessions, want the one from sign-up: %s", n, r.Body)
	}
	in.refresh(t, owner.Refresh).wantStatus(t, http.StatusOK)
	in.login(t, addr, pw)
}

// checkRefused checks the answer to a malformed body.
func checkRefused(t *testing.T, e endpoint, r reply) {
	t.Helper()
	what := e.method + " " + e.path
	switch {
	case r.Status >= 500:
		t.Errorf("%s: got %d %.300s, want no 5xx", what, r.Status, r.Body)
	case r.Status >= 400:
		if msg := r.shapeError(); msg != "" && strings.HasPrefix(e.path, "/api/") {
			t.Errorf("%s: %d answer: %s", what, r.Status, msg)
		}
	case e.reads:
		t.Errorf("%s: got %d %.300s, want a 4xx", what, r.Status, r.Body)
	}
}

var userRow = regexp.MustCompile(`(?m)^[A-Z2-7]{26} `)

// countUsers counts the rows of `sallyport user list` output.
func countUsers(list string) int { return len(userRow.FindAllString(list, -1)) }
