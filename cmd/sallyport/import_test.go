package main

import (
	"fmt"
	"regexp"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestUserImport brings users over with their bcrypt hashes, as from a
// hand-written Express app, and checks that they can log in as they were.
func TestUserImport(t *testing.T) {
	c := newCLI(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("legacy-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	input := fmt.Sprintf(`{"email":"Legacy@Example.com","password_hash":%q}`+"\n"+
		`{"email":"boss@example.com","password_hash":%q,"role":"admin"}`+"\n"+
		"\n"+
		`{"email":"not an email","password_hash":%q}`+"\n"+
		`{"email":"weak@example.com","password_hash":"plaintext"}`+"\n"+
		`not json`+"\n", hash, hash, hash)
	stdout, stderr, err := c.run(t, input, "user", "import")
	if err == nil || !regexp.MustCompile(`3 lines failed`).MatchString(err.Error()) {
		t.Fatalf("user import: got error %v, want 3 lines failed", err)
	}
	if stdout != "imported 2 users, 3 failed\n" {
		t.Errorf("user import: got stdout %q", stdout)
	}
	for _, want := range []string{`line 4: invalid email`,
		`line 5: .*not a usable bcrypt or argon2id hash`, `line 6: not a JSON object`} {
		if !regexp.MustCompile(want).MatchString(stderr) {
			t.Errorf("user import: stderr lacks /%s/:\n%s", want, stderr)
		}
	}
	c.play(t, []step{
		{args: []string{"user", "list"}, out: `(?m)^\S+ +legacy@example\.com +user `},
		{args: []string{"user", "list"}, out: `(?m)^\S+ +boss@example\.com +admin `},
		{args: []string{"user", "import"}, stdin: fmt.Sprintf(
			`{"email":"legacy@example.com","password_hash":%q}`+"\n", hash),
			errText: "1 lines failed"},
	})
	login(t, c, "legacy@example.com", "legacy-password")
}
