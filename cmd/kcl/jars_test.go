package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/jars/jarstest"
)

// kclEnv makes the test binary run as the kcl command: tests of what kcl
// does with signals need a process of their own (see kclCommand).
const kclEnv = "KCL_TEST_RUN_KCL"

func init() {
	if os.Getenv(kclEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
}

// kclCommand returns a command that runs kcl with args in a process of its
// own: the test binary, re-executed.
func kclCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), kclEnv+"=1")
	return cmd
}

// kclRun runs kcl in this process and returns its exit status, stdout and
// stderr.
func kclRun(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// jarsEnv is a fake repository with the built-in 3.1.3 jars, and a jar
// directory and lock file of the test's own.
type jarsEnv struct {
	repo      *jarstest.Repo
	dir, lock string
	list      *jars.List
}

func newJarsEnv(t *testing.T, version string) *jarsEnv {
	list, ok := jars.Builtin(version)
	if !ok {
		t.Fatalf("no built-in list %s", version)
	}
	d := t.TempDir()
	e := &jarsEnv{repo: jarstest.NewRepo(t, list.Jars...), dir: filepath.Join(d, "jars"), lock: filepath.Join(d, "kcl-jars.lock"), list: list}
	// The list pins some jars to the SHA-256 of the real ones, and the fake
	// repository serves other bytes: the lock file vouches for those.
	var pins strings.Builder
	for c := range list.SHA256 {
		fmt.Fprintf(&pins, "%s sha256:%s\n", c, jarstest.Checksum(jarstest.Content(c), "sha256"))
	}
	if pins.Len() > 0 {
		if err := os.WriteFile(e.lock, []byte(pins.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// flags are the flags that point kcl jars or kcl daemon at the env.
func (e *jarsEnv) flags() []string {
	return []string{"-repo", e.repo.URL(), "-dir", e.dir, "-lock", e.lock, "-idle-timeout", "300ms"}
}

func TestJars(t *testing.T) {
	e := newJarsEnv(t, "3.1.3")
	code, stdout, stderr := kclRun(append([]string{"jars"}, e.flags()...)...)
	if code != 0 || stdout != "" {
		t.Fatalf("kcl jars: exit %d, stdout %q:\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 81 {
		t.Errorf("%d lines, want 79 jars and 2 summary lines:\n%s", len(lines), stderr)
	}
	for _, want := range []string{
		"[ 1/79] fetched ",
		"[79/79] fetched ",
		"kcl jars: KCL 3.1.3: 79 jars ready in " + e.dir + " (79 fetched, 319.8 KiB, ",
		"from " + e.repo.URL() + "; 0 already there)\n",
		"kcl jars: " + e.lock + ": 79 jars added; commit it next to kcl.properties\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("output lacks %q:\n%s", want, stderr)
		}
	}
	if l, err := jars.ReadLock(e.lock); err != nil || l.Len() != 79 {
		t.Errorf("lock file: %v", err)
	}

	code, _, stderr = kclRun(append([]string{"jars"}, e.flags()...)...)
	if code != 0 || !strings.Contains(stderr, "(0 fetched, 0 B, from "+e.repo.URL()+"; 79 already there)") ||
		!strings.Contains(stderr, e.lock+": every jar matches") || !strings.Contains(stderr, "[79/79] cached ") {
		t.Errorf("second run: exit %d:\n%s", code, stderr)
	}

	code, stdout, stderr = kclRun(append([]string{"jars", "-print-classpath"}, e.flags()...)...)
	var want []string
	for _, c := range e.list.Jars {
		want = append(want, filepath.Join(e.dir, c.FileName()))
	}
	if code != 0 || stdout != strings.Join(want, ":")+"\n" || stderr != "" {
		t.Errorf("-print-classpath: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestJarsEnvironment(t *testing.T) {
	e := newJarsEnv(t, "1.9.3")
	t.Setenv("KCL_MAVEN_REPO", e.repo.URL())
	t.Setenv("KCL_JARS_DIR", e.dir)
	code, _, stderr := kclRun("jars", "-kcl", "1.9.3", "-lock", e.lock)
	if code != 0 || !strings.Contains(stderr, "26 jars ready in "+e.dir+" (26 fetched") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	// The default directory is under the user cache directory.
	cache := t.TempDir()
	t.Setenv("KCL_JARS_DIR", "")
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	code, stdout, stderr := kclRun("jars", "-kcl", "1.9.3", "-lock", e.lock, "-print-classpath")
	first := filepath.Join(cache, "kcl-go", "jars", "1.9.3", "amazon-kinesis-client-1.9.3.jar")
	if code != 0 || !strings.HasPrefix(stdout, first+":") {
		t.Errorf("exit %d, classpath %q, want it in the cache:\n%s", code, stdout, stderr)
	}
}

func TestJarsFailures(t *testing.T) {
	e := newJarsEnv(t, "3.1.3")
	list := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(list, []byte("# a jar the repository does not have\ncom.example:nowhere:1.0\n"), 0o644)
	u := e.repo.URL() + "/com/example/nowhere/1.0/nowhere-1.0.jar"

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"404", []string{"-list", list, "-kcl", "3.2.0"}, 1,
			"kcl jars: com.example:nowhere:1.0: not found (HTTP 404 Not Found) at " + u + ": the coordinate is wrong in the jar list, or the repository or mirror does not have it\n"},
		{"list without version", []string{"-list", list}, 2, "kcl jars: -list needs -kcl"},
		{"no such list", []string{"-list", list + ".missing", "-kcl", "3.2.0"}, 1, "kcl jars: -list: open "},
		{"unknown version", []string{"-kcl", "3.2.0"}, 2, "kcl jars: no built-in jar list for KCL 3.2.0 (built in: 1.9.3, 1.15.3, 2.7.2, 3.1.3): give one with -list FILE -kcl 3.2.0"},
		{"bad version", []string{"-kcl", "three"}, 2, "kcl jars: -kcl: bad KCL version \"three\""},
		{"offline and repo", []string{"-offline", t.TempDir()}, 2, "kcl jars: -offline and -repo exclude each other"},
		{"argument", []string{"3.1.3"}, 2, "kcl jars: unexpected argument \"3.1.3\": the version is given with -kcl"},
		{"jobs", []string{"-j", "0"}, 2, "must be positive"},
		{"flag", []string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := kclRun(append(append([]string{"jars"}, e.flags()...), tc.args...)...)
			if code != tc.code || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d; stdout %q; stderr:\n%s\nwant %q", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}
}

// lockLine returns the line of c in the lock file at path, or 0.
func lockLine(t *testing.T, path string, c jars.Coord) int {
	t.Helper()
	data, _ := os.ReadFile(path)
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, c.String()+" ") {
			return i + 1
		}
	}
	return 0
}

// editLockLine gives c another hash in the lock file at path.
func editLockLine(t *testing.T, path string, c jars.Coord) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := c.String() + " sha256:" + jarstest.Checksum(jarstest.Content(c), "sha256")
	edited := strings.Replace(string(data), old, c.String()+" sha256:"+strings.Repeat("0", 64), 1)
	if edited == string(data) {
		t.Fatalf("%s has no line %q", path, old)
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A cached jar that differs from its lock line is refused, and the message
// says which of the two changed: the repository's checksum tells.
func TestJarsLockMismatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, e *jarsEnv, c jars.Coord, jar string)
		lock   string // the hash the lock line then holds
		jar    []byte // the jar's content then
		// want ends the message; {line} and {sha256} stand for the lock
		// line and the repository's checksum file.
		want string
	}{
		{"jar changed", func(t *testing.T, e *jarsEnv, c jars.Coord, jar string) { os.WriteFile(jar, []byte("tampered"), 0o644) },
			"", []byte("tampered"),
			"the jar does not match the sha256 that {sha256} publishes either, so the jar was changed after it was verified; delete it and run kcl jars again to download it afresh\n"},
		{"lock line edited", func(t *testing.T, e *jarsEnv, c jars.Coord, jar string) { editLockLine(t, e.lock, c) },
			strings.Repeat("0", 64), nil,
			"the jar still matches the sha256 that {sha256} publishes, so {line} is what changed: it was edited, or written from a repository that served other bytes; " +
				"restore the line (from version control, say), or delete it and run kcl jars again to verify the jar against the published checksum and lock it afresh\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newJarsEnv(t, "1.9.3")
			if code, _, stderr := kclRun(append([]string{"jars", "-kcl", "1.9.3"}, e.flags()...)...); code != 0 {
				t.Fatalf("first run: exit %d:\n%s", code, stderr)
			}
			c := e.list.Jars[3]
			jar := filepath.Join(e.dir, c.FileName())
			tc.change(t, e, c, jar)
			lockSum, content := tc.lock, tc.jar
			if lockSum == "" {
				lockSum = jarstest.Checksum(jarstest.Content(c), "sha256")
			}
			if content == nil {
				content = jarstest.Content(c)
			}
			line := lockLine(t, e.lock, c)
			at := e.lock + ":" + strconv.Itoa(line)
			code, _, stderr := kclRun(append([]string{"jars", "-kcl", "1.9.3"}, e.flags()...)...)
			want := "kcl jars: " + c.String() + ": the cached jar does not match " + at + "\n" +
				"  " + at + ": sha256:" + lockSum + "\n" +
				"  " + jar + ": sha256:" + jarstest.Checksum(content, "sha256") + "\n" +
				strings.NewReplacer("{line}", "line "+strconv.Itoa(line)+" of "+e.lock,
					"{sha256}", e.repo.URL()+"/"+c.RepoPath()+".sha256").Replace(tc.want)
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
			}
		})
	}
}

func TestJarsOffline(t *testing.T) {
	e := newJarsEnv(t, "1.9.3")
	off := t.TempDir()
	jarstest.WriteDir(t, off, true, e.list.Jars, "sha1")
	code, _, stderr := kclRun("jars", "-kcl", "1.9.3", "-offline", off, "-dir", e.dir, "-lock", e.lock)
	if code != 0 || !strings.Contains(stderr, "(26 fetched, 105.2 KiB, ") || !strings.Contains(stderr, "from "+off+"; 0 already there)") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	for _, c := range e.list.Jars {
		if e.repo.Hits(c.RepoPath()) != 0 {
			t.Errorf("offline mode requested %s", c)
		}
	}
}

func TestJarsCredentialsNotPrinted(t *testing.T) {
	e := newJarsEnv(t, "1.9.3")
	e.repo.RequireAuth("ci", "hunter2-token")
	repo := strings.Replace(e.repo.URL(), "http://", "http://ci:hunter2-token@", 1)
	e.repo.Fail(e.list.Jars[0].RepoPath(), jarstest.Status(503))
	code, stdout, stderr := kclRun("jars", "-kcl", "1.9.3", "-repo", repo, "-dir", e.dir, "-lock", e.lock)
	shown := strings.Replace(e.repo.URL(), "http://", "http://xxxxx:xxxxx@", 1)
	if code != 0 || !strings.Contains(stderr, "HTTP 503 Service Unavailable from "+shown+"/") || !strings.Contains(stderr, "from "+shown+";") {
		t.Errorf("exit %d, want the repository shown as %s:\n%s", code, shown, stderr)
	}
	// Through the environment, with the wrong password, and unparsable.
	t.Setenv("KCL_MAVEN_REPO", strings.Replace(repo, "hunter2", "wrong", 1))
	os.RemoveAll(e.dir)
	code2, stdout2, stderr2 := kclRun("jars", "-kcl", "1.9.3", "-dir", e.dir, "-lock", e.lock)
	if code2 != 1 || !strings.Contains(stderr2, "access refused (HTTP 401 Unauthorized): check the credentials") {
		t.Errorf("wrong password: exit %d:\n%s", code2, stderr2)
	}
	_, _, stderr3 := kclRun("jars", "-kcl", "1.9.3", "-repo", "https://ci:hunter2-token@[bad", "-dir", e.dir, "-lock", e.lock)
	_, _, help := kclRun("jars", "-h")
	for _, s := range []string{stdout, stderr, stdout2, stderr2, stderr3, help} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "ci:") || strings.Contains(s, "wrong") {
			t.Errorf("credentials printed:\n%s", s)
		}
	}
}

// No part of a repository URL that may carry a secret is printed: not the
// user or password, a query value or the fragment, whether the URL is
// refused or merely unreachable.
func TestJarsRepoSecretsNotPrinted(t *testing.T) {
	e := newJarsEnv(t, "1.9.3")
	for _, tc := range []struct {
		repo, want string
	}{
		{"http://127.0.0.1:1/?token=SECRET#frag",
			"kcl jars: repository URL http://127.0.0.1:1/?token=xxxxx#xxxxx: want http(s)://host/path, with no query or fragment"},
		{"http://127.0.0.1:1/m2?SECRET",
			"kcl jars: repository URL http://127.0.0.1:1/m2?xxxxx: want http(s)://host/path"},
		{"http://127.0.0.1:1/#SECRET",
			"kcl jars: repository URL http://127.0.0.1:1/#xxxxx: want http(s)://host/path"},
		{"http://user:SECRET@127.0.0.1:1/",
			"kcl jars: com.amazonaws:amazon-kinesis-client:1.9.3: http://xxxxx:xxxxx@127.0.0.1:1/com/amazonaws/"},
		{"http://SECRET@127.0.0.1:1/m2",
			"kcl jars: com.amazonaws:amazon-kinesis-client:1.9.3: http://xxxxx@127.0.0.1:1/m2/com/amazonaws/"},
		{"ftp://user:SECRET@127.0.0.1:1/?k=SECRET",
			"kcl jars: repository URL ftp://xxxxx:xxxxx@127.0.0.1:1/?k=xxxxx: want http(s)://host/path"},
		{"user:SECRET@127.0.0.1:1/m2", "kcl jars: the repository URL has no host (not shown"},
	} {
		t.Run(tc.repo, func(t *testing.T) {
			code, stdout, stderr := kclRun("jars", "-kcl", "1.9.3", "-repo", tc.repo, "-dir", e.dir, "-lock", e.lock, "-retries", "0", "-j", "1")
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant %q", code, stderr, tc.want)
			}
			if strings.Contains(stdout+stderr, "SECRET") || strings.Contains(stdout+stderr, "user:") || strings.Contains(stdout+stderr, "#frag") {
				t.Errorf("a secret of the URL was printed:\nstdout %q\nstderr:\n%s", stdout, stderr)
			}
		})
	}
}

func TestJarsInterrupted(t *testing.T) {
	e := newJarsEnv(t, "1.9.3")
	stalled := e.list.Jars[5]
	e.repo.Fail(stalled.RepoPath(), jarstest.StallBody())
	cmd := kclCommand(t, "jars", "-kcl", "1.9.3", "-repo", e.repo.URL(), "-dir", e.dir, "-lock", e.lock, "-idle-timeout", "1m")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case <-e.repo.Stalls():
	case err := <-done:
		t.Fatalf("kcl jars ended before the stall: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("the download never stalled")
	}
	cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("kcl jars did not end after SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 ||
		!strings.Contains(stderr.String(), "kcl jars: interrupted; no partial jar was left") {
		t.Fatalf("kcl jars after SIGINT: %v, want exit 130:\n%s", err, stderr.String())
	}
	entries, _ := os.ReadDir(e.dir)
	for _, en := range entries {
		if en.Name() == stalled.FileName() || strings.HasSuffix(en.Name(), ".tmp") {
			t.Errorf("left in the jar directory: %s", en.Name())
		}
	}
	if _, err := jars.ReadLock(e.lock); err != nil {
		t.Errorf("lock file after the interruption: %v", err)
	}
}

// A version given without its patch release (-kcl 3, -kcl 3.1) means the
// built-in jar list of that line, for kcl jars and kcl daemon alike, and the
// daemon's properties are checked for the version of the jars it runs.
func TestJarsPartialVersion(t *testing.T) {
	e := newJarsEnv(t, "3.1.3")
	for _, kcl := range []string{"3", "3.1"} {
		code, stdout, stderr := kclRun(append([]string{"jars", "-kcl", kcl, "-print-classpath"}, e.flags()...)...)
		if code != 0 || !strings.HasPrefix(stdout, filepath.Join(e.dir, e.list.Jars[0].FileName())+":") {
			t.Errorf("kcl jars -kcl %s: exit %d, stdout %q:\n%s", kcl, code, stdout, stderr)
		}
		if want := "kcl jars: -kcl " + kcl + " taken as 3.1.3, the built-in jar list\n"; !strings.Contains(stderr, want) {
			t.Errorf("kcl jars -kcl %s: stderr lacks %q:\n%s", kcl, want, stderr)
		}
	}
	for _, tc := range []struct{ kcl, want string }{
		{"3.2", "kcl jars: no built-in jar list for KCL 3.2 (built in: 1.9.3, 1.15.3, 2.7.2, 3.1.3): give one with -list FILE -kcl 3.2.0"},
		{"4", "only majors 1, 2 and 3 exist"},
	} {
		if code, _, stderr := kclRun(append([]string{"jars", "-kcl", tc.kcl}, e.flags()...)...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("kcl jars -kcl %s: exit %d, stderr:\n%s\nwant %q", tc.kcl, code, stderr, tc.want)
		}
	}
	list := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(list, []byte("com.example:a:1.0\n"), 0o644)
	if code, _, stderr := kclRun(append([]string{"jars", "-kcl", "3", "-list", list}, e.flags()...)...); code != 2 ||
		!strings.Contains(stderr, "kcl jars: -list needs the exact KCL version of its jars, major.minor.patch, not -kcl 3") {
		t.Errorf("-list with -kcl 3: exit %d:\n%s", code, stderr)
	}
}
