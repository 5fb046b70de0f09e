// `npm start` end to end: ready line, .local files, OAuth and Director over HTTP, tenants kept apart,
// the admin CLI, reachable from this machine only, and a SIGTERM that leaves no process and no busy port behind.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertPortFree, freePort, processAlive, sleep } from '../../local/processes';
import { corsPreflight, simpleCrossOriginPost } from '../support/cors-preflight';
import { describeSockets, listeningSockets, processTree, reachableBeyondLoopback } from '../support/listening-sockets';
import { freeStackPorts, removeStackFolders, stackEnvironment, START_TIMEOUT_MS, type StackPorts } from '../support/local-stack';

// Each step runs real processes (curl, openssl, the stack's functions): bounded generously, a loaded machine is slow.
jest.setTimeout(120_000);

const root = path.resolve(__dirname, '../..');

interface Stack {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * Runs `npm start` itself (not start.ts, as startLocalStack does) in its own process group, as a developer's
 * terminal would: these tests signal that group and look at its processes.
 */
function npmStart(stateDir: string, ports: StackPorts): Stack {
  const child = spawn('npm', ['start'], { cwd: root, env: stackEnvironment(stateDir, ports), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function waitForReadyLine(stack: Stack): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const line = stack.stdout().split('\n').find((l) => /\bready\b/.test(l));
    if (line) return line;
    if (stack.child.exitCode !== null) throw new Error(`npm start exited with ${stack.child.exitCode}: ${stack.stderr().slice(-600)}`);
    await sleep(200);
  }
  throw new Error(`no ready line within ${START_TIMEOUT_MS / 1000} s: ${stack.stderr().slice(-600)}`);
}

async function postForm(url: string, form: Record<string, string>, basic?: [string, string]) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function adminCli(args: string[], stateDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'admin', '--', ...args], { cwd: root, env: { ...process.env, LOCAL_STATE_DIR: stateDir }, timeout: 60000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm start', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-stack-'));
  let ports: StackPorts;
  let stack: Stack;
  let readyLine: string;
  let base: string;

  beforeAll(async () => {
    ports = await freeStackPorts();
    base = `http://127.0.0.1:${ports.PORT}`;
    stack = npmStart(stateDir, ports);
    readyLine = await waitForReadyLine(stack);
  }, START_TIMEOUT_MS + 10000);

  afterAll(async () => {
    // A safety net when a test failed before the SIGTERM test ran.
    if (stack?.child.exitCode === null) {
      try {
        process.kill(-stack.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeStackFolders(stateDir);
  });

  test('prints one ready line on stdout naming the HTTP endpoints', () => {
    expect(readyLine).toContain(base);
    expect(readyLine).toContain(`${base}/oauth2/token`);
    expect(readyLine).toContain(`cockpit ${base}/cockpit;`);
    expect(stack.stdout().split('\n').filter((l) => /\bready\b/.test(l))).toHaveLength(1);
  });

  test('writes the default tenant administrator to LOCAL_STATE_DIR/admin.json, owner-only', () => {
    const file = path.join(stateDir, 'admin.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const admin = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(admin).sort()).toEqual(['clientId', 'clientSecret', 'directorUrl', 'tenant', 'tokenUrl']);
    expect(admin).toMatchObject({ tenant: 'default', tokenUrl: `${base}/oauth2/token`, directorUrl: `${base}/director/graphql` });
  });

  test('writes stack.json with the endpoints and no secret', () => {
    const text = fs.readFileSync(path.join(stateDir, 'stack.json'), 'utf8');
    const admin = JSON.parse(fs.readFileSync(path.join(stateDir, 'admin.json'), 'utf8')) as { clientSecret: string };
    expect(text).not.toContain(admin.clientSecret);
    expect(JSON.parse(text)).toMatchObject({
      stage: 'local',
      endpoints: { publicBaseUrl: base, dynamodb: `http://127.0.0.1:${ports.LOCAL_DYNAMODB_PORT}`, secretsManager: `http://127.0.0.1:${ports.LOCAL_AWS_PORT}` },
    });
  });

  describe('over HTTP', () => {
    const admin = () => JSON.parse(fs.readFileSync(path.join(stateDir, 'admin.json'), 'utf8')) as { clientId: string; clientSecret: string };
    const token = async (clientId: string, clientSecret: string) => postForm(`${base}/oauth2/token`, { grant_type: 'client_credentials' }, [clientId, clientSecret]);
    const director = async (bearer: string, query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(`${base}/director/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    };
    const register = `mutation($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id name } }`;

    test('the administrator gets an access token whose key is published in the JWKS', async () => {
      const { clientId, clientSecret } = admin();
      const grant = await token(clientId, clientSecret);
      expect(grant.status).toBe(200);
      expect(grant.json).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
      const header = JSON.parse(Buffer.from(String(grant.json.access_token).split('.')[0], 'base64url').toString()) as { kid: string };
      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
      const metadata = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ token_endpoint: `${base}/oauth2/token`, jwks_uri: `${base}/.well-known/jwks.json` });
    });

    test('an application registered by one tenant is invisible to another tenant made with the admin CLI; revoke ends that admin', async () => {
      const { clientId, clientSecret } = admin();
      const first = String((await token(clientId, clientSecret)).json.access_token);
      const name = `e2e-${Date.now().toString(36)}`;
      const registered = await director(first, register, { in: { name } });
      const app = registered.data?.registerApplication as { id: string; name: string };
      expect(app).toMatchObject({ name });
      const listed = await director(first, '{ applications { data { id } } }');
      expect((listed.data?.applications as { data: { id: string }[] }).data.map((a) => a.id)).toContain(app.id);

      const created = await adminCli(['create', '--tenant', 'e2e-other'], stateDir);
      expect(created.code).toBe(0);
      const other = JSON.parse(created.stdout) as { clientId: string; clientSecret: string; tenant: string; tokenUrl: string };
      expect(other).toMatchObject({ tenant: 'e2e-other', tokenUrl: `${base}/oauth2/token` });
      const second = String((await token(other.clientId, other.clientSecret)).json.access_token);
      const seen = await director(second, 'query($id: ID!) { application(id: $id) { id } }', { id: app.id });
      expect(seen.data).toEqual({ application: null });
      const otherList = await director(second, '{ applications { data { id } } }');
      expect((otherList.data?.applications as { data: { id: string }[] }).data.map((a) => a.id)).not.toContain(app.id);

      const revoked = await adminCli(['revoke', '--client-id', other.clientId], stateDir);
      expect(revoked.code).toBe(0);
      expect(JSON.parse(revoked.stdout)).toEqual({ clientId: other.clientId, revoked: true });
      const refused = await token(other.clientId, other.clientSecret);
      expect(refused.status).toBe(401);
      expect(refused.json).toMatchObject({ error: 'invalid_client' });
    });
  });

  describe('Cockpit', () => {
    const securityHeaders = (response: Response) => ({
      csp: response.headers.get('content-security-policy'),
      nosniff: response.headers.get('x-content-type-options'),
      referrer: response.headers.get('referrer-policy'),
      frames: response.headers.get('x-frame-options'),
    });
    const expectSecurityHeaders = (response: Response) => {
      const headers = securityHeaders(response);
      expect(headers).toEqual({ csp: expect.stringContaining("script-src 'self'"), nosniff: 'nosniff', referrer: 'no-referrer', frames: 'DENY' });
      expect(headers.csp).toContain("default-src 'none'");
      expect(headers.csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    };

    test('GET /cockpit is the page, and every file it references is served with its type, cached for good', async () => {
      const pageUrl = `${base}/cockpit`;
      const response = await fetch(pageUrl);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expectSecurityHeaders(response);
      const html = await response.text();
      expect(html).toContain('<div id="root"></div>');
      const references = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(references.some((r) => r.endsWith('.js'))).toBe(true);
      expect(references.some((r) => r.endsWith('.css'))).toBe(true);
      const types: Record<string, string> = { js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };
      for (const reference of references) {
        const url = new URL(reference, pageUrl); // as a browser resolves it
        expect(url.pathname.startsWith('/cockpit/')).toBe(true);
        // The same file from the page at /cockpit/ (trailing slash): the references are absolute paths.
        expect(new URL(reference, `${pageUrl}/`).href).toBe(url.href);
        const file = await fetch(url);
        const body = await file.text();
        expect({ reference, status: file.status }).toEqual({ reference, status: 200 });
        expect(file.headers.get('content-type')).toBe(`${types[reference.split('.').pop()!]}; charset=utf-8`);
        expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expectSecurityHeaders(file);
        expect(body.length).toBeGreaterThan(0);
      }
    });

    test('an unknown or traversing file name is a 404 with the same headers', async () => {
      for (const name of ['app-unknown.js', '..%2Fserverless.yml', '%2e%2e%2fpackage.json', '__proto__']) {
        const response = await fetch(`${base}/cockpit/${name}`);
        await response.arrayBuffer();
        expect({ name, status: response.status }).toEqual({ name, status: 404 });
        expectSecurityHeaders(response);
      }
    });
  });

  describe('reachable from this machine only', () => {
    test('every socket its processes listen on is bound to 127.0.0.1 or ::1, or lies in a network namespace with nothing but lo', () => {
      const sockets = listeningSockets(processTree(stack.child.pid!));
      // Not vacuous: each port of the stack is there, on the machine's network.
      const hostPorts = new Set(sockets.filter((socket) => socket.hostNamespace).map((socket) => socket.port));
      expect(Object.values(ports).filter((port) => !hostPorts.has(port))).toEqual([]);
      expect(describeSockets(sockets.filter(reachableBeyondLoopback))).toEqual([]);
    });

    test('a web page of another origin may not call DynamoDB Local, moto or the Lambda endpoint: their preflights allow no origin', async () => {
      const origins = ['http://attacker.example', 'null', base];
      const invoke = '/2015-03-31/functions/pairing-service-local-tokens/invocations';
      const services = [
        ['DynamoDB Local', `http://127.0.0.1:${ports.LOCAL_DYNAMODB_PORT}/`],
        ['moto', `http://127.0.0.1:${ports.LOCAL_AWS_PORT}/`],
        ['Lambda endpoint', `http://127.0.0.1:${ports.OFFLINE_LAMBDA_PORT}${invoke}`],
      ] as const;
      for (const [service, url] of services) {
        for (const origin of origins) {
          const answer = await corsPreflight(url, origin);
          expect({ service, origin, allowOrigin: answer.headers['access-control-allow-origin'] }).toEqual({ service, origin, allowOrigin: undefined });
        }
      }
      // A text/plain POST needs no preflight, so it is sent; the page must not read the answer. (To a function that
      // does not exist: one that fails on the empty event would log a stack trace, which the SIGTERM test forbids.)
      const unknownFunction = `http://127.0.0.1:${ports.OFFLINE_LAMBDA_PORT}/2015-03-31/functions/pairing-service-local-none/invocations`;
      const invoked = await simpleCrossOriginPost(unknownFunction, 'http://attacker.example', '{}');
      expect({ status: invoked.status, allowOrigin: invoked.headers['access-control-allow-origin'] }).toEqual({ status: 404, allowOrigin: undefined });
    });
  });

  test('SIGTERM stops every process it started, frees every port and removes stack.json and admin.json', async () => {
    const npmPid = stack.child.pid!;
    const started = processTree(npmPid).slice(1); // below npm itself
    expect(started.length).toBeGreaterThanOrEqual(4); // node start.ts, java, moto, serverless-offline (+ guardians)
    process.kill(-npmPid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([stack.exit, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 20000)))]);
    clearTimeout(timer);
    expect(code).not.toBe('timeout');
    // Guardians notice their group is gone within half a second.
    const deadline = Date.now() + 5000;
    while (started.some(processAlive) && Date.now() < deadline) await sleep(100);
    expect(started.filter(processAlive)).toEqual([]);
    for (const [variable, port] of Object.entries(ports)) await expect(assertPortFree(port, variable)).resolves.toBeUndefined();
    expect(fs.existsSync(path.join(stateDir, 'stack.json'))).toBe(false);
    expect(fs.existsSync(path.join(stateDir, 'admin.json'))).toBe(false);
    expect(stack.stderr()).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
  }, 30000);
});

describe('npm start with a busy port', () => {
  test('exits quickly with a non-zero code and names the port and its variable', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-stack-busy-'));
    try {
      const others = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
      const startedAt = Date.now();
      const stack = npmStart(stateDir, {
        PORT: others[0]!,
        LOCAL_DYNAMODB_PORT: others[1]!,
        LOCAL_AWS_PORT: port,
        OFFLINE_LAMBDA_PORT: others[2]!,
        MTLS_PORT: others[3]!,
      });
      const code = await stack.exit;
      expect(code).not.toBe(0);
      expect(Date.now() - startedAt).toBeLessThan(20000);
      expect(stack.stderr()).toContain(`port ${port} is already in use`);
      expect(stack.stderr()).toContain('LOCAL_AWS_PORT');
      expect(stack.stdout()).not.toMatch(/\bready\b/);
      expect(fs.existsSync(path.join(stateDir, 'admin.json'))).toBe(false);
    } finally {
      busy.close();
      removeStackFolders(stateDir);
    }
  }, 30000);
});
