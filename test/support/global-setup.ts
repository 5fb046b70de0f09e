// Jest global setup: starts DynamoDB Local and moto on free ports, points the SDK of every test worker at them, and creates the `test` stage's tables.
import fs from 'node:fs';
import { startDynamoDbLocal, startMoto, type LocalAwsService } from '../../local/aws-services';
import { freePort } from '../../local/processes';
import { describeRuntime, runtimeMismatch } from '../../local/node-runtime';
import { createStageTables } from '../../local/tables';
import { LOCAL_AWS_HANDLES, testEnvironment } from './local-aws';
import { LOG_RECORDS_DIR } from './log-records';

export default async function globalSetup(): Promise<void> {
  // The suite stands for the deployed functions only on the Node.js major they deploy on; the workers are this Node too.
  const mismatch = runtimeMismatch();
  if (mismatch) throw new Error(mismatch);
  console.log(`tests run on Node.js ${describeRuntime()}`);
  // Each run's log records start afresh.
  fs.rmSync(LOG_RECORDS_DIR, { recursive: true, force: true });
  const started: LocalAwsService[] = [];
  (globalThis as Record<string, unknown>)[LOCAL_AWS_HANDLES] = started;
  try {
    const [dynamoPort, motoPort] = [await freePort(), await freePort()];
    const [dynamo, moto] = await Promise.all([
      startDynamoDbLocal({ port: dynamoPort }).then((s) => (started.push(s), s)),
      startMoto({ port: motoPort }).then((s) => (started.push(s), s)),
    ]);
    // Workers are forked after global setup and inherit this environment.
    Object.assign(process.env, testEnvironment(dynamo.endpoint, moto.endpoint));
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    await createStageTables('test', dynamo.endpoint);
    // The test stage's access-token signing key in moto's KMS (what the bootstrap does in AWS, and npm start locally).
    const { kmsAdmin, signingKeyLifecycle } = await import('../../functions/container');
    const { clientSecretMacKeyAlias } = await import('../../shared/config');
    // And its client-secret verifier key (serverless.yml ClientSecretMacKey), used by the `verifier` jest project.
    await Promise.all([signingKeyLifecycle.ensure(), kmsAdmin.ensureMacKey(clientSecretMacKeyAlias('test'), 'client-secret verifiers of the test stage')]);
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
}
