// Package abuse holds the adversarial test suites of Sallyport: hostile
// tokens, refresh after logout, CORS and CSRF probes, forged client
// addresses, brute force, a password-hash flood, login timing and the
// audit log. Most tests build the real binary once (TestMain) and run it
// on loopback with a temporary data directory, the way an operator would;
// the package itself exports nothing.
package abuse
