package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    uint64
		wantErr bool
	}{
		{
			name: "plain",
			line: "1234 (sallyport) S 1 1234 1234 0 -1 4194560 100 0 0 0 " +
				"250 50 0 0 20 0 8 0 1000 100000 2000 18446744073709551615",
			want: 300,
		},
		{
			name: "name with spaces and parentheses",
			line: "99 (a) b (c)) R 1 2 3 4 5 6 7 8 9 10 7 8 0 0",
			want: 15,
		},
		{name: "no name", line: "1234 sallyport S 1", wantErr: true},
		{name: "too short", line: "1 (x) S 1 2 3", wantErr: true},
		{
			name:    "not a number",
			line:    "1 (x) S 1 2 3 4 5 6 7 8 9 10 u 8",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.line))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ticks: got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    memory
		wantErr bool
	}{
		{
			name: "both",
			text: "Name:\tsallyport\nVmPeak:\t  900 kB\nVmHWM:\t   20480 kB\n" +
				"VmRSS:\t   14336 kB\nThreads:\t8\n",
			want: memory{rssKiB: 14336, hwmKiB: 20480},
		},
		{name: "no RSS", text: "VmHWM:\t 1 kB\n", wantErr: true},
		{name: "odd unit", text: "VmHWM:\t 1 kB\nVmRSS:\t 2 MB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus([]byte(tt.text))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestReadSelf reads this process's own /proc files, which exist on every
// Linux machine the load run is meant for.
func TestReadSelf(t *testing.T) {
	m, err := readMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.rssKiB <= 0 || m.hwmKiB < m.rssKiB {
		t.Errorf("got RSS %d KiB and peak %d KiB, want 0 < RSS <= peak", m.rssKiB, m.hwmKiB)
	}
	if _, err := readCPU(os.Getpid()); err != nil {
		t.Error(err)
	}
}

func TestReadyLogged(t *testing.T) {
	path := t.TempDir() + "/server.log"
	before := `{"msg":"sallyport ready","startup_ms":999}` + "\n"
	after := `{"level":"WARN","msg":"created a master key file"}` + "\n" +
		`not json` + "\n" +
		`{"msg":"sallyport ready","addr":"127.0.0.1:1","startup_ms":12}` + "\n"
	if err := os.WriteFile(path, []byte(before+after), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readyLogged(path, int64(len(before)))
	if err != nil {
		t.Fatal(err)
	}
	if want := 12 * time.Millisecond; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := readyLogged(path, int64(len(before+after))); err == nil {
		t.Error("no ready line after the offset: got no error, want one")
	}
}
