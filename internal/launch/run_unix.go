//go:build unix

package launch

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// RunSupported returns nil: Run works on Unix. Elsewhere it says why Run
// cannot start the daemon, so that a caller can say so before doing any
// work.
func RunSupported() error { return nil }

// Run starts cmd in a process group of its own and waits for it, passing
// on the signals that arrive on sigs:
//
//   - the first is sent to the process itself (not its group), so that the
//     JVM's shutdown hook starts a graceful shutdown and the record
//     processors, which are in java's group, hear of it only from the
//     daemon (shutdownRequested, then end of input). A terminal's Ctrl-C
//     goes to kcl's group, which java is not in, so it reaches java only
//     this way;
//   - a second one kills the whole group (java and its record processors)
//     with SIGKILL, for a shutdown that hangs.
//
// notify, if not nil, is told about each in words. Run returns the exit
// status: the process's, or 128 plus the signal that ended it, as a shell
// reports it. It fails only if the process cannot start.
func Run(cmd *exec.Cmd, sigs <-chan os.Signal, notify func(string)) (int, error) {
	if notify == nil {
		notify = func(string) {}
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("launch: starting %s: %w", cmd.Path, unwrapExec(err))
	}
	pid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	forwarded := false
	for {
		select {
		case err := <-done:
			return status(cmd, err)
		case sig := <-sigs:
			if !forwarded {
				forwarded = true
				notify(fmt.Sprintf("%v: asking java (pid %d) to shut down; the daemon tells each record processor first. Signal again to kill it at once", sig, pid))
				cmd.Process.Signal(sig)
				continue
			}
			notify(fmt.Sprintf("%v again: killing java and its record processors (process group %d)", sig, pid))
			syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}

func status(cmd *exec.Cmd, err error) (int, error) {
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return 0, fmt.Errorf("launch: waiting for %s: %w", cmd.Path, err)
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return cmd.ProcessState.ExitCode(), nil
}
