// Package protocol is the wire codec of the KCL MultiLangDaemon's
// stdin/stdout protocol: one JSON object per line, in both directions.
//
// The daemon writes Initialize, ProcessRecords, LeaseLost, ShardEnded,
// ShutdownRequested, the KCL 1.x Shutdown and CheckpointReply; a child
// writes Status and Checkpoint. Append encodes any of them exactly as its
// sender does. Decode reads a daemon's line leniently, as a child should;
// DecodeChild reads a child's line exactly as the daemon does, and is the
// one owner of that rule in this module: what it skips, the daemon skips.
// Reader reads lines of any length up to a configurable maximum, reusing
// its buffers (see Reader.Release).
//
// Most programs do not use this package directly: package kcl runs the
// protocol for a record processor, and package kcltest plays the daemon in
// tests. The protocol itself is described in docs/protocol.md.
//
// This package uses only the standard library.
package protocol
