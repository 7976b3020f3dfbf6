package main

import (
	"io"
	"maps"
	"slices"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantOnly []string // sorted; nil for every scenario
		wantDur  time.Duration
		wantErr  bool
	}{
		{name: "defaults", wantDur: 5 * time.Second},
		{
			name:     "me brings bare",
			args:     []string{"-only", "me, refresh"},
			wantOnly: []string{"bare", "me", "refresh"},
			wantDur:  5 * time.Second,
		},
		{
			name:     "flood alone",
			args:     []string{"-only=flood", "-duration", "2s"},
			wantOnly: []string{"flood"},
			wantDur:  2 * time.Second,
		},
		{name: "unknown scenario", args: []string{"-only", "me,logout"}, wantErr: true},
		{name: "zero conns", args: []string{"-conns", "0"}, wantErr: true},
		{name: "hour long", args: []string{"-duration", "1h"}, wantErr: true},
		{name: "stray argument", args: []string{"me"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if o.duration != tt.wantDur {
				t.Errorf("duration: got %v, want %v", o.duration, tt.wantDur)
			}
			got := slices.Sorted(maps.Keys(o.only))
			if len(got) == 0 {
				got = nil
			}
			if !slices.Equal(got, tt.wantOnly) {
				t.Errorf("only: got %v, want %v", got, tt.wantOnly)
			}
		})
	}
}

func TestReportFailed(t *testing.T) {
	rp := &report{}
	rp.add(row{scenario: "a", verdict: pass})
	rp.add(row{scenario: "b", verdict: info})
	if rp.failed() {
		t.Error("no FAIL row: got failed, want not")
	}
	rp.add(row{scenario: "c", verdict: fail})
	if !rp.failed() {
		t.Error("a FAIL row: got not failed, want failed")
	}
}
