//go:build !unix

package record

import (
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Limits says what kcl record cannot do on this system. Windows has no
// SIGHUP, a console close, logoff or shutdown ends a process whatever it
// does, and there is no parent-death signal (a job object would be the
// way, which kcl record does not set up).
const Limits = "on this system kcl record ignores Ctrl-C and Ctrl-Break only (closing the console, logging off or shutting down still ends it), and a killed kcl record does not take its child with it: the child only sees its stdin and stdout close"

// IgnoreSignals keeps Ctrl-C and Ctrl-Break from ending the process and
// tells w of each; the child gets its own. stop undoes it.
func IgnoreSignals(w io.Writer) (stop func()) {
	c := make(chan os.Signal, 4)
	signal.Notify(c, os.Interrupt)
	go func() {
		for s := range c {
			fmt.Fprintf(w, "kcl record: %v ignored; the child got it too. kcl record ends once the daemon closes its input and the child exits.\n", s)
		}
	}()
	return func() {
		signal.Stop(c)
		close(c)
	}
}
