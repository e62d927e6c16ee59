package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/jars/jarstest"
	"github.com/kclgo/mld/internal/kclprops"
	"github.com/kclgo/mld/internal/launch"
)

// propsFor are kcl.properties files the daemon of each major accepts, once
// PROCESSOR is replaced with the path of an executable.
var propsFor = map[int]string{
	1: `executableName = PROCESSOR
applicationName = orders-consumer
streamName = orders
AWSCredentialsProvider = DefaultAWSCredentialsProviderChain
regionName = us-east-1
initialPositionInStream = TRIM_HORIZON
`,
	3: `executableName = PROCESSOR
applicationName = orders-consumer
streamName = orders
AwsCredentialsProvider = DefaultCredentialsProvider
regionName = us-east-1
initialPositionInStream = TRIM_HORIZON
shutdownGraceMillis = 20000
`,
}

func init() { propsFor[2] = propsFor[3] } // 2.7.0 and later read the same keys as 3.x here

// fakeJava is a stand-in java: it answers -version with a chosen version
// on stderr and otherwise records its arguments, environment, working
// directory, pid and process group, and the signals it gets into its
// directory, then waits for a "release" file and exits with a chosen
// status. onInt and onTerm are shell commands run on those signals after
// recording them.
type fakeJava struct {
	path, dir string
}

func newFakeJava(t *testing.T, version string, status int, onInt, onTerm string) *fakeJava {
	t.Helper()
	dir := t.TempDir()
	j := &fakeJava{path: filepath.Join(dir, "bin", "java"), dir: dir}
	script := `#!/bin/sh
rec='` + dir + `'
if [ "$1" = "-version" ]; then
	echo 'openjdk version "` + version + `" 2025-04-15' >&2
	echo 'OpenJDK Runtime Environment (build ` + version + `)' >&2
	exit 0
fi
trap 'echo INT >> "$rec/signals"; ` + onInt + `' INT
trap 'echo TERM >> "$rec/signals"; ` + onTerm + `' TERM
printf '%s\n' "$@" > "$rec/args"
env > "$rec/env"
pwd > "$rec/cwd"
# A record processor: a child in java's process group.
sh -c 'echo $$ > "$1/child.tmp"; mv "$1/child.tmp" "$1/child"; while :; do sleep 0.05; done' child "$rec" &
echo "$$ $(ps -o pgid= -p $$ | tr -d ' ')" > "$rec/pid.tmp"; mv "$rec/pid.tmp" "$rec/pid"
echo "daemon output on stdout"
echo "daemon output on stderr" >&2
while [ ! -e "$rec/release" ]; do sleep 0.05; done
kill $! 2>/dev/null
exit ` + strconv.Itoa(status) + "\n"
	os.MkdirAll(filepath.Dir(j.path), 0o755)
	if err := os.WriteFile(j.path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return j
}

// release lets the fake java exit as soon as it has recorded everything.
func (j *fakeJava) release() *fakeJava {
	os.WriteFile(filepath.Join(j.dir, "release"), nil, 0o644)
	return j
}

func (j *fakeJava) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(j.dir, name))
	return string(b)
}

// args are the arguments java was started with, or nil if it was not.
func (j *fakeJava) args() []string {
	s := j.read("args")
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// daemonEnv is a fake repository, a jar directory and lock file, a
// properties file in a directory of its own, and a fake java.
type daemonEnv struct {
	*jarsEnv
	version  string
	props    string // as given on the command line: absolute
	propsDir string
	java     *fakeJava
}

func newDaemonEnv(t *testing.T, version string, java *fakeJava) *daemonEnv {
	t.Helper()
	v, _ := kclprops.ParseVersion(version)
	e := &daemonEnv{jarsEnv: newJarsEnv(t, version), version: version, java: java}
	e.propsDir = filepath.Join(t.TempDir(), "conf")
	os.MkdirAll(e.propsDir, 0o755)
	e.props = filepath.Join(e.propsDir, "kcl.properties")
	// kcl daemon checks that executableName names a program it can run.
	processor := filepath.Join(e.propsDir, "processor")
	if err := os.WriteFile(processor, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	props := strings.ReplaceAll(propsFor[v.Major], "PROCESSOR", processor)
	if err := os.WriteFile(e.props, []byte(props), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// args is a kcl daemon command line for the env, extra flags before the
// properties file.
func (e *daemonEnv) args(extra ...string) []string {
	a := append([]string{"daemon", "-kcl", e.version, "-java", e.java.path}, e.flags()...)
	return append(append(a, extra...), e.props)
}

// classpath is the classpath the daemon should get.
func (e *daemonEnv) classpath() string {
	var cp []string
	for _, c := range e.list.Jars {
		cp = append(cp, filepath.Join(e.dir, c.FileName()))
	}
	return strings.Join(append(cp, e.propsDir), ":")
}

func TestDaemonCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name, version, java string
		extra               []string
		env                 string // KCL_JAVA_OPTS
		want                func(e *daemonEnv) []string
	}{
		{"3.x, java 17", "3.1.3", "17.0.15", nil, "", func(e *daemonEnv) []string {
			return []string{"-Dfile.encoding=UTF-8", "-cp", e.classpath(), launch.MainClass,
				"--properties-file", e.props, "--log-configuration", filepath.Join(e.dir, logbackName)}
		}},
		{"2.x, java 21 needs no encoding", "2.7.2", "21", nil, "", func(e *daemonEnv) []string {
			return []string{"-cp", e.classpath(), launch.MainClass,
				"--properties-file", e.props, "--log-configuration", filepath.Join(e.dir, logbackName)}
		}},
		{"1.x, java 8", "1.9.3", "1.8.0_392", nil, "", func(e *daemonEnv) []string {
			return []string{"-Dfile.encoding=UTF-8", "-cp", e.classpath(), launch.MainClassV1, e.props}
		}},
		{"JVM options", "3.1.3", "11.0.22", []string{"-jvm-opt", "-Xmx1g", "-jvm-opt", "-Dfile.encoding=ISO-8859-1"}, "-XX:+UseG1GC  -Dx=1",
			func(e *daemonEnv) []string {
				return []string{"-XX:+UseG1GC", "-Dx=1", "-Xmx1g", "-Dfile.encoding=ISO-8859-1", "-cp", e.classpath(), launch.MainClass,
					"--properties-file", e.props, "--log-configuration", filepath.Join(e.dir, logbackName)}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KCL_JAVA_OPTS", tc.env)
			e := newDaemonEnv(t, tc.version, newFakeJava(t, tc.java, 0, "", "").release())
			code, stdout, stderr := kclRun(e.args(tc.extra...)...)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			if diff := cmp.Diff(tc.want(e), e.java.args()); diff != "" {
				t.Errorf("java's arguments (-want +got):\n%s", diff)
			}
			n := len(e.list.Jars)
			for _, want := range []string{
				"[" + strconv.Itoa(n) + "/" + strconv.Itoa(n) + "] fetched ", // the missing jars are fetched first
				"kcl daemon: KCL " + tc.version + " with java " + tc.java + " (" + e.java.path + "), " + strconv.Itoa(n) + " jars verified against " + e.lock + "; starting the daemon\n",
				"daemon output on stderr\n",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if stdout != "daemon output on stdout\n" {
				t.Errorf("stdout %q, want java's", stdout)
			}
			logback, err := os.ReadFile(filepath.Join(e.dir, logbackName))
			if tc.version == "1.9.3" {
				if err == nil {
					t.Error("a logback configuration was written for KCL 1.x")
				}
			} else if string(logback) != launch.DefaultLogback {
				t.Errorf("default logback configuration: %v\n%s", err, logback)
			}
			// The environment reaches java, and so the record processors.
			if !strings.Contains(e.java.read("env"), "KCL_JAVA_OPTS="+tc.env+"\n") {
				t.Errorf("java's environment lacks KCL_JAVA_OPTS:\n%s", e.java.read("env"))
			}
		})
	}
}

func TestDaemonUserLogback(t *testing.T) {
	e := newDaemonEnv(t, "3.1.3", newFakeJava(t, "17.0.15", 0, "", "").release())
	user := filepath.Join(e.propsDir, "logback.xml")
	os.WriteFile(user, []byte("<configuration/>\n"), 0o644)
	code, _, stderr := kclRun(e.args("-l", user)...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	args := e.java.args()
	if got := args[len(args)-2:]; !cmp.Equal(got, []string{"--log-configuration", user}) {
		t.Errorf("java's last arguments %q, want the user's configuration", got)
	}
	if _, err := os.Stat(filepath.Join(e.dir, logbackName)); err == nil {
		t.Error("the default configuration was written although -l was given")
	}

	code, _, stderr = kclRun(e.args("-l", user+".missing")...)
	if code != 1 || !strings.Contains(stderr, "kcl daemon: -l: stat "+user+".missing: no such file or directory") {
		t.Errorf("missing -l file: exit %d:\n%s", code, stderr)
	}
}

func TestDaemonExitStatus(t *testing.T) {
	e := newDaemonEnv(t, "3.1.3", newFakeJava(t, "17.0.15", 7, "", "").release())
	if code, _, stderr := kclRun(e.args()...); code != 7 {
		t.Errorf("exit %d, want java's 7:\n%s", code, stderr)
	}
}

func TestDaemonPrintCommand(t *testing.T) {
	for _, flag := range []string{"--print-command", "-print-command"} {
		t.Run(flag, func(t *testing.T) {
			e := newDaemonEnv(t, "3.1.3", newFakeJava(t, "17.0.15", 0, "", ""))
			// A name that needs quoting.
			spaced := filepath.Join(e.propsDir, "my kcl.properties")
			os.Rename(e.props, spaced)
			e.props = spaced
			code, stdout, stderr := kclRun(e.args(flag)...)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			wd, _ := os.Getwd()
			want := "cd " + wd + " && " + e.java.path + " -Dfile.encoding=UTF-8 -cp " + e.classpath() + " " + launch.MainClass +
				" --properties-file '" + spaced + "' --log-configuration " + filepath.Join(e.dir, logbackName) + "\n"
			if stdout != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
			}
			if e.java.args() != nil {
				t.Error("java was started")
			}
			// The line runs as printed.
			e.java.release()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "sh", "-c", strings.Replace(stdout, " && ", " && echo ran && ", 1)).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "ran\n") {
				t.Errorf("running the printed line: %v\n%s", err, out)
			}
			if got := e.java.args(); len(got) == 0 || got[len(got)-3] != spaced {
				t.Errorf("java run by the printed line got %q", got)
			}
		})
	}
}

func TestDaemonRefuses(t *testing.T) {
	logback14 := "software.amazon.kinesis:amazon-kinesis-client-multilang:3.1.3\nch.qos.logback:logback-classic:1.4.14\n"
	for _, tc := range []struct {
		name  string
		java  string // version of the fake java
		setup func(t *testing.T, e *daemonEnv) []string
		code  int
		want  string
	}{
		{"java too old", "1.7.0_80", nil, 1,
			"kcl daemon: java 1.7.0_80 ({java}) is too old for KCL 3.1.3: it needs Java 8 or later (KCL's jars are built for Java 8); install a newer Java and point JAVA_HOME or -java at it\n"},
		{"java too old for logback 1.4", "10.0.2", func(t *testing.T, e *daemonEnv) []string {
			list := filepath.Join(t.TempDir(), "list.txt")
			os.WriteFile(list, []byte(logback14), 0o644)
			l, _ := jars.ParseList(list, []byte(logback14))
			for _, c := range l.Jars {
				e.repo.Add(c, jarstest.Content(c), "sha1")
			}
			return []string{"-list", list}
		}, 1, "it needs Java 11 or later (ch.qos.logback:logback-classic:1.4.14 needs Java 11)"},
		{"no properties file", "17", func(t *testing.T, e *daemonEnv) []string {
			os.Remove(e.props)
			return nil
		}, 1, "kcl daemon: reading the properties file: open {props}: no such file or directory\n"},
		{"properties syntax", "17", func(t *testing.T, e *daemonEnv) []string {
			os.WriteFile(e.props, []byte("executableName = \\u12zz\n"), 0o644)
			return nil
		}, 1, "kcl daemon: reading the properties file: kclprops: {props}:1: invalid unicode literal"},
		{"java not found", "17", func(t *testing.T, e *daemonEnv) []string {
			return []string{"-java", e.java.path + ".missing"}
		}, 1, "kcl daemon: -java {java}.missing: "},
		{"tampered jar", "17", func(t *testing.T, e *daemonEnv) []string {
			if code, _, stderr := kclRun(append([]string{"jars"}, e.flags()...)...); code != 0 {
				t.Fatalf("kcl jars: %s", stderr)
			}
			os.WriteFile(filepath.Join(e.dir, e.list.Jars[7].FileName()), []byte("tampered"), 0o644)
			return nil
		}, 1, "kcl daemon: {coord7}: the cached jar does not match {lock}:{line7}\n"},
		{"edited lock line", "17", func(t *testing.T, e *daemonEnv) []string {
			if code, _, stderr := kclRun(append([]string{"jars"}, e.flags()...)...); code != 0 {
				t.Fatalf("kcl jars: %s", stderr)
			}
			editLockLine(t, e.lock, e.list.Jars[7])
			return nil
		}, 1, "so line {line7} of {lock} is what changed: it was edited, or written from a repository that served other bytes; restore the line"},
		{"missing jar", "17", func(t *testing.T, e *daemonEnv) []string {
			e.repo.Set(e.list.Jars[3].RepoPath(), nil)
			return nil
		}, 1, "kcl daemon: {coord3}: not found (HTTP 404 Not Found) at "},
		{"repository URL with a query", "17", func(t *testing.T, e *daemonEnv) []string {
			return []string{"-repo", "https://user:SECRET@127.0.0.1:1/?token=SECRET#frag"}
		}, 1, "kcl daemon: repository URL https://xxxxx:xxxxx@127.0.0.1:1/?token=xxxxx#xxxxx: want http(s)://host/path, with no query or fragment; use -offline for a local directory\n"},
		{"logback configuration cannot be written", "17", func(t *testing.T, e *daemonEnv) []string {
			os.MkdirAll(filepath.Join(e.dir, logbackName), 0o755) // a directory in the way
			return nil
		}, 1, "kcl daemon: writing the default logging configuration: rename "},
		{"lock file cannot be written", "17", func(t *testing.T, e *daemonEnv) []string {
			return []string{"-lock", filepath.Join(e.propsDir, "missing", "kcl-jars.lock")}
		}, 1, "(give it another place with -lock)\n"},
		{"KCL 2.0", "17", func(t *testing.T, e *daemonEnv) []string { return []string{"-kcl", "2.0.5"} }, 2,
			"kcl daemon: KCL 2.0.5: not supported: the 2.0.x daemon sends corrupt record data and odd timestamps; use 2.1 or later (3.x recommended)\n"},
		{"-l with 1.x", "17", func(t *testing.T, e *daemonEnv) []string {
			return []string{"-kcl", "1.9.3", "-l", e.props}
		}, 2, "kcl daemon: -l: KCL 1.9.3 takes no logging configuration (it logs through commons-logging): drop -l\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDaemonEnv(t, "3.1.3", newFakeJava(t, tc.java, 0, "", "").release())
			var extra []string
			if tc.setup != nil {
				extra = tc.setup(t, e)
			}
			code, stdout, stderr := kclRun(e.args(extra...)...)
			want := strings.NewReplacer("{java}", e.java.path, "{props}", e.props, "{lock}", e.lock,
				"{line7}", strconv.Itoa(lockLine(t, e.lock, e.list.Jars[7])),
				"{coord3}", e.list.Jars[3].String(), "{coord7}", e.list.Jars[7].String()).Replace(tc.want)
			if code != tc.code || stdout != "" || !strings.Contains(stderr, want) {
				t.Errorf("exit %d, want %d; stdout %q; stderr:\n%s\nwant %q", code, tc.code, stdout, stderr, want)
			}
			if e.java.args() != nil {
				t.Error("java was started")
			}
		})
	}
}

func TestDaemonNoJava(t *testing.T) {
	e := newDaemonEnv(t, "3.1.3", newFakeJava(t, "17", 0, "", "").release())
	t.Setenv("JAVA_HOME", "")
	t.Setenv("PATH", t.TempDir())
	args := append([]string{"daemon"}, e.flags()...)
	code, _, stderr := kclRun(append(args, e.props)...)
	if code != 1 || !strings.Contains(stderr, "kcl daemon: no java found: JAVA_HOME is not set and there is no java on PATH; install Java, set JAVA_HOME, or give -java PATH\n") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	// JAVA_HOME is used when -java is not given.
	t.Setenv("JAVA_HOME", filepath.Dir(filepath.Dir(e.java.path)))
	if code, _, stderr := kclRun(append(args, e.props)...); code != 0 || e.java.args() == nil {
		t.Errorf("with JAVA_HOME: exit %d:\n%s", code, stderr)
	}
}

// Where java cannot be given a process group and signals, kcl daemon
// refuses before it fetches anything, unless asked only to print the
// command.
func TestDaemonWithoutUnix(t *testing.T) {
	if launch.RunSupported() == nil {
		t.Skip("kcl daemon starts java here")
	}
	e := newDaemonEnv(t, "3.1.3", newFakeJava(t, "17", 0, "", ""))
	code, _, stderr := kclRun(append([]string{"daemon", e.props}, e.flags()...)...)
	if code != 1 || !strings.Contains(stderr, "--print-command") {
		t.Errorf("exit %d, want 1 and a pointer to --print-command:\n%s", code, stderr)
	}
}

func TestDaemonUsage(t *testing.T) {
	e := newDaemonEnv(t, "1.9.3", newFakeJava(t, "17", 0, "", "").release())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"daemon"}, "kcl daemon: no properties file: kcl daemon [flags] kcl.properties\n"},
		{[]string{"daemon", "a.properties", "b.properties"}, "kcl daemon: give one properties file, with -p or as the argument\n"},
		{[]string{"daemon", "-p", "a.properties", "b.properties"}, "kcl daemon: give one properties file, with -p or as the argument\n"},
		{[]string{"daemon", "-kcl", "9", "a.properties"}, "kcl daemon: -kcl: KCL version \"9\": only majors 1, 2 and 3 exist\n"},
	} {
		if code, _, stderr := kclRun(tc.args...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("kcl %q: exit %d, stderr:\n%s\nwant %q", tc.args, code, stderr, tc.want)
		}
	}
	// -p, and flags after the file.
	code, _, stderr := kclRun(append(append([]string{"daemon", "-p", e.props}, e.flags()...), "-kcl", "1.9.3", "-java", e.java.path)...)
	if code != 0 || e.java.args()[len(e.java.args())-1] != e.props {
		t.Errorf("-p: exit %d:\n%s", code, stderr)
	}
	os.Remove(filepath.Join(e.java.dir, "args"))
	code, _, stderr = kclRun(append(append([]string{"daemon", e.props}, e.flags()...), "-kcl", "1.9.3", "-java", e.java.path)...)
	if code != 0 || e.java.args()[len(e.java.args())-2] != launch.MainClassV1 {
		t.Errorf("flags after the file: exit %d, java args %q:\n%s", code, e.java.args(), stderr)
	}
}

func TestCheckProperties(t *testing.T) {
	for _, tc := range []struct {
		name     string
		problems []kclprops.Problem
		ok       bool
		want     string
	}{
		{"clean", nil, true, ""},
		{"warnings", []kclprops.Problem{{Severity: kclprops.Warning, Line: 3, Key: "maxRecords", Message: "maxRecords: 0 is ignored"}}, true,
			"kcl.properties:3: warning: maxRecords: 0 is ignored\nkcl daemon: kcl.properties: 1 warning; starting anyway\n"},
		{"errors", []kclprops.Problem{
			{Severity: kclprops.Error, Key: "streamName", Message: "streamName: missing"},
			{Severity: kclprops.Warning, Line: 3, Key: "maxRecords", Message: "maxRecords: 0 is ignored"},
			{Severity: kclprops.Error, Line: 5, Key: "initialPositionInStream", Message: "initialPositionInStream: LATESTT is not a position"},
		}, false, "kcl.properties: error: streamName: missing\n" +
			"kcl.properties:3: warning: maxRecords: 0 is ignored\n" +
			"kcl.properties:5: error: initialPositionInStream: LATESTT is not a position\n" +
			"kcl daemon: kcl.properties: 2 errors, 1 warning; not starting the daemon\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			ok := checkProperties(&kclprops.Report{Problems: tc.problems}, "kcl.properties", &buf)
			if ok != tc.ok || buf.String() != tc.want {
				t.Errorf("checkProperties = %v, printed:\n%s\nwant %v:\n%s", ok, buf.String(), tc.ok, tc.want)
			}
		})
	}
}

func TestDaemonPartialVersion(t *testing.T) {
	for _, tc := range []struct{ kcl, version string }{{"3", "3.1.3"}, {"2", "2.7.2"}, {"1", "1.15.3"}} {
		t.Run(tc.kcl, func(t *testing.T) {
			e := newDaemonEnv(t, tc.version, newFakeJava(t, "17", 0, "", "").release())
			if tc.kcl == "3" {
				// A key of 3.5.0: the 3.1.3 daemon ignores it, so it is an
				// error for the jars that run, whatever kcl check -kcl 3 says.
				os.WriteFile(e.props, append([]byte(e.read(t)), "migrateAllEntitiesToLeaseTable = true\n"...), 0o644)
			}
			e.version = tc.kcl
			code, _, stderr := kclRun(e.args("--print-command")...)
			if !strings.Contains(stderr, "kcl daemon: -kcl "+tc.kcl+" taken as "+tc.version+", the built-in jar list\n") {
				t.Errorf("stderr lacks the version notice:\n%s", stderr)
			}
			if tc.kcl == "3" {
				if code != 1 || !strings.Contains(stderr, "migrateAllEntitiesToLeaseTable is not read by KCL 3.1.3") {
					t.Errorf("exit %d, want the 3.5.0 key refused for the 3.1.3 jars:\n%s", code, stderr)
				}
				return
			}
			if code != 0 {
				t.Errorf("exit %d:\n%s", code, stderr)
			}
		})
	}
}

func (e *daemonEnv) read(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(e.props)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
