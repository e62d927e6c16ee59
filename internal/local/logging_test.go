package local

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(&LockedWriter{W: &buf}, slog.LevelInfo)).With("shard", "shardId-000000000001")
	log.Debug("not shown")
	log.Info("checkpoint at the end", "at", "4959/0", "line", `{"a":1}`, "empty", "", "d", 1500*time.Millisecond,
		slog.Group("g", "k", "v w"))
	log.WithGroup("x").Warn("grouped", "k", 1)
	got := buf.String()
	// Drop the time of day.
	var lines []string
	for _, l := range bytes.Split(bytes.TrimSuffix([]byte(got), []byte("\n")), []byte("\n")) {
		lines = append(lines, string(l[13:]))
	}
	want := []string{
		`INFO  checkpoint at the end shard=shardId-000000000001 at=4959/0 line="{\"a\":1}" empty="" d=1.5s g.k="v w"`,
		`WARN  grouped shard=shardId-000000000001 x.k=1`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), got)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n%s\nwant:\n%s", i, lines[i], want[i])
		}
	}
}
