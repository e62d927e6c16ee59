package jars

import (
	"errors"
	"fmt"
	"strings"
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
	Line  int    // the coordinate's line in the lock file; 0 if not known
	Want  string // the SHA-256 in the lock file
	Got   string // the SHA-256 of the jar
	// Cached is the cached file that differs, when the jar was already in
	// the cache; empty when the jar was being downloaded.
	Cached string
	From   string // where a download came from

	// Changed is, for a cached jar, which of the jar and the lock line
	// changed since the jar was verified. The lock holds only the SHA-256,
	// so the checksum the repository or offline directory publishes, which
	// the lock line was written from, tells: a jar that still matches it
	// is intact.
	Changed Changed
	// Algo, Published and PublishedFrom are that checksum, when it could
	// be had.
	Algo, Published, PublishedFrom string
	// Unchecked is why it could not, when Changed is ChangedUnknown.
	Unchecked error
}

// Changed is what changed when a cached jar and its lock line disagree.
type Changed int

const (
	// ChangedUnknown: the published checksum could not be had (no
	// network, none published), so either may have changed.
	ChangedUnknown Changed = iota
	// ChangedJar: the jar no longer matches the published checksum.
	ChangedJar
	// ChangedLock: the jar still matches the published checksum, so the
	// lock line was edited, or written from a repository that served other
	// bytes.
	ChangedLock
)

// where names the lock file, as file:line when the line is known.
func (e *LockMismatchError) where() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d", e.Lock, e.Line)
	}
	return e.Lock
}

// line names the jar's line of the lock file.
func (e *LockMismatchError) line() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d of %s", e.Line, e.Lock)
	}
	return "the jar's line of " + e.Lock
}

func (e *LockMismatchError) Error() string {
	if e.Cached == "" {
		return fmt.Sprintf("jars: %s: the jar from %s does not match %s\n"+
			"  %s: sha256:%s\n  downloaded: sha256:%s\n"+
			"the repository or mirror now serves different bytes than when the lock was written, or the lock line was edited; the jar was not saved. "+
			"If the line was edited, restore it; if you trust the new jar (a mirror that rebuilt it, say), delete this coordinate's line from %s and run kcl jars again",
			e.Coord, e.From, e.where(), e.where(), e.Want, e.Got, e.Lock)
	}
	const (
		refetch = "delete it and run kcl jars again to download it afresh"
		relock  = "restore the line (from version control, say), or delete it and run kcl jars again to verify the jar against the published checksum and lock it afresh"
	)
	head := fmt.Sprintf("jars: %s: the cached jar does not match %s\n  %s: sha256:%s\n  %s: sha256:%s\n",
		e.Coord, e.where(), e.where(), e.Want, e.Cached, e.Got)
	switch e.Changed {
	case ChangedLock:
		return head + fmt.Sprintf("the jar still matches the %s that %s publishes, so %s is what changed: "+
			"it was edited, or written from a repository that served other bytes; %s", e.Algo, e.PublishedFrom, e.line(), relock)
	case ChangedJar:
		return head + fmt.Sprintf("the jar does not match the %s that %s publishes either, so the jar was changed after it was verified; %s",
			e.Algo, e.PublishedFrom, refetch)
	}
	why := "the published checksum could not be had"
	if e.Unchecked != nil {
		why += " (" + strings.TrimPrefix(e.Unchecked.Error(), "jars: "+e.Coord.String()+": ") + ")"
	}
	return head + fmt.Sprintf("which of the two changed is not known: the lock holds only the SHA-256, and %s. "+
		"Either the jar was changed after it was verified: %s; or %s was edited: %s", why, refetch, e.line(), relock)
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
