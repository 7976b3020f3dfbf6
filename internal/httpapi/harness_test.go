package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sallyport/sallyport/internal/audit"
	"github.com/sallyport/sallyport/internal/auth"
	"github.com/sallyport/sallyport/internal/config"
	"github.com/sallyport/sallyport/internal/httpapi"
	"github.com/sallyport/sallyport/internal/password"
	"github.com/sallyport/sallyport/internal/ratelimit"
	"github.com/sallyport/sallyport/internal/store"
	"github.com/sallyport/sallyport/internal/store/open"
	"github.com/sallyport/sallyport/internal/store/testdb"
)

// fastParams are real argon2id parameters, small enough that tests do not
// wait on hashing.
var fastParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testPassword is a valid password used by most tests.
const testPassword = "correct horse battery"

// clock is a settable clock. It stands still until a test moves it, so
// expiry, idle and grace windows are tested without sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Second)} }

// Now returns the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serverConfig collects what newServer's options change.
type serverConfig struct {
	cfg       auth.Config
	dir       string
	publicURL string // empty: the test server's own http://127.0.0.1:port
	clock     *clock
	hasher    *password.Hasher
	noSpec    bool // skip the OpenAPI check of responses (fuzzing, benchmarks)
	origins   []string
	limits    *httpapi.LimitPolicy // nil: no abuse limits
	db        string               // store URL; empty: a fresh store of testBackend
}

// option changes how newServer builds a server.
type option func(*serverConfig)

// withConfig lets a test change the service settings.
func withConfig(fn func(*auth.Config)) option {
	return func(c *serverConfig) { fn(&c.cfg) }
}

// withDB runs the server on the store at that URL, for restart tests.
func withDB(url string) option { return func(c *serverConfig) { c.db = url } }

// testBackend is the store the HTTP tests run on: SQLite unless
// SALLYPORT_TEST_STORE names another of testdb.Backends(), so the same
// suite runs on PostgreSQL and MongoDB too (scripts/test does that).
func testBackend() string {
	if b := os.Getenv("SALLYPORT_TEST_STORE"); b != "" {
		return b
	}
	return "sqlite"
}

// withDir runs the server on the data in dir, for restart tests.
func withDir(dir string) option { return func(c *serverConfig) { c.dir = dir } }

// withMasterKey sets the master key.
func withMasterKey(k []byte) option {
	return func(c *serverConfig) { c.cfg.MasterKey = k }
}

// withPublicURL sets the issuer and decides the cookie's Secure attribute
// as the serve command does.
func withPublicURL(u string) option { return func(c *serverConfig) { c.publicURL = u } }

// withClock shares a clock, for restart tests.
func withClock(clk *clock) option { return func(c *serverConfig) { c.clock = clk } }

// withHasher replaces the fast test hasher.
func withHasher(h *password.Hasher) option { return func(c *serverConfig) { c.hasher = h } }

// withCORS allows pages of the origins to call the API with credentials.
func withCORS(origins ...string) option { return func(c *serverConfig) { c.origins = origins } }

// withLimits turns on the abuse limits, kept in memory.
func withLimits(p httpapi.LimitPolicy) option { return func(c *serverConfig) { c.limits = &p } }

// withoutSpecCheck turns off the OpenAPI check of every response.
func withoutSpecCheck() option { return func(c *serverConfig) { c.noSpec = true } }

// testServer is a running Sallyport on a fresh SQLite database.
type testServer struct {
	URL     string
	Issuer  string
	Dir     string
	DBPath  string // the SQLite file, when the backend is SQLite
	DB      string // the store URL
	Backend string
	Master  []byte
	Svc     *auth.Service
	Store   store.Store
	Clock   *clock
	Handler *httpapi.Server
	Logs    *syncBuffer
	Client  *http.Client
	Audit   *audit.Writer

	srv    *httptest.Server
	noSpec bool
	cfg    auth.Config
	hasher *password.Hasher
}

// newMasterKey returns 32 random bytes.
func newMasterKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// newServer starts a server on a SQLite database in a temporary directory
// (or the one withDir names), with a fast hasher and a settable clock. It
// is closed when the test ends.
func newServer(t testing.TB, opts ...option) *testServer {
	t.Helper()
	sc := serverConfig{
		cfg: auth.Config{
			Audience:     "sallyport",
			AccessTTL:    15 * time.Minute,
			RefreshGrace: 10 * time.Second,
			Leeway:       30 * time.Second,
			SessionIdle:  168 * time.Hour,
			SessionMax:   720 * time.Hour,
			SigningAlg:   "ES256",
			MasterKey:    newMasterKey(),
		},
	}
	for _, o := range opts {
		o(&sc)
	}
	if sc.dir == "" {
		sc.dir = t.TempDir()
	}
	if sc.clock == nil {
		sc.clock = newClock()
	}
	if sc.hasher == nil {
		sc.hasher = password.NewHasher(fastParams, 64<<20, 10*time.Second)
	}

	hs := httptest.NewUnstartedServer(nil)
	if sc.publicURL == "" {
		sc.publicURL = "http://" + hs.Listener.Addr().String()
	}
	sc.cfg.Issuer = sc.publicURL
	secure := (&config.Config{PublicURL: sc.publicURL}).SecureCookie()

	ctx := context.Background()
	dbPath := filepath.Join(sc.dir, "sallyport.db")
	backend := testBackend()
	if sc.db == "" {
		sc.db = "sqlite://" + dbPath
		if backend != "sqlite" {
			sc.db = testdb.URL(t, backend)
		}
	}
	st, _, err := open.Open(ctx, sc.db)
	if err != nil {
		hs.Close()
		t.Fatalf("open store: %v", err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	metrics := httpapi.NewMetrics()
	auditLog := audit.New(st, audit.Options{Now: sc.clock.Now})
	fail := func(format string, args ...any) {
		auditLog.Close(ctx)
		st.Close()
		hs.Close()
		t.Fatalf(format, args...)
	}
	svc, err := auth.New(sc.cfg, st, sc.hasher, auth.WithClock(sc.clock.Now),
		auth.WithEvents(httpapi.EventSink(log, metrics, auditLog.Record)))
	if err != nil {
		fail("new service: %v", err)
	}
	if err := svc.Start(ctx); err != nil {
		fail("start service: %v", err)
	}
	var limitStore ratelimit.Store
	if sc.limits != nil {
		limitStore = ratelimit.NewMemory(0)
	} else {
		sc.limits = &httpapi.LimitPolicy{}
	}
	h, err := httpapi.New(httpapi.Options{
		Service:      svc,
		Logger:       log,
		Issuer:       sc.publicURL,
		SecureCookie: secure,
		Metrics:      metrics,
		CORSOrigins:  sc.origins,
		Limits:       *sc.limits,
		LimitStore:   limitStore,
	})
	if err != nil {
		fail("new server: %v", err)
	}
	hs.Config.Handler = h
	hs.Start()

	ts := &testServer{
		URL:     hs.URL,
		Issuer:  sc.publicURL,
		Dir:     sc.dir,
		DBPath:  dbPath,
		DB:      sc.db,
		Backend: backend,
		Master:  sc.cfg.MasterKey,
		Svc:     svc,
		Store:   st,
		Clock:   sc.clock,
		Handler: h,
		Logs:    logs,
		Client:  newClient(),
		Audit:   auditLog,
		srv:     hs,
		noSpec:  sc.noSpec,
		cfg:     sc.cfg,
		hasher:  sc.hasher,
	}
	t.Cleanup(ts.Close)
	return ts
}

// newClient returns an HTTP client that keeps enough idle connections for
// parallel benchmarks and never follows redirects.
func newClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tr.MaxConnsPerHost = 0
	return &http.Client{
		Transport: tr,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// restart stops the server and starts another on the same data, master
// key, settings, issuer and clock, as a process restart would.
func (ts *testServer) restart(t testing.TB, opts ...option) *testServer {
	t.Helper()
	ts.Close()
	cfg := ts.cfg
	base := []option{
		withDir(ts.Dir), withDB(ts.DB), withClock(ts.Clock), withPublicURL(ts.Issuer),
		withConfig(func(c *auth.Config) { *c = cfg }),
	}
	return newServer(t, append(base, opts...)...)
}

// Close stops the server and closes its store; closing twice is harmless.
func (ts *testServer) Close() {
	ts.srv.Close()
	ts.Client.CloseIdleConnections()
	if ts.Audit != nil {
		ts.Audit.Close(context.Background())
	}
	ts.Store.Close()
}

// request describes one call to the server.
type request struct {
	method string
	path   string
	// body is sent as is when it is a string or []byte, else as JSON;
	// nil sends no body.
	body any
	// contentType defaults to application/json when there is a body;
	// "-" sends none.
	contentType string
	// token is sent as "Authorization: Bearer <token>".
	token string
	// authz, when set, is the raw Authorization header.
	authz string
	// cookie is sent as the refresh cookie.
	cookie string
	// xrw adds X-Requested-With.
	xrw    bool
	header map[string]string
}

// response is a finished call with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	// Cookies are the cookies the response sets.
	Cookies []*http.Cookie
}

// do sends req and checks the response against the OpenAPI document.
func (ts *testServer) do(t testing.TB, req request) response {
	t.Helper()
	r, err := ts.send(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	if !ts.noSpec {
		checkSpec(t, req.method, req.path, r)
	}
	return r
}

// send sends req and reads the response. Unlike do, it may be called from
// goroutines other than the test's.
func (ts *testServer) send(req request) (response, error) {
	var body io.Reader
	ctype := req.contentType
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return response{}, fmt.Errorf("marshal request body: %w", err)
		}
		body = bytes.NewReader(data)
	}
	if body != nil && ctype == "" {
		ctype = "application/json"
	}
	hr, err := http.NewRequest(req.method, ts.URL+req.path, body)
	if err != nil {
		return response{}, err
	}
	if ctype != "" && ctype != "-" {
		hr.Header.Set("Content-Type", ctype)
	}
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	if req.authz != "" {
		hr.Header.Set("Authorization", req.authz)
	}
	if req.cookie != "" {
		hr.AddCookie(&http.Cookie{Name: httpapi.CookieName, Value: req.cookie})
	}
	if req.xrw {
		hr.Header.Set("X-Requested-With", "XMLHttpRequest")
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	res, err := ts.Client.Do(hr)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("read body: %w", err)
	}
	r := response{Status: res.StatusCode, Header: res.Header, Body: data, Cookies: res.Cookies()}
	noteCode(r)
	return r, nil
}

// errorBody is the JSON shape of every error.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// apiError decodes the error body; it is empty when the body is not one.
func (r response) apiError() errorBody {
	var e errorBody
	_ = json.Unmarshal(r.Body, &e)
	return e
}

// decode unmarshals the body into v.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode body %q: %v", r.Body, err)
	}
}

// cookie returns the refresh cookie the response sets, or nil.
func (r response) cookie() *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == httpapi.CookieName {
			return c
		}
	}
	return nil
}

// setCookieHeader returns the raw Set-Cookie line of the refresh cookie.
func (r response) setCookieHeader() string {
	for _, v := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, httpapi.CookieName+"=") {
			return v
		}
	}
	return ""
}

// wantStatus fails the test unless the response has the status.
func (r response) wantStatus(t testing.TB, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

// wantError fails the test unless the response is the error code with the
// status the catalogue gives it.
func (r response) wantError(t testing.TB, code string) {
	t.Helper()
	c, ok := catalogue[code]
	if !ok {
		t.Fatalf("code %q is not in httpapi.Codes", code)
	}
	e := r.apiError()
	if r.Status != c.Status || e.Error != code {
		t.Fatalf("got %d %q, want %d %q; body %s", r.Status, e.Error, c.Status, code, r.Body)
	}
	if e.Message == "" {
		t.Errorf("error %q has an empty message", code)
	}
}

// catalogue indexes httpapi.Codes by name.
var catalogue = func() map[string]httpapi.Code {
	m := map[string]httpapi.Code{}
	for _, c := range httpapi.Codes {
		m[c.Name] = c
	}
	return m
}()

// tokenResponse is the token response of signup, login and refresh.
type tokenResponse struct {
	AccessToken  string   `json:"access_token"`
	Token        string   `json:"token"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    int64    `json:"expires_in"`
	ExpiresAt    int64    `json:"expires_at"`
	User         userJSON `json:"user"`
	RefreshToken *string  `json:"refresh_token"`
}

type userJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	CreatedAt string `json:"created_at"`
}

// grant is what a client holds after signing up, logging in or refreshing.
type grant struct {
	Access  string
	Refresh string
	UserID  string
	Email   string
}

// creds is a signup or login body.
func creds(email, pw string, inBody bool) map[string]any {
	m := map[string]any{"email": email, "password": pw}
	if inBody {
		m["return_refresh_token"] = true
	}
	return m
}

// grantOf reads the tokens of a successful token response: the refresh
// token from the body when there is one, else from the cookie.
func grantOf(t testing.TB, r response) grant {
	t.Helper()
	var tr tokenResponse
	r.decode(t, &tr)
	g := grant{Access: tr.AccessToken, UserID: tr.User.ID, Email: tr.User.Email}
	if tr.RefreshToken != nil {
		g.Refresh = *tr.RefreshToken
	} else if c := r.cookie(); c != nil {
		g.Refresh = c.Value
	}
	if g.Access == "" || g.Refresh == "" {
		t.Fatalf("token response without tokens: %s", r.Body)
	}
	return g
}

// signup creates an account and returns its first grant, with the
// refresh token taken from the body.
func (ts *testServer) signup(t testing.TB, email string) grant {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/auth/signup",
		body: creds(email, testPassword, true)})
	r.wantStatus(t, http.StatusCreated)
	return grantOf(t, r)
}

// login opens another session.
func (ts *testServer) login(t testing.TB, email string) grant {
	t.Helper()
	r := ts.do(t, request{method: "POST", path: "/api/auth/login",
		body: creds(email, testPassword, true)})
	r.wantStatus(t, http.StatusOK)
	return grantOf(t, r)
}

// refresh trades a refresh token, sent in the body, for a new grant.
func (ts *testServer) refresh(t testing.TB, refresh string) response {
	t.Helper()
	return ts.do(t, request{method: "POST", path: "/api/auth/refresh",
		body: map[string]any{"refresh_token": refresh, "return_refresh_token": true}})
}

// me calls GET /api/auth/me with the access token.
func (ts *testServer) me(t testing.TB, access string) response {
	t.Helper()
	return ts.do(t, request{method: "GET", path: "/api/auth/me", token: access})
}

// uniqueEmail returns a fresh address for a test.
var emailSeq struct {
	sync.Mutex
	n int
}

func uniqueEmail(prefix string) string {
	emailSeq.Lock()
	defer emailSeq.Unlock()
	emailSeq.n++
	return fmt.Sprintf("%s%d@example.com", prefix, emailSeq.n)
}
