package abuse

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

// cpuTicks returns the CPU time the server process has used, in clock
// ticks (user plus system).
func (in *instance) cpuTicks(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", in.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name, which is in parentheses, start
	// with the state (field 3); utime and stime are fields 14 and 15.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("parse /proc/%d/stat: %q", in.Pid, data)
	}
	return utime + stime
}

// TestHostileInputCost checks that a login whose email is a megabyte of
// text that is costly to normalize (combining marks, compatibility
// characters) costs the server no more CPU than an ordinary failed login,
// which computes one password hash. Such input reaches the rate limiter's
// account key before any limit applies, so a costly key would let one
// client keep the server's cores busy. It compares the server's CPU time
// over 20 requests of each kind, with the limits off, and tries up to
// three times, since other processes share the machine.
func TestHostileInputCost(t *testing.T) {
	if testing.Short() {
		t.Skip("compares server CPU time over 40 logins; skipped in -short mode")
	}
	const rounds, tries = 20, 3
	in := startServer(t, "--rate-limit=false")
	size := maxBody - 200
	hostile := []string{
		strings.Repeat("e\u0301\u0327", size/5),
		strings.Repeat("\u212A", size/3),
		strings.Repeat("\U0001D400", size/4),
		strings.Repeat("\ufdfa", size/3),
		strings.Repeat("\uff42\u0308", size/5),
	}
	login := func(addr string) {
		r := in.do(t, call{method: "POST", path: "/api/auth/login",
			body: map[string]any{"email": addr, "password": "a wrong password"}})
		r.wantError(t, http.StatusUnauthorized, "invalid_credentials")
	}
	login(uniqueEmail("warm")) // warm up

	var last string
	for try := 1; try <= tries; try++ {
		start := in.cpuTicks(t)
		for range rounds {
			login(uniqueEmail("plain"))
		}
		mid := in.cpuTicks(t)
		for i := range rounds {
			login(hostile[i%len(hostile)])
		}
		end := in.cpuTicks(t)
		plain, costly := mid-start, end-mid
		last = fmt.Sprintf("%d failed logins took %d CPU ticks; %d logins with a "+
			"megabyte of hostile text as the email took %d", rounds, plain, rounds, costly)
		t.Logf("try %d: %s", try, last)
		if costly <= plain {
			return
		}
	}
	t.Errorf("after %d tries: %s; want the hostile ones to cost no more", tries, last)
}
