package token_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/sallyport/sallyport/internal/token"
)

func Example() {
	now := time.Now()
	key, err := token.GenerateKey(token.ES256, now)
	if err != nil {
		panic(err)
	}
	ring := token.NewKeyring()
	ring.Set([]*token.Key{key})

	raw, err := token.Issue(ring, token.Claims{
		Issuer:    "https://auth.example.com",
		Audience:  "https://app.example.com",
		Subject:   "user-1",
		SessionID: "session-1",
		Role:      "user",
		IssuedAt:  now,
		ExpiresAt: now.Add(15 * time.Minute),
	})
	if err != nil {
		panic(err)
	}

	v := token.NewVerifier(ring, token.VerifierOptions{
		Issuer:   "https://auth.example.com",
		Audience: "https://app.example.com",
	})
	claims, err := v.Verify(raw)
	fmt.Println(claims.Subject, claims.Role, err)
	// Output: user-1 user <nil>
}

// A token that has expired matches ErrExpired, so that a client can be told
// to refresh; anything else wrong with a token matches ErrInvalid.
func ExampleVerifier_Verify_expired() {
	issued := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	key, err := token.GenerateKey(token.EdDSA, issued)
	if err != nil {
		panic(err)
	}
	ring := token.NewKeyring()
	ring.Set([]*token.Key{key})
	raw, err := token.Issue(ring, token.Claims{
		Issuer: "iss", Audience: "aud", Subject: "u", SessionID: "s",
		ExpiresAt: issued.Add(15 * time.Minute),
	})
	if err != nil {
		panic(err)
	}

	later := func() time.Time { return issued.Add(time.Hour) }
	v := token.NewVerifier(ring, token.VerifierOptions{
		Issuer: "iss", Audience: "aud", Now: later,
	})
	_, err = v.Verify(raw)
	fmt.Println(errors.Is(err, token.ErrExpired), errors.Is(err, token.ErrInvalid))

	_, err = v.Verify(raw[:len(raw)-4] + "AAAA")
	fmt.Println(errors.Is(err, token.ErrExpired), errors.Is(err, token.ErrInvalid))
	// Output:
	// true false
	// false true
}
