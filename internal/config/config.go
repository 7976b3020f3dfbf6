// Package config holds the settings of `sallyport serve` and reads them
// from flags, SALLYPORT_* environment variables and an optional file, in
// that order of precedence.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is the whole configuration of the server. The zero value is not
// useful; start from Default.
type Config struct {
	// Addr is the host:port the HTTP server listens on.
	Addr string
	// DataDir holds the SQLite database and, when no master key is given
	// in the environment, the master key file.
	DataDir string
	// DB is the store URL; empty means SQLite inside DataDir.
	DB string
	// PublicURL is the URL clients reach the server at; it is the token
	// issuer. Empty means http://<Addr>.
	PublicURL string
	// Audience is the aud claim of access tokens.
	Audience string
	// AccessTTL is the lifetime of an access token.
	AccessTTL time.Duration
	// RefreshGrace is how long a rotated refresh token may be used again
	// (by racing tabs) before its use counts as theft.
	RefreshGrace time.Duration
	// Leeway is the clock skew tolerated when checking exp, nbf and iat.
	Leeway time.Duration
	// SessionIdle ends a session that has not been refreshed for this long.
	SessionIdle time.Duration
	// SessionMax ends a session this long after login, whatever its use.
	SessionMax time.Duration
	// SigningAlg is the algorithm of new signing keys: ES256, EdDSA or RS256.
	SigningAlg string
	// HashMemoryMiB bounds the memory of password hashes computed at once.
	HashMemoryMiB int
	// CORSOrigins is a comma-separated allowlist of exact origins whose
	// pages may call the API with credentials.
	CORSOrigins string
	// TrustedProxies is a comma-separated list of IPs and CIDRs whose
	// X-Forwarded-For header is believed.
	TrustedProxies string
	// Redis, when set, is a redis:// URL where rate limits are shared
	// between instances.
	Redis string
	// RateLimit turns the login, sign-up and refresh limits on or off.
	RateLimit bool
	// AuditRetention is how long audit events are kept.
	AuditRetention time.Duration
	// LogFormat is "text" or "json".
	LogFormat string
	// LogLevel is debug, info, warn or error.
	LogLevel string
}

// Default returns the settings used when nothing else is given.
func Default() Config {
	return Config{
		Addr:           "127.0.0.1:8080",
		DataDir:        "./sallyport-data",
		Audience:       "sallyport",
		AccessTTL:      15 * time.Minute,
		RefreshGrace:   10 * time.Second,
		Leeway:         30 * time.Second,
		SessionIdle:    168 * time.Hour,
		SessionMax:     720 * time.Hour,
		SigningAlg:     "ES256",
		HashMemoryMiB:  128,
		RateLimit:      true,
		AuditRetention: 2160 * time.Hour,
		LogFormat:      "text",
		LogLevel:       "info",
	}
}

// EnvPrefix starts the name of every environment variable Sallyport reads.
const EnvPrefix = "SALLYPORT_"

// Bind registers one flag per setting on fs, writing into c, with c's
// current values as defaults. It also registers --config.
func (c *Config) Bind(fs *flag.FlagSet) *string {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (host:port)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir,
		"directory for the SQLite database and the master key file")
	fs.StringVar(&c.DB, "db", c.DB,
		"store URL: a file path or sqlite://PATH (default: sallyport.db in the data dir), "+
			"postgres://... or mongodb://...")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL,
		"URL clients use to reach the server; the token issuer (default http://<addr>)")
	fs.StringVar(&c.Audience, "audience", c.Audience, "aud claim of access tokens")
	fs.DurationVar(&c.AccessTTL, "access-ttl", c.AccessTTL, "access token lifetime")
	fs.DurationVar(&c.RefreshGrace, "refresh-grace", c.RefreshGrace,
		"how long a rotated refresh token still works for racing requests")
	fs.DurationVar(&c.Leeway, "leeway", c.Leeway, "clock skew allowed on exp, nbf and iat")
	fs.DurationVar(&c.SessionIdle, "session-idle", c.SessionIdle,
		"a session unused for this long ends")
	fs.DurationVar(&c.SessionMax, "session-max", c.SessionMax,
		"a session ends this long after login")
	fs.StringVar(&c.SigningAlg, "signing-alg", c.SigningAlg,
		"algorithm of new signing keys: ES256, EdDSA or RS256")
	fs.IntVar(&c.HashMemoryMiB, "hash-memory", c.HashMemoryMiB,
		"MiB of memory that concurrent password hashes may use together")
	fs.StringVar(&c.CORSOrigins, "cors-origins", c.CORSOrigins,
		"comma-separated exact origins (https://app.example.com) allowed to call the API "+
			"with credentials")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies,
		"comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is believed")
	fs.StringVar(&c.Redis, "redis", c.Redis,
		"redis://host:port/db to share rate limits between instances (default: in memory)")
	fs.BoolVar(&c.RateLimit, "rate-limit", c.RateLimit,
		"limit login, sign-up and refresh attempts (turn off only for load tests)")
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention,
		"how long audit events are kept")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	return fs.String("config", "",
		"optional file of name = value lines, one per setting (flag names)")
}

// Load parses args into c. Precedence: flags, then SALLYPORT_<NAME>
// environment variables (NAME is the flag name in upper case with
// underscores), then the --config file, then the defaults already in c.
func (c *Config) Load(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	file := c.Bind(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	path := *file
	if path == "" {
		path = getenv(EnvPrefix + "CONFIG")
	}
	var fromFile map[string]string
	if path != "" {
		var err error
		if fromFile, err = readFile(path); err != nil {
			return err
		}
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == "config" {
			return
		}
		env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
			return
		}
		if v, ok := fromFile[f.Name]; ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s in %s: %w", f.Name, path, err))
			}
		}
	})
	for name := range fromFile {
		if fs.Lookup(name) == nil {
			errs = append(errs, fmt.Errorf("unknown setting %q in %s", name, path))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.Validate()
}

// readFile reads "name = value" lines; blank lines and lines starting with
// # are ignored.
func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want name = value", path, n)
		}
		out[strings.TrimSpace(name)] = strings.Trim(strings.TrimSpace(value), `"`)
	}
	return out, sc.Err()
}

// Validate checks the settings and fills in the derived defaults.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if u, err := url.Parse(c.PublicURL); err != nil || u.Host == "" ||
		(u.Scheme != "http" && u.Scheme != "https") {
		errs = append(errs, fmt.Errorf("public-url %q: want an http or https URL", c.PublicURL))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("audience must not be empty"))
	}
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"access-ttl", c.AccessTTL}, {"session-idle", c.SessionIdle},
		{"session-max", c.SessionMax},
	}
	for _, p := range positive {
		if p.d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", p.name, p.d))
		}
	}
	if c.RefreshGrace < 0 || c.Leeway < 0 {
		errs = append(errs, errors.New("refresh-grace and leeway must not be negative"))
	}
	switch c.SigningAlg {
	case "ES256", "EdDSA", "RS256":
	default:
		errs = append(errs, fmt.Errorf("signing-alg %q: want ES256, EdDSA or RS256", c.SigningAlg))
	}
	if c.AuditRetention <= 0 {
		errs = append(errs, fmt.Errorf("audit-retention must be positive, got %s",
			c.AuditRetention))
	}
	if c.HashMemoryMiB < 19 {
		errs = append(errs, fmt.Errorf("hash-memory %d MiB: want at least 19", c.HashMemoryMiB))
	}
	if c.DB == "" {
		c.DB = "sqlite://" + filepath.Join(c.DataDir, "sallyport.db")
	}
	return errors.Join(errs...)
}

// List splits a comma-separated setting into its trimmed, non-empty items.
func List(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// SecureCookie reports whether the refresh cookie needs the Secure
// attribute: always, except for plain http on a loopback host.
func (c *Config) SecureCookie() bool {
	u, err := url.Parse(c.PublicURL)
	if err != nil || u.Scheme != "http" {
		return true
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
