package ratelimit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sallyport/sallyport/internal/ratelimit"
)

// This shows the login checks: per account, where a success resets, and
// per client address, where a success only takes back its own attempt.
func Example_login() {
	ctx := context.Background()
	store := ratelimit.NewMemory(0)
	policy := ratelimit.Backoff{Free: 5, Base: time.Second, Max: 15 * time.Minute}
	account, _ := ratelimit.NewBackoffLimiter(store, "login-account", policy)
	address, _ := ratelimit.NewBackoffLimiter(store, "login-address",
		ratelimit.Backoff{Free: 20, Base: time.Second, Max: 15 * time.Minute})

	login := func(email, ip string, passwordOK bool) string {
		acct, addr := ratelimit.AccountKey(email), ratelimit.AddrKey(ip)
		if wait, err := address.Attempt(ctx, addr); err != nil || wait > 0 {
			return "429 (address)" // on err: 503, see the package documentation
		}
		if wait, _ := account.Attempt(ctx, acct); wait > 0 {
			address.Forgive(ctx, addr) // refused before hashing: not a guess
			return "429 (account)"
		}
		// ... compute the password hash here ...
		if !passwordOK {
			return "401"
		}
		account.Reset(ctx, acct)
		address.Forgive(ctx, addr)
		return "200"
	}

	for range 6 {
		login("bob@example.com", "203.0.113.7", false)
	}
	fmt.Println(login("BOB@example.com", "203.0.113.7", true))
	// Output: 429 (account)
}
