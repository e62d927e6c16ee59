package launch

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kclgo/mld/internal/kclprops"
)

// go test ./... -update is run across the module, and a test binary fails
// on a flag it does not define.
var _ = flag.Bool("update", false, "unused: no golden files in this package")

func TestParseJavaVersion(t *testing.T) {
	for _, tc := range []struct {
		out     string
		version string
		major   int
	}{
		{"openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\n", "17.0.15", 17},
		{"java version \"1.8.0_392\"\nJava(TM) SE Runtime Environment (build 1.8.0_392-b08)\n", "1.8.0_392", 8},
		{"openjdk version \"21\" 2023-09-19\n", "21", 21},
		{"openjdk version \"11.0.2-ea\" 2019-01-15\n", "11.0.2-ea", 11},
		{"openjdk version \"25-ea\" 2025-09-16\n", "25-ea", 25},
		{"java version \"1.7.0_80\"\n", "1.7.0_80", 7},
		{"Picked up JAVA_TOOL_OPTIONS: -Dfile.encoding=UTF-8\nopenjdk version \"1.8.0_412\"\n", "1.8.0_412", 8},
	} {
		v, major, err := ParseJavaVersion(tc.out)
		if err != nil || v != tc.version || major != tc.major {
			t.Errorf("ParseJavaVersion(%q) = %q, %d, %v; want %q, %d", tc.out, v, major, err, tc.version, tc.major)
		}
	}
	for _, out := range []string{"", "Error: could not find libjava.so\n", "openjdk version \"x.y\"\n", "version 17\n"} {
		if v, major, err := ParseJavaVersion(out); err == nil {
			t.Errorf("ParseJavaVersion(%q) = %q, %d; want an error", out, v, major)
		}
	}
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFindJava(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "jdk")
	homeJava := writeScript(t, filepath.Join(home, "bin", "java"), "exit 0\n")
	pathJava := writeScript(t, filepath.Join(dir, "bin", "java"), "exit 0\n")
	other := writeScript(t, filepath.Join(dir, "other", "myjava"), "exit 0\n")
	os.WriteFile(filepath.Join(dir, "noexec"), []byte("x"), 0o644)
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name     string
		explicit string
		env      func(string) string
		want     string
		err      string
	}{
		{"explicit wins", other, env("JAVA_HOME", home, "PATH", filepath.Join(dir, "bin")), other, ""},
		{"JAVA_HOME before PATH", "", env("JAVA_HOME", home, "PATH", filepath.Join(dir, "bin")), homeJava, ""},
		{"PATH", "", env("PATH", "/nonexistent:"+filepath.Join(dir, "bin")), pathJava, ""},
		{"explicit missing", filepath.Join(dir, "nope"), env(), "", "-java " + filepath.Join(dir, "nope") + ": "},
		{"explicit not executable", filepath.Join(dir, "noexec"), env(), "", "permission denied"},
		{"JAVA_HOME without java", "", env("JAVA_HOME", filepath.Join(dir, "other"), "PATH", filepath.Join(dir, "bin")), "", "JAVA_HOME is " + filepath.Join(dir, "other") + ", which has no executable bin/java"},
		{"none", "", env("PATH", filepath.Join(dir, "other")), "", "no java found: JAVA_HOME is not set and there is no java on PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindJava(tc.explicit, tc.env)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("FindJava = %q, %v; want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("FindJava = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestProbeJava(t *testing.T) {
	dir := t.TempDir()
	ok := writeScript(t, filepath.Join(dir, "ok"), "echo 'openjdk version \"11.0.22\" 2024-01-16' >&2\n")
	j, err := ProbeJava(context.Background(), ok)
	if err != nil || j != (Java{Path: ok, Version: "11.0.22", Major: 11}) {
		t.Errorf("ProbeJava = %+v, %v", j, err)
	}
	broken := writeScript(t, filepath.Join(dir, "broken"), "echo 'Error: could not find libjvm.so' >&2\nexit 1\n")
	if _, err := ProbeJava(context.Background(), broken); err == nil || !strings.Contains(err.Error(), "-version failed (exit status 1): Error: could not find libjvm.so") {
		t.Errorf("ProbeJava(broken) = %v", err)
	}
	odd := writeScript(t, filepath.Join(dir, "odd"), "echo 'hello'\n")
	if _, err := ProbeJava(context.Background(), odd); err == nil || !strings.Contains(err.Error(), `no version in java -version's output "hello" (from `+odd+")") {
		t.Errorf("ProbeJava(odd) = %v", err)
	}
}

func TestArgs(t *testing.T) {
	v := func(s string) kclprops.Version {
		v, err := kclprops.ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	base := Daemon{Java: "/usr/bin/java", JVMOptions: []string{"-Xmx1g"}, Classpath: []string{"/j/a.jar", "/j/b.jar", "/etc/kcl"}, Properties: "kcl.properties"}
	for _, tc := range []struct {
		version, log string
		want         []string
		err          string
	}{
		{"3.1.3", "/c/logback.xml", []string{"/usr/bin/java", "-Xmx1g", "-cp", "/j/a.jar:/j/b.jar:/etc/kcl", MainClass,
			"--properties-file", "kcl.properties", "--log-configuration", "/c/logback.xml"}, ""},
		{"2.1.0", "", []string{"/usr/bin/java", "-Xmx1g", "-cp", "/j/a.jar:/j/b.jar:/etc/kcl", MainClass, "--properties-file", "kcl.properties"}, ""},
		{"1.9.3", "", []string{"/usr/bin/java", "-Xmx1g", "-cp", "/j/a.jar:/j/b.jar:/etc/kcl", MainClassV1, "kcl.properties"}, ""},
		{"1.9.3", "/c/logback.xml", nil, "KCL 1.9.3 takes no logging configuration"},
		{"2.0.5", "", nil, "KCL 2.0.5: not supported"},
	} {
		d := base
		d.KCL, d.LogConfig = v(tc.version), tc.log
		got, err := d.Args()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: Args() = %q, %v; want error %q", tc.version, got, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Args() (-want +got):\n%s", tc.version, diff)
		}
	}
	if _, err := MainClassFor(v("2.0")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("MainClassFor(2.0) = %v, want ErrUnsupported", err)
	}
}

func TestQuote(t *testing.T) {
	got := Quote([]string{"/usr/bin/java", "-Dx=a b", "", "it's", "-cp", "/a/b.jar:/c", "$HOME", "100%"})
	want := `/usr/bin/java '-Dx=a b' '' 'it'\''s' -cp /a/b.jar:/c '$HOME' 100%`
	if got != want {
		t.Errorf("Quote = %s\nwant    %s", got, want)
	}
	// The shell reads it back as the same arguments.
	out, err := exec.Command("sh", "-c", "printf '%s|' "+got).Output()
	if err != nil || string(out) != "/usr/bin/java|-Dx=a b||it's|-cp|/a/b.jar:/c|$HOME|100%|" {
		t.Errorf("sh read back %q, %v", out, err)
	}
}
