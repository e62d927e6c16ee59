package kclprops

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestParseAgainstJava compares Parse with java.util.Properties.load on
// thousands of random files built from the characters that matter to the
// syntax. It needs a JDK and runs only with KCLPROPS_JAVA=1, as the rest of
// the module needs no Java.
func TestParseAgainstJava(t *testing.T) {
	if os.Getenv("KCLPROPS_JAVA") != "1" {
		t.Skip("set KCLPROPS_JAVA=1 to compare with java.util.Properties (needs javac and java)")
	}
	dir := t.TempDir()
	javac := exec.Command("javac", "-d", dir, filepath.Join("testdata", "PropsOracle.java"))
	if out, err := javac.CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	pieces := []string{"a", "b", "=", ":", " ", "\t", "\f", "\\", "\n", "\r", "\r\n", "#", "!", `\u0041`, `\u00`, "\xe9", `\n`, `\\`, "x", `\ `}
	rng := rand.New(rand.NewSource(1))
	var files []string
	for n := range 5000 {
		var b strings.Builder
		for k := rng.Intn(40); k >= 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		p := filepath.Join(dir, fmt.Sprintf("%04d.properties", n))
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	out, err := exec.Command("java", append([]string{"-cp", dir, "PropsOracle"}, files...)...).Output()
	if err != nil {
		t.Fatalf("java: %v", err)
	}
	javaSays := strings.Split(string(out), "\x00")
	if len(javaSays) != len(files) {
		t.Fatalf("java answered for %d files, want %d", len(javaSays), len(files))
	}
	for i, p := range files {
		data, _ := os.ReadFile(p)
		got := "ERR"
		if f, err := Parse(p, data); err == nil {
			var lines []string
			for _, e := range f.Entries() {
				lines = append(lines, "["+javaEsc(e.Key)+"]=["+javaEsc(e.Value)+"]")
			}
			sort.Strings(lines)
			got = strings.Join(lines, "\n")
		}
		if got != javaSays[i] {
			t.Errorf("Parse(%q):\n got  %q\n java %q", data, got, javaSays[i])
		}
	}
}

// javaEsc is PropsOracle.esc: printable ASCII as is, the rest as \uXXXX.
func javaEsc(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 32 || r > 126 {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
