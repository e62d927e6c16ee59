// Command jarlist writes the built-in jar list of a KCL version from
// Maven: the runtime closure of the daemon's artifact, as mvn
// dependency:list resolves it (see internal/jars/closure).
//
//	go run ./internal/cmd/jarlist -kcl 1.15.3    # writes internal/jars/lists/1.15.3.txt
//	make jar-list KCL=1.15.3                     # the same
//
// It needs mvn on PATH and access to Maven Central (or the mirror of
// Maven's settings). Run it from the repository's root, then add the
// version to the tests of internal/jars and internal/jars/closure.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kclgo/mld/internal/atomicfile"
	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/jars/closure"
	"github.com/kclgo/mld/internal/kclprops"
	"github.com/kclgo/mld/internal/launch"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jarlist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kcl := fs.String("kcl", "", "KCL `version`, major.minor.patch")
	out := fs.String("o", "", "output `file` (default internal/jars/lists/<version>.txt; - for stdout)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	v, err := kclprops.ParseVersion(*kcl)
	if err != nil || *kcl != v.String() || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "jarlist: usage: jarlist -kcl MAJOR.MINOR.PATCH [-o FILE]")
		return 2
	}
	main, err := launch.MainClassFor(v)
	if err != nil {
		fmt.Fprintf(stderr, "jarlist: %v\n", err)
		return 1
	}
	res, err := closure.Resolve(context.Background(), closure.Root(v))
	if err != nil {
		fmt.Fprintf(stderr, "jarlist: %v\n", err)
		return 1
	}
	for _, p := range res.MissingPOMs {
		fmt.Fprintf(stderr, "jarlist: warning: the repository has no POM for %s: Maven sees none of its dependencies, and the list lacks them\n", p)
	}
	data := closure.Format(res, main)
	if _, err := jars.ParseList("generated list", data); err != nil {
		fmt.Fprintf(stderr, "jarlist: %v\n", err)
		return 1
	}
	if *out == "-" {
		stdout.Write(data)
		return 0
	}
	path := *out
	if path == "" {
		path = filepath.Join("internal", "jars", "lists", v.String()+".txt")
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		fmt.Fprintf(stderr, "jarlist: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "jarlist: %s: %d jars, the runtime closure of %s\n", path, len(res.Jars), res.Root)
	return 0
}
