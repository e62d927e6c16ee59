package launch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Java is a java executable and the version it reports.
type Java struct {
	Path    string
	Version string // as java -version prints it: "17.0.15", "1.8.0_392"
	Major   int    // the feature release: 8 for "1.8.0_392", 17 for "17.0.15"
}

// FindJava returns the java to run: explicit if given (a bare name is looked
// up on PATH), else $JAVA_HOME/bin/java, else java on PATH. A JAVA_HOME
// without bin/java is an error rather than a silent fallback to another
// java.
func FindJava(explicit string, getenv func(string) string) (string, error) {
	if explicit != "" {
		p, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("launch: -java %s: %w", explicit, unwrapExec(err))
		}
		return p, nil
	}
	if home := getenv("JAVA_HOME"); home != "" {
		p := filepath.Join(home, "bin", "java")
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("launch: JAVA_HOME is %s, which has no executable bin/java: set JAVA_HOME to a JDK or JRE, unset it, or give -java", home)
		}
		return p, nil
	}
	p, err := lookPath("java", getenv("PATH"))
	if err != nil {
		return "", errors.New("launch: no java found: JAVA_HOME is not set and there is no java on PATH; install Java, set JAVA_HOME, or give -java PATH")
	}
	return p, nil
}

// lookPath is exec.LookPath with the PATH given, so that tests need not
// change the process's environment.
func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// versionRE finds the version in java -version's output, which may start
// with lines such as "Picked up JAVA_TOOL_OPTIONS: ...".
var versionRE = regexp.MustCompile(`(?m)^\S+ version "([^"]+)"`)

// ParseJavaVersion reads java -version's output: `openjdk version
// "17.0.15" 2025-04-15`, `java version "1.8.0_392"` (the pre-9 scheme, where
// 8 is the second number), `openjdk version "21" 2023-09-19`.
func ParseJavaVersion(out string) (version string, major int, err error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return "", 0, fmt.Errorf("launch: no version in java -version's output %q", firstLine(out))
	}
	version = m[1]
	parts := strings.FieldsFunc(version, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	if len(parts) > 1 && parts[0] == "1" {
		parts = parts[1:]
	}
	major, err = strconv.Atoi(parts[0])
	if err != nil || major < 1 {
		return "", 0, fmt.Errorf("launch: java version %q: not a version this command understands", version)
	}
	return version, major, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// ProbeJava runs path -version, which prints on stderr, and parses it.
func ProbeJava(ctx context.Context, path string) (Java, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-version")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Java{}, fmt.Errorf("launch: %s -version failed (%v): %s", path, unwrapExec(err), firstLine(out.String()))
	}
	v, major, err := ParseJavaVersion(out.String())
	if err != nil {
		return Java{}, fmt.Errorf("%w (from %s)", err, path)
	}
	return Java{Path: path, Version: v, Major: major}, nil
}
