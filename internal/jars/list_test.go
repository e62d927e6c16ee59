package jars

import (
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// go test ./... -update is run across the module, and a test binary fails
// on a flag it does not define.
var _ = flag.Bool("update", false, "unused: no golden files in this package")

func TestParseCoord(t *testing.T) {
	for _, tc := range []struct {
		in       string
		file     string
		repoPath string
	}{
		{"com.google.guava:guava:32.1.1-jre", "guava-32.1.1-jre.jar", "com/google/guava/guava/32.1.1-jre/guava-32.1.1-jre.jar"},
		{"io.netty:netty-transport-native-epoll:4.2.7.Final:linux-x86_64",
			"netty-transport-native-epoll-4.2.7.Final-linux-x86_64.jar",
			"io/netty/netty-transport-native-epoll/4.2.7.Final/netty-transport-native-epoll-4.2.7.Final-linux-x86_64.jar"},
	} {
		c, err := ParseCoord(tc.in)
		if err != nil {
			t.Fatalf("ParseCoord(%q): %v", tc.in, err)
		}
		if c.String() != tc.in || c.FileName() != tc.file || c.RepoPath() != tc.repoPath {
			t.Errorf("ParseCoord(%q) = %q, %q, %q; want %q, %q, %q", tc.in, c, c.FileName(), c.RepoPath(), tc.in, tc.file, tc.repoPath)
		}
	}
	for _, bad := range []string{"", "a:b", "a:b:c:d:e", "a::c", "../x:b:1", "a:b/c:1", "a:b:1 2", "a:..:1", ".a:b:1", "a:b:1."} {
		if c, err := ParseCoord(bad); err == nil {
			t.Errorf("ParseCoord(%q) = %v, want an error", bad, c)
		}
	}
}

func TestBuiltin(t *testing.T) {
	if got, want := BuiltinVersions(), []string{"1.9.3", "1.15.3", "2.7.2", "3.1.3"}; !cmp.Equal(got, want) {
		t.Errorf("BuiltinVersions() = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		version string
		n       int
		first   string
	}{
		{"1.9.3", 26, "com.amazonaws:amazon-kinesis-client:1.9.3"},
		{"1.15.3", 26, "com.amazonaws:amazon-kinesis-client:1.15.3"},
		{"2.7.2", 79, "software.amazon.kinesis:amazon-kinesis-client-multilang:2.7.2"},
		{"3.1.3", 79, "software.amazon.kinesis:amazon-kinesis-client-multilang:3.1.3"},
	} {
		l, ok := Builtin(tc.version)
		if !ok {
			t.Fatalf("Builtin(%q): none", tc.version)
		}
		if len(l.Jars) != tc.n || l.Jars[0].String() != tc.first {
			t.Errorf("Builtin(%q): %d jars starting with %s, want %d starting with %s", tc.version, len(l.Jars), l.Jars[0], tc.n, tc.first)
		}
		if j, why := l.MinJava(); j != 8 {
			t.Errorf("Builtin(%q).MinJava() = %d (%s), want 8", tc.version, j, why)
		}
	}
	if l, ok := Builtin("3.0.0"); ok {
		t.Errorf("Builtin(3.0.0) = %v, want none", l.Name)
	}
}

func TestParseListErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "# only a comment\n\n", "l.txt: no jars listed"},
		{"bad", "a:b:1\nnot a coordinate\n", "l.txt:2: bad coordinate"},
		{"twice", "a:b:1\n\na:b:1\n", "l.txt:3: a:b:1 is already listed on line 1"},
		{"same file", "a:b:1\nc:b:1\n", "l.txt:2: c:b:1 has the same file name, b-1.jar, as line 1"},
		{"bad pin", "a:b:1 sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709\n", `l.txt:1: "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709" after a:b:1: want sha256:<64 hex digits>, or nothing`},
		{"short pin", "a:b:1 sha256:abcd\n", "want sha256:<64 hex digits>"},
		{"more after the pin", "a:b:1 sha256:" + strings.Repeat("ab", 32) + " x\n", "want sha256:<64 hex digits>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseList("l.txt", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseList(%q) = %v, want %q", tc.data, err, tc.want)
			}
		})
	}
	l, err := ParseList("l.txt", []byte("# comment\n  a:b:1  \r\nc:d:2:x\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Coord{{"a", "b", "1", ""}, {"c", "d", "2", "x"}}
	if diff := cmp.Diff(want, l.Jars); diff != "" {
		t.Errorf("ParseList: jars (-want +got):\n%s", diff)
	}

	pin := strings.Repeat("AB", 32)
	l, err = ParseList("l.txt", []byte("a:b:1\tsha256:"+pin+"\nc:d:2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[Coord]string{{"a", "b", "1", ""}: strings.ToLower(pin)}, l.SHA256); diff != "" {
		t.Errorf("ParseList: pins (-want +got):\n%s", diff)
	}
}

// Maven Central publishes amazon-kinesis-client-multilang 2.7.2 with no
// checksum file, so the built-in list pins it.
func TestBuiltinPins(t *testing.T) {
	l, _ := Builtin("2.7.2")
	c := Coord{"software.amazon.kinesis", "amazon-kinesis-client-multilang", "2.7.2", ""}
	if got := l.SHA256[c]; got != "dd21cf2af784bd857d190334685b8ac1e49088a53f7e20029b950f58d82fa4ed" {
		t.Errorf("the 2.7.2 list pins %s to %q", c, got)
	}
}

func TestMinJava(t *testing.T) {
	for _, tc := range []struct {
		list string
		java int
		why  string
	}{
		{"software.amazon.kinesis:amazon-kinesis-client:3.1.3", 8, "KCL's jars are built for Java 8"},
		{"ch.qos.logback:logback-classic:1.3.15", 8, "KCL's jars are built for Java 8"},
		{"ch.qos.logback:logback-classic:1.4.14", 11, "ch.qos.logback:logback-classic:1.4.14 needs Java 11"},
		{"ch.qos.logback:logback-core:1.5.6\ntools.jackson.core:jackson-databind:3.0.0", 17, "tools.jackson.core:jackson-databind:3.0.0 needs Java 17"},
	} {
		l, err := ParseList("l", []byte(tc.list))
		if err != nil {
			t.Fatal(err)
		}
		if j, why := l.MinJava(); j != tc.java || why != tc.why {
			t.Errorf("MinJava(%q) = %d, %q; want %d, %q", tc.list, j, why, tc.java, tc.why)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.4", "1.4", 0}, {"1.4.0", "1.4", 0}, {"1.3.15", "1.4", -1}, {"1.10", "1.4", 1},
		{"32.1.1-jre", "32.1", 1}, {"4.2.7.Final", "4.2.7", 0}, {"3", "2.99", 1},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
