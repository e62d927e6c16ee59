// Package protocol is the wire codec of the KCL MultiLangDaemon's
// stdin/stdout protocol: one JSON object per line, in both directions.
//
// The daemon writes Initialize, ProcessRecords, LeaseLost, ShardEnded,
// ShutdownRequested, the KCL 1.x Shutdown and CheckpointReply; a child
// writes Status and Checkpoint. Append encodes any of them exactly as its
// sender does, Decode and DecodeChild parse a line leniently as the
// daemon's Jackson reader does, and Reader reads lines of any length up to
// a configurable maximum, reusing its buffers (see Reader.Release).
//
// Most programs do not use this package directly: package kcl runs the
// protocol for a record processor, and package kcltest plays the daemon in
// tests. The protocol itself is described in protocol-spec.md.
//
// This package uses only the standard library.
package protocol
