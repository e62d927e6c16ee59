package jars

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kclgo/mld/internal/atomicfile"
)

// staleAge is how old a leftover temporary file must be before Fetch removes
// it. Younger ones may belong to another kcl jars running on the same
// directory.
const staleAge = time.Hour

// removeStale removes temporary files left in dir by a process that was
// killed before it could clean up.
func removeStale(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, ".") || !strings.HasSuffix(n, atomicfile.TempSuffix) || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > staleAge {
			os.Remove(filepath.Join(dir, n))
		}
	}
}
