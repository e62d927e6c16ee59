package kcl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main runs the process as a MultiLangDaemon child for the shard the daemon
// assigns, and never returns. Call it from func main:
//
//	func main() { kcl.Main(func(shardID string) (kcl.Processor, error) { return &proc{}, nil }) }
//
// Main
//   - exits with status 2 and an explanation if stdin is a terminal: the
//     binary is meant to be started by the daemon;
//   - keeps a private copy of stdout for protocol messages and points file
//     descriptor 1 at stderr, so that stray output (fmt.Println, the log
//     package, C libraries) cannot corrupt the protocol (see KeepStdout);
//   - logs SIGINT and SIGTERM and keeps serving: a Ctrl-C reaches the whole
//     process group, and the daemon's graceful shutdown still needs the child
//     to answer shutdownRequested and leaseLost;
//   - calls Run and exits 0 when the daemon closes stdin, or 1 when Run
//     returns an error (which it has logged).
func Main(factory Factory, opts ...Option) {
	os.Exit(serveProcess(factory, opts))
}

func serveProcess(factory Factory, opts []Option) int {
	cfg, err := newConfig(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if isTerminal(os.Stdin) {
		fmt.Fprintf(os.Stderr, "%s: stdin is a terminal: this program is a record processor for the Amazon KCL\n"+
			"MultiLangDaemon, which starts it (one process per shard) and talks to it in JSON\n"+
			"lines over stdin and stdout. Name it in executableName in your kcl.properties and\n"+
			"run the daemon, or drive it in tests with package kcltest.\n", os.Args[0])
		return 2
	}
	out := os.Stdout
	if !cfg.keepStdout {
		if out, err = takeStdout(); err != nil {
			cfg.logger.Error("cannot reserve stdout for the protocol", "error", err)
			return 1
		}
	}
	// Writing to a closed stderr must not kill the child with SIGPIPE while
	// it finishes up; the write just fails.
	signal.Ignore(syscall.SIGPIPE)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range sigs {
			cfg.logger.Warn("signal received; still serving until the daemon closes stdin", "signal", sig.String())
		}
	}()
	if err := Run(context.Background(), factory, os.Stdin, out, opts...); err != nil {
		var ce *CallbackError
		var pe *ProtocolError
		if !errors.As(err, &ce) && !errors.As(err, &pe) { // Run logs only those
			cfg.logger.Error("exiting", "error", err)
		}
		return 1
	}
	return 0
}
