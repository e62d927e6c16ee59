package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/kclgo/mld/internal/atomicfile"
	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/kclprops"
	"github.com/kclgo/mld/internal/launch"
	"github.com/kclgo/mld/internal/local"
)

const daemonUsage = `usage: kcl daemon [flags] [-p] kcl.properties

Starts the KCL MultiLangDaemon (Java) for a properties file, as the version
given with -kcl expects it:

  KCL 2.1+ and 3.x: java -cp JARS:DIR software.amazon.kinesis.multilang.MultiLangDaemon
                         --properties-file FILE --log-configuration XML
  KCL 1.x:          java -cp JARS:DIR com.amazonaws.services.kinesis.multilang.MultiLangDaemon FILE

where JARS are the jars of kcl jars (fetched first if missing, checked
against kcl-jars.lock either way) and DIR is the properties file's
directory, where the daemon looks for the file first. KCL 2.0.x is not
supported.

Before starting, it checks the properties file as kcl check does: errors
stop it, warnings are printed. It then finds java (-java, else
$JAVA_HOME/bin/java, else java on PATH) and refuses one older than the jars
need: Java 8 for KCL itself, 11 when the list holds logback 1.4 or later.
For Java before 18 it adds -Dfile.encoding=UTF-8, so that non-ASCII
partition keys reach the record processors intact. JVM options come from
$KCL_JAVA_OPTS (split on spaces) and then from each -jvm-opt.

Logging (2.1 and later): without -l, the daemon gets a configuration written
into the jar directory that logs to stderr, KCL at INFO and the AWS SDK and
Netty at WARN, and that does not log each record processor stderr line a
second time at ERROR. Stderr, because the daemon echoes its record
processors' stderr there too: one stream then holds everything, in order.

Signals: java runs in a process group of its own. The first Ctrl-C,
SIGTERM or SIGHUP is passed to java, whose shutdown hook then sends the record
processors shutdownRequested and ends them (set shutdownGraceMillis, whose
2.x/3.x default of 0 gives them no time); Ctrl-C at a terminal does not
reach the record processors directly. A second one kills java and its record
processors at once.

Windows has no process groups or POSIX signals, so there kcl daemon does
not start java: it refuses before any download unless -print-command is
given, and then prints the command (quoted for a POSIX shell, such as Git
Bash) for you to start.

The exit status is java's (128+N if signal N ended it), 1 if the daemon
could not be started, 2 for a usage error and 130 if interrupted before java
started.

flags:
`

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// logbackName is the default logback configuration's name in the jar
// directory.
const logbackName = "kcl-daemon-logback.xml"

func runDaemon(args []string, stdout, stderr io.Writer) int {
	if _, ok := stderr.(*os.File); !ok {
		// Java's output is copied into it while kcl writes its notices.
		stderr = &local.LockedWriter{W: stderr}
	}
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, daemonUsage); fs.PrintDefaults() }
	jf := addJarFlags(fs)
	propsFlag := fs.String("p", "", "the properties `file` (or give it as the argument)")
	javaFlag := fs.String("java", "", "java `executable` (default $JAVA_HOME/bin/java, else java on PATH)")
	var jvmOpts stringList
	fs.Var(&jvmOpts, "jvm-opt", "JVM `option`, such as -Xmx1g; repeatable, after those in $KCL_JAVA_OPTS")
	logConf := fs.String("l", "", "logback configuration `file` for KCL 2.1+ (default: a quiet one, logging to stderr)")
	printCmd := fs.Bool("print-command", false, "print the command, as one shell line with its working directory, instead of running it")

	positional, code := parseInterleaved(fs, args)
	if code >= 0 {
		return code
	}
	path := *propsFlag
	switch {
	case len(positional) > 1 || len(positional) == 1 && path != "":
		fmt.Fprintln(stderr, "kcl daemon: give one properties file, with -p or as the argument")
		return 2
	case len(positional) == 1:
		path = positional[0]
	case path == "":
		fmt.Fprintln(stderr, "kcl daemon: no properties file: kcl daemon [flags] kcl.properties")
		return 2
	}
	// A version the daemon cannot be started for is reported as such, not
	// as a missing jar list.
	if v, _, err := kclVersion("kcl daemon", jf.kcl, jf.list != ""); err == nil {
		_, err = launch.MainClassFor(v)
		if err == nil && v.Major == 1 && *logConf != "" {
			err = fmt.Errorf("-l: KCL %s takes no logging configuration (it logs through commons-logging): drop -l", v)
		}
		if err != nil {
			fmt.Fprintf(stderr, "kcl daemon: %s\n", strings.TrimPrefix(err.Error(), "launch: "))
			return 2
		}
	}
	v, list, o, code := jf.resolve(fs, "kcl daemon", stderr)
	if code != 0 {
		return code
	}
	// Said after the usage errors but before the jars are fetched, which
	// may take minutes.
	if err := launch.RunSupported(); err != nil && !*printCmd {
		fmt.Fprintf(stderr, "kcl daemon: %s\n", strings.TrimPrefix(err.Error(), "launch: "))
		return 1
	}

	props, err := kclprops.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "kcl daemon: reading the properties file: %v\n", err)
		return 1
	}
	if !checkProperties(kclprops.Check(props, v), path, stderr) {
		return 1
	}

	// From here on, SIGINT, SIGTERM and SIGHUP interrupt kcl's own work,
	// and once java runs they are passed on to it. SIGHUP too, because a
	// closing terminal sends it to kcl's process group only, and java,
	// in a group of its own, would otherwise run on without a terminal.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopWatch, watchDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-sigs:
			cancel()
		case <-stopWatch:
		}
	}()

	javaPath, err := launch.FindJava(*javaFlag, os.Getenv)
	var java launch.Java
	if err == nil {
		java, err = launch.ProbeJava(ctx, javaPath)
	}
	if err == nil {
		if need, why := list.MinJava(); java.Major < need {
			err = fmt.Errorf("java %s (%s) is too old for KCL %s: it needs Java %d or later (%s); install a newer Java and point JAVA_HOME or -java at it",
				java.Version, java.Path, v, need, why)
		}
	}
	if err != nil {
		printErrors(stderr, "kcl daemon", err)
		return 1
	}

	o.Progress, o.QuietCached = stderr, true
	res, err := jars.Fetch(ctx, list, o)
	close(stopWatch)
	<-watchDone
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("jars: interrupted: %w", ctx.Err())
	}
	if err != nil {
		return fetchFailed(stderr, "kcl daemon", err)
	}

	d := launch.Daemon{
		Java:       java.Path,
		JVMOptions: jvmOptions(os.Getenv("KCL_JAVA_OPTS"), jvmOpts, java.Major),
		Classpath:  append(res.Classpath(), props.Dir),
		KCL:        v,
		Properties: path,
		LogConfig:  *logConf,
	}
	if v.Major >= 2 && d.LogConfig == "" {
		if d.LogConfig, err = writeLogback(res.Dir); err != nil {
			fmt.Fprintf(stderr, "kcl daemon: writing the default logging configuration: %v; give one with -l\n", err)
			return 1
		}
	} else if d.LogConfig != "" {
		if _, err := os.Stat(d.LogConfig); err != nil {
			fmt.Fprintf(stderr, "kcl daemon: -l: %v\n", err)
			return 1
		}
	}
	argv, err := d.Args()
	if err != nil {
		printErrors(stderr, "kcl daemon", err)
		return 1
	}
	if *printCmd {
		// The daemon's working directory is its record processors' too,
		// and relative paths (the properties file, executableName) depend
		// on it.
		wd, err := os.Getwd()
		if err != nil {
			fmt.Fprintf(stderr, "kcl daemon: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "cd %s && %s\n", launch.Quote([]string{wd}), launch.Quote(argv))
		if runtime.GOOS == "windows" {
			fmt.Fprintln(stderr, "kcl daemon: the command is quoted for a POSIX shell (Git Bash, WSL); cmd.exe and PowerShell quote differently")
		}
		return 0
	}

	fmt.Fprintf(stderr, "kcl daemon: KCL %s with java %s (%s), %d jars verified against %s; starting the daemon\n",
		v, java.Version, java.Path, len(res.Jars), o.Lock)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	code, err = launch.Run(cmd, sigs, func(msg string) { fmt.Fprintf(stderr, "kcl daemon: %s\n", msg) })
	if err != nil {
		printErrors(stderr, "kcl daemon", err)
		return 1
	}
	return code
}

// parseInterleaved parses flags that may follow the properties file too
// (kcl daemon kcl.properties -kcl 1.9.3) and returns the other arguments.
// code is the exit status to return at once (0 for -h, 2 for a bad flag), or
// -1 to go on.
func parseInterleaved(fs *flag.FlagSet, args []string) (positional []string, code int) {
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if err == flag.ErrHelp {
				return nil, 0
			}
			return nil, 2
		}
		if fs.NArg() == 0 {
			return positional, -1
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
}

// checkProperties prints the report of kclprops.Check and says whether the
// daemon may start: not with errors, which would make it fail or
// misbehave, but with warnings.
func checkProperties(rep *kclprops.Report, path string, stderr io.Writer) bool {
	rep.Write(stderr, path)
	errs, warns := rep.Errors(), len(rep.Problems)-rep.Errors()
	if errs > 0 {
		fmt.Fprintf(stderr, "kcl daemon: %s: %s, %s; not starting the daemon\n", path, plural(errs, "error"), plural(warns, "warning"))
		return false
	}
	if warns > 0 {
		fmt.Fprintf(stderr, "kcl daemon: %s: %s; starting anyway\n", path, plural(warns, "warning"))
	}
	return true
}

// jvmOptions returns the options from the environment variable, then the
// flags, with -Dfile.encoding=UTF-8 first for a Java older than 18, whose
// default charset depends on the locale, unless an option sets it.
func jvmOptions(env string, flags []string, javaMajor int) []string {
	opts := append(strings.Fields(env), flags...)
	if javaMajor >= 18 {
		return opts
	}
	for _, o := range opts {
		if strings.HasPrefix(o, "-Dfile.encoding=") {
			return opts
		}
	}
	return append([]string{"-Dfile.encoding=UTF-8"}, opts...)
}

// writeLogback writes the default logback configuration into dir, unless
// it is there already (a read-only directory then works), and returns its
// path.
func writeLogback(dir string) (string, error) {
	p := filepath.Join(dir, logbackName)
	if b, err := os.ReadFile(p); err == nil && bytes.Equal(b, []byte(launch.DefaultLogback)) {
		return p, nil
	}
	return p, atomicfile.WriteFile(p, []byte(launch.DefaultLogback), 0o644)
}
