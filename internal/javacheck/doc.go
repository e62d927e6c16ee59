// Package javacheck has no code, only tests. They read child lines with
// the KCL MultiLangDaemon's own message classes and a plain Jackson
// ObjectMapper, as the daemon does, and compare what the daemon makes of
// each line with two things: the verdict recorded in
// protocol/testdata/child-lines.json, and protocol.DecodeChild. The lines
// are those of the file and a few hundred derived from them.
//
// The daemon is run through testdata/ChildLines.java, a single-file Java
// program started once per KCL version with the jars of the version's
// built-in list. The jars are fetched into the directory kcl jars uses by
// default (<user cache dir>/kcl-go/jars/<version>) and checked against
// testdata/kcl-jars.lock; once they are there, the tests need no network.
//
//	go test ./internal/javacheck
//
// The tests need java 11 or later on PATH (a single-file source program).
// Without it they are skipped, unless the environment variable CI is set:
// then they fail.
package javacheck
