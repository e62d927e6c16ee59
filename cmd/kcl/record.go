package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kclgo/mld/internal/record"
)

const recordUsage = `usage: kcl record [-o FILE] -- command [args...]

Runs command, a record processor in any language, passing every line
between the KCL MultiLangDaemon and it through unchanged, and records the
session in FILE, which "kcl play -session FILE" and kcltest.Replay replay.
Put it in front of a processor in executableName to turn what happens in
production, or under the real daemon, into a test:

    executableName = kcl record -o /var/tmp/kcl-{shard}-{pid}.txtar -- ./processor

In FILE, {shard} is replaced with the shard of the daemon's initialize
line and {pid} with the process id of kcl record. The file is created when
initialize comes and is never overwritten. It is written as the lines pass,
so a recording cut short can still be read, and it holds every batch in
full: mind the disk.

kcl record behaves as the processor would on its own: the child's stderr
is its stderr; SIGINT, SIGTERM and SIGHUP do not end it (the daemon ends a
child by closing its stdin, which kcl record passes on; at a terminal,
type Ctrl-D); the exit status is the child's, or 128+N for a child killed
by signal N. If kcl record is killed, the child is killed too on Linux;
elsewhere it sees its stdin and stdout close. On Windows, only Ctrl-C and
Ctrl-Break are ignored. A recording that fails (the file exists, the disk
is full) is reported on stderr, and the processor runs on.

flags:
`

func runRecord(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, recordUsage); fs.PrintDefaults() }
	file := fs.String("o", record.DefaultFile, "the session file to write; {shard} and {pid} are replaced")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "kcl record: no command to run; give it after --")
		fs.Usage()
		return 2
	}
	if record.Limits != "" {
		fmt.Fprintln(stderr, "kcl record: "+record.Limits)
	}
	stop := record.IgnoreSignals(stderr)
	defer stop()
	status, err := record.Run(record.Config{Command: fs.Args(), File: *file, Stdin: os.Stdin, Stdout: stdout, Stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "kcl %v\n", err)
	}
	return status
}
