package javastack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// defaultStopTimeout is how long Close gives the graceful path.
const defaultStopTimeout = 30 * time.Second

// Daemon is a running "kcl daemon", and through it java and the record
// processors.
type Daemon struct {
	cmd    *exec.Cmd
	start  time.Time
	out    lockedBuffer
	exited chan struct{}
	code   int // set before exited is closed
	err    error

	stopOnce sync.Once
	stopCode int
	stopErr  error
}

// Env returns the environment the daemon runs with: this process's,
// without its AWS settings, plus dummy credentials, a region, no instance
// metadata lookups, and CBOR off in both AWS SDKs (kinesalite speaks JSON
// only). KCL 2.x and 3.x also get -Daws.cborEnabled=false on the JVM's
// command line, which the SDK v2 reads first.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CBOR_DISABLE=true", // AWS SDK for Java v1: KCL 1.x
	)
}

// DaemonArgs returns kcl's arguments that start the daemon on the stack.
func (s *Stack) DaemonArgs() []string {
	args := []string{"daemon", "-kcl", s.Version.String(), "-lock", s.Lock}
	if s.cfg.Java != "" {
		args = append(args, "-java", s.cfg.Java)
	}
	if s.Version.Major >= 2 {
		args = append(args, "-jvm-opt", "-Daws.cborEnabled=false")
	}
	return append(args, s.Properties)
}

// StartDaemon runs kcl daemon on the stack's properties file, in the
// stack's directory, in a process group of its own. Only one daemon runs
// at a time.
func (s *Stack) StartDaemon() (*Daemon, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.daemon != nil && !s.daemon.Exited() {
		return nil, errors.New("javastack: the daemon is running already")
	}
	d := &Daemon{exited: make(chan struct{})}
	d.cmd = exec.Command(s.cfg.Kcl, s.DaemonArgs()...)
	d.cmd.Dir = s.Dir
	d.cmd.Env = Env()
	var w io.Writer = &d.out
	if s.cfg.Output != nil {
		w = io.MultiWriter(&d.out, s.cfg.Output)
	}
	d.cmd.Stdout, d.cmd.Stderr = w, w
	isolate(d.cmd)
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("javastack: starting %s: %w", s.cfg.Kcl, err)
	}
	d.start = time.Now()
	go func() {
		err := d.cmd.Wait()
		d.code, d.err = exitCode(err)
		close(d.exited)
	}()
	s.daemon = d
	return d, nil
}

func exitCode(err error) (int, error) {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ee.ExitCode() >= 0 {
			return ee.ExitCode(), nil
		}
		return -1, err // killed by a signal
	default:
		return -1, err
	}
}

// Output returns everything kcl daemon wrote so far: its own lines, the
// daemon's log and the processors' stderr, as they interleaved.
func (d *Daemon) Output() string { return d.out.String() }

// Since is how long ago the daemon was started.
func (d *Daemon) Since() time.Duration { return time.Since(d.start) }

// Exited reports whether kcl daemon has ended.
func (d *Daemon) Exited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// Done is closed when kcl daemon ends.
func (d *Daemon) Done() <-chan struct{} { return d.exited }

// javaPID finds java's pid in kcl daemon's notice about the first signal.
var javaPID = regexp.MustCompile(`asking java \(pid (\d+)\)`)

// Stop ends the daemon the way a user does: SIGTERM to kcl daemon, which
// passes it to java, whose shutdown hook sends every processor
// shutdownRequested (a last checkpoint) and ends it. If that takes longer
// than timeout, a second SIGTERM makes kcl daemon kill java and the
// processors; if that too takes longer than timeout, the process groups
// of kcl daemon and java are killed. It returns kcl daemon's exit status (java's), and an
// error if the graceful path did not end it. Later calls return the first
// call's result.
func (d *Daemon) Stop(timeout time.Duration) (int, error) {
	d.stopOnce.Do(func() { d.stopCode, d.stopErr = d.stop(timeout) })
	return d.stopCode, d.stopErr
}

func (d *Daemon) stop(timeout time.Duration) (int, error) {
	if d.Exited() {
		return d.code, d.err
	}
	terminate(d.cmd)
	select {
	case <-d.exited:
		return d.code, d.err
	case <-time.After(timeout):
	}
	terminate(d.cmd) // kcl daemon kills java's process group
	select {
	case <-d.exited:
		return d.code, fmt.Errorf("javastack: the daemon did not stop within %v of SIGTERM; killed", timeout)
	case <-time.After(timeout):
	}
	if m := javaPID.FindStringSubmatch(d.Output()); m != nil {
		if pid, err := strconv.Atoi(m[1]); err == nil {
			killGroup(pid)
		}
	}
	killGroup(d.cmd.Process.Pid)
	<-d.exited
	return d.code, fmt.Errorf("javastack: the daemon ignored two SIGTERMs; killed its process groups")
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
