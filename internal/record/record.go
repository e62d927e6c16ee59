package record

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"sync"
)

// DefaultFile is the session file's name when Config.File is empty.
const DefaultFile = "kcl-record-{shard}-{pid}.txtar"

// Config says what Run runs and where it records.
type Config struct {
	// Command is the record processor: its program and arguments.
	Command []string
	// File names the session file: "{shard}" is replaced with the shard of
	// the daemon's initialize line ("unknown" without one), "{pid}" with
	// the process id of kcl record. DefaultFile if empty.
	File string
	// Stdin delivers the daemon's lines, Stdout takes the child's. If
	// Stdin is an io.Closer, it is closed once the child no longer reads
	// its stdin, so that the daemon's next write fails as it would if the
	// daemon wrote to the child itself.
	Stdin  io.Reader
	Stdout io.Writer
	// Stderr is the child's stderr, and where a recording that fails is
	// reported.
	Stderr io.Writer
}

// Run starts the command, passes the lines between Stdin, the child and
// Stdout and records them (see the package documentation), until the child
// has exited and its stdout is drained. The end of Stdin closes the
// child's stdin. Run returns the status to exit with: the child's, or 128
// plus the signal that killed it, as a shell and the Java daemon report
// it. The error says why the command could not start; the status is then
// 127 for a command not found and 126 otherwise, as a shell's.
//
// Run does not wait for the end of Stdin: once the child is gone, a
// goroutine may still be reading it. It does wait for the end of the
// child's stdout, which a process the child started and left holding it
// delays, as it would delay the daemon reading the child directly.
func Run(cfg Config) (int, error) {
	if len(cfg.Command) == 0 {
		return 2, errors.New("record: no command to run")
	}
	file := cfg.File
	if file == "" {
		file = DefaultFile
	}
	stderr := cfg.Stderr
	if _, ok := stderr.(*os.File); !ok {
		// The child's stderr is then copied by a goroutine of os/exec,
		// while the recording may report on it too.
		stderr = &lockedWriter{w: stderr}
	}
	rec := newRecording(file, cfg.Command, stderr)

	inR, inW, err := os.Pipe()
	if err != nil {
		return 126, fmt.Errorf("record: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return 126, fmt.Errorf("record: %w", err)
	}
	cmd := exec.Command(cfg.Command[0], cfg.Command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, stderr
	dieWithParent(cmd)
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		// A parent-death signal is sent when the thread that started the
		// child ends, not the process, and the runtime ends a thread
		// whose goroutine exits while locked to it. Holding the thread
		// until the child is gone keeps the signal for the process's end.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait() // the exit status is in cmd.ProcessState
	}()
	err = <-started
	inR.Close() // the child's ends
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		status := 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			status = 127
		}
		return status, fmt.Errorf("record: starting %s: %w", cfg.Command[0], err)
	}
	rec.childPID = cmd.Process.Pid

	go func() {
		readErr, writeErr := pump(inW, cfg.Stdin, false, rec)
		switch {
		case writeErr != nil:
			rec.note("The child stopped reading its stdin (%v): the daemon's lines from then on were not passed on, and kcl record closed its own stdin.", writeErr)
			if c, ok := cfg.Stdin.(io.Closer); ok {
				c.Close()
			}
		case readErr != nil:
			rec.note("Reading the daemon's lines failed: %v.", readErr)
		}
		inW.Close()
	}()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		readErr, writeErr := pump(cfg.Stdout, outR, true, rec)
		switch {
		case writeErr != nil:
			rec.note("The daemon stopped reading (%v): the child's lines from then on were not passed on, and kcl record closed the child's stdout.", writeErr)
		case readErr != nil:
			rec.note("Reading the child's lines failed: %v.", readErr)
		}
		outR.Close()
	}()
	<-exited
	<-drained
	status, recorded, note := exitStatus(cmd.ProcessState)
	if note != "" {
		rec.note("%s", note)
	}
	rec.finish(recorded)
	return status, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
