// Every client AwsClients makes is bounded in time: against an endpoint that accepts and never answers, a call fails
// instead of holding its caller (a CRL build, a revocation's rebuild trigger) until the function's own timeout.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { AwsClients } from '../../../shared/aws/clients';
import { LambdaCrlTrigger } from '../../../shared/crl/trigger';

const LIMITS = { connectionTimeoutMs: 500, requestTimeoutMs: 300, maxAttempts: 1, tokensInvokeTimeoutMs: 60 * 60_000 };
const ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_LAMBDA', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

describe('AwsClients against a stalled endpoint', () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  let requests = 0;
  const saved: Partial<Record<(typeof ENDPOINT_VARIABLES)[number], string>> = {};

  beforeAll(async () => {
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => (requests += 1));
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const name of ENDPOINT_VARIABLES) saved[name] = process.env[name];
    Object.assign(process.env, { AWS_ENDPOINT_URL_S3: endpoint, AWS_ENDPOINT_URL_LAMBDA: endpoint, AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  });

  afterAll(async () => {
    for (const name of ENDPOINT_VARIABLES) if (saved[name] === undefined) delete process.env[name]; else process.env[name] = saved[name];
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('an S3 read fails after the request bound, and addresses the bucket by path', async () => {
    const clients = new AwsClients(() => LIMITS);
    const before = requests;
    await expect(clients.s3.send(new GetObjectCommand({ Bucket: 'crls', Key: 'crl/ca-1.crl' }))).rejects.toThrow();
    expect(requests).toBe(before + 1);
    expect(await clients.s3.config.forcePathStyle).toBe(true);
  });

  test('an asynchronous invoke is bounded like any call, not by the synchronous invoke timeout', async () => {
    const clients = new AwsClients(() => LIMITS);
    await expect(clients.eventLambda.send(new InvokeCommand({ FunctionName: 'crl', InvocationType: 'Event', Payload: Buffer.from('{}') }))).rejects.toThrow();
  });

  test('a revocation whose CRL trigger stalls still completes (the schedule builds the CRL)', async () => {
    const clients = new AwsClients(() => LIMITS);
    await expect(new LambdaCrlTrigger(clients.eventLambda, 'crl').revoked('ca-1')).resolves.toBeUndefined();
  });
});
