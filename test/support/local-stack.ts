// `npm start` (local/start.ts) for the end-to-end tests and the bench: free ports, its own state dir and esbuild folder, ready line, admin.json, stop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../local/aws-services';
import { freePort, spawnProcess } from '../../local/processes';
import type { AdminFile, StackFile } from '../../local/stack-file';

/** How long a stack may take to print its ready line (a cold esbuild of every function under parallel load). */
export const START_TIMEOUT_MS = 180_000;
/** How long start.ts gets to stop its parts in order after SIGTERM before its group is SIGKILLed. */
const STOP_GRACE_MS = 15_000;

export const PORT_VARIABLES = ['PORT', 'LOCAL_DYNAMODB_PORT', 'LOCAL_AWS_PORT', 'OFFLINE_LAMBDA_PORT', 'MTLS_PORT'] as const;
export type StackPorts = Record<(typeof PORT_VARIABLES)[number], number>;

/** A running `npm start` of one test or bench run. */
export interface LocalStack {
  /** http://127.0.0.1:<PORT> */
  baseUrl: string;
  /** https://127.0.0.1:<MTLS_PORT> */
  mtlsUrl: string;
  ports: StackPorts;
  stateDir: string;
  /** <stateDir>/admin.json: the `default` tenant's administrator. */
  admin: AdminFile;
  /** <stateDir>/stack.json as it was at ready time. */
  stackFile: StackFile;
  /** The CA of the mTLS endpoint's server certificate (curl --cacert). */
  serverCaFile: string;
  /** Everything the stack printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM to its process group, SIGKILL if it has not ended in time; then removes its state dir and esbuild folder. Idempotent. */
  stop(): Promise<void>;
}

export async function freeStackPorts(): Promise<StackPorts> {
  const ports = {} as StackPorts;
  const taken = new Set<number>();
  for (const variable of PORT_VARIABLES) {
    // A port is closed again before the next is asked for, so the kernel may hand the same one out twice.
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[variable] = port;
  }
  return ports;
}

/**
 * serverless-esbuild's work folder for the stack of `stateDir`. It must be relative: the plugin joins it to the
 * service directory (path.join, so an absolute path would land inside the checkout anyway). `.cache/` is git-ignored.
 */
export function esbuildWorkFolder(stateDir: string): string {
  return path.join('.cache', `esbuild-${path.basename(stateDir)}`);
}

/**
 * The environment of a test stack: this process's, without the integration tests' AWS endpoints, stage and
 * base URL (the stack sets its own), with its ports, LOCAL_STATE_DIR, and an esbuild folder of its own so that stacks
 * started at the same time (jest workers, a developer's `npm start`) do not build into each other's `.esbuild`.
 */
export function stackEnvironment(stateDir: string, ports: StackPorts, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_STATE_DIR: stateDir, ESBUILD_WORK_FOLDER: esbuildWorkFolder(stateDir) };
  for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL_LAMBDA', 'STAGE', 'PUBLIC_BASE_URL']) delete env[name];
  for (const variable of PORT_VARIABLES) env[variable] = String(ports[variable]);
  return { ...env, ...extra };
}

/** Removes what a stopped test stack leaves: its state dir and its esbuild folder. */
export function removeStackFolders(stateDir: string): void {
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.rmSync(path.join(projectRoot, esbuildWorkFolder(stateDir)), { recursive: true, force: true });
}

/** Starts `npm start` on free ports with a fresh temp state dir (named `<name>-...`) and waits for its ready line. */
export async function startLocalStack(options: { env?: Record<string, string>; name?: string } = {}): Promise<LocalStack> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `${options.name ?? 'local-stack'}-`));
  const ports = await freeStackPorts();
  let output = '';
  let announceReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (announceReady = resolve));
  const child = spawnProcess({
    name: 'npm start',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(projectRoot, 'local', 'start.ts')],
    cwd: projectRoot,
    env: stackEnvironment(stateDir, ports, options.env),
    onOutput: (chunk) => {
      output += chunk.toString('utf8');
      if (/^ready in /m.test(output)) announceReady();
    },
  });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= child
      .stop(STOP_GRACE_MS)
      .catch(() => undefined)
      .then(() => removeStackFolders(stateDir)));

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      child.exited().then(() => Promise.reject(new Error(`npm start ended before it was ready:\n${child.outputTail()}`))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`npm start was not ready within ${START_TIMEOUT_MS} ms:\n${child.outputTail()}`)), START_TIMEOUT_MS);
      }),
    ]);
    const read = <T>(name: string) => JSON.parse(fs.readFileSync(path.join(stateDir, name), 'utf8')) as T;
    return {
      baseUrl: `http://127.0.0.1:${ports.PORT}`,
      mtlsUrl: `https://127.0.0.1:${ports.MTLS_PORT}`,
      ports,
      stateDir,
      admin: read<AdminFile>('admin.json'),
      stackFile: read<StackFile>('stack.json'),
      serverCaFile: path.join(stateDir, 'mtls-server-ca.pem'),
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** curl -u id:secret -d grant_type=client_credentials <tokenUrl> */
export async function tokenGrant(tokenUrl: string, clientId: string, clientSecret: string) {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** An access token of the stack's `default` tenant administrator. */
export async function adminAccessToken(stack: LocalStack): Promise<string> {
  const grant = await tokenGrant(stack.admin.tokenUrl, stack.admin.clientId, stack.admin.clientSecret);
  if (grant.status !== 200) throw new Error(`the administrator's token grant failed with HTTP ${grant.status}`);
  return grant.body.access_token as string;
}

/** What a stack keeps: every Secrets Manager secret with its value, and every DynamoDB item (as marshalled) by table. */
export interface StoredState {
  secrets: Array<{ name: string; value: string }>;
  tables: Array<{ table: string; items: Array<Record<string, unknown>> }>;
}

/** Reads everything the running stack's local AWS holds (tests that prove something, e.g. a private key, is nowhere). */
export async function storedState(stack: LocalStack): Promise<StoredState> {
  const { SecretsManagerClient, ListSecretsCommand, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const { DynamoDBClient, ListTablesCommand, ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const { endpoints, region } = stack.stackFile;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const secretsManager = new SecretsManagerClient({ endpoint: endpoints.secretsManager, region, credentials });
  const dynamo = new DynamoDBClient({ endpoint: endpoints.dynamodb, region, credentials });
  try {
    const state: StoredState = { secrets: [], tables: [] };
    let nextToken: string | undefined;
    do {
      const page = await secretsManager.send(new ListSecretsCommand({ NextToken: nextToken }));
      for (const { Name } of page.SecretList ?? []) {
        const value = (await secretsManager.send(new GetSecretValueCommand({ SecretId: Name! }))).SecretString ?? '';
        state.secrets.push({ name: Name!, value });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    for (const table of (await dynamo.send(new ListTablesCommand({}))).TableNames ?? []) {
      const items: Array<Record<string, unknown>> = [];
      let startKey: Record<string, never> | undefined;
      do {
        const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (startKey);
      state.tables.push({ table, items });
    }
    return state;
  } finally {
    secretsManager.destroy();
    dynamo.destroy();
  }
}
