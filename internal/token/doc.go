// Package token issues and verifies Sallyport's access tokens.
//
// An access token is a JWT signed with an asymmetric key: ES256 (the
// default), EdDSA or RS256. Keys live in a [Keyring]; the newest key that is
// not retired signs, and every key in the ring verifies, so a rotation never
// breaks tokens that are already out. Private keys are stored sealed with the
// server's master key (see [Key.Seal] and [OpenKey]).
//
// A [Verifier] pins the algorithm to the key named by the token's kid,
// refuses tokens that carry their own key material (jwk, jku, x5u, x5c) or
// critical extensions, checks the signature before any claim, and then checks
// iss, aud, exp, nbf and iat with a small leeway. Verified tokens are kept in
// a bounded cache, so a token seen before costs a map lookup and a clock
// check rather than a signature check.
//
// Verify returns errors that match [ErrExpired] when a genuine token has
// expired and [ErrInvalid] for everything else, so that callers can answer
// token_expired and token_invalid without looking at the cause.
package token
