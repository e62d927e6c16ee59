package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/kclgo/mld/internal/atomicfile"
	"github.com/kclgo/mld/internal/lease"
)

// Store keeps checkpoints in a JSON file, keyed by stream and shard, in
// place of the daemon's DynamoDB lease table. Every change rewrites the
// whole file atomically (a temporary file, fsync, rename, fsync of the
// directory), so a crash leaves either the old or the new checkpoints,
// never a mix. One process at a time may use a file: OpenStore locks it
// where the platform allows.
//
// The file looks like this, and may be edited or deleted while no daemon
// runs (deleting a shard's entry makes it start over at the initial
// position):
//
//	{
//	  "version": 1,
//	  "streams": {
//	    "orders": {
//	      "shardId-000000000000": {"sequenceNumber": "4959...", "subSequenceNumber": 0, "updated": "2026-11-22T06:40:01.123Z"},
//	      "shardId-000000000001": {"sequenceNumber": "SHARD_END", "subSequenceNumber": 0, "updated": "..."}
//	    }
//	  }
//	}
//
// A Store is safe for concurrent use.
type Store struct {
	path   string
	unlock func()

	mu   sync.Mutex
	data storeFile
}

type storeFile struct {
	Version int                                    `json:"version"`
	Streams map[string]map[string]StoredCheckpoint `json:"streams"`
}

// StoredCheckpoint is one shard's entry in the checkpoint file.
type StoredCheckpoint struct {
	SequenceNumber    string    `json:"sequenceNumber"`
	SubSequenceNumber int64     `json:"subSequenceNumber"`
	Updated           time.Time `json:"updated"`
}

// Position returns the checkpoint as a lease position.
func (c StoredCheckpoint) Position() lease.Position {
	return lease.Position{SequenceNumber: c.SequenceNumber, SubSequenceNumber: c.SubSequenceNumber}
}

const storeVersion = 1

// errLocked reports a checkpoint file locked by another process.
var errLocked = errors.New("locked by another process")

// OpenStore reads the checkpoint file at path, or starts an empty one if
// the file does not exist, and locks it for this process until Close.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, data: storeFile{Version: storeVersion, Streams: map[string]map[string]StoredCheckpoint{}}}
	data, err := ReadCheckpointFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		s.data.Streams = data
	}
	unlock, err := lockFile(path + ".lock")
	switch {
	case errors.Is(err, errLocked):
		return nil, fmt.Errorf("local: checkpoint file %s is in use: %w (is another kcl local running with it?)", path, err)
	case err != nil:
		return nil, fmt.Errorf("local: checkpoint file %s: cannot create its lock file: %w (does its directory exist?)", path, err)
	}
	s.unlock = unlock
	return s, nil
}

// ReadCheckpointFile returns the checkpoints in a checkpoint file, by
// stream and shard, for tools and tests that inspect it.
func ReadCheckpointFile(path string) (map[string]map[string]StoredCheckpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f storeFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("local: checkpoint file %s is not valid JSON (%v): repair it, or move it away to start every shard over", path, err)
	}
	if f.Version != storeVersion {
		return nil, fmt.Errorf("local: checkpoint file %s has version %d, want %d: was it written by another tool?", path, f.Version, storeVersion)
	}
	if f.Streams == nil {
		f.Streams = map[string]map[string]StoredCheckpoint{}
	}
	return f.Streams, nil
}

// Close releases the file's lock.
func (s *Store) Close() {
	if s.unlock != nil {
		s.unlock()
		s.unlock = nil
	}
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Get returns a shard's checkpoint.
func (s *Store) Get(stream, shard string) (StoredCheckpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.data.Streams[stream][shard]
	return c, ok
}

// Set stores a shard's checkpoint and writes the file. If the write fails,
// the stored checkpoint is unchanged.
func (s *Store) Set(stream, shard string, p lease.Position) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	shards := s.data.Streams[stream]
	old, had := shards[shard]
	if shards == nil {
		shards = map[string]StoredCheckpoint{}
		s.data.Streams[stream] = shards
	}
	shards[shard] = StoredCheckpoint{SequenceNumber: p.SequenceNumber, SubSequenceNumber: p.SubSequenceNumber, Updated: time.Now().UTC()}
	if err := s.writeLocked(); err != nil {
		if had {
			shards[shard] = old
		} else {
			delete(shards, shard)
		}
		return err
	}
	return nil
}

func (s *Store) writeLocked() error {
	b, err := marshalStore(s.data)
	if err != nil {
		return err
	}
	// 0600: the checkpoints are this user's state.
	if err := atomicfile.WriteFile(s.path, b, 0o600); err != nil {
		return fmt.Errorf("local: writing checkpoints: %w", err)
	}
	return nil
}

// marshalStore writes streams and shards in sorted order, one shard per
// line, so that the file is easy to read and to diff.
func marshalStore(f storeFile) ([]byte, error) {
	b := fmt.Appendf(nil, "{\n  \"version\": %d,\n  \"streams\": {", f.Version)
	streams := make([]string, 0, len(f.Streams))
	for name := range f.Streams {
		streams = append(streams, name)
	}
	sort.Strings(streams)
	for i, name := range streams {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(name)
		b = fmt.Appendf(b, "\n    %s: {", k)
		shards := make([]string, 0, len(f.Streams[name]))
		for id := range f.Streams[name] {
			shards = append(shards, id)
		}
		sort.Strings(shards)
		for j, id := range shards {
			if j > 0 {
				b = append(b, ',')
			}
			k, _ := json.Marshal(id)
			v, err := json.Marshal(f.Streams[name][id])
			if err != nil {
				return nil, err
			}
			b = fmt.Appendf(b, "\n      %s: %s", k, v)
		}
		if len(shards) > 0 {
			b = append(b, "\n    "...)
		}
		b = append(b, '}')
	}
	if len(streams) > 0 {
		b = append(b, "\n  "...)
	}
	return append(b, "}\n}\n"...), nil
}
