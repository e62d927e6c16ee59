package launch

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kclgo/mld/internal/kclprops"
)

// Main classes of the MultiLangDaemon: KCL 2.1 moved it from the SDK v1
// package to its own.
const (
	MainClassV1 = "com.amazonaws.services.kinesis.multilang.MultiLangDaemon"
	MainClass   = "software.amazon.kinesis.multilang.MultiLangDaemon"
)

// ErrUnsupported is returned for KCL 2.0.x, whose daemon is not a target.
var ErrUnsupported = errors.New("not supported")

// MainClassFor returns the daemon's main class for KCL version v.
func MainClassFor(v kclprops.Version) (string, error) {
	switch {
	case v.Major == 1:
		return MainClassV1, nil
	case v.Major == 2 && v.Minor == 0:
		return "", fmt.Errorf("launch: KCL %s: %w: the 2.0.x daemon sends corrupt record data and odd timestamps; use 2.1 or later (3.x recommended)", v, ErrUnsupported)
	default:
		return MainClass, nil
	}
}

// Daemon is one start of the MultiLangDaemon.
type Daemon struct {
	Java       string   // the java executable
	JVMOptions []string // options for the JVM, before -cp
	// Classpath is every jar, then the properties file's directory: the
	// daemon looks the properties file up on the classpath first.
	Classpath  []string
	KCL        kclprops.Version
	Properties string // the properties file, as given
	// LogConfig is a logback configuration file, passed with
	// --log-configuration. 2.1 and later only: 1.x takes no flags and logs
	// through commons-logging.
	LogConfig string
}

// Args returns the whole command line, java first:
//
//	java [options] -cp CP software.amazon.kinesis.multilang.MultiLangDaemon --properties-file FILE [--log-configuration XML]
//	java [options] -cp CP com.amazonaws.services.kinesis.multilang.MultiLangDaemon FILE
//
// the first for 2.1 and later, the second for 1.x, whose only argument is
// the file.
func (d Daemon) Args() ([]string, error) {
	main, err := MainClassFor(d.KCL)
	if err != nil {
		return nil, err
	}
	args := append([]string{d.Java}, d.JVMOptions...)
	args = append(args, "-cp", strings.Join(d.Classpath, string(os.PathListSeparator)), main)
	if d.KCL.Major == 1 {
		if d.LogConfig != "" {
			return nil, fmt.Errorf("launch: KCL %s takes no logging configuration (it logs through commons-logging): drop -l", d.KCL)
		}
		return append(args, d.Properties), nil
	}
	args = append(args, "--properties-file", d.Properties)
	if d.LogConfig != "" {
		args = append(args, "--log-configuration", d.LogConfig)
	}
	return args, nil
}

// Quote returns args as one line a POSIX shell runs as the same command:
// each argument that holds anything but letters, digits and @%+=:,./_- is
// put in single quotes.
func Quote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = quoteArg(a)
	}
	return strings.Join(q, " ")
}

func quoteArg(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// DefaultLogback is the logback configuration kcl daemon passes when it is
// given none. The daemon's own bundled one logs everything at INFO to
// stdout; this one:
//   - writes to stderr, where the daemon also echoes every line its record
//     processors write to their stderr, so that one stream holds both, in
//     order, and stdout carries nothing;
//   - keeps KCL at INFO (lease changes, shard starts and ends, shutdown) and
//     quiets the AWS SDKs, Netty and Apache HTTP to WARN;
//   - turns off DrainChildSTDERRTask's logger, which repeats every child
//     stderr line at ERROR next to the echo: the line still appears once,
//     and the SDK's log lines carry their own shard attribute.
const DefaultLogback = `<?xml version="1.0" encoding="UTF-8"?>
<!--
  Written by kcl daemon, which passes it to the KCL MultiLangDaemon when it is not given -l FILE.
  Edits are overwritten: copy it elsewhere, change it, and give the copy with -l.
-->
<configuration>
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder>
      <pattern>%d{ISO8601} %-5level [%thread] %logger{36} [%mdc{ShardId:-NONE}] - %msg%n</pattern>
    </encoder>
  </appender>

  <logger name="software.amazon.kinesis" level="INFO"/>
  <!-- Echoed raw to stderr by the daemon already; this logger would repeat each line at ERROR. -->
  <logger name="software.amazon.kinesis.multilang.DrainChildSTDERRTask" level="OFF"/>
  <logger name="software.amazon.awssdk" level="WARN"/>
  <logger name="com.amazonaws" level="WARN"/>
  <logger name="io.netty" level="WARN"/>
  <logger name="org.apache.http" level="WARN"/>

  <root level="WARN">
    <appender-ref ref="STDERR"/>
  </root>
</configuration>
`
