//go:build !unix

package protocol

func newChunk(n int) []byte { return make([]byte, n) }

func freeChunk([]byte) {}
