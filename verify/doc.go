// Package verify checks Sallyport access tokens in any Go service.
//
// A [Verifier] reads the issuer's discovery document and JSON Web Key Set
// once, in [New], and then verifies tokens locally: it pins each token to the
// algorithm of the key its kid names (never none, never HMAC), refuses tokens
// that bring their own key material (jwk, jku, x5u, x5c) or critical
// extensions, refuses tokens larger than [MaxTokenSize], checks the signature
// before any claim, and then checks iss, aud, exp, nbf and iat with a leeway.
// A token signed by a key it has not seen makes it fetch the key set again,
// at most once per [WithKeyRefetchInterval], so that a key rotation on the
// server needs no restart.
//
// Tokens that pass are kept in a bounded cache. A cached token costs a map
// lookup and a clock check instead of a signature check, and is still
// refused from the moment it expires or its session is revoked.
//
// # Errors
//
// [Verifier.Verify] returns errors that match one of [ErrTokenMissing],
// [ErrTokenExpired], [ErrTokenInvalid], [ErrSessionRevoked] and
// [ErrUnavailable]; the specific cause is joined to the sentinel.
// [Verifier.Middleware] and [WriteError] turn them into the same responses as
// Sallyport's own endpoints: status 401 with a WWW-Authenticate header and a
// JSON body such as {"error":"token_expired","message":"access token
// expired"}, 403 forbidden from [RequireRole], and 503 unavailable.
//
// # Revocation feed
//
// Logging out revokes a session on the server at once, but an access token
// is self-contained: a service learns of the logout only by asking. With
// [WithRevocationFeed] the Verifier polls the server's revocation feed
// (GET /api/auth/revocations, authenticated with a service credential from
// "sallyport service create NAME") and refuses tokens of revoked sessions
// from the next poll on, which with a one- or two-second interval means
// within a few seconds of the logout.
//
// The polling happens in [Verifier.Run], which the service must start, for
// example with go v.Run(ctx). New polls once itself, so a verifier starts
// knowing every current revocation, and fails when the feed refuses the
// credential.
//
// When the feed cannot be read (the server is down, the network is cut, the
// credential was deleted), the Verifier keeps accepting valid tokens for a
// grace period: by default the longer of [DefaultFeedGrace] and three poll
// intervals since the last successful poll, or what [WithFeedGrace] sets.
// After that it fails closed: every token that passes the other checks is
// refused with [ErrUnavailable] (503 from the middleware), because a logout
// may have been missed. It accepts tokens again after the next successful poll.
// [WithFailOpen] turns that off and keeps accepting tokens that are valid
// apart from the unknown revocations. The same applies when Run is not
// running: nothing polls, so the grace period runs out.
//
// Without a feed, a revoked session's access tokens stay valid in this
// service until they expire (15 minutes by default).
package verify
