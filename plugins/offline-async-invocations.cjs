// serverless plugin, local stack only: a failed asynchronous invocation is logged, as Lambda does, instead of ending serverless-offline.
'use strict';

// Why: serverless-offline 14 answers an Invoke with InvocationType Event (202) and runs the function without awaiting
// or catching the run (src/lambda/routes/invocations/InvocationsController.js). A handler that throws, or runs past
// its timeout, leaves a rejected promise nobody handles; Node turns it into an uncaught exception, and osls ends the
// process on the first one, taking the whole local API down mid-session. On AWS the same failure is an error in the
// function's logs and metrics (and a retry); the caller never learns of it. This keeps serverless-offline running and
// logs the failure in its place. test/e2e/crl.test.ts fails if an upgrade makes this stop working.
//
// Only rejections are caught: an uncaught exception still ends the process as before. A rejection carries no origin,
// so any other unhandled one in this process is logged the same way.

const INSTALLED = Symbol.for('pairing-service.offline-async-invocations');

function logFailedAsynchronousInvocations() {
  if (process[INSTALLED]) return;
  process[INSTALLED] = true;
  process.on('unhandledRejection', (reason) => {
    const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    process.stderr.write(`[offline] an asynchronous invocation (or other background work) failed: ${message}\n`);
  });
}

class OfflineAsyncInvocations {
  constructor() {
    this.hooks = {
      'before:offline:start': logFailedAsynchronousInvocations,
      'before:offline:start:init': logFailedAsynchronousInvocations,
    };
  }
}

module.exports = OfflineAsyncInvocations;
