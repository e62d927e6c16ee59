//go:build unix

package protocol

import "syscall"

// newChunk returns n bytes of scratch memory outside the Go heap, for
// readLong. Its pages cost memory only once written, and freeChunk gives
// them back to the system at once, so a huge line never exists twice in
// full: once as chunks and once as the buffer they are copied into. The
// garbage collector would free heap chunks only later, after the peak.
func newChunk(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n) // no mapping available: fall back to the heap
	}
	return b
}

// freeChunk releases a chunk from newChunk. Nothing may refer to c
// afterwards; readLong only copies out of its chunks.
func freeChunk(c []byte) {
	if cap(c) == 0 {
		return
	}
	// Munmap refuses slices it did not map (the heap fallback), which the
	// garbage collector then frees as usual.
	_ = syscall.Munmap(c[:cap(c)])
}
