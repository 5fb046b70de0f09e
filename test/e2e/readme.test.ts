// The README's shell examples, run verbatim as one bash script against `npm start` on non-default ports, from a shell
// that knows none of the stack's variables (a second terminal): every URL must come from the files the stack wrote.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PORT_VARIABLES, startLocalStack, START_TIMEOUT_MS, type LocalStack } from '../support/local-stack';

// The walk waits on purpose (a signing-key cache of 60 s, a CA registry re-read within 10 s) and runs the admin CLI
// a dozen times: about two minutes on a quiet machine.
const SCRIPT_TIMEOUT_MS = 420_000;
jest.setTimeout(SCRIPT_TIMEOUT_MS + 60_000);

const root = path.resolve(__dirname, '../..');
const walkDir = path.join(root, 'walk');

/** The section whose examples need an AWS account. */
const NOT_LOCAL = new Set(['Deployment']);
/** A block that installs and starts the stack (`npm ci && npm start`): the test has started it. */
const SETS_UP = /^npm ci\b/m;

/** Every ```sh block of the README outside NOT_LOCAL that does not set up, in order, with the line it starts on. */
function runnableBlocks(readme: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  let section = '';
  let open: { line: number; lines: string[] } | null = null;
  readme.split('\n').forEach((text, index) => {
    if (open) {
      if (text.startsWith('```')) {
        if (!NOT_LOCAL.has(section) && !SETS_UP.test(open.lines.join('\n'))) blocks.push({ line: open.line, code: open.lines.join('\n') });
        open = null;
      } else open.lines.push(text);
      return;
    }
    const heading = /^## (.+)$/.exec(text);
    if (heading) section = heading[1]!.trim();
    else if (text.trim() === '```sh') open = { line: index + 1, lines: [] };
  });
  return blocks;
}

/** A second terminal's environment: no port, stage or AWS endpoint of the stack or of the test run; only its state dir. */
function secondTerminal(stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_STATE_DIR: stateDir };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL') || name.startsWith('LOCAL_') && name.endsWith('_PORT')) delete env[name];
  for (const name of [...PORT_VARIABLES, 'STAGE', 'PUBLIC_BASE_URL']) delete env[name];
  return env;
}

/** Each fragment, found after the previous one; else an error that shows where the transcript stopped matching. */
function expectInOrder(transcript: string, stderr: string, stackOutput: string, fragments: (string | RegExp)[]): void {
  let from = 0;
  for (const fragment of fragments) {
    const rest = transcript.slice(from);
    const match = typeof fragment === 'string' ? { index: rest.indexOf(fragment), length: fragment.length } : (() => {
      const found = fragment.exec(rest);
      return { index: found ? found.index : -1, length: found ? found[0].length : 0 };
    })();
    if (match.index < 0) throw new Error(`expected ${String(fragment)} after offset ${from}; the transcript from there:\n${rest.slice(0, 3000)}\n--- the walk's stderr:\n${stderr.slice(-4000)}\n--- the stack's last output:\n${stackOutput.slice(-8000)}`);
    from += match.index + match.length;
  }
}

describe('the README examples, verbatim, on non-default ports', () => {
  let stack: LocalStack;
  let createdWalk = false;
  let rootBefore: string[];
  let result: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    stack = await startLocalStack({ name: 'readme' });
    createdWalk = !fs.existsSync(walkDir);
    rootBefore = fs.readdirSync(root);
    const script = runnableBlocks(fs.readFileSync(path.join(root, 'README.md'), 'utf8'))
      .map((block) => `echo '=== README.md line ${block.line} ==='\n${block.code}`)
      .join('\n');
    result = await new Promise((resolve) => {
      execFile('bash', ['-c', script], { cwd: root, env: secondTerminal(stack.stateDir), encoding: 'utf8', timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }, START_TIMEOUT_MS + SCRIPT_TIMEOUT_MS);

  afterAll(async () => {
    // The whole transcript and the stack's whole output, for a failure the messages' excerpts do not explain.
    if (stack && result) {
      const artifacts = path.join(root, 'test-results', 'readme');
      fs.mkdirSync(artifacts, { recursive: true });
      fs.writeFileSync(path.join(artifacts, 'walk-stdout.txt'), result.stdout);
      fs.writeFileSync(path.join(artifacts, 'walk-stderr.txt'), result.stderr);
      fs.writeFileSync(path.join(artifacts, 'stack-output.txt'), stack.output());
    }
    await stack?.stop();
    if (createdWalk) fs.rmSync(walkDir, { recursive: true, force: true });
  });

  test('the stack is not on the default ports, and the script names none of its ports', () => {
    expect(stack.ports.PORT).not.toBe(3000);
    expect(stack.ports.MTLS_PORT).not.toBe(3443);
  });

  test('every call got an HTTP answer and every file a command needed was there', () => {
    const failed = /HTTP 000/.test(result.stdout) || /curl: \(\d+\)|jq: error|command not found|No such file|parse error|unbound variable/.test(result.stderr);
    // What a failure needs to be understood from a CI log alone: the script's stderr and the end of the stack's output.
    if (failed) throw new Error(`the walk (exit code ${result.code}) failed a call or missed a file.\n--- its stderr:\n${result.stderr.slice(-6000)}\n--- the stack's last output:\n${stack.output().slice(-6000)}\n--- its stdout, last part:\n${result.stdout.slice(-3000)}`);
  });

  test('each section printed what the README says it prints', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expectInOrder(result.stdout, result.stderr, stack.output(), [
      // Administrators of other tenants
      '"tenant":"acme"',
      '"revoked":true',
      '"activeKid":',
      'usage:',
      // The administrator and an application
      `{"status":"ok","version":"${version}"}`,
      'type Query {',
      '{"data":{"applications":{"totalCount":1,',
      '{"data":{"getAuthTypesForApplication":[{"type":"OAUTH2_CLIENT_CREDENTIALS"},{"type":"CLIENT_CERTIFICATE"},{"type":"PRIVATE_KEY_JWT"}]}}',
      // Pairing with OAuth 2.0 client credentials
      '"scopes":["application:read"]',
      '"type":"APPLICATION","tenant":"default"},"application":{',
      '"code":"FORBIDDEN"',
      '"condition":"CONNECTED"',
      '{"data":{"rotateClientSecret":{"id":',
      '{"token_type":"Bearer","expires_in":3600,"scope":"application:read"}',
      '{"data":{"revokeClientSecret":',
      '"error":"invalid_client"',
      'HTTP 401',
      '"status":"REVOKED"',
      'no longer exists',
      'HTTP 401',
      '"error":"invalid_client"',
      'HTTP 401',
      // Pairing with a private key JWT: no shared secret
      '"tokenEndpointAuthMethod":"private_key_jwt"',
      '{"token_type":"Bearer","expires_in":3600,"scope":"application:read"} HTTP 200',
      '{"error":"invalid_client","error_description":"Client authentication failed"} HTTP 401',
      '"status":"REVOKED"',
      '{"error":"invalid_client","error_description":"Client authentication failed"} HTTP 401',
      // Pairing with a client certificate
      '"connectorURL":',
      '"subject":',
      'app.pem: OK',
      'already used',
      'HTTP 401',
      // Calling over mutual TLS, renewal and revocation
      /\{"data":\{"viewer":\{"id":"[^"]+","type":"APPLICATION"\}\}\} HTTP 200/,
      'subject=',
      '{"data":{"retirePreviousCertificate":true}} HTTP 200',
      'The client certificate has been revoked',
      'HTTP 401',
      /"type":"APPLICATION"\}\}\} HTTP 200/,
      '{"data":{"revokeCertificate":true}} HTTP 200',
      // The same pairing with the agent
      '{"caId":"ca-1"}',
      '{"condition":"valid","accepted":true}',
      '{"caId":"ca-1"}',
      '{"data":{"revokeCertificate":true}} HTTP 200',
      '{"condition":"revoked","accepted":false}',
      'exit code 5',
      '"revokeIssuedCertificate":',
      // The audit trail
      '"action":"CERTIFICATE_REVOKED"',
      '"refusals":[',
      '"CERTIFICATE_ISSUED"]',
      '"auditEvents":{"totalCount":',
      // Rotating the token-signing key
      '"kty":"EC","crv":"P-256","alg":"ES256"',
      '"activeKid":',
      '"type":"ADMIN"',
      '"type":"ADMIN"',
      // Rotating the CA
      '"caId":"ca-1"}',
      '"currentCaId":"ca-2"',
      /^2$/m,
      'old.pem: OK',
      /"type":"APPLICATION"\}\}\} HTTP 200/,
      /^ca-2$/m,
      'new.pem: OK',
      '{"data":{"retirePreviousCertificate":true}} HTTP 200',
      '{"caId":"ca-1","forced":false,"liveCertificates":0,"trustedCaIds":["ca-2"]}',
      /^1$/m,
    ]);
    // The one refusal the walk provokes on purpose, with the advice the README shows.
    expect(result.stderr).toContain('admin: retire-ca: CA ca-1 still has 1 unexpired, unrevoked certificate(s)');
  });

  test('the walk wrote its keys into walk/ (git-ignored), none into the project root', () => {
    for (const name of ['app.key', 'app.pem', 'old.key', 'new.key', 'pairing.json']) expect(fs.existsSync(path.join(walkDir, name))).toBe(true);
    const added = fs.readdirSync(root).filter((name) => !rootBefore.includes(name));
    expect(added.filter((name) => name !== 'walk')).toEqual([]);
    expect(fs.readFileSync(path.join(root, '.gitignore'), 'utf8')).toMatch(/^\/walk\/$/m);
  });
});
