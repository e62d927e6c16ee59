// Package record sits between the KCL MultiLangDaemon and a record
// processor, in any language, and writes down everything they say to each
// other as a session file that kcltest replays. It is what "kcl record"
// runs.
//
// Run starts the processor with pipes for its stdin and stdout, passes
// every byte on in both directions as it arrives, and records each line
// ("> " the daemon's, "< " the child's, byte for byte; see
// kcltest.Session) in the file, before the newline that ends the line is
// passed on: the other side cannot answer a line it has not seen whole,
// so the file holds the lines in the order they happened. The child's
// stderr is passed to the process as is and not recorded.
//
// # The file
//
// The file is created when the daemon's first line, initialize, has come:
// its shard replaces {shard} in the name, and {pid} is the process id of
// kcl record (see Config.File). It is never overwritten. A comment says
// when the session was recorded, the command and the shard; then comes
// the session section, one line written as each line passes, so that a
// recording killed half-way is still a session file kcltest can read.
// Once the child has exited, Run adds:
//   - an exit section with the child's exit status, if it is not 0: the
//     status kcltest.Result.ExitCode reports, -1 for a child killed by a
//     signal;
//   - a notes section, if there is something the session section cannot
//     say: a last line that ended without a newline (it is recorded as a
//     line), a side that stopped listening, a signal;
//   - a timing section, one line per session line: its time in seconds
//     since the recording began, and its "<" or ">". The session format
//     has no place for times in the session section itself; kcltest keeps
//     the timing section and ignores it. It is held in memory until the
//     end (8 bytes a line), so a killed recording has none.
//
// Every complete line can be recorded exactly: ParseSession gives back
// each byte after the "> " or "< ", a "\r", blanks, NUL or invalid UTF-8
// included. Only the missing newline of a last line is lost, and noted.
// Check compares a recorded child line the way the daemon reads it, so a
// processor that ends its lines with "\r\n" replays without differences.
//
// Recording never stops the processor: a file that exists, cannot be
// created or can no longer be written is reported once on stderr (the
// daemon logs it), and the lines keep passing.
//
// # As a child of the daemon
//
// The process running Run should behave as the processor would on its
// own: IgnoreSignals keeps SIGINT, SIGTERM and SIGHUP, which a terminal
// sends to the whole process group, from ending it (the child gets its
// own and decides); the end of the daemon's input closes the child's
// stdin; the exit status is the child's. On Linux the child is started
// with a parent-death signal, SIGKILL, so that it cannot outlive kcl
// record; elsewhere a killed kcl record only closes the child's stdin and
// stdout, which a well-behaved child takes as the end.
package record
