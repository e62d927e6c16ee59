package local

import (
	"errors"
	"fmt"
	"time"

	"github.com/kclgo/mld/internal/lease"
	"github.com/kclgo/mld/protocol"
)

// exchange sends m and serves the child until its status (docs/protocol.md §3.1):
// checkpoint requests are answered by the daemon's rules, lines the
// daemon's reader would skip are logged and skipped, other messages are
// ignored. It returns a *ShardFailure if the child answers with the wrong
// status, writes the JSON literal null, closes its output, or says nothing
// for cfg.Timeout; during shutdownRequested the first of those is only
// logged, as by the daemon.
func (sc *shardConsumer) exchange(m protocol.Message) *ShardFailure {
	sc.lease.Begin(m)
	action := m.Action()
	sc.setState("waiting for the status of " + action)
	fail := func(got, reason string) *ShardFailure {
		return &ShardFailure{Sent: describe(m), Got: got, Reason: reason}
	}
	var timeout <-chan time.Time
	var timer *time.Timer
	if sc.cfg.Timeout > 0 {
		timer = time.NewTimer(sc.cfg.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	timedOut := func() *ShardFailure {
		sc.child.kill()
		return fail(fmt.Sprintf("nothing within timeoutInSeconds=%d", int(sc.cfg.Timeout/time.Second)),
			"the Java daemon halts (Runtime.halt(1)), ending every shard at once; kcl local killed this child and stops this shard only")
	}
	stopped := func() *ShardFailure {
		sc.child.kill()
		return fail("no status before kcl local had to stop (shutdown timeout or a second interrupt)", "killed the child")
	}

	// The action is written while the child's output is read, as the Java
	// daemon writes on another thread: a child that no longer reads its
	// stdin blocks the write of a batch larger than the pipe's buffer, and
	// must still meet timeoutInSeconds and the shutdown timeout.
	writing := make(chan error, 1)
	go func() { writing <- sc.child.w.Write(m) }()
	writeFailed := func(err error) *ShardFailure {
		return fail(fmt.Sprintf("no reader: writing to its stdin failed (%v); the child %s", err, sc.child.exitStatus(time.Second)), javaExits)
	}
	defer func() {
		if writing != nil {
			// The exchange failed with the write still blocked: the
			// child's stdin closes now, as it would in the termination
			// sequence, which ends the write.
			sc.child.closeStdin()
			<-writing
		}
	}()
	// written waits for the action's write to end, before a checkpoint
	// reply is written or the exchange succeeds.
	written := func() *ShardFailure {
		if writing == nil {
			return nil
		}
		select {
		case err := <-writing:
			writing = nil
			if err != nil {
				return writeFailed(err)
			}
			return nil
		case <-timeout:
			return timedOut()
		case <-sc.hard.Done():
			return stopped()
		}
	}
	for {
		select {
		case err := <-writing:
			writing = nil
			if err != nil {
				return writeFailed(err)
			}
		case l, ok := <-sc.child.lines:
			if !ok || l.err != nil {
				if action == protocol.ActionShutdownRequested {
					sc.log.Error("the child's output ended during shutdownRequested, which the daemon only logs; the next action will fail")
					return nil
				}
				return fail(fmt.Sprintf("the end of its output (the child %s)", sc.child.exitStatus(time.Second)), javaExits)
			}
			line := l.text
			msg, err := protocol.DecodeChild(line)
			var lerr *protocol.LineError
			switch {
			case errors.Is(err, protocol.ErrNull):
				return fail(quoteLine(line), "the JSON literal null makes the Java daemon fail with a NullPointerException; "+javaExits)
			case err != nil && len(line) == 0:
				continue // the daemon skips an empty line without a word
			case errors.As(err, &lerr):
				sc.log.Info("skipping an unexpected line on the child's stdout, as the daemon does", "line", shorten(line), "why", lerr.Reason)
				continue
			case err != nil:
				sc.log.Info("skipping an unexpected line on the child's stdout, as the daemon does", "line", shorten(line), "why", err.Error())
				continue
			}
			switch msg := msg.(type) {
			case protocol.Checkpoint:
				if f := written(); f != nil {
					return f
				}
				reply := sc.checkpoint(action, msg)
				if err := sc.child.w.Write(reply); err != nil {
					return fail(fmt.Sprintf("a checkpoint request whose reply could not be written (%v)", err), javaExits)
				}
				if timer != nil {
					timer.Reset(sc.cfg.Timeout)
				}
			case protocol.Status:
				if msg.ResponseFor == action {
					return written()
				}
				if action == protocol.ActionShutdownRequested {
					sc.log.Error("the child failed to complete the shutdown notification, as the daemon logs it; going on", "sent", action, "got", shorten(line))
					return written()
				}
				return fail(quoteLine(line), fmt.Sprintf("a status for %q, not for %q; %s", msg.ResponseFor, action, javaExits))
			default:
				sc.log.Debug("ignoring a message the daemon does not expect from a child", "line", shorten(line))
				if timer != nil {
					timer.Reset(sc.cfg.Timeout) // the daemon's wait was for any message
				}
			}
		case <-timeout:
			return timedOut()
		case <-sc.hard.Done():
			return stopped()
		}
	}
}

// checkpoint performs a checkpoint request and returns the reply: an echo
// of the request, with the exception the daemon would report, if any. A
// checkpoint is stored before the reply says it succeeded.
func (sc *shardConsumer) checkpoint(action string, req protocol.Checkpoint) protocol.CheckpointReply {
	reply := protocol.CheckpointReply{SequenceNumber: req.SequenceNumber, SubSequenceNumber: req.SubSequenceNumber}
	exc := sc.lease.NoCheckpointer()
	var target lease.Position
	if exc == "" {
		target, exc = sc.lease.Target(req)
	}
	if exc == "" && target != sc.lease.Checkpoint() {
		if err := sc.d.store.Set(sc.cfg.Stream, sc.shard, target); err != nil {
			sc.log.Error("cannot store the checkpoint", "error", err)
			exc = "KinesisClientLibDependencyException" // what a failing lease table gives
		} else {
			sc.lease.Set(target)
			sc.log.Info("checkpoint", "at", target.String(), "during", action)
		}
	}
	if exc != "" {
		reply.Error = protocol.Some(exc)
		sc.log.Warn("checkpoint refused", "request", string(protocol.Append(nil, req)), "during", action, "exception", exc,
			"checkpoint", sc.lease.Checkpoint().String(), "largestAllowed", sc.lease.Largest().String())
	}
	return reply
}
