// The admin CLI against a running stack's local AWS: one JSON object on stdout, working credentials, revocation, clear failures.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StackFile } from '../../../local/stack-file';
import { freshTenant, localAwsEndpoints } from '../../support/local-aws';
import { oauthClients, systemAuths } from '../../support/stores';

const root = path.resolve(__dirname, '../../..');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-cli-'));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function admin(args: string[], dir = stateDir): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'local/admin-cli.ts', ...args],
      { cwd: root, env: { ...process.env, LOCAL_STATE_DIR: dir }, timeout: 60000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// A stack.json as `npm start` writes it, pointing at this test run's local AWS; this worker stands in for the stack's process.
function writeStack(dir: string, pid: number): void {
  const { dynamodb, secretsManager } = localAwsEndpoints();
  const stack: StackFile = {
    pid,
    startedAt: new Date().toISOString(),
    stage: 'test',
    region: 'eu-central-1',
    ports: {},
    endpoints: {
      publicBaseUrl: 'http://127.0.0.1:1',
      mtlsBaseUrl: 'https://127.0.0.1:2',
      tokenUrl: 'http://127.0.0.1:1/oauth2/token',
      directorUrl: 'http://127.0.0.1:1/director/graphql',
      dynamodb,
      secretsManager,
      kms: secretsManager,
      lambda: 'http://127.0.0.1:3',
    },
    tables: {},
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'stack.json'), JSON.stringify(stack));
}

describe('admin CLI on the local stack', () => {
  beforeAll(() => writeStack(stateDir, process.pid));

  test('create prints one JSON object whose credentials authenticate an ADMIN of the tenant', async () => {
    const tenant = freshTenant('cli');
    const run = await admin(['create', '--tenant', tenant]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const created = JSON.parse(lines[0]) as Record<string, string>;
    expect(Object.keys(created).sort()).toEqual(['clientId', 'clientSecret', 'tenant', 'tokenUrl']);
    expect(created).toMatchObject({ tenant, tokenUrl: 'http://127.0.0.1:1/oauth2/token' });
    const auth = await oauthClients.authenticate(created.clientId, created.clientSecret);
    expect(auth).toMatchObject({ tenant, kind: 'ADMIN', status: 'ACTIVE' });
  });

  test('revoke removes the client, and a second revoke fails with exit code 1', async () => {
    const created = JSON.parse((await admin(['create', '--tenant', freshTenant('cli')])).stdout) as { clientId: string; clientSecret: string };
    const revoked = await admin(['revoke', '--client-id', created.clientId]);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ clientId: created.clientId, revoked: true });
    expect(await systemAuths.get(created.clientId)).toBeUndefined();
    await expect(oauthClients.authenticate(created.clientId, created.clientSecret)).rejects.toThrow();

    const again = await admin(['revoke', '--client-id', created.clientId]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain(`no OAuth client "${created.clientId}"`);
  });

  test.each([
    ['an uppercase tenant', ['create', '--tenant', 'Acme']],
    ['a tenant of 64 characters', ['create', '--tenant', 'a'.repeat(64)]],
    ['an empty tenant', ['create', '--tenant', '']],
    ['a missing tenant', ['create']],
    ['an unknown command', ['delete', '--tenant', 'acme']],
    ['an unknown option', ['create', '--tenant', 'acme', '--force']],
    ['retire-ca without --id', ['retire-ca']],
    ['retire-ca with an id not of the form ca-<n>', ['retire-ca', '--id', 'ca-0']],
    ['--force with rotate-ca', ['rotate-ca', '--force']],
    ['--tenant with rotate-ca', ['rotate-ca', '--tenant', 'acme']],
  ])('%s is a usage error: exit code 2, nothing on stdout', async (_, args) => {
    const run = await admin(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^admin: .+\nusage:/);
  });
});

describe('admin CLI without a running local stack', () => {
  test('no stack.json: exit code 1 saying to start the stack', async () => {
    const run = await admin(['create', '--tenant', 'acme'], path.join(stateDir, 'none'));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/local stack is not running.*npm start/);
  });

  test('a stack.json left by a process that is gone: exit code 1', async () => {
    const dir = path.join(stateDir, 'stale');
    writeStack(dir, 2 ** 22 + 12345); // above Linux's pid_max default: no such process
    const run = await admin(['create', '--tenant', 'acme'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not running .*left over/);
  });
});
