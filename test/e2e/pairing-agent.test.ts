// End to end against `npm start` with certificates of 24 s: pairing-agent pairs from the JSON Cockpit shows, `run` renews
// (twice, through a 10 s Connector outage, and under a rotated CA) while mTLS calls through the library never fail, a
// revocation stops `run` and `status` with the revoked code, a killed renewal leaves a working pair, bad input writes nothing.
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { graphqlOverMtls, PairedHttpsAgent } from '../../agent/src/index';
import { postJson } from '../support/clients';
import { adminAccessToken, startLocalStack, START_TIMEOUT_MS, storedState, type LocalStack } from '../support/local-stack';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '../..');
const BIN = path.join(root, 'agent', 'bin', 'pairing-agent.js');
/** The lifetime of every certificate of this stack: renewals every ~16 s. */
const LIFETIME_SECONDS = 24;
const EXIT = { ok: 0, badInput: 2, revoked: 5 };

let stack: LocalStack;
let work: string;
let adminToken: string;
/** Every private key the agent wrote, to look for afterwards where it must not be. */
const keysSeen = new Set<string>();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The agent's command line, as `npx pairing-agent` runs it (node on the package's bin). */
function agent(args: string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.on('error', (error) => resolve({ code: null, stdout, stderr: `${stderr}${error.message}` }));
    child.stdin.on('error', () => undefined); // a child that ends before reading its input
    child.stdin.end(input ?? '');
  });
}

const director = (query: string, variables: Record<string, unknown> = {}) =>
  postJson(`${stack.baseUrl}/director/graphql`, { Authorization: `Bearer ${adminToken}` }, { query, variables });

async function pairingData(name: string, type: 'CLIENT_CERTIFICATE' | 'OAUTH2_CLIENT_CREDENTIALS') {
  const registered = await director('mutation($name: String!) { registerApplication(in: {name: $name}) { id } }', { name });
  const appId = registered.data.registerApplication.id as string;
  const answer = await director(
    'mutation($id: ID!, $type: String!) { generateAuthForApplication(id: $id, type: {type: $type}, inputParams: {}) { type systemAuthID params expiresAt } }',
    { id: appId, type },
  );
  return { appId, answer: answer as unknown as Record<string, unknown> };
}

async function pairedDir(name: string, extra: string[] = []): Promise<{ dir: string; appId: string; systemAuthId: string }> {
  const { appId, answer } = await pairingData(name, 'CLIENT_CERTIFICATE');
  const dir = path.join(work, name);
  const paired = await agent(['pair', '--dir', dir, '--server-ca', stack.serverCaFile, ...extra], JSON.stringify(answer));
  expect(paired).toMatchObject({ code: 0 });
  keysSeen.add(fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'));
  return { dir, appId, systemAuthId: JSON.parse(paired.stdout).systemAuthId };
}

const liveSerial = (dir: string) => new X509Certificate(fs.readFileSync(path.join(dir, 'cert.pem'))).serialNumber.toLowerCase();

async function certificatesOf(appId: string): Promise<Array<{ serialNumber: string; revoked: boolean; caId: string }>> {
  const answer = await director('query($id: ID!) { application(id: $id) { auths { certificates { serialNumber revoked caId } } } }', { id: appId });
  return answer.data.application.auths.flatMap((auth: { certificates: unknown[] | null }) => auth.certificates ?? []);
}

/** A TCP relay to the mTLS endpoint that the test can cut (connections refused) and restore. */
function connectorRelay(targetPort: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  let port = 0;
  return {
    url: () => `https://127.0.0.1:${port}/connector/graphql`,
    listen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => ((port = (server.address() as net.AddressInfo).port), resolve()))),
    cut: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    }),
  };
}

/** The agent with `args`, SIGKILLed after `delayMs` unless it ended before; resolves once it is gone. */
async function killedAfter(delayMs: number, args: string[]): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work, stdio: 'ignore' });
  // Listening from the start: a child that ends before the kill must not leave the test waiting for a 'close' long past.
  const closed = new Promise((resolve) => {
    child.on('close', resolve);
    child.on('error', resolve);
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  await closed;
}

/** A `run` in the background with its event lines. */
function startRun(dir: string, extra: string[] = []) {
  const child = spawn(process.execPath, [BIN, 'run', '--dir', dir, '--check-interval', '1', '--retire-after', '1', '--max-backoff', '2', ...extra], { cwd: work });
  const events: Array<Record<string, any>> = [];
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        events.push(JSON.parse(line));
      } catch {
        events.push({ event: 'text', line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = async (predicate: (event: Record<string, any>) => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`run: no ${what} within ${timeoutMs} ms; its events:\n${events.map((event) => JSON.stringify(event)).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { child, events, exited, waitFor };
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pairing-agent-'));
  stack = await startLocalStack({ name: 'pairing-agent', env: { CERTIFICATE_VALIDITY_SECONDS: String(LIFETIME_SECONDS) } });
  adminToken = await adminAccessToken(stack);
}, START_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('pair', () => {
  it('pairs with `npx pairing-agent` from the JSON Cockpit shows (extra fields ignored); key 0600; mTLS calls through the library succeed', async () => {
    const { appId, answer } = await pairingData('agent-cockpit', 'CLIENT_CERTIFICATE');
    const dir = path.join(work, 'cockpit');
    const cockpitJson = JSON.stringify({ ...answer, copiedFrom: 'cockpit' });
    const paired = spawnSync('npx', ['pairing-agent', 'pair', '--dir', dir, '--server-ca', stack.serverCaFile], { cwd: root, input: cockpitJson, encoding: 'utf8' });
    expect({ status: paired.status, stderr: paired.stderr.replace(/^npm warn .*\n/gm, '') }).toEqual({ status: 0, stderr: '' });
    const out = JSON.parse(paired.stdout);
    expect(out).toMatchObject({ caId: 'ca-1', systemAuthId: (answer as any).data.generateAuthForApplication.systemAuthID });
    expect(fs.statSync(path.join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    const certificate = new X509Certificate(fs.readFileSync(path.join(dir, 'cert.pem')));
    expect(certificate.checkPrivateKey(createPrivateKey(fs.readFileSync(path.join(dir, 'key.pem'))))).toBe(true);
    expect(certificate.verify(new X509Certificate(fs.readFileSync(path.join(dir, 'ca.pem'))).publicKey)).toBe(true);
    expect(certificate.serialNumber.toLowerCase()).toBe(out.serial);
    keysSeen.add(fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'));

    const library = new PairedHttpsAgent(dir);
    try {
      const viewer = await graphqlOverMtls<{ viewer: { id: string; type: string } }>(library, `${stack.mtlsUrl}/director/graphql`, '{ viewer { id type } }');
      expect(viewer).toMatchObject({ status: 200, data: { viewer: { id: appId, type: 'APPLICATION' } } });
    } finally {
      library.destroy();
    }

    // The token is spent: the same data again is refused, and a new --dir is not even created.
    const again = await agent(['pair', '--dir', path.join(work, 'spent'), '--server-ca', stack.serverCaFile], cockpitJson);
    expect(again.code).toBe(EXIT.badInput);
    expect(again.stderr).toMatch(/one-time token was refused: The one-time token is unknown, expired or already used; nothing was written/);
    expect(fs.existsSync(path.join(work, 'spent'))).toBe(false);

    // A --dir holding a live pairing is kept.
    const fresh = await pairingData('agent-occupied', 'CLIENT_CERTIFICATE');
    const occupied = await agent(['pair', '--dir', dir], (fresh.answer as any).data.generateAuthForApplication.params.rawEncoded);
    expect(occupied.code).toBe(EXIT.badInput);
    expect(occupied.stderr).toMatch(/already holds a live pairing .*use --force/);
    expect(liveSerial(dir)).toBe(out.serial);
  });

  it('refuses pairing data it cannot use, an unwritable --dir and a bad --server-ca, naming the problem and writing nothing', async () => {
    const blocker = path.join(work, 'a-file');
    fs.writeFileSync(blocker, '');
    const token = { token: 'x'.repeat(43), connectorURL: `${stack.baseUrl}/connector/graphql` };
    const cases: Array<[string[], string, RegExp]> = [
      [['pair', '--dir', path.join(work, 'bad1')], '{"data":{"generateAuthForApplication":{"type":"PRIVATE_KEY_JWT","params":{}}}}', /pairing data of type PRIVATE_KEY_JWT/],
      [['pair', '--dir', path.join(work, 'bad2')], '{"hello":"world"}', /no a one-time token \(token and connectorURL\) or client credentials .*fields present: hello/],
      [['pair', '--dir', path.join(work, 'bad3')], 'not pairing data at all', /neither JSON nor a rawEncoded/],
      [['pair', '--dir', path.join(work, 'bad4')], JSON.stringify({ type: 'OAUTH2_CLIENT_CREDENTIALS', params: { clientId: 'c', tokenUrl: 'http://127.0.0.1/t' } }), /without clientSecret/],
      [['pair', '--dir', path.join(blocker, 'below')], JSON.stringify(token), /is not a writable directory/],
      [['pair', '--dir', path.join(work, 'bad5'), '--server-ca', blocker], JSON.stringify(token), /--server-ca .*not a readable PEM certificate/],
      [['pair', '--dir', path.join(work, 'bad6')], JSON.stringify(token), /one-time token was refused/],
      [['pair', '--dir', path.join(work, 'bad7'), '--token', 'abc'], '', /--token and --connector-url go together/],
      [['renew', '--dir', path.join(work, 'bad8')], '', /holds no pairing/],
    ];
    const results = await Promise.all(cases.map(([args, input]) => agent(args, input)));
    results.forEach((result, i) => {
      expect({ i, code: result.code, stdout: result.stdout }).toEqual({ i, code: EXIT.badInput, stdout: '' });
      expect(result.stderr).toMatch(cases[i]![2]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
    for (const name of ['bad1', 'bad2', 'bad3', 'bad4', 'bad5', 'bad6', 'bad7', 'bad8']) expect(fs.existsSync(path.join(work, name))).toBe(false);
  });

  it('asks again with the same CSR when the answer to signCertificateSigningRequest is lost: one certificate, no token wasted (--token, --connector-url)', async () => {
    const { appId, answer } = await pairingData('agent-lost-answer', 'CLIENT_CERTIFICATE');
    const { token } = (answer as any).data.generateAuthForApplication.params;
    // The Connector through a relay that passes the first signing request on and then drops the connection unanswered.
    let dropped = 0;
    const relay = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const upstream = await fetch(`${stack.baseUrl}${request.url}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Connector-Token': String(request.headers['connector-token']) },
          body,
        });
        const text = await upstream.text();
        if (body.includes('signCertificateSigningRequest') && dropped++ === 0) return void request.socket.destroy();
        response.writeHead(upstream.status, { 'Content-Type': 'application/json' }).end(text);
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
    try {
      const dir = path.join(work, 'lost-answer');
      const connectorUrl = `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}/connector/graphql`;
      const paired = await agent(['pair', '--dir', dir, '--server-ca', stack.serverCaFile, '--token', token, '--connector-url', connectorUrl]);
      expect(paired.code).toBe(0);
      expect(dropped).toBe(2);
      expect(paired.stderr).toMatch(/"event":"retry","what":"signCertificateSigningRequest","attempt":1/);
      remember(dir);
      const certificates = await certificatesOf(appId);
      expect(certificates.map((certificate) => certificate.serialNumber)).toEqual([liveSerial(dir)]);
    } finally {
      relay.close();
    }
  });

  it('stores client credentials (0600) and `token` prints a cached access token that the Director accepts', async () => {
    const { appId, answer } = await pairingData('agent-oauth', 'OAUTH2_CLIENT_CREDENTIALS');
    const dir = path.join(work, 'oauth');
    const paired = await agent(['pair', '--dir', dir], JSON.stringify(answer));
    expect(paired.code).toBe(0);
    expect(fs.statSync(path.join(dir, 'credentials.json')).mode & 0o777).toBe(0o600);
    const first = await agent(['token', '--dir', dir]);
    const second = await agent(['token', '--dir', dir]);
    expect(first.code).toBe(0);
    const token = JSON.parse(first.stdout);
    expect(JSON.parse(second.stdout).access_token).toBe(token.access_token);
    const viewer = await postJson(`${stack.baseUrl}/director/graphql`, { Authorization: `Bearer ${token.access_token}` }, { query: '{ viewer { id type } }' });
    expect(viewer.data.viewer).toEqual({ id: appId, type: 'APPLICATION' });
  });
});

describe('run', () => {
  it('renews twice (once through a 10 s Connector outage) and under a rotated CA while library calls never fail; predecessors are retired; retire-ca needs no --force; a revocation stops it and status with code 5', async () => {
    const { dir, appId, systemAuthId } = await pairedDir('fleet-member');
    // The agent reaches the mTLS Connector through a relay the test can cut; the library calls go straight to the endpoint.
    const relay = connectorRelay(stack.ports.MTLS_PORT);
    await relay.listen();
    const statePath = path.join(dir, 'state.json');
    fs.writeFileSync(statePath, JSON.stringify({ ...JSON.parse(fs.readFileSync(statePath, 'utf8')), certificateSecuredConnectorUrl: relay.url() }));

    const run = startRun(dir);
    const library = new PairedHttpsAgent(dir);
    const failures: string[] = [];
    let calls = 0;
    let looping = true;
    const loop = (async () => {
      while (looping) {
        try {
          const answer = await graphqlOverMtls<{ viewer: { id: string } }>(library, `${stack.mtlsUrl}/director/graphql`, '{ viewer { id } }');
          if (answer.data?.viewer?.id !== appId) failures.push(`${new Date().toISOString()} ${liveSerial(dir)} ${JSON.stringify(answer)}`);
        } catch (error) {
          failures.push(`${new Date().toISOString()} ${(error as Error).message}`);
        }
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const renewedCount = () => run.events.filter((event) => event.event === 'renewed').length;
    const remember = () => keysSeen.add(fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'));
    try {
      const first = await run.waitFor((event) => event.event === 'renewed', 30_000, 'first renewal');
      remember();
      // The next renewal point is 14.8 to 16 s after the first renewal: cut the Connector from 9 s to 19 s.
      await new Promise((resolve) => setTimeout(resolve, 9_000));
      await relay.cut();
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      expect(renewedCount()).toBe(1);
      await relay.listen();
      const second = await run.waitFor((event) => event.event === 'renewed' && event.serial !== first.serial, 15_000, 'second renewal');
      remember();
      expect(run.events.some((event) => event.event === 'retrying' && /no answer from https:\/\/127\.0\.0\.1:\d+\/connector\/graphql: ECONNREFUSED/.test(event.reason))).toBe(true);

      // Rotate the CA: the agent renews under ca-2 within its next checks, and retires its ca-1 certificate.
      const rotated = spawnSync('npm', ['run', '--silent', 'admin', '--', 'rotate-ca'], { cwd: root, env: { ...process.env, LOCAL_STATE_DIR: stack.stateDir }, encoding: 'utf8' });
      expect(JSON.parse(rotated.stdout)).toMatchObject({ previousCaId: 'ca-1', currentCaId: 'ca-2' });
      const underNewCa = await run.waitFor((event) => event.event === 'renewed' && event.caId === 'ca-2', 30_000, 'renewal under ca-2');
      remember();
      await run.waitFor((event) => event.event === 'retired' && event.by === underNewCa.serial, 10_000, 'retirement of the ca-1 certificate');
      expect(renewedCount()).toBeGreaterThanOrEqual(3);

      // Every certificate but the live one is retired (revoked), the ca-1 ones included.
      const live = liveSerial(dir);
      expect(live).toBe(run.events.filter((event) => event.event === 'renewed').at(-1)!.serial);
      const certificates = await certificatesOf(appId);
      for (const serial of [first.previous, first.serial, second.serial]) expect(certificates.find((c) => c.serialNumber === serial)).toMatchObject({ revoked: true });
      expect(certificates.find((c) => c.serialNumber === live)).toMatchObject({ revoked: false, caId: 'ca-2' });

      // The other ca-1 certificates of this stack (the pair tests') have expired by now: ca-1 retires without --force.
      const retired = spawnSync('npm', ['run', '--silent', 'admin', '--', 'retire-ca', '--id', 'ca-1'], { cwd: root, env: { ...process.env, LOCAL_STATE_DIR: stack.stateDir }, encoding: 'utf8' });
      expect(retired.stderr).toBe('');
      expect(JSON.parse(retired.stdout)).toMatchObject({ caId: 'ca-1', forced: false, liveCertificates: 0 });

      looping = false;
      await loop;
      expect({ failures, events: failures.length ? run.events : [] }).toEqual({ failures: [], events: [] });
      expect(calls).toBeGreaterThan(50);

      // An administrator revokes the live certificate: run stops with the revoked code at its next check, and so does status.
      const revoked = await director('mutation($id: ID!, $serial: String) { revokeIssuedCertificate(authID: $id, serialNumber: $serial) { serialNumber } }', { id: systemAuthId, serial: liveSerial(dir) });
      expect(revoked.errors).toBeUndefined();
      expect(await run.exited).toBe(EXIT.revoked);
      expect(run.events.at(-1)).toMatchObject({ event: 'refused', reason: expect.stringMatching(/The client certificate has been revoked/) });
      const status = await agent(['status', '--dir', dir]);
      expect(status.code).toBe(EXIT.revoked);
      expect(JSON.parse(status.stdout)).toMatchObject({ condition: 'revoked', accepted: false, serial: liveSerial(dir), caId: 'ca-2' });
    } finally {
      looping = false;
      await loop;
      library.destroy();
      run.child.kill('SIGKILL');
      await relay.cut();
    }
  });

  it('a renewal killed midway leaves a valid key/certificate pair, and the next renewal finishes the job (EC P-256 keys)', async () => {
    const { dir, appId } = await pairedDir('killed', ['--key-type', 'ec-p256']);
    expect(createPrivateKey(fs.readFileSync(path.join(dir, 'key.pem'))).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    const before = liveSerial(dir);
    // Killed while waiting for the signed certificate (the relay accepts but never forwards), and at random instants.
    const hanging = net.createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
    const statePath = path.join(dir, 'state.json');
    const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    fs.writeFileSync(statePath, JSON.stringify({ ...state, certificateSecuredConnectorUrl: `https://127.0.0.1:${(hanging.address() as net.AddressInfo).port}/connector/graphql` }));
    await killedAfter(1_500, ['renew', '--dir', dir, '--force']);
    hanging.close();
    expect(liveSerial(dir)).toBe(before);
    fs.writeFileSync(statePath, JSON.stringify(state));

    for (const delayMs of [450, 600, 750]) {
      await killedAfter(delayMs, ['renew', '--dir', dir, '--force']);
      const certificate = new X509Certificate(fs.readFileSync(path.join(dir, 'cert.pem')));
      expect(certificate.checkPrivateKey(createPrivateKey(fs.readFileSync(path.join(dir, 'key.pem'))))).toBe(true);
      remember(dir);
    }
    const library = new PairedHttpsAgent(dir);
    try {
      const viewer = await graphqlOverMtls<{ viewer: { id: string } }>(library, `${stack.mtlsUrl}/director/graphql`, '{ viewer { id } }');
      expect(viewer.data?.viewer.id).toBe(appId);
    } finally {
      library.destroy();
    }
    const finished = await agent(['renew', '--dir', dir, '--force']);
    expect(finished.code).toBe(0);
    remember(dir);
    expect(fs.readdirSync(dir).filter((entry) => entry.startsWith('gen-') || entry.endsWith('.tmp'))).toEqual([`gen-${liveSerial(dir)}`]);
    const live = (await certificatesOf(appId)).filter((certificate) => !certificate.revoked);
    expect(live.map((certificate) => certificate.serialNumber)).toEqual([liveSerial(dir)]);
  });

  it('run stops on SIGTERM with 0; status exits 0 while valid, 3 once due, 6 when the service does not answer, 4 once expired', async () => {
    const dir = path.join(work, 'killed');
    const valid = await agent(['status', '--dir', dir]);
    expect({ code: valid.code, ...JSON.parse(valid.stdout) }).toMatchObject({ code: EXIT.ok, condition: 'valid', accepted: true, serial: liveSerial(dir), caId: 'ca-2' });
    const run = startRun(dir);
    await run.waitFor((event) => event.event === 'checked', 15_000, 'first check');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(EXIT.ok);
    expect(run.events.at(-1)).toMatchObject({ event: 'stopped' });
    const due = await agent(['status', '--dir', dir, '--renew-after', '0.001']);
    expect({ code: due.code, ...JSON.parse(due.stdout) }).toMatchObject({ code: 3, condition: 'renewal-due', secondsUntilRenewal: 0 });
    const statePath = path.join(dir, 'state.json');
    const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    fs.writeFileSync(statePath, JSON.stringify({ ...state, directorUrl: `https://127.0.0.1:${port}/director/graphql` }));
    const unreachable = await agent(['status', '--dir', dir]);
    expect({ code: unreachable.code, ...JSON.parse(unreachable.stdout) }).toMatchObject({ code: 6, condition: 'unreachable', accepted: null });
    // The first test's certificate has outlived its 24 s.
    const expired = await agent(['status', '--dir', path.join(work, 'cockpit')]);
    expect({ code: expired.code, ...JSON.parse(expired.stdout) }).toMatchObject({ code: 4, condition: 'expired' });
  });

  it('no private key the agent wrote appears in DynamoDB, Secrets Manager or the stack output', async () => {
    expect(keysSeen.size).toBeGreaterThanOrEqual(5);
    const stored = JSON.stringify(await storedState(stack));
    const output = stack.output();
    for (const pem of keysSeen) {
      const body = pem.split('\n').filter((line) => line && !line.startsWith('-----'));
      for (const line of [body[1]!, body.at(-2)!]) {
        expect(stored).not.toContain(line);
        expect(output).not.toContain(line);
      }
    }
  });
});

function remember(dir: string) {
  keysSeen.add(fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'));
}
