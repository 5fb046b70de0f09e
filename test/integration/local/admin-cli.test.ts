// The admin CLI against a running stack's local AWS: one JSON object on stdout, working credentials, revocation, clear failures.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StackFile } from '../../../local/stack-file';
import crypto from 'node:crypto';
import { PUBLIC_KEYS_SECRET } from '../../../shared/oauth/signing-keys';
import { createStageTables } from '../../../local/tables';
import { AuditRepository } from '../../../shared/audit/repository';
import { PLATFORM_TENANT } from '../../../shared/audit/types';
import { withEnvironment } from '../../support/environment';
import { freshTenant, localAwsEndpoints } from '../../support/local-aws';
import { oauthClients, systemAuths } from '../../support/stores';
import { aws, signingKeys, secrets, signingKeyLifecycle } from '../../../functions/container';

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
function writeStack(dir: string, pid: number, stage = 'test'): void {
  const { dynamodb, secretsManager } = localAwsEndpoints();
  const stack: StackFile = {
    pid,
    startedAt: new Date().toISOString(),
    stage,
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

  test.each([[['--help']], [['-h']], [['help']], [['create', '--help']]])('%j prints the usage on stdout, exit code 0, no complaint', async (args) => {
    const run = await admin(args);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^usage:\n  npm run --silent admin -- create/);
  });
});

describe('admin CLI rotate-signing-key', () => {
  test('makes a new KMS key the signing key, keeps the old one published, and prints one JSON object', async () => {
    // A stage of its own: the test stage's key set is shared by every test of the run.
    const stage = `rot${crypto.randomBytes(4).toString('hex')}`;
    const dir = path.join(stateDir, stage);
    writeStack(dir, process.pid, stage);
    // The stage's tables: the rotation is recorded in its audit trail.
    const tables = await createStageTables(stage, localAwsEndpoints().dynamodb);
    await withEnvironment({ SECRETS_PREFIX: `pairing-service/${stage}` }, async () => {
      signingKeys.forget();
      try {
        await signingKeyLifecycle.ensure();
        const before = JSON.parse((await secrets.read(PUBLIC_KEYS_SECRET, 0))!) as { activeKid: string };

        const run = await admin(['rotate-signing-key'], dir);
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
        const lines = run.stdout.trim().split('\n');
        expect(lines).toHaveLength(1);
        const rotated = JSON.parse(lines[0]!) as Record<string, unknown>;
        expect(rotated).toEqual({
          activeKid: expect.any(String),
          keyArn: expect.stringMatching(/^arn:aws:kms:/),
          retiredKid: before.activeKid,
          retiredKeyDropsOutAt: expect.any(String),
          droppedKeys: [],
          publishedKids: [before.activeKid, rotated.activeKid],
        });
        // In the stage's own audit partition (no tenant's), by the CLI.
        const trail = await new AuditRepository(aws.dynamo, tables.AuditTable).query({ tenant: PLATFORM_TENANT }, 10);
        expect(trail.events.map((event) => ({ action: event.action, actor: event.actor, details: event.details }))).toEqual([
          { action: 'SIGNING_KEY_ROTATED', actor: { kind: 'CLI' }, details: { activeKid: rotated.activeKid, retiredKid: before.activeKid } },
        ]);
        signingKeys.forget();
        expect((await signingKeys.active()).kid).toBe(rotated.activeKid);
        expect((await signingKeys.publicJwks()).keys.map((key) => key.kid)).toEqual([before.activeKid, rotated.activeKid]);
      } finally {
        await secrets.delete(PUBLIC_KEYS_SECRET);
        signingKeys.forget();
      }
    });
  });

  test('refuses options of the other commands (exit code 2), and a stage without keys (exit code 1, saying so)', async () => {
    const misuse = await admin(['rotate-signing-key', '--tenant', 'acme']);
    expect({ code: misuse.code, stdout: misuse.stdout }).toEqual({ code: 2, stdout: '' });
    expect(misuse.stderr).toMatch(/^admin: --tenant does not go with rotate-signing-key\nusage:/);

    const dir = path.join(stateDir, 'nokeys');
    writeStack(dir, process.pid, `nokeys${crypto.randomBytes(4).toString('hex')}`);
    const run = await admin(['rotate-signing-key'], dir);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/^admin: rotate-signing-key failed: The access-token signing keys are not set up/);
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
