package record

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the child when kcl record dies, even
// by SIGKILL, which no handler sees. kcl record is the child's direct and
// only parent and lives exactly as long as the child's session, which is
// the case a parent-death signal fits. A dead kcl record also closes the
// child's stdin and stdout, which a well-behaved child takes as its end;
// SIGKILL is for a child stuck in a callback, which would otherwise run
// on beside the processor the daemon starts next for the shard. A child
// that ignores SIGTERM, as a child should, would ignore a gentler signal.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
