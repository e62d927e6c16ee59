package kcl_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/kclgo/mld/kcl"
)

// BenchmarkCheckpoint measures one checkpoint round trip through Run: the
// request written, the daemon's reply read back and checked. The daemon
// side answers at once over in-process pipes.
func BenchmarkCheckpoint(b *testing.B) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	const reply = `{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}` + "\n"
	go func() { // the daemon
		lines := bufio.NewReader(outR)
		io.WriteString(inW, `{"action":"initialize","shardId":"shardId-0","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`+"\n")
		lines.ReadString('\n')
		io.WriteString(inW, `{"action":"processRecords","records":[],"millisBehindLatest":0}`+"\n")
		for {
			line, err := lines.ReadString('\n')
			if err != nil || strings.Contains(line, `"status"`) {
				break
			}
			io.WriteString(inW, reply)
		}
		inW.Close()
	}()
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := cp.Checkpoint(ctx); err != nil {
				return err
			}
		}
		b.StopTimer()
		return nil
	})
	if err := kcl.Run(context.Background(), func(string) (kcl.Processor, error) { return p, nil }, inR, outW); err != nil {
		b.Fatal(err)
	}
	outW.Close()
}
