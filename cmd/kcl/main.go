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
	"sort"
)

// command is one subcommand. Files other than this one add theirs to
// commands in an init function. run returns the process exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"play":  {"play a MultiLangDaemon session against a processor, without Java or AWS", runPlay},
	"bench": {"measure an SDK processor against a reference child, as ratios", runBench},
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
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "kcl: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kcl <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"kcl <command> -h\" for a command's flags.")
}
