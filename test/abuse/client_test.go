package abuse

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// cookieName is the refresh cookie of the server.
const cookieName = "sallyport_refresh"

// call is one request to an instance.
type call struct {
	method string
	path   string
	// body is sent as it is when it is a string or []byte, else as JSON;
	// nil sends none.
	body any
	// ctype defaults to application/json when there is a body; "-" sends
	// no Content-Type.
	ctype string
	// token is sent as "Authorization: Bearer <token>".
	token string
	// authz, when set, is the raw Authorization header.
	authz string
	// cookie is sent as the refresh cookie.
	cookie string
	// xrw adds X-Requested-With: XMLHttpRequest.
	xrw    bool
	header map[string]string
	// client replaces the instance's client (a flood's own transport).
	client *http.Client
}

// reply is a finished request with its body read.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
	// Cookies are the cookies the response sets.
	Cookies []*http.Cookie
}

// do sends c and fails the test on a transport error.
func (in *instance) do(t testing.TB, c call) reply {
	t.Helper()
	r, err := in.send(c)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	return r
}

// send sends c; unlike do it may be called from any goroutine.
func (in *instance) send(c call) (reply, error) {
	var body io.Reader
	ctype := c.ctype
	switch b := c.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return reply{}, fmt.Errorf("marshal body: %w", err)
		}
		body = bytes.NewReader(data)
	}
	if body != nil && ctype == "" {
		ctype = "application/json"
	}
	req, err := http.NewRequest(c.method, in.URL+c.path, body)
	if err != nil {
		return reply{}, err
	}
	if ctype != "" && ctype != "-" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.authz != "" {
		req.Header.Set("Authorization", c.authz)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: c.cookie})
	}
	if c.xrw {
		req.Header.Set("X-Requested-With", "XMLHttpRequest")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	client := in.client
	if c.client != nil {
		client = c.client
	}
	res, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return reply{}, fmt.Errorf("read body: %w", err)
	}
	return reply{Status: res.StatusCode, Header: res.Header, Body: data,
		Cookies: res.Cookies()}, nil
}

// errorJSON is the body of every error.
type errorJSON struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

var codeRE = regexp.MustCompile(`^[a-z][a-z_]*[a-z]$`)

// shapeError says what is wrong with r as an error response of the JSON
// error shape, or returns "" when it is one.
func (r reply) shapeError() string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return fmt.Sprintf("Content-Type %q, want application/json", r.Header.Get("Content-Type"))
	}
	var fields map[string]any
	if err := json.Unmarshal(r.Body, &fields); err != nil {
		return fmt.Sprintf("body %.200q is not a JSON object: %v", r.Body, err)
	}
	code, _ := fields["error"].(string)
	msg, _ := fields["message"].(string)
	if len(fields) != 2 || !codeRE.MatchString(code) || msg == "" {
		return fmt.Sprintf("body %.200q, want exactly a snake_case error and a message", r.Body)
	}
	return ""
}

// code returns the error code of the body, or "" when there is none.
func (r reply) code() string {
	var e errorJSON
	_ = json.Unmarshal(r.Body, &e)
	return e.Error
}

// wantError fails the test unless r is an error of the status and code
// in the JSON error shape.
func (r reply) wantError(t testing.TB, status int, code string) {
	t.Helper()
	if r.Status != status || r.code() != code {
		t.Errorf("got %d %.300s, want %d %s", r.Status, r.Body, status, code)
		return
	}
	if msg := r.shapeError(); msg != "" {
		t.Errorf("error %s: %s", code, msg)
	}
}

// wantStatus fails the test now unless r has the status.
func (r reply) wantStatus(t testing.TB, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got status %d, want %d; body %.300s", r.Status, status, r.Body)
	}
}

// refreshCookie returns the value of the refresh cookie r sets, or "".
func (r reply) refreshCookie() string {
	for _, c := range r.Cookies {
		if c.Name == cookieName {
			return c.Value
		}
	}
	return ""
}

// grant is what signup, login and refresh hand out.
type grant struct {
	Email     string
	Access    string
	Refresh   string
	UserID    string
	SessionID string
}

type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	User         struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
}

// grantOf reads a token response; the refresh token comes from the body
// or, when the body has none, the cookie. Both tokens become secrets
// that the server's log must not hold.
func (in *instance) grantOf(t testing.TB, r reply) grant {
	t.Helper()
	var b tokenJSON
	if err := json.Unmarshal(r.Body, &b); err != nil || b.AccessToken == "" {
		t.Fatalf("not a token response: %d %.300s", r.Status, r.Body)
	}
	g := grant{Email: b.User.Email, Access: b.AccessToken, Refresh: b.RefreshToken,
		UserID: b.User.ID, SessionID: claim(t, b.AccessToken, "sid")}
	if g.Refresh == "" {
		g.Refresh = r.refreshCookie()
	}
	in.secrets.addToken("access token", g.Access)
	in.secrets.add("refresh token", g.Refresh)
	return g
}

// claim returns one string claim of a JWT without verifying it.
func claim(t testing.TB, tok, name string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %.40q... is not a JWT", tok)
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(data, &claims); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	s, _ := claims[name].(string)
	return s
}

// password is a valid password that the server's log must never hold.
func (in *instance) password(what string) string {
	pw := "pw-" + what + "-" + randomHex(8)
	in.secrets.add("password "+what, pw)
	return pw
}

var emailSeq atomic.Int64

// uniqueEmail returns an address no other call returns.
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d-%s@example.com", prefix, emailSeq.Add(1), randomHex(3))
}

// signup creates an account and returns its first grant (the refresh
// token in the body).
func (in *instance) signup(t testing.TB, addr, pw string) grant {
	t.Helper()
	r := in.do(t, call{method: "POST", path: "/api/auth/signup",
		body: map[string]any{"email": addr, "password": pw, "return_refresh_token": true}})
	r.wantStatus(t, http.StatusCreated)
	return in.grantOf(t, r)
}

// login opens a session with the refresh token in the body.
func (in *instance) login(t testing.TB, addr, pw string) grant {
	t.Helper()
	r := in.do(t, call{method: "POST", path: "/api/auth/login",
		body: map[string]any{"email": addr, "password": pw, "return_refresh_token": true}})
	r.wantStatus(t, http.StatusOK)
	return in.grantOf(t, r)
}

// loginCookie opens a session with the refresh token in the cookie, as a
// browser would.
func (in *instance) loginCookie(t testing.TB, addr, pw string) grant {
	t.Helper()
	r := in.do(t, call{method: "POST", path: "/api/auth/login",
		body: map[string]any{"email": addr, "password": pw}})
	r.wantStatus(t, http.StatusOK)
	g := in.grantOf(t, r)
	if g.Refresh == "" {
		t.Fatalf("login without return_refresh_token set no refresh cookie")
	}
	return g
}

// refresh trades a refresh token (in the body) and returns the reply.
func (in *instance) refresh(t testing.TB, refresh string) reply {
	t.Helper()
	return in.do(t, call{method: "POST", path: "/api/auth/refresh",
		body: map[string]any{"refresh_token": refresh, "return_refresh_token": true}})
}

// me calls GET /api/auth/me with tok.
func (in *instance) me(t testing.TB, tok string) reply {
	t.Helper()
	return in.do(t, call{method: "GET", path: "/api/auth/me", token: tok})
}
