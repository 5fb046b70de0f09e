// A Secrets Manager that accepts connections and never answers: client-credential pairing through the Director fails cleanly (INTERNAL, nothing stored) and the log names the secret left to delete.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { config } from '../../../shared/config';
import { freshTenant, secretExists } from '../../support/local-aws';
import { administrator, director, errorCode } from '../pairing/director-calls';
import { systemAuths } from '../../support/stores';
import { aws } from '../../../functions/container';

/** A TCP server that reads requests and never answers; records what it was sent. */
async function stalledServer(): Promise<{ endpoint: string; received: () => string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let received = '';
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received: () => received,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every JSON log line written to stdout or stderr while `run` runs (Powertools writes errors to stderr). */
async function logLinesOf<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[]; text: string }> {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  let result: T;
  try {
    result = await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const text = chunks.join('');
  const lines = text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { result, lines, text };
}

const REGISTER = `mutation($name: String!) { registerApplication(in: {name: $name}) { id } }`;
const REQUEST_CREDENTIALS = `mutation($id: ID!) { requestClientCredentialsForApplication(id: $id) { id clientId clientSecret } }`;
const GENERATE = `mutation($id: ID!) { generateAuthForApplication(id: $id, type: {type: "OAUTH2_CLIENT_CREDENTIALS"}, inputParams: {}) { params } }`;

describe('client credentials while Secrets Manager stalls', () => {
  let stalled: Awaited<ReturnType<typeof stalledServer>>;
  let realEndpoint: string | undefined;

  beforeEach(async () => {
    stalled = await stalledServer();
    realEndpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  });

  afterEach(async () => {
    aws.secretsManager.destroy();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = realEndpoint;
    aws.reset();
    await stalled.close();
  });

  /** Points the Secrets Manager client at the stalled server (DynamoDB stays on DynamoDB Local). */
  function stallSecretsManager(): void {
    aws.secretsManager.destroy();
    aws.dynamo.destroy();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = stalled.endpoint;
    aws.reset();
  }

  it.each([
    ['requestClientCredentialsForApplication', REQUEST_CREDENTIALS],
    ['generateAuthForApplication OAUTH2_CLIENT_CREDENTIALS', GENERATE],
  ])('%s answers INTERNAL, stores no SystemAuth, and logs the name of the secret it could not delete', async (field, mutation) => {
    const tenant = freshTenant();
    // Signs in and registers while Secrets Manager works: the access-token keys are then cached in this process.
    const admin = await administrator(tenant);
    const registered = await director(admin.accessToken, REGISTER, { name: `stall-${randomUUID().slice(0, 8)}` });
    const appId = registered.data!.registerApplication.id as string;

    stallSecretsManager();
    const { result: answer, lines, text } = await logLinesOf(() => director(admin.accessToken, mutation, { id: appId }));

    expect(answer.statusCode).toBe(200);
    expect(answer.data).toBeNull();
    expect(errorCode(answer)).toBe('INTERNAL');
    expect(answer.errors).toEqual([expect.objectContaining({ message: 'Could not create the OAuth client', path: [field.split(' ')[0]] })]);
    expect(answer.raw).not.toMatch(/timeout|ETIMEDOUT|smithy|secretsmanager|127\.0\.0\.1/i);

    // The secret the stalled service was asked to create, and the name the log hands to an operator.
    const secretName = /"Name":"([^"]+)"/.exec(stalled.received())?.[1];
    const secretValue = /"SecretString":"([^"]+)"/.exec(stalled.received())?.[1];
    expect(secretValue).toEqual(expect.any(String));
    expect(secretName).toMatch(new RegExp(`^${config().secretsPrefix}/oauth-clients/[0-9a-f-]{36}$`));
    expect(lines).toContainEqual(expect.objectContaining({
      level: 'ERROR',
      message: 'could not delete the secret of an OAuth client that was not created: delete it by hand',
      secretName,
    }));
    expect(text).not.toContain(secretValue!);

    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = realEndpoint;
    aws.reset();
    expect(await systemAuths.listOfApplication(tenant, appId)).toEqual([]);
    expect(await secretExists(secretName!)).toBe(false);
  }, 60_000);
});
