package main

import (
	"os"
	"strings"
	"testing"
)

// Every command in the table is listed by kcl help, reached by its name,
// and documented in the package comment.
func TestCommands(t *testing.T) {
	code, _, help := kclRun("help")
	if code != 0 {
		t.Fatalf("kcl help: exit %d", code)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("command %q listed twice", c.name)
		}
		seen[c.name] = true
		if !strings.Contains(help, "  "+c.name+" ") || !strings.Contains(help, c.summary) {
			t.Errorf("kcl help lacks %s:\n%s", c.name, help)
		}
		if !strings.Contains(string(src), "//\tkcl "+c.name+" ") {
			t.Errorf("the package comment does not list kcl %s", c.name)
		}
		code, _, stderr := kclRun(c.name, "-h")
		if code != 0 || !strings.HasPrefix(stderr, "usage: kcl "+c.name+" ") {
			t.Errorf("kcl %s -h: exit %d, stderr:\n%s", c.name, code, stderr)
		}
	}
	if code, _, stderr := kclRun("nope"); code != 2 || !strings.HasPrefix(stderr, `kcl: unknown command "nope"`) {
		t.Errorf("kcl nope: exit %d, stderr:\n%s", code, stderr)
	}
}
