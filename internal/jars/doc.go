// Package jars puts the jar set of the KCL MultiLangDaemon into a local
// directory, verified, for kcl jars and kcl daemon.
//
// A jar list (List) names every jar of one KCL version as a flat list of
// Maven coordinates; lists for a few versions are built in (Builtin), and
// ParseList reads others in the same format. Fetch downloads the jars from a
// Maven repository (or copies them from an offline directory) in parallel,
// with retries for the failures a retry can fix, checks each against the
// strongest checksum the repository publishes (SHA-512, SHA-256, SHA-1; MD5
// is not accepted), and records its SHA-256 in a lock file that every later
// Fetch checks, as go.sum does for modules. Files are written to a
// temporary name, verified, flushed and renamed, so the jar directory and
// the lock file never hold a partial file.
package jars
