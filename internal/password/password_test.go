package password

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"empty", "", ErrTooShort},
		{"7 chars", "abcdefg", ErrTooShort},
		{"8 chars", "abcdefgh", nil},
		{"7 multibyte runes", strings.Repeat("é", 7), ErrTooShort},
		{"8 multibyte runes", strings.Repeat("é", 8), nil},
		{"8 four-byte runes", strings.Repeat("🔑", 8), nil},
		{"256 bytes", strings.Repeat("a", 256), nil},
		{"257 bytes", strings.Repeat("a", 257), ErrTooLong},
		{"129 two-byte runes", strings.Repeat("é", 129), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.pw)
			if got != tt.want {
				t.Fatalf("Validate: got %v, want %v", got, tt.want)
			}
			if got != nil && !errors.Is(got, ErrWeak) {
				t.Errorf("Validate: got %v, want it to match ErrWeak", got)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	ok := DefaultParams()
	tests := []struct {
		name   string
		modify func(p *Params)
		valid  bool
	}{
		{"default", func(p *Params) {}, true},
		{"zero threads", func(p *Params) { p.Threads = 0 }, false},
		{"65 threads", func(p *Params) { p.Threads = 65 }, false},
		{"zero time", func(p *Params) { p.Time = 0 }, false},
		{"time 65", func(p *Params) { p.Time = 65 }, false},
		{"memory below 8 per thread", func(p *Params) { p.Threads = 4; p.Memory = 31 }, false},
		{"memory 8 per thread", func(p *Params) { p.Threads = 4; p.Memory = 32 }, true},
		{"memory above 4 GiB", func(p *Params) { p.Memory = 4<<20 + 1; p.Time = 1 }, false},
		{"memory 4 GiB", func(p *Params) { p.Memory = 4 << 20; p.Time = 1 }, true},
		{"too much work", func(p *Params) { p.Memory = 4 << 20; p.Time = 2 }, false},
		{"salt 7", func(p *Params) { p.SaltLen = 7 }, false},
		{"salt 65", func(p *Params) { p.SaltLen = 65 }, false},
		{"key 15", func(p *Params) { p.KeyLen = 15 }, false},
		{"key 129", func(p *Params) { p.KeyLen = 129 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.modify(&p)
			err := p.Validate()
			if (err == nil) != tt.valid {
				t.Errorf("Validate(%+v): got %v, want valid %v", p, err, tt.valid)
			}
		})
	}
}

func TestNewHasherPanicsOnInvalidParams(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("NewHasher(Params{}): got no panic, want one")
		}
	}()
	NewHasher(Params{}, 1<<20, 0)
}
