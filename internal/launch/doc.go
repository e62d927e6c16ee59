// Package launch starts the KCL MultiLangDaemon: it finds java and checks
// its version, builds the command line each KCL version expects, and runs
// java in a process group of its own with the signals the caller receives
// (SIGINT, SIGTERM, SIGHUP) forwarded to it, so that a terminal's Ctrl-C
// reaches the record processors only as the daemon's shutdownRequested,
// never as a signal of their own.
package launch
