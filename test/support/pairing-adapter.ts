// An operator's pairing adapter outside the service, run in the test process for the end-to-end tests: it verifies each
// call's JWT against the stack's JWKS (as the README's example adapter does), records the call, and answers a verified
// POST with the pairing data `answer` makes, a verified DELETE with 204, anything unverified with 401.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export interface AdapterCall {
  method: string;
  verified: boolean;
  body: Record<string, any>;
}

export interface TestPairingAdapter {
  /** The URL to configure in EXTERNAL_PAIRING_ADAPTERS (the JWTs' audience). */
  url: string;
  /** Every call, in order. */
  calls: AdapterCall[];
  close(): Promise<void>;
}

/** `jwksUrl` is asked at each call: the stack that publishes it usually starts after the adapter (it needs the URL). */
export async function startTestPairingAdapter(jwksUrl: () => string, answer: (body: Record<string, any>) => { params: Record<string, unknown>; reference?: string }): Promise<TestPairingAdapter> {
  const calls: AdapterCall[] = [];
  let url = '';
  const server = http.createServer((request, response) => void (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, any>;
    const jwt = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    const verified = await jwtVerify(jwt, createRemoteJWKSet(new URL(jwksUrl())), { audience: url, algorithms: ['ES256'], maxTokenAge: '60s' }).then(() => true, () => false);
    calls.push({ method: request.method!, verified, body });
    if (!verified) return void response.writeHead(401).end();
    if (request.method === 'DELETE') return void response.writeHead(204).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(body)));
  })());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pair`;
  return { url, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
