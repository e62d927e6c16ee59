package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/kclprops"
)

const jarsUsage = `usage: kcl jars [flags]

Puts the jars that run the KCL MultiLangDaemon into a local directory,
verified, for kcl daemon or for java -cp. The jar lists of KCL 1.9.3,
1.15.3, 2.7.2 and 3.1.3 are built in (-kcl 1 means 1.15.3); -list reads one
for another version, in the same format: one
groupId:artifactId:version[:classifier] per line, optionally followed by
sha256:HEX, which pins a jar whose repository publishes no checksum.

Jars are downloaded in parallel from a Maven repository, or copied from an
offline directory, and checked against the strongest checksum the repository
publishes (SHA-512, SHA-256 or SHA-1). The SHA-256 of each jar then goes into
the lock file, kcl-jars.lock in the current directory: commit it next to
kcl.properties. Every later run, here or on another machine, checks the jars
against it and refuses any that differ. Jars already in the directory are
checked, not downloaded again.

Environment: KCL_JARS_DIR is the default of -dir, KCL_MAVEN_REPO that of
-repo. A repository URL may hold credentials (https://user:token@host/path):
they are sent as basic auth and never printed; messages show them, and any
query or fragment, as xxxxx.

The exit status is 0 when every jar is in place and verified, 1 if not, 2
for a usage error and 130 when interrupted; an interrupted run leaves no
partial jar behind.

flags:
`

// jarFlags are the flags kcl jars and kcl daemon share.
type jarFlags struct {
	kcl, list, dir, repo, offline, lock string
	jobs, retries                       int
	idleTimeout, timeout                time.Duration
	allowMissing                        bool
}

func addJarFlags(fs *flag.FlagSet) *jarFlags {
	f := &jarFlags{}
	fs.StringVar(&f.kcl, "kcl", "3.1.3", "KCL `version` of the daemon (built-in jar lists: "+strings.Join(jars.BuiltinVersions(), ", ")+"; 3 or 3.1 means the built-in 3.1.3)")
	fs.StringVar(&f.list, "list", "", "read the jar list from `file` instead of the built-in one (needs -kcl)")
	fs.StringVar(&f.dir, "dir", "", "jar `directory` (default $KCL_JARS_DIR, else <user cache dir>/kcl-go/jars/<version>)")
	// The environment is read in resolve, not here: -h prints the defaults,
	// and a repository URL may hold credentials.
	fs.StringVar(&f.repo, "repo", "", "Maven repository `URL` (default $KCL_MAVEN_REPO, else "+jars.DefaultRepo+")")
	fs.StringVar(&f.offline, "offline", "", "copy the jars from `dir` (flat or Maven layout, checksum files beside them) instead of downloading")
	fs.StringVar(&f.lock, "lock", jars.LockFile, "lock `file` with every jar's SHA-256")
	fs.IntVar(&f.jobs, "j", 8, "download this many jars at once")
	fs.IntVar(&f.retries, "retries", 3, "retries of a download that fails with a network error, a stall, a 5xx or a 429")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", 30*time.Second, "give up an attempt when the repository sends nothing for this long")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "give up an attempt that takes longer than this")
	fs.BoolVar(&f.allowMissing, "allow-missing-checksum", false, "accept a jar whose repository publishes no SHA-1 or stronger checksum (the lock file then pins it)")
	return f
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// resolve turns the flags into the version, its jar list and the fetch
// options. It reports a mistake on stderr and returns the exit status to
// end with, or 0 to go on, after noting which release a -kcl without its
// patch release was taken as. name prefixes messages.
func (f *jarFlags) resolve(fs *flag.FlagSet, name string, stderr io.Writer) (kclprops.Version, *jars.List, jars.Options, int) {
	v, list, o, note, err := f.options(fs, name)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.As(err, new(usageError)) {
			return v, nil, o, 2
		}
		return v, nil, o, 1
	}
	if note != "" {
		fmt.Fprintf(stderr, "%s: %s\n", name, note)
	}
	return v, list, o, 0
}

// options is resolve without the reporting.
func (f *jarFlags) options(fs *flag.FlagSet, name string) (v kclprops.Version, list *jars.List, o jars.Options, note string, err error) {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.list != "" && !set["kcl"] {
		return v, nil, o, "", usageError{name + ": -list needs -kcl: the version names the jar directory and picks the daemon's main class"}
	}
	v, note, err = kclVersion(name, f.kcl, f.list != "")
	if err != nil {
		return v, nil, o, "", err
	}
	if f.offline != "" && set["repo"] {
		return v, nil, o, "", usageError{name + ": -offline and -repo exclude each other: -offline takes the jars from a directory, -repo from a repository"}
	}
	if f.jobs < 1 || f.retries < 0 || f.idleTimeout <= 0 || f.timeout <= 0 {
		return v, nil, o, "", usageError{name + ": -j, -idle-timeout and -timeout must be positive, -retries at least 0"}
	}
	if f.list != "" {
		data, err := os.ReadFile(f.list)
		if err == nil {
			list, err = jars.ParseList(f.list, data)
		}
		if err != nil {
			return v, nil, o, "", fmt.Errorf("%s: -list: %w", name, err)
		}
	} else {
		var ok bool
		if list, ok = jars.Builtin(v.String()); !ok {
			return v, nil, o, "", usageError{fmt.Sprintf("%s: no built-in jar list for KCL %s (built in: %s): give one with -list FILE -kcl %s",
				name, v, strings.Join(jars.BuiltinVersions(), ", "), v)}
		}
	}
	dir, repo := f.dir, f.repo
	if dir == "" {
		dir = os.Getenv("KCL_JARS_DIR")
	}
	if repo == "" {
		repo = os.Getenv("KCL_MAVEN_REPO")
	}
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return v, nil, o, "", fmt.Errorf("%s: no user cache directory (%v): give -dir or set KCL_JARS_DIR", name, err)
		}
		dir = filepath.Join(cache, "kcl-go", "jars", v.String())
	}
	o = jars.Options{
		Dir: dir, Lock: f.lock, Repo: repo, Offline: f.offline,
		AllowMissingChecksum: f.allowMissing, Jobs: f.jobs, Attempts: f.retries + 1,
		IdleTimeout: f.idleTimeout, AttemptTimeout: f.timeout,
	}
	return v, list, o, note, nil
}

// kclVersion parses -kcl for kcl jars and kcl daemon. A version without
// its patch release (3, 3.1) means the newest built-in jar list of that
// line, and note says so: those jars are what runs, so the properties are
// checked and the main class picked for that release too. With a jar list
// of the user's (-list) the version must be exact, since nothing else says
// which release the list's jars are.
func kclVersion(name, s string, withList bool) (v kclprops.Version, note string, err error) {
	v, err = kclprops.ParseVersion(s)
	if err != nil {
		return v, "", usageError{fmt.Sprintf("%s: -kcl: %s", name, strings.TrimPrefix(err.Error(), "kclprops: "))}
	}
	if strings.Count(s, ".") == 2 {
		return v, "", nil
	}
	if withList {
		return v, "", usageError{fmt.Sprintf("%s: -list needs the exact KCL version of its jars, major.minor.patch, not -kcl %s", name, s)}
	}
	var best string
	for _, b := range jars.BuiltinVersions() { // oldest first
		if strings.HasPrefix(b, s+".") {
			best = b
		}
	}
	if best == "" {
		return v, "", usageError{fmt.Sprintf("%s: no built-in jar list for KCL %s (built in: %s): give one with -list FILE -kcl %s",
			name, s, strings.Join(jars.BuiltinVersions(), ", "), v)}
	}
	v, err = kclprops.ParseVersion(best)
	return v, fmt.Sprintf("-kcl %s taken as %s, the built-in jar list", s, best), err
}

// interruptible returns a context cancelled by SIGINT or SIGTERM.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// printErrors prints each of a joined error's errors, prefixed, without the
// package prefix the message starts with.
func printErrors(w io.Writer, name string, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		msg := e.Error()
		for _, p := range []string{"jars: ", "kclprops: ", "launch: "} {
			msg = strings.TrimPrefix(msg, p)
		}
		fmt.Fprintf(w, "%s: %s\n", name, msg)
	}
}

// fetchFailed prints why a fetch failed and returns the exit status: 130
// if it was interrupted, 1 otherwise.
func fetchFailed(stderr io.Writer, name string, err error) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "%s: interrupted; no partial jar was left, and the jars fetched so far are kept and locked\n", name)
		return 130
	}
	printErrors(stderr, name, err)
	return 1
}

func runJars(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jars", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, jarsUsage); fs.PrintDefaults() }
	jf := addJarFlags(fs)
	printCP := fs.Bool("print-classpath", false, "print the classpath (the jars' paths, in list order) on stdout instead of progress")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kcl jars: unexpected argument %q: the version is given with -kcl\n", fs.Arg(0))
		return 2
	}
	v, list, o, code := jf.resolve(fs, "kcl jars", stderr)
	if code != 0 {
		return code
	}
	if !*printCP {
		o.Progress = stderr
	}
	ctx, stop := interruptible()
	defer stop()
	res, err := jars.Fetch(ctx, list, o)
	if err != nil {
		return fetchFailed(stderr, "kcl jars", err)
	}
	if *printCP {
		fmt.Fprintln(stdout, strings.Join(res.Classpath(), string(os.PathListSeparator)))
		return 0
	}
	from := jars.RedactURL(o.Repo)
	if o.Repo == "" {
		from = jars.DefaultRepo
	}
	if o.Offline != "" {
		from = o.Offline
	}
	fmt.Fprintf(stderr, "kcl jars: KCL %s: %d jars ready in %s (%d fetched, %s, from %s; %d already there)\n",
		v, len(res.Jars), res.Dir, res.Fetched, jars.Size(res.Bytes), from, res.Cached)
	if res.Locked > 0 {
		fmt.Fprintf(stderr, "kcl jars: %s: %d jars added; commit it next to kcl.properties\n", o.Lock, res.Locked)
	} else {
		fmt.Fprintf(stderr, "kcl jars: %s: every jar matches\n", o.Lock)
	}
	return 0
}
