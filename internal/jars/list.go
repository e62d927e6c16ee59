package jars

import (
	"bytes"
	"embed"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed lists/*.txt
var builtinLists embed.FS

// Coord is the Maven coordinate of one jar: groupId:artifactId:version, with
// an optional classifier (netty's native transports have one).
type Coord struct {
	Group, Artifact, Version, Classifier string
}

// ParseCoord parses "group:artifact:version[:classifier]". Every part must
// be a plain name (letters, digits, '.', '-', '_'), which also keeps a
// coordinate from naming a path outside the cache.
func ParseCoord(s string) (Coord, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 && len(parts) != 4 {
		return Coord{}, fmt.Errorf("jars: bad coordinate %q: want groupId:artifactId:version[:classifier]", s)
	}
	for _, p := range parts {
		if !plainName(p) {
			return Coord{}, fmt.Errorf("jars: bad coordinate %q: %q is not a plain name (letters, digits, '.', '-', '_')", s, p)
		}
	}
	c := Coord{Group: parts[0], Artifact: parts[1], Version: parts[2]}
	if len(parts) == 4 {
		c.Classifier = parts[3]
	}
	return c, nil
}

func plainName(s string) bool {
	if s == "" || s == "." || s == ".." || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// String returns the coordinate in the list and lock file form.
func (c Coord) String() string {
	s := c.Group + ":" + c.Artifact + ":" + c.Version
	if c.Classifier != "" {
		s += ":" + c.Classifier
	}
	return s
}

// FileName is the jar's name in a Maven repository and in the cache:
// artifact-version[-classifier].jar.
func (c Coord) FileName() string {
	s := c.Artifact + "-" + c.Version
	if c.Classifier != "" {
		s += "-" + c.Classifier
	}
	return s + ".jar"
}

// RepoPath is the jar's path in the standard Maven repository layout, with
// '/' separators: the group's dots become directories.
func (c Coord) RepoPath() string {
	return path.Join(strings.ReplaceAll(c.Group, ".", "/"), c.Artifact, c.Version, c.FileName())
}

// List is the flat jar set that runs one version of the MultiLangDaemon.
type List struct {
	Name string  // where the list came from, for messages
	Jars []Coord // in file order, which is also the classpath order
	// SHA256 pins jars to a SHA-256 (lower-case hex) given in the list,
	// for jars whose repository publishes no checksum: Fetch checks them
	// against the pin instead.
	SHA256 map[Coord]string
}

// ParseList reads a jar list: one coordinate per line, optionally followed
// by sha256:<64 hex digits>, the jar's pinned SHA-256; blank lines and
// lines starting with '#' are ignored. A coordinate listed twice, or two
// coordinates that would share a file name in the flat cache directory,
// are errors.
func ParseList(name string, data []byte) (*List, error) {
	l := &List{Name: name, SHA256: map[Coord]string{}}
	seen := map[string]int{}  // coordinate -> line
	files := map[string]int{} // file name -> line
	for i, line := range bytes.Split(data, []byte("\n")) {
		n := i + 1
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fields := strings.Fields(s)
		c, err := ParseCoord(fields[0])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, strings.TrimPrefix(err.Error(), "jars: "))
		}
		if len(fields) > 1 {
			sum, ok := strings.CutPrefix(fields[1], "sha256:")
			if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != 32 || len(fields) > 2 {
				return nil, fmt.Errorf("%s:%d: %q after %s: want sha256:<64 hex digits>, or nothing", name, n, strings.Join(fields[1:], " "), c)
			}
			l.SHA256[c] = strings.ToLower(sum)
		}
		if prev, ok := seen[c.String()]; ok {
			return nil, fmt.Errorf("%s:%d: %s is already listed on line %d", name, n, c, prev)
		}
		if prev, ok := files[c.FileName()]; ok {
			return nil, fmt.Errorf("%s:%d: %s has the same file name, %s, as line %d: the flat jar directory cannot hold both", name, n, c, c.FileName(), prev)
		}
		seen[c.String()], files[c.FileName()] = n, n
		l.Jars = append(l.Jars, c)
	}
	if len(l.Jars) == 0 {
		return nil, fmt.Errorf("%s: no jars listed: want one groupId:artifactId:version per line", name)
	}
	return l, nil
}

// Builtin returns the list built into this binary for a KCL version such as
// "3.1.3", or false if there is none.
func Builtin(version string) (*List, bool) {
	data, err := builtinLists.ReadFile("lists/" + version + ".txt")
	if err != nil {
		return nil, false
	}
	l, err := ParseList("built-in list "+version, data)
	if err != nil {
		panic(err) // the embedded lists are tested
	}
	return l, true
}

// BuiltinVersions returns the KCL versions that have a built-in list, oldest
// first.
func BuiltinVersions() []string {
	entries, _ := builtinLists.ReadDir("lists")
	var vs []string
	for _, e := range entries {
		vs = append(vs, strings.TrimSuffix(e.Name(), ".txt"))
	}
	slices.SortFunc(vs, compareVersions)
	return vs
}

// javaRule says that a jar from this version on needs a newer Java than the
// Java 8 that KCL's own jars are built for.
type javaRule struct {
	group, artifact string
	from            string // first version that needs java
	java            int
}

// javaRules are the jars of the daemon's closure whose minimum Java is above
// 8, as their release notes state. Everything else in the built-in lists
// (KCL, the AWS SDKs, Jackson 2, Guava, Netty) runs on Java 8.
var javaRules = []javaRule{
	{"ch.qos.logback", "logback-classic", "1.4", 11},
	{"ch.qos.logback", "logback-core", "1.4", 11},
	{"com.github.ben-manes.caffeine", "caffeine", "3", 11},
	{"tools.jackson.core", "jackson-databind", "3", 17},
}

// MinJava returns the oldest Java major version that runs the list's jars
// and why: 8 for KCL itself, more when a jar of the list needs it (logback
// 1.4 and later need Java 11, for instance).
func (l *List) MinJava() (int, string) {
	java, why := 8, "KCL's jars are built for Java 8"
	for _, c := range l.Jars {
		for _, r := range javaRules {
			if c.Group == r.group && c.Artifact == r.artifact && compareVersions(c.Version, r.from) >= 0 && r.java > java {
				java, why = r.java, fmt.Sprintf("%s needs Java %d", c, r.java)
			}
		}
	}
	return java, why
}

// compareVersions compares dotted versions numerically, part by part; a
// part's non-numeric tail ("1-jre", "7.Final") is ignored, and a missing
// part counts as 0.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		x, y := leadingInt(as, i), leadingInt(bs, i)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func leadingInt(parts []string, i int) int {
	if i >= len(parts) {
		return 0
	}
	s := parts[i]
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}
