package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		want    []int
		wantErr string
	}{
		{"in order", []string{"0001_init.sql", "0002_more.sql"}, []int{1, 2}, ""},
		{"none", nil, []int{}, ""},
		{"gap", []string{"0001_init.sql", "0003_skip.sql"}, nil,
			"want a name starting with 0002_"},
		{"not numbered", []string{"init.sql"}, nil, "want a name starting with 0001_"},
		{"starts at two", []string{"0002_x.sql"}, nil, "0001_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"m/notes.txt": {Data: []byte("ignored")}}
			for _, f := range tt.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("-- " + f)}
			}
			got, err := Load(fsys, "m")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d files, want %d", len(got), len(tt.want))
			}
			for i, f := range got {
				if f.Version != tt.want[i] || f.SQL != "-- "+f.Name {
					t.Errorf("file %d: got version %d, SQL %q", i, f.Version, f.SQL)
				}
			}
		})
	}
}
