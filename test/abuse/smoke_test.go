package abuse

import "testing"

func TestSmoke(t *testing.T) {
	in := startServer(t)
	pw := in.password("smoke")
	g := in.signup(t, uniqueEmail("smoke"), pw)
	in.me(t, g.Access).wantStatus(t, 200)
	t.Log(in.cli(t, "", "user", "list"))
	t.Log(in.logs.String())
}
