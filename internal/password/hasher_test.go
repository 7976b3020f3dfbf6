package password

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// testParams are cheap parameters that keep the tests fast.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// newTestHasher returns a Hasher with testParams and room for slots
// concurrent hashes.
func newTestHasher(t testing.TB, slots int, maxWait time.Duration) *Hasher {
	t.Helper()
	return NewHasher(testParams, 2*int64(slots)*int64(testParams.Memory)*1024, maxWait)
}

func TestHashVerifyRoundTrip(t *testing.T) {
	h := newTestHasher(t, 1, time.Minute)
	ctx := context.Background()
	passwords := map[string]string{
		"ascii":     "correct horse battery staple",
		"multibyte": "pässwörd-🔑-密码",
		"empty":     "",
		"max bytes": strings.Repeat("x", MaxBytes),
	}
	for name, pw := range passwords {
		t.Run(name, func(t *testing.T) {
			encoded, err := h.Hash(ctx, pw)
			if err != nil {
				t.Fatalf("Hash: got error %v, want nil", err)
			}
			if want := "$argon2id$v=19$m=64,t=1,p=1$"; !strings.HasPrefix(encoded, want) {
				t.Errorf("Hash: got %q, want prefix %q", encoded, want)
			}

			ok, rehash, err := h.Verify(ctx, encoded, pw)
			if !ok || rehash || err != nil {
				t.Errorf("Verify(right password): got %v, %v, %v; want true, false, nil",
					ok, rehash, err)
			}
			ok, rehash, err = h.Verify(ctx, encoded, pw+"x")
			if ok || rehash || err != nil {
				t.Errorf("Verify(wrong password): got %v, %v, %v; want false, false, nil",
					ok, rehash, err)
			}
		})
	}
}

func TestHashUsesFreshSalt(t *testing.T) {
	h := newTestHasher(t, 1, time.Minute)
	a, errA := h.Hash(context.Background(), "same password")
	b, errB := h.Hash(context.Background(), "same password")
	if errA != nil || errB != nil {
		t.Fatalf("Hash: got errors %v, %v; want nil", errA, errB)
	}
	if a == b {
		t.Errorf("Hash twice: got the same string %q twice, want different salts", a)
	}
}

func TestHashDefaultParams(t *testing.T) {
	h := NewHasher(DefaultParams(), 64<<20, time.Minute)
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatalf("Hash: got error %v, want nil", err)
	}

	parts := strings.Split(encoded, "$")
	if len(parts) != 6 {
		t.Fatalf("Hash: got %q, want 6 $-separated parts", encoded)
	}
	if got, want := strings.Join(parts[:4], "$"), "$argon2id$v=19$m=19456,t=2,p=1"; got != want {
		t.Errorf("Hash: got head %q, want %q", got, want)
	}
	// 16 bytes of salt and 32 of key in unpadded base64.
	if len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Errorf("Hash: got salt %q and key %q, want 22 and 43 characters", parts[4], parts[5])
	}

	ok, rehash, err := h.Verify(ctx, encoded, "correct horse")
	if !ok || rehash || err != nil {
		t.Errorf("Verify: got %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

// TestVerifyReferenceVector checks the reading of the PHC string against an
// output of the argon2 reference implementation: argon2id of "password"
// with salt "somesalt", t=1, m=64 KiB, p=1, 24-byte key.
func TestVerifyReferenceVector(t *testing.T) {
	key, err := hex.DecodeString("655ad15eac652dc59f7170a7332bf49b8469be1fdb9c28bb")
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawStdEncoding
	encoded := "$argon2id$v=19$m=64,t=1,p=1$" + enc.EncodeToString([]byte("somesalt")) +
		"$" + enc.EncodeToString(key)

	h := newTestHasher(t, 1, time.Minute)
	ok, rehash, err := h.Verify(context.Background(), encoded, "password")
	if !ok || err != nil {
		t.Fatalf("Verify(%q): got %v, %v; want true, nil", encoded, ok, err)
	}
	// The key is 24 bytes, shorter than the Hasher's 32.
	if !rehash {
		t.Errorf("Verify(%q): got needsRehash false, want true", encoded)
	}
}

func TestVerifyBcrypt(t *testing.T) {
	const pw = "hunter22"
	generated, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHasher(t, 1, time.Minute)
	ctx := context.Background()

	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		t.Run(prefix, func(t *testing.T) {
			encoded := prefix + string(generated[4:])
			before := h.Computed()

			ok, rehash, err := h.Verify(ctx, encoded, pw)
			if !ok || !rehash || err != nil {
				t.Errorf("Verify(right password): got %v, %v, %v; want true, true, nil",
					ok, rehash, err)
			}
			ok, rehash, err = h.Verify(ctx, encoded, "hunter23")
			if ok || rehash || err != nil {
				t.Errorf("Verify(wrong password): got %v, %v, %v; want false, false, nil",
					ok, rehash, err)
			}
			if got := h.Computed() - before; got != 2 {
				t.Errorf("Computed: got %d more, want 2", got)
			}
		})
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	const pw = "correct horse"
	target := Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}
	tests := []struct {
		name   string
		modify func(p *Params)
		want   bool
	}{
		{"same", func(p *Params) {}, false},
		{"less memory", func(p *Params) { p.Memory = 64 }, true},
		{"fewer passes", func(p *Params) { p.Time = 1 }, true},
		{"shorter salt", func(p *Params) { p.SaltLen = 8 }, true},
		{"shorter key", func(p *Params) { p.KeyLen = 16 }, true},
		{"more memory", func(p *Params) { p.Memory = 256 }, false},
		{"more passes", func(p *Params) { p.Time = 3 }, false},
		{"fewer threads", func(p *Params) { p.Threads = 1 }, false},
		{"more threads", func(p *Params) { p.Threads = 4 }, false},
	}
	h := NewHasher(target, 1<<20, time.Minute)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := target
			tt.modify(&p)
			encoded, err := NewHasher(p, 1<<20, time.Minute).Hash(ctx, pw)
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := h.Verify(ctx, encoded, pw)
			if !ok || rehash != tt.want || err != nil {
				t.Errorf("Verify(%q): got %v, %v, %v; want true, %v, nil",
					encoded, ok, rehash, err, tt.want)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := newTestHasher(t, 4, time.Minute)
	h.maxBcryptCost = 5
	valid, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, "$") // "", argon2id, v=19, params, salt, key
	salt, key := parts[4], parts[5]
	argon := func(version, params, salt, key string) string {
		return "$argon2id$" + version + "$" + params + "$" + salt + "$" + key
	}
	bcryptHash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	bc := string(bcryptHash)

	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"plain text", "pw"},
		{"lone dollar", "$"},
		{"argon2i", strings.Replace(valid, "argon2id", "argon2i", 1)},
		{"argon2id uppercase", strings.Replace(valid, "argon2id", "ARGON2ID", 1)},
		{"prefix only", "$argon2id$"},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"version 16", argon("v=16", "m=64,t=1,p=1", salt, key)},
		{"version 019", argon("v=019", "m=64,t=1,p=1", salt, key)},
		{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"empty key", argon("v=19", "m=64,t=1,p=1", salt, "")},
		{"empty salt", argon("v=19", "m=64,t=1,p=1", "", key)},
		{"extra part", valid + "$" + key},
		{"trailing dollar", valid + "$"},
		{"params reordered", argon("v=19", "t=1,m=64,p=1", salt, key)},
		{"params missing p", argon("v=19", "m=64,t=1", salt, key)},
		{"params extra", argon("v=19", "m=64,t=1,p=1,k=1", salt, key)},
		{"params spaces", argon("v=19", "m=64, t=1, p=1", salt, key)},
		{"leading zero", argon("v=19", "m=064,t=1,p=1", salt, key)},
		{"plus sign", argon("v=19", "m=+64,t=1,p=1", salt, key)},
		{"negative", argon("v=19", "m=-64,t=1,p=1", salt, key)},
		{"empty number", argon("v=19", "m=,t=1,p=1", salt, key)},
		{"hex number", argon("v=19", "m=0x40,t=1,p=1", salt, key)},
		{"time zero", argon("v=19", "m=64,t=0,p=1", salt, key)},
		{"threads zero", argon("v=19", "m=64,t=1,p=0", salt, key)},
		{"memory below 8 per thread", argon("v=19", "m=31,t=1,p=4", salt, key)},
		{"padded salt", argon("v=19", "m=64,t=1,p=1", salt+"==", key)},
		{"url base64", argon("v=19", "m=64,t=1,p=1", salt, "-_"+key[2:])},
		{"newline in key", argon("v=19", "m=64,t=1,p=1", salt, key[:10]+"\n"+key[10:])},
		{"non-canonical last char", argon("v=19", "m=64,t=1,p=1", salt, key[:42]+"B")},
		{"salt 4 bytes", argon("v=19", "m=64,t=1,p=1", "c2FsdA", key)},
		{"key 8 bytes", argon("v=19", "m=64,t=1,p=1", salt, "a2V5a2V5a2U")},
		{"very long", valid + strings.Repeat("A", 1<<20)},
		{"bcrypt unknown minor", "$2x$" + bc[4:]},
		{"bcrypt no minor", "$2$" + bc[4:]},
		{"bcrypt major 3", "$3a$" + bc[4:]},
		{"bcrypt short", bc[:59]},
		{"bcrypt trailing byte", bc + "x"},
		{"bcrypt bad char", bc[:59] + "!"},
		{"bcrypt cost 03", bc[:4] + "03" + bc[6:]},
		{"bcrypt cost 32", bc[:4] + "32" + bc[6:]},
		{"bcrypt cost above cap", bc[:4] + "06" + bc[6:]},
		{"bcrypt cost letters", bc[:4] + "1a" + bc[6:]},
		{"bcrypt no separator", bc[:6] + "." + bc[7:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.Computed()
			ok, rehash, err := h.Verify(context.Background(), tt.encoded, "pw")
			if !errors.Is(err, ErrInvalidHash) {
				t.Errorf("Verify(%q): got error %v, want ErrInvalidHash", tt.encoded, err)
			}
			if ok || rehash {
				t.Errorf("Verify(%q): got %v, %v; want false, false", tt.encoded, ok, rehash)
			}
			if got := h.Computed() - before; got != 0 {
				t.Errorf("Verify(%q): got %d computations, want 0", tt.encoded, got)
			}
		})
	}
}

// TestVerifyHostileParams checks that parameters which would take too much
// memory or time are refused before any work is done: the test would run
// out of memory or time otherwise.
func TestVerifyHostileParams(t *testing.T) {
	h := NewHasher(DefaultParams(), 64<<20, time.Minute) // 1 slot (each hash counts twice)
	const salt, key = "c29tZXNhbHRzb21lc2FsdA", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	tests := []struct{ name, params string }{
		{"max memory", "m=4294967295,t=2,p=1"},
		{"memory over 4 GiB", "m=4194305,t=1,p=1"},
		{"memory over budget", "m=58369,t=1,p=1"},
		{"max time", "m=19456,t=4294967295,p=1"},
		{"time 65", "m=64,t=65,p=1"},
		{"max threads", "m=19456,t=2,p=255"},
		{"threads over 64", "m=19456,t=2,p=65"},
		{"memory overflows", "m=4294967296,t=2,p=1"},
		{"time overflows", "m=19456,t=4294967296,p=1"},
		{"threads overflow", "m=19456,t=2,p=256"},
	}
	// The same salt and key with sane parameters parse, so the rows below
	// fail for their parameters alone.
	sane := "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key
	if _, err := parsePHC(sane); err != nil {
		t.Fatalf("parsePHC(%q): got %v, want nil", sane, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded := "$argon2id$v=19$" + tt.params + "$" + salt + "$" + key
			ok, _, err := h.Verify(context.Background(), encoded, "pw")
			if ok || !errors.Is(err, ErrInvalidHash) {
				t.Errorf("Verify(%q): got %v, %v; want false, ErrInvalidHash", encoded, ok, err)
			}
		})
	}
	if got := h.Computed(); got != 0 {
		t.Errorf("Computed: got %d, want 0", got)
	}
}

// TestVerifyLargeMemoryTakesSlots checks that a stored hash with more memory
// than one slot verifies when the whole budget can hold it, and holds as
// many slots as it needs meanwhile.
func TestVerifyLargeMemoryTakesSlots(t *testing.T) {
	const pw = "correct horse"
	big := testParams
	big.Memory = 3 * testParams.Memory
	encoded, err := NewHasher(big, 1<<20, time.Minute).Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		slots int
		want  error
	}{
		{2, ErrInvalidHash},
		{3, nil},
	}
	for _, tt := range tests {
		h := newTestHasher(t, tt.slots, time.Minute)
		ok, _, err := h.Verify(context.Background(), encoded, pw)
		if !errors.Is(err, tt.want) || ok != (tt.want == nil) {
			t.Errorf("Verify with %d slots: got %v, %v; want ok %v, error %v",
				tt.slots, ok, err, tt.want == nil, tt.want)
		}
	}

	// With one of three slots taken, the hash must wait for it.
	h := newTestHasher(t, 3, 0)
	if err := h.lim.acquire(context.Background(), 1, 0); err != nil {
		t.Fatal(err)
	}
	_, _, err = h.Verify(context.Background(), encoded, pw)
	if !errors.Is(err, ErrBusy) {
		t.Errorf("Verify with a slot taken: got %v, want ErrBusy", err)
	}
}

func TestVerifyDummy(t *testing.T) {
	h := newTestHasher(t, 1, time.Minute)
	if _, err := parsePHC(h.dummy); err != nil {
		t.Fatalf("parsePHC(dummy %q): got %v, want nil", h.dummy, err)
	}
	if !strings.HasPrefix(h.dummy, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("dummy: got %q, want the Hasher's parameters", h.dummy)
	}
	if err := h.VerifyDummy(context.Background(), "anything"); err != nil {
		t.Errorf("VerifyDummy: got %v, want nil", err)
	}
	if got := h.Computed(); got != 1 {
		t.Errorf("Computed after VerifyDummy: got %d, want 1", got)
	}
}

func TestComputed(t *testing.T) {
	h := newTestHasher(t, 1, time.Minute)
	ctx := context.Background()
	steps := []struct {
		name string
		do   func() error
		want uint64
	}{
		{"new", func() error { return nil }, 0},
		{"hash", func() error { _, err := h.Hash(ctx, "pw"); return err }, 1},
		{"verify", func() error { _, _, err := h.Verify(ctx, h.dummy, "pw"); return err }, 2},
		{"dummy", func() error { return h.VerifyDummy(ctx, "pw") }, 3},
		{"malformed", func() error { _, _, _ = h.Verify(ctx, "$argon2id$", "pw"); return nil }, 3},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: got error %v, want nil", s.name, err)
		}
		if got := h.Computed(); got != s.want {
			t.Errorf("Computed after %s: got %d, want %d", s.name, got, s.want)
		}
	}
}

// holdSlot takes the only slot of h until the test ends or release is
// called.
func holdSlot(t *testing.T, h *Hasher) (release func()) {
	t.Helper()
	if err := h.lim.acquire(context.Background(), 1, 0); err != nil {
		t.Fatalf("acquire: got %v, want nil", err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			h.lim.release(1)
		}
	}
	t.Cleanup(release)
	return release
}

// waitFor polls cond until it holds. The test deadline bounds the wait.
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

// TestHasherFlood starts 1000 hashes while the only slot is taken: exactly
// 64 may queue, the rest get ErrBusy at once, and the queued ones finish
// when the slot is free.
func TestHasherFlood(t *testing.T) {
	h := newTestHasher(t, 1, time.Hour)
	release := holdSlot(t, h)

	const n = 1000
	var busy, other atomic.Int64
	done := make(chan error, n)
	for range n {
		go func() {
			_, err := h.Hash(context.Background(), "pw")
			switch {
			case errors.Is(err, ErrBusy):
				busy.Add(1)
			case err != nil:
				other.Add(1)
			}
			done <- err
		}()
	}
	// Every caller has either failed or queued; none can finish yet.
	waitFor(func() bool { return busy.Load()+other.Load()+int64(h.lim.waiting()) == n })
	if got := h.lim.waiting(); got != waitersPerSlot {
		t.Fatalf("waiting: got %d, want %d", got, waitersPerSlot)
	}
	if got, want := busy.Load(), int64(n-waitersPerSlot); got != want {
		t.Errorf("ErrBusy results: got %d, want %d", got, want)
	}

	// The queue is full: other calls fail at once too.
	if err := h.VerifyDummy(context.Background(), "pw"); !errors.Is(err, ErrBusy) {
		t.Errorf("VerifyDummy while full: got %v, want ErrBusy", err)
	}

	release()
	for range n {
		<-done
	}
	if got := other.Load(); got != 0 {
		t.Errorf("errors other than ErrBusy: got %d, want 0", got)
	}
	if got := h.Computed(); got != uint64(h.lim.maxWaiters) {
		t.Errorf("Computed: got %d, want %d", got, h.lim.maxWaiters)
	}
}

func TestHasherBusy(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		maxWait time.Duration
	}{
		{"no wait", 0},
		{"short wait", time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHasher(t, 1, tt.maxWait)
			holdSlot(t, h)
			ctx := context.Background()

			if _, err := h.Hash(ctx, "pw"); !errors.Is(err, ErrBusy) {
				t.Errorf("Hash: got %v, want ErrBusy", err)
			}
			if _, _, err := h.Verify(ctx, h.dummy, "pw"); !errors.Is(err, ErrBusy) {
				t.Errorf("Verify argon2id: got %v, want ErrBusy", err)
			}
			// bcrypt has a slot of its own, so a full argon2id pool does
			// not stop it, and a bcrypt in flight does stop another.
			if ok, _, err := h.Verify(ctx, string(bc), "pw"); err != nil || !ok {
				t.Errorf("Verify bcrypt with argon2id slots full: got %v, %v; want ok", ok, err)
			}
			if err := h.bcryptLim.acquire(ctx, 1, 0); err != nil {
				t.Fatal(err)
			}
			if _, _, err := h.Verify(ctx, string(bc), "pw"); !errors.Is(err, ErrBusy) {
				t.Errorf("Verify bcrypt with its slot taken: got %v, want ErrBusy", err)
			}
			h.bcryptLim.release(1)
			if got := h.lim.waiting(); got != 0 {
				t.Errorf("waiting after timeouts: got %d, want 0", got)
			}
			if got := h.Computed(); got != 1 {
				t.Errorf("Computed: got %d, want 1 (the bcrypt check)", got)
			}
		})
	}
}

// TestHasherContextCancelled checks that a waiting caller returns when its
// context ends; with maxWait an hour, the test would hang otherwise.
func TestHasherContextCancelled(t *testing.T) {
	h := newTestHasher(t, 1, time.Hour)
	release := holdSlot(t, h)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "pw")
		done <- err
	}()
	waitFor(func() bool { return h.lim.waiting() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with cancelled context: got %v, want context.Canceled", err)
	}
	if got := h.lim.waiting(); got != 0 {
		t.Errorf("waiting after cancel: got %d, want 0", got)
	}

	// A context that is already done fails even when a slot is free.
	release()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with done context: got %v, want context.Canceled", err)
	}
	if got := h.Computed(); got != 0 {
		t.Errorf("Computed: got %d, want 0", got)
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams(), 64<<20, time.Minute)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := NewHasher(DefaultParams(), 64<<20, time.Minute)
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ok, _, err := h.Verify(ctx, encoded, "correct horse battery staple")
		if !ok || err != nil {
			b.Fatalf("Verify: got %v, %v; want true, nil", ok, err)
		}
	}
}

func BenchmarkVerifyBcrypt10(b *testing.B) {
	const pw = "correct horse battery staple"
	encoded, err := bcrypt.GenerateFromPassword([]byte(pw), 10)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHasher(DefaultParams(), 64<<20, time.Minute)
	ctx := context.Background()
	for b.Loop() {
		ok, _, err := h.Verify(ctx, string(encoded), pw)
		if !ok || err != nil {
			b.Fatalf("Verify: got %v, %v; want true, nil", ok, err)
		}
	}
}

// TestCheck: hashes brought from elsewhere are judged without hashing.
func TestCheck(t *testing.T) {
	h := newTestHasher(t, 1, time.Second)
	good, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	b := string(bc)
	tests := []struct {
		name, hash string
		ok         bool
	}{
		{"argon2id of ours", good, true},
		{"bcrypt 2a", b, true},
		{"bcrypt 2y", "$2y$" + b[4:], true},
		{"bcrypt cost 31", b[:4] + "31" + b[6:], true},
		{"bcrypt cost 35", b[:4] + "35" + b[6:], false},
		{"bcrypt cost 03", b[:4] + "03" + b[6:], false},
		{"bcrypt short", b[:59], false},
		{"argon2id t=1000", strings.Replace(good, ",t=1,", ",t=1000,", 1), false},
		{"argon2id over the budget", strings.Replace(good, "m=", "m=9", 1), false},
		{"plain text", "hunter2", false},
		{"empty", "", false},
	}
	before := h.Computed()
	for _, tt := range tests {
		err := h.Check(tt.hash)
		if (err == nil) != tt.ok {
			t.Errorf("%s: got %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidHash) {
			t.Errorf("%s: got %v, want ErrInvalidHash", tt.name, err)
		}
	}
	if h.Computed() != before {
		t.Errorf("Check computed %d hashes, want none", h.Computed()-before)
	}
}
