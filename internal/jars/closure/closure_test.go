package closure

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/kclprops"
)

var update = flag.Bool("update", false, "rewrite testdata/*.diff from what Maven resolves")

// Each built-in list is compared, as a set, with the runtime closure Maven
// resolves for its KCL version. testdata/<version>.diff holds the
// differences, reviewed: empty for a list written by jarlist (1.15.3);
// for 2.7.2 and 3.1.3, whose lists are the official bindings' curated
// sets, what the bindings change (newer Netty, no Glue schema registry)
// and what Maven cannot see. The test fails when Maven's answer or a
// list changes, and prints the new differences; -update records them.
func TestBuiltinListsMatchMaven(t *testing.T) {
	for _, version := range []string{"3.1.3", "2.7.2", "1.15.3"} {
		t.Run(version, func(t *testing.T) {
			list, ok := jars.Builtin(version)
			if !ok {
				t.Fatalf("no built-in list for %s", version)
			}
			v, err := kclprops.ParseVersion(version)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			res, err := Resolve(ctx, Root(v))
			if errors.Is(err, ErrNoMaven) {
				if os.Getenv("CI") != "" {
					t.Fatalf("%v (CI is set, so the jar lists must be checked)", err)
				}
				t.Skipf("%v; skipping (set CI to make this a failure)", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			got := Diff(list.Jars, res)
			golden := filepath.Join("testdata", version+".diff")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("the built-in list of %s and the closure of %s differ otherwise than %s records (-recorded +now):\n%s\nnow:\n%s",
					version, res.Root, golden, diff, got)
			}
		})
	}
}

func TestParse(t *testing.T) {
	root := jars.Coord{Group: "com.amazonaws", Artifact: "amazon-kinesis-client", Version: "1.15.3"}
	out := []byte(`
The following files have been resolved:
   com.google.guava:guava:jar:33.2.0-jre:compile -- module com.google.common
   com.amazonaws:amazon-kinesis-client:jar:1.15.3:compile
   io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.108.Final:runtime -- module io.netty.transport.epoll [auto]
   com.example:parent:pom:1:compile

`)
	res, err := parse(root, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"com.amazonaws:amazon-kinesis-client:1.15.3", "com.google.guava:guava:33.2.0-jre",
		"io.netty:netty-transport-native-epoll:4.1.108.Final:linux-x86_64"}
	var got []string
	for _, c := range res.Jars {
		got = append(got, c.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parse (-want +got):\n%s", diff)
	}
	if _, err := parse(root, []byte("   com.google.guava:guava:jar:33.2.0-jre:compile\n")); err == nil {
		t.Errorf("parse without the root: no error")
	}
	l, err := jars.ParseList("formatted", Format(res, "Main"))
	if err != nil || !cmp.Equal(l.Jars, res.Jars) {
		t.Errorf("Format does not read back: %v, %v", l, err)
	}
}

func TestDiff(t *testing.T) {
	c := func(s string) jars.Coord {
		x, err := jars.ParseCoord(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	list := []jars.Coord{c("a:root:1"), c("a:same:1"), c("a:newer:2"), c("a:extra:1")}
	res := &Result{Root: c("a:root:1"), Jars: []jars.Coord{c("a:root:1"), c("a:same:1"), c("a:newer:1"), c("b:missing:3")},
		MissingPOMs: []string{"a:root:jar:1"}}
	want := `missing POM:  a:root:jar:1: the repository has its jar but no POM, so Maven sees none of its dependencies
list only:    a:extra:1
version:      a:newer list 2, closure 1
closure only: b:missing:3
`
	if got := Diff(list, res); got != want {
		t.Errorf("Diff =\n%s\nwant\n%s", got, want)
	}
	if got := Diff(res.Jars, &Result{Jars: res.Jars}); got != "" {
		t.Errorf("Diff of a list with itself = %q, want none", got)
	}
}
