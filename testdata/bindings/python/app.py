"""A record processor on amazon_kclpy, the Python binding of the KCL
MultiLangDaemon, written against its v3 API and nothing else.

It logs every record to stderr, checkpoints at the end of every batch,
at shardEnded (which the daemon requires) and at shutdownRequested, and
does nothing at leaseLost. A throttled checkpoint is tried again after a
short pause; any other checkpoint error ends the process with status 1,
so that the daemon delivers the shard again from its last checkpoint
instead of the batch passing unnoticed.

    kcl play -- .venv/bin/python app.py
"""

import sys
import time

from amazon_kclpy import kcl
from amazon_kclpy.v3 import processor

ATTEMPTS = 5
PAUSE_SECONDS = 0.05


def log(message):
    print(message, file=sys.stderr, flush=True)


def checkpoint(checkpointer, sequence_number=None, sub_sequence_number=None):
    """Checkpoints at the position given, or at the end of the last batch
    delivered, trying again while the daemon answers ThrottlingException."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            checkpointer.checkpoint(sequence_number, sub_sequence_number)
            log("checkpointed {}".format(sequence_number or "the last batch"))
            return
        except kcl.CheckpointError as e:
            if e.value == "ThrottlingException" and attempt < ATTEMPTS:
                log("checkpoint throttled (attempt {}); trying again".format(attempt))
                time.sleep(PAUSE_SECONDS * attempt)
                continue
            if e.value == "ShutdownException":
                # The lease has moved on; its new holder goes on from the
                # last checkpoint.
                log("checkpoint refused: ShutdownException")
                return
            log("checkpoint failed: {}".format(e.value))
            sys.exit(1)


class RecordProcessor(processor.RecordProcessorBase):
    def initialize(self, initialize_input):
        log("initialize shard={} at={}".format(initialize_input.shard_id, initialize_input.sequence_number))

    def process_records(self, process_records_input):
        records = process_records_input.records
        for record in records:
            log("record key={} seq={} data={}".format(
                record.partition_key, record.sequence_number, record.binary_data.decode("utf-8", "replace")))
        if records:
            last = records[-1]
            checkpoint(process_records_input.checkpointer, last.sequence_number, last.sub_sequence_number)

    def lease_lost(self, lease_lost_input):
        log("lease lost")

    def shard_ended(self, shard_ended_input):
        log("shard ended")
        checkpoint(shard_ended_input.checkpointer)

    def shutdown_requested(self, shutdown_requested_input):
        log("shutdown requested")
        checkpoint(shutdown_requested_input.checkpointer)


if __name__ == "__main__":
    kcl.KCLProcess(RecordProcessor()).run()
