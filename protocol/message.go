package protocol

// Message is one line of the multilang protocol, in either direction. The set
// is closed: every implementation is a type of this package, and callers use
// a type switch.
type Message interface {
	// Action is the wire name of the message: the value of its "action" key.
	Action() string
	isMessage()
}

// Nullable is a field the daemon may send as JSON null. Valid is false for
// null, and for a field that is missing from the line.
type Nullable[T any] struct {
	V     T
	Valid bool
}

// Some returns a valid Nullable holding v.
func Some[T any](v T) Nullable[T] { return Nullable[T]{V: v, Valid: true} }

// Wire names of the actions.
const (
	ActionInitialize        = "initialize"
	ActionProcessRecords    = "processRecords"
	ActionLeaseLost         = "leaseLost"
	ActionShardEnded        = "shardEnded"
	ActionShutdownRequested = "shutdownRequested"
	ActionShutdown          = "shutdown"
	ActionCheckpoint        = "checkpoint"
	ActionStatus            = "status"
)

// Reasons carried by the KCL 1.x Shutdown message.
const (
	ReasonTerminate = "TERMINATE" // the shard ended; a SHARD_END checkpoint is required
	ReasonZombie    = "ZOMBIE"    // the lease was lost
)

// Initialize starts a shard session (daemon to child). SequenceNumber is the
// lease's checkpoint: a decimal sequence number, or a sentinel such as
// "TRIM_HORIZON", "LATEST" or "AT_TIMESTAMP" for a lease never checkpointed.
type Initialize struct {
	ShardID           string
	SequenceNumber    Nullable[string]
	SubSequenceNumber Nullable[int64]
}

// ProcessRecords delivers one batch (daemon to child).
type ProcessRecords struct {
	Records            []Record
	MillisBehindLatest Nullable[int64]

	lease    *lineBuffer // the Reader's buffer that Records' Data points into
	leaseGen uint64      // lease.gen when this batch was decoded
}

// Record is one Kinesis record of a ProcessRecords batch.
//
// When the record was decoded by a Reader, Data points into the Reader's
// buffer; see Reader.Release. The strings are ordinary Go strings and may be
// kept.
type Record struct {
	// Data is the decoded payload; nil when the daemon sent null.
	Data []byte
	// PartitionKey and SequenceNumber are empty when the daemon sent null,
	// which it never does for a real record.
	PartitionKey   string
	SequenceNumber string
	// ApproximateArrivalTimestamp is in epoch milliseconds.
	ApproximateArrivalTimestamp Nullable[int64]
	// SubSequenceNumber is 0 for plain records and 0, 1, 2, ... for the user
	// records of one KPL-aggregated record. KCL 1.x sends null for plain
	// records.
	SubSequenceNumber Nullable[int64]
}

// LeaseLost tells the child that another worker took the shard (daemon to
// child, KCL 2.x and 3.x). No checkpoint is possible.
type LeaseLost struct{}

// ShardEnded tells the child that the shard was split or merged and fully
// read (daemon to child, KCL 2.x and 3.x). The child must checkpoint with a
// null sequence number (SHARD_END) before its status.
type ShardEnded struct{}

// ShutdownRequested asks the child to checkpoint before the worker lets the
// lease go (daemon to child). A LeaseLost (or, in KCL 1.x, a ZOMBIE
// Shutdown) follows.
type ShutdownRequested struct{}

// Shutdown is the KCL 1.x terminal message (daemon to child). Reason is
// ReasonTerminate (shard ended) or ReasonZombie (lease lost).
type Shutdown struct {
	Reason string
}

// Status acknowledges an action (child to daemon). ResponseFor must equal
// the action being answered, exactly.
type Status struct {
	ResponseFor string
}

// Checkpoint is a checkpoint request (child to daemon). A null
// SequenceNumber asks for the largest permitted position: the end of the
// current batch, or SHARD_END during shardEnded.
type Checkpoint struct {
	SequenceNumber    Nullable[string]
	SubSequenceNumber Nullable[int64]
}

// CheckpointReply answers a Checkpoint (daemon to child). The sequence
// numbers echo the request. Error is null on success, otherwise the simple
// name of the Java exception, such as "ThrottlingException".
type CheckpointReply struct {
	SequenceNumber    Nullable[string]
	SubSequenceNumber Nullable[int64]
	Error             Nullable[string]
}

func (Initialize) Action() string        { return ActionInitialize }
func (ProcessRecords) Action() string    { return ActionProcessRecords }
func (LeaseLost) Action() string         { return ActionLeaseLost }
func (ShardEnded) Action() string        { return ActionShardEnded }
func (ShutdownRequested) Action() string { return ActionShutdownRequested }
func (Shutdown) Action() string          { return ActionShutdown }
func (Status) Action() string            { return ActionStatus }
func (Checkpoint) Action() string        { return ActionCheckpoint }
func (CheckpointReply) Action() string   { return ActionCheckpoint }

func (Initialize) isMessage()        {}
func (ProcessRecords) isMessage()    {}
func (LeaseLost) isMessage()         {}
func (ShardEnded) isMessage()        {}
func (ShutdownRequested) isMessage() {}
func (Shutdown) isMessage()          {}
func (Status) isMessage()            {}
func (Checkpoint) isMessage()        {}
func (CheckpointReply) isMessage()   {}
