// Package closure asks Maven which jars run a KCL MultiLangDaemon: the
// runtime closure of the daemon's artifact, as mvn dependency:list
// resolves it. It writes the built-in jar lists of internal/jars
// (go run ./internal/cmd/jarlist, make jar-list) and checks them in a test
// that runs where mvn is installed.
package closure

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/kclprops"
)

// pom has one dependency, given on mvn's command line.
//
//go:embed testdata/pom.xml
var pom []byte

// Plugin is the maven-dependency-plugin that lists the closure, pinned so
// that its output format does not depend on the Maven installed.
const Plugin = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

// ErrNoMaven is wrapped by Resolve's error when mvn is not on PATH.
var ErrNoMaven = errors.New("mvn not found on PATH")

// Root returns the artifact whose closure runs the daemon of KCL version
// v: the multilang module for 2.x and 3.x, the one KCL artifact for 1.x,
// which holds the daemon itself.
func Root(v kclprops.Version) jars.Coord {
	if v.Major == 1 {
		return jars.Coord{Group: "com.amazonaws", Artifact: "amazon-kinesis-client", Version: v.String()}
	}
	return jars.Coord{Group: "software.amazon.kinesis", Artifact: "amazon-kinesis-client-multilang", Version: v.String()}
}

// Result is what Maven resolved.
type Result struct {
	Root jars.Coord
	Jars []jars.Coord // the root first, then the rest sorted
	// MissingPOMs are artifacts whose POM the repository lacks: Maven
	// takes their jar and none of their dependencies.
	MissingPOMs []string
}

// Resolve runs mvn dependency:list for root's runtime closure and returns
// it. Maven downloads into its local repository (~/.m2) what it does not
// have yet, so the first run needs Maven Central, or the mirror that
// Maven's settings name.
func Resolve(ctx context.Context, root jars.Coord) (*Result, error) {
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return nil, fmt.Errorf("closure: %w: install Maven to resolve jar lists", ErrNoMaven)
	}
	dir, err := os.MkdirTemp("", "kcl-closure-")
	if err != nil {
		return nil, fmt.Errorf("closure: %w", err)
	}
	defer os.RemoveAll(dir)
	pomPath, outPath := filepath.Join(dir, "pom.xml"), filepath.Join(dir, "list.txt")
	if err := os.WriteFile(pomPath, pom, 0o644); err != nil {
		return nil, fmt.Errorf("closure: %w", err)
	}
	cmd := exec.CommandContext(ctx, mvn, "-B", "-f", pomPath,
		"-Dkcl.groupId="+root.Group, "-Dkcl.artifactId="+root.Artifact, "-Dkcl.version="+root.Version,
		Plugin+":list", "-DincludeScope=runtime", "-DoutputFile="+outPath, "-DappendOutput=false")
	cmd.Dir = dir
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("closure: mvn dependency:list for %s failed (%v):\n%s", root, err, tail(log.String(), 40))
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		return nil, fmt.Errorf("closure: mvn wrote no list for %s (%v):\n%s", root, err, tail(log.String(), 40))
	}
	res, err := parse(root, out)
	if err != nil {
		return nil, err
	}
	for _, m := range missingPOM.FindAllStringSubmatch(log.String(), -1) {
		res.MissingPOMs = append(res.MissingPOMs, m[1])
	}
	return res, nil
}

// missingPOM is Maven's warning for an artifact published without its POM.
var missingPOM = regexp.MustCompile(`The POM for (\S+) is missing, no dependency information available`)

// parse reads dependency:list's output, whose lines look like
//
//	com.amazonaws:amazon-kinesis-client:jar:1.15.3:compile
//	io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.108.Final:compile -- module io.netty...
func parse(root jars.Coord, out []byte) (*Result, error) {
	res := &Result{Root: root}
	var rest []jars.Coord
	foundRoot := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.Count(f[0], ":") < 4 {
			continue
		}
		p := strings.Split(f[0], ":")
		var s string
		switch {
		case len(p) == 5 && p[2] == "jar":
			s = p[0] + ":" + p[1] + ":" + p[3]
		case len(p) == 6 && p[2] == "jar":
			s = p[0] + ":" + p[1] + ":" + p[4] + ":" + p[3]
		default:
			continue // a pom or another type: nothing for the classpath
		}
		c, err := jars.ParseCoord(s)
		if err != nil {
			return nil, fmt.Errorf("closure: %w", err)
		}
		if c == root {
			foundRoot = true
			continue
		}
		rest = append(rest, c)
	}
	if !foundRoot {
		return nil, fmt.Errorf("closure: mvn's list lacks %s itself:\n%s", root, out)
	}
	slices.SortFunc(rest, func(a, b jars.Coord) int { return strings.Compare(a.String(), b.String()) })
	res.Jars = append([]jars.Coord{root}, rest...)
	return res, nil
}

// Format returns the jar list file for a resolved closure, in the format
// jars.ParseList reads, with a header saying where it came from.
func Format(res *Result, mainClass string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The full, flat jar set (groupId:artifactId:version[:classifier]) that runs the KCL %s MultiLangDaemon:\n", res.Root.Version)
	fmt.Fprintf(&b, "# the Maven runtime closure of %s (mvn dependency:list -DincludeScope=runtime),\n", res.Root)
	fmt.Fprintf(&b, "# written by go run ./internal/cmd/jarlist -kcl %s.\n", res.Root.Version)
	fmt.Fprintf(&b, "# Main class: %s\n", mainClass)
	for _, c := range res.Jars {
		b.WriteString(c.String() + "\n")
	}
	return b.Bytes()
}

// Diff compares a jar list with a resolved closure as a set, and returns
// the differences, one a line, sorted by artifact, or "" when they are
// the same set:
//
//	list only:    com.amazon.ion:ion-java:1.11.4
//	closure only: org.apache.kafka:kafka-clients:3.6.1
//	version:      io.netty:netty-common list 4.2.7.Final, closure 4.1.124.Final
//
// A repository's missing POMs are named first: they explain a closure
// that lacks what the artifact needs.
func Diff(list []jars.Coord, res *Result) string {
	type key struct{ group, artifact, classifier string }
	k := func(c jars.Coord) key { return key{c.Group, c.Artifact, c.Classifier} }
	name := func(x key) string {
		s := x.group + ":" + x.artifact
		if x.classifier != "" {
			s += " (" + x.classifier + ")"
		}
		return s
	}
	inList, inClosure := map[key][]string{}, map[key][]string{}
	for _, c := range list {
		inList[k(c)] = append(inList[k(c)], c.Version)
	}
	for _, c := range res.Jars {
		inClosure[k(c)] = append(inClosure[k(c)], c.Version)
	}
	var lines []string
	for x, lv := range inList {
		cv, ok := inClosure[x]
		switch {
		case !ok:
			for _, v := range lv {
				lines = append(lines, fmt.Sprintf("%s  list only:    %s", name(x), jars.Coord{Group: x.group, Artifact: x.artifact, Version: v, Classifier: x.classifier}))
			}
		case !slices.Equal(sorted(lv), sorted(cv)):
			lines = append(lines, fmt.Sprintf("%s  version:      %s list %s, closure %s", name(x), name(x), strings.Join(sorted(lv), ","), strings.Join(sorted(cv), ",")))
		}
	}
	for x, cv := range inClosure {
		if _, ok := inList[x]; !ok {
			for _, v := range cv {
				lines = append(lines, fmt.Sprintf("%s  closure only: %s", name(x), jars.Coord{Group: x.group, Artifact: x.artifact, Version: v, Classifier: x.classifier}))
			}
		}
	}
	slices.Sort(lines)
	var b strings.Builder
	for _, p := range res.MissingPOMs {
		fmt.Fprintf(&b, "missing POM:  %s: the repository has its jar but no POM, so Maven sees none of its dependencies\n", p)
	}
	for _, l := range lines {
		_, l, _ = strings.Cut(l, "  ") // drop the sort key
		b.WriteString(l + "\n")
	}
	return b.String()
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
