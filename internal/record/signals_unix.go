//go:build unix

package record

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Limits says what kcl record cannot do on this system, or "". On a Unix
// system without a parent-death signal (all but Linux) a killed kcl
// record leaves its child running until the child notices its stdin
// close; that is said in the documentation rather than on every start.
const Limits = ""

// IgnoreSignals keeps SIGINT, SIGTERM and SIGHUP from ending the process
// and tells w of each: a terminal sends them to the whole process group,
// the child gets its own and decides, and the daemon ends a child by
// closing its stdin. It also turns a write to a closed stdout into an
// error instead of death by SIGPIPE, so that the child is the one to hear
// of it (see Config.Stdin). stop undoes it.
//
// The signals are caught rather than set to be ignored, because the child
// inherits an ignored signal but not a handler: it starts with the
// defaults, as it would without kcl record. A signal that was ignored
// when the process started stays ignored, for the child too.
func IgnoreSignals(w io.Writer) (stop func()) {
	var sigs []os.Signal
	for _, s := range []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	c := make(chan os.Signal, 4)
	signal.Notify(c, sigs...)
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	go func() {
		for s := range c {
			fmt.Fprintf(w, "kcl record: %v ignored; the child got it too. kcl record ends once the daemon closes its input and the child exits.\n", s)
		}
	}()
	go func() {
		for range pipe {
		}
	}()
	return func() {
		signal.Stop(c)
		signal.Stop(pipe)
		close(c)
		close(pipe)
	}
}
