// A record processor on aws-kcl, the Node.js binding of the KCL
// MultiLangDaemon, written against its documented API and nothing else.
//
// It logs every record to stderr, checkpoints at the end of every batch,
// at shardEnded (which the daemon requires) and at shutdownRequested, and
// does nothing at leaseLost. A throttled checkpoint is tried again after a
// short pause; any other checkpoint error ends the process with status 1,
// so that the daemon delivers the shard again from its last checkpoint
// instead of the batch passing unnoticed.
//
//     kcl play -- node app.js

'use strict';

const kcl = require('aws-kcl');

const ATTEMPTS = 5;
const PAUSE_MS = 50;

function log(message) {
  process.stderr.write(message + '\n');
}

// checkpoint checkpoints at sequenceNumber, or at the end of the last batch
// delivered when it is null, then calls done.
function checkpoint(checkpointer, sequenceNumber, done, attempt = 1) {
  checkpointer.checkpoint(sequenceNumber, (err) => {
    if (!err) {
      log('checkpointed ' + (sequenceNumber || 'the last batch'));
      done();
      return;
    }
    if (err === 'ThrottlingException' && attempt < ATTEMPTS) {
      log(`checkpoint throttled (attempt ${attempt}); trying again`);
      setTimeout(() => checkpoint(checkpointer, sequenceNumber, done, attempt + 1), PAUSE_MS * attempt);
      return;
    }
    if (err === 'ShutdownException') {
      // The lease has moved on; its new holder goes on from the last
      // checkpoint.
      log('checkpoint refused: ShutdownException');
      done();
      return;
    }
    log('checkpoint failed: ' + err);
    process.exit(1);
  });
}

const recordProcessor = {
  initialize(input, done) {
    log(`initialize shard=${input.shardId} at=${input.sequenceNumber}`);
    done();
  },

  processRecords(input, done) {
    const records = input.records || [];
    for (const r of records) {
      const data = Buffer.from(r.data, 'base64').toString('utf8');
      log(`record key=${r.partitionKey} seq=${r.sequenceNumber} data=${data}`);
    }
    if (records.length === 0) {
      done();
      return;
    }
    checkpoint(input.checkpointer, records[records.length - 1].sequenceNumber, done);
  },

  leaseLost(input, done) {
    log('lease lost');
    done();
  },

  shardEnded(input, done) {
    log('shard ended');
    checkpoint(input.checkpointer, null, done);
  },

  shutdownRequested(input, done) {
    log('shutdown requested');
    checkpoint(input.checkpointer, null, done);
  },
};

kcl(recordProcessor).run();
