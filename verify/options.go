package verify

import (
	"net/http"
	"time"
)

// Defaults and limits.
const (
	// MaxTokenSize is the length in bytes beyond which a token is refused
	// without being parsed.
	MaxTokenSize = 8 << 10

	// DefaultAudience is the aud claim Sallyport issues unless configured
	// otherwise.
	DefaultAudience = "sallyport"

	// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
	DefaultLeeway = 30 * time.Second

	// DefaultCacheSize is the number of verified tokens a Verifier keeps.
	DefaultCacheSize = 10000

	// DefaultKeyRefetchInterval is the least time between two fetches of the
	// key set caused by tokens with an unknown kid. It is short so that
	// forged kids, which use up a fetch each, cannot keep a newly rotated
	// key out for long; one fetch a second costs the issuer little.
	DefaultKeyRefetchInterval = time.Second

	// DefaultKeyRefresh is how often Run fetches the key set even when no
	// token asks for it, so that removed keys stop verifying.
	DefaultKeyRefresh = 5 * time.Minute

	// DefaultFeedInterval is the revocation feed's poll interval when neither
	// WithRevocationFeed nor the server names one.
	DefaultFeedInterval = 2 * time.Second

	// DefaultFeedGrace is the least time the revocation feed may be
	// unreachable before the Verifier fails closed.
	DefaultFeedGrace = 30 * time.Second

	// defaultHTTPTimeout bounds each request of the default HTTP client.
	defaultHTTPTimeout = 10 * time.Second
)

// An Option configures a Verifier built by New.
type Option func(*config)

// config holds the settings an Option changes.
type config struct {
	client        *http.Client
	audience      string
	leeway        time.Duration
	cacheSize     int
	refetchEvery  time.Duration
	keyRefresh    time.Duration
	credential    string
	feedInterval  time.Duration
	feedGrace     time.Duration
	failOpen      bool
	onError       func(error)
	now           func() time.Time
	feedEnabled   bool
	graceExplicit bool
}

func defaultConfig() config {
	return config{
		client:       &http.Client{Timeout: defaultHTTPTimeout},
		audience:     DefaultAudience,
		leeway:       DefaultLeeway,
		cacheSize:    DefaultCacheSize,
		refetchEvery: DefaultKeyRefetchInterval,
		keyRefresh:   DefaultKeyRefresh,
		feedGrace:    DefaultFeedGrace,
		onError:      func(error) {},
		now:          time.Now,
	}
}

// WithHTTPClient makes the Verifier fetch the discovery document, the key
// set and the revocation feed with c. The default client gives up on a
// request after 10 seconds.
func WithHTTPClient(c *http.Client) Option {
	return func(o *config) {
		if c != nil {
			o.client = c
		}
	}
}

// WithAudience sets the aud value a token must carry; the default is
// DefaultAudience, matching the server's --audience default.
func WithAudience(aud string) Option {
	return func(o *config) { o.audience = aud }
}

// WithLeeway sets the clock skew allowed on exp, nbf and iat; the default is
// DefaultLeeway. A negative value means none.
func WithLeeway(d time.Duration) Option {
	return func(o *config) { o.leeway = max(d, 0) }
}

// WithCacheSize bounds the number of verified tokens kept; the default is
// DefaultCacheSize. Zero or less turns the cache off, so that every request
// costs a signature check.
func WithCacheSize(n int) Option {
	return func(o *config) { o.cacheSize = n }
}

// WithKeyRefetchInterval sets the least time between two fetches of the key
// set caused by tokens with an unknown kid; the default is
// DefaultKeyRefetchInterval. It keeps a stream of forged kids from turning
// into a stream of requests to the issuer.
func WithKeyRefetchInterval(d time.Duration) Option {
	return func(o *config) { o.refetchEvery = max(d, 0) }
}

// WithRevocationFeed makes the Verifier learn about revoked sessions from
// the issuer's revocation feed, authenticating with credential (made by
// "sallyport service create NAME") and polling every interval while Run
// runs. An interval of zero or less follows the poll_interval the server
// suggests, or DefaultFeedInterval.
func WithRevocationFeed(credential string, interval time.Duration) Option {
	return func(o *config) {
		o.feedEnabled = true
		o.credential = credential
		o.feedInterval = max(interval, 0)
	}
}

// WithFeedGrace sets how long after the last successful poll of the
// revocation feed the Verifier keeps accepting tokens; after that it refuses
// them all with ErrUnavailable until a poll succeeds again. The default is
// the longer of DefaultFeedGrace and three poll intervals.
func WithFeedGrace(d time.Duration) Option {
	return func(o *config) {
		o.feedGrace = max(d, 0)
		o.graceExplicit = true
	}
}

// WithFailOpen makes the Verifier keep accepting valid tokens however long
// the revocation feed is unreachable. Tokens of sessions revoked meanwhile
// are then accepted until they expire.
func WithFailOpen() Option {
	return func(o *config) { o.failOpen = true }
}

// WithErrorHandler makes Run pass fn each error of its background work: a
// failed poll of the revocation feed or a failed refresh of the key set.
// fn must not block. By default such errors are dropped; the feed's health
// still shows in Verify's answers once the grace period is over.
func WithErrorHandler(fn func(error)) Option {
	return func(o *config) {
		if fn != nil {
			o.onError = fn
		}
	}
}

// withClock replaces time.Now, for tests.
func withClock(now func() time.Time) Option {
	return func(o *config) { o.now = now }
}
