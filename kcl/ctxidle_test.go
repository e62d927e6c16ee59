package kcl_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/kclgo/mld/kcl"
)

// An idle session returns at once when its context is cancelled: there is no
// callback to give grace to.
func TestRunIdleCancel(t *testing.T) {
	inR, inW := io.Pipe()
	defer inW.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- kcl.Run(ctx, func(string) (kcl.Processor, error) {
			return kcl.ProcessorFunc(func(context.Context, kcl.ProcessRecordsInput, *kcl.Checkpointer) error { return nil }), nil
		}, inR, io.Discard, kcl.EOFGrace(time.Minute))
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled while idle")
	}
}
