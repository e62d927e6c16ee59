package jars

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is on what Fetch returns.
var (
	// ErrNotFound: the repository answered 404 for a jar, or the offline
	// directory does not have it. The jar list or the mirror is wrong.
	ErrNotFound = errors.New("not found")
	// ErrChecksum: a jar does not match the checksum its repository
	// publishes. The jar is not kept.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrNoChecksum: the repository publishes no SHA-1 or stronger checksum
	// for a jar, and Options.AllowMissingChecksum is off.
	ErrNoChecksum = errors.New("no checksum published")
	// ErrLockMismatch: a jar's SHA-256 differs from the one in the lock
	// file. Returned as a *LockMismatchError.
	ErrLockMismatch = errors.New("lock mismatch")
	// ErrAccess: the repository refused access (401 or 403).
	ErrAccess = errors.New("access refused")
)

// LockMismatchError reports a jar whose SHA-256 differs from the lock file.
type LockMismatchError struct {
	Coord Coord
	Lock  string // the lock file
	Want  string // the SHA-256 in the lock file
	Got   string // the SHA-256 of the jar
	// Cached is the cached file that differs, when the jar was already in
	// the cache; empty when the jar was being downloaded.
	Cached string
	From   string // where a download came from
}

func (e *LockMismatchError) Error() string {
	if e.Cached != "" {
		return fmt.Sprintf("jars: %s: the cached jar does not match %s\n"+
			"  %s: sha256:%s\n  %s: sha256:%s\n"+
			"the file was changed after it was verified; delete it and run kcl jars again to download it afresh",
			e.Coord, e.Lock, e.Lock, e.Want, e.Cached, e.Got)
	}
	return fmt.Sprintf("jars: %s: the jar from %s does not match %s\n"+
		"  %s: sha256:%s\n  downloaded: sha256:%s\n"+
		"the repository or mirror now serves different bytes than when the lock was written; it was not saved. "+
		"If you trust the new jar (a mirror that rebuilt it, say), delete this coordinate's line from %s and run kcl jars again",
		e.Coord, e.From, e.Lock, e.Lock, e.Want, e.Got, e.Lock)
}

// Is makes errors.Is(err, ErrLockMismatch) true.
func (e *LockMismatchError) Is(target error) bool { return target == ErrLockMismatch }

// ChecksumError reports a jar that does not match its repository's checksum.
type ChecksumError struct {
	Coord Coord
	Algo  string // "sha1", "sha256" or "sha512"
	Want  string // the published checksum
	Got   string // the checksum of the jar
	From  string // the checksum file's URL or path
	// Cached is the cached file that differs, when the jar was already in
	// the cache but not yet in the lock file.
	Cached string
}

func (e *ChecksumError) Error() string {
	what, fix := "the fetched jar", "it was not saved: the repository, mirror or offline directory holds a corrupt or different jar; try again, or another source"
	if e.Cached != "" {
		what, fix = "the cached jar "+e.Cached, "delete it and run kcl jars again to download it afresh"
	}
	return fmt.Sprintf("jars: %s: %s does not match the published checksum\n  %s: %s:%s\n  jar: %s:%s\n%s",
		e.Coord, what, e.From, e.Algo, e.Want, e.Algo, e.Got, fix)
}

// Is makes errors.Is(err, ErrChecksum) true.
func (e *ChecksumError) Is(target error) bool { return target == ErrChecksum }
