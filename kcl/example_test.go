package kcl_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/kclgo/mld/kcl"
	"github.com/kclgo/mld/kcltest"
)

// A complete processor: it prints every record and checkpoints after each
// batch. Its main function is
//
//	func main() { kcl.Main(factory) }
//
// and its tests play the daemon with package kcltest, as here.
func Example() {
	factory := func(shardID string) (kcl.Processor, error) {
		return kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
			for _, r := range in.Records {
				fmt.Printf("%s %s\n", r.PartitionKey, r.Data)
			}
			return cp.Checkpoint(ctx)
		}), nil
	}

	t := &exampleT{} // in a test: the test's t
	defer t.done()
	d := kcltest.NewDaemon(t, factory)
	d.Initialize("shardId-000000000000", "TRIM_HORIZON")
	d.ProcessRecords(kcltest.Records("hello", "world")...)
	x := d.ShardEnded() // fails the test unless the shard's end is checkpointed
	for _, line := range x.Lines {
		fmt.Println(line)
	}
	fmt.Println(len(d.Checkpoints()), "checkpoints, the last at", d.Checkpoint())
	// Output:
	// pk-1 hello
	// pk-2 world
	// daemon: {"action":"shardEnded"}
	// child:  {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}
	// daemon: {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}
	// child:  {"action":"status","responseFor":"shardEnded"}
	// 2 checkpoints, the last at SHARD_END
}

// Run is the protocol without the process: it reads the daemon's lines and
// writes the child's. This processor has no ShardEnded method, so the SDK
// checkpoints the shard's end itself before the status.
func ExampleRun() {
	daemon := strings.Join([]string{
		`{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`,
		`{"action":"processRecords","records":[{"data":"aGVsbG8=","partitionKey":"pk","sequenceNumber":"1","approximateArrivalTimestamp":1700000000000,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}`,
		`{"action":"shardEnded"}`,
		`{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}`,
	}, "\n") + "\n"
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		fmt.Printf("record %s: %s\n", in.Records[0].SequenceNumber, in.Records[0].Data)
		return nil
	})
	var child strings.Builder
	err := kcl.Run(context.Background(), func(string) (kcl.Processor, error) { return p, nil },
		strings.NewReader(daemon), &child)
	fmt.Print(child.String())
	fmt.Println("Run:", err)
	// Output:
	// record 1: hello
	// {"action":"status","responseFor":"initialize"}
	// {"action":"status","responseFor":"processRecords"}
	// {"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}
	// {"action":"status","responseFor":"shardEnded"}
	// Run: <nil>
}

func ExampleCompareSequenceNumbers() {
	fmt.Println(kcl.CompareSequenceNumbers("9", "10"))
	fmt.Println(kcl.CompareSequenceNumbers("49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588898"))
	fmt.Println(kcl.CompareSequenceNumbers("TRIM_HORIZON", "1"))
	// Output:
	// -1
	// 0
	// 1
}

// A processor that keeps going when the lease table is busy: it leaves
// the checkpoint for the next batch; other failures end the batch. (The
// checkpointer retries throttling itself first, 5 times by default; this
// example turns that off.)
func ExampleIsRetryable() {
	p := kcl.ProcessorFunc(func(ctx context.Context, in kcl.ProcessRecordsInput, cp *kcl.Checkpointer) error {
		err := cp.Checkpoint(ctx)
		if kcl.IsRetryable(err) {
			fmt.Println("checkpoint postponed:", err)
			return nil
		}
		return err
	})
	t := &exampleT{}
	defer t.done()
	d := kcltest.NewDaemon(t, func(string) (kcl.Processor, error) { return p, nil },
		kcltest.RunOptions(kcl.CheckpointRetries(1, 0)))
	d.Initialize("shardId-000000000000", "TRIM_HORIZON")
	d.ReplyNext("ThrottlingException")
	d.ProcessRecords(kcltest.Records("a")...)
	d.LeaseLost()
	// Output:
	// checkpoint postponed: kcl: checkpoint at latest failed: ThrottlingException
}
