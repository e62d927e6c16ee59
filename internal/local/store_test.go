package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kclgo/mld/internal/lease"
)

func TestStoreSurvivesReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.json")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get("a", "shardId-000000000000"); ok {
		t.Errorf("a new store has a checkpoint")
	}
	p := lease.Position{SequenceNumber: "49590338271490256608559692538361571095921575989136000001", SubSequenceNumber: 2}
	if err := s.Set("a", "shardId-000000000000", p); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("b", "shardId-000000000001", lease.ShardEnd); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.Get("a", "shardId-000000000000"); got.Position() != p || got.Updated.IsZero() {
		t.Errorf("after reopening: %+v, want %v with a time", got, p)
	}
	if got, _ := s.Get("b", "shardId-000000000001"); got.Position() != lease.ShardEnd {
		t.Errorf("after reopening: %+v, want SHARD_END", got)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"{\n  \"version\": 1,\n  \"streams\": {\n    \"a\": {\n      \"shardId-000000000000\": {\"sequenceNumber\":\"4959", `"subSequenceNumber":2`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("file lacks %q:\n%s", want, b)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".cp.json.*.tmp")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestStoreRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not valid JSON": "{",
		"has version 2":  `{"version":2,"streams":{}}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(path, []byte(content), 0o644)
		if _, err := OpenStore(path); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("OpenStore of a file that is %s = %v, want an error saying so", name, err)
		}
	}
}

// A failed write leaves the stored checkpoint as it was.
func TestStoreWriteFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cp.json")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := lease.Position{SequenceNumber: "1"}
	if err := s.Set("a", "s", first); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir) // no temporary file can be made
	if err := s.Set("a", "s", lease.Position{SequenceNumber: "2"}); err == nil || !strings.Contains(err.Error(), "local: writing checkpoints") {
		t.Fatalf("Set with the directory gone = %v, want a write error", err)
	}
	if got, _ := s.Get("a", "s"); got.Position() != first {
		t.Errorf("after a failed write: %v, want %v", got.Position(), first)
	}
	if err := s.Set("a", "new", lease.Position{SequenceNumber: "2"}); err == nil {
		t.Fatal("Set with the directory gone succeeded")
	}
	if _, ok := s.Get("a", "new"); ok {
		t.Errorf("a failed first write left a checkpoint")
	}
}

// A checkpoint file whose directory is missing is reported as such, not as
// a file in use.
func TestStoreInAMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "cp.json")
	_, err := OpenStore(path)
	if err == nil || strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "does its directory exist?") {
		t.Errorf("OpenStore(%s) = %v, want an error about the directory", path, err)
	}
}
