// Command kcl is the toolbox around Go record processors for the KCL
// MultiLangDaemon.
//
//	kcl jars [flags]                          fetch and verify the daemon's jars; kcl-jars.lock
//	kcl check [flags] [-p] kcl.properties     check kcl.properties for the daemon's KCL version
//	kcl daemon [flags] [-p] kcl.properties    run the Java MultiLangDaemon with the right classpath
//	kcl local [flags] -p kcl.properties       run a processor on a stream without Java (not for production)
//	kcl put [flags] [-p kcl.properties]       write records to a stream
//	kcl play [flags] -- command [args...]     play a daemon session against a processor
//	kcl record [-o FILE] -- command [args...] run a processor, recording its session for kcl play
//	kcl bench [flags]                         measure an SDK processor against a reference child
//
// Run "kcl help" for the list of commands, and "kcl <command> -h" for one.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// command is one subcommand. run returns the process exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists every subcommand, in the order of a project's life: get
// the daemon running, run without it, then test and measure a processor.
// "kcl help" prints them in this order.
var commands = []command{
	{"jars", "download and verify the Java daemon's jars for a KCL version", runJars},
	{"check", "check a kcl.properties file the way the MultiLangDaemon reads it", runCheck},
	{"daemon", "start the Java MultiLangDaemon with verified jars, forwarding Ctrl-C and SIGTERM", runDaemon},
	{"local", "run a processor against a Kinesis stream on this machine, without Java (not for production)", runLocal},
	{"put", "write records to a Kinesis stream (lines from stdin, or -n generated ones)", runPut},
	{"play", "play a MultiLangDaemon session against a processor, without Java or AWS", runPlay},
	{"record", "run a processor, passing its lines through, and record the session for kcl play and kcltest", runRecord},
	{"bench", "measure an SDK processor against a reference child, as ratios", runBench},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "kcl: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return commands[i].run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kcl <command> [arguments]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"kcl <command> -h\" for a command's flags.")
}
