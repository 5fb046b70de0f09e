// Local AWS for `npm start` and the tests: Amazon's DynamoDB Local (fetched once into .cache) and
// moto (Secrets Manager), each a supervised child process on 127.0.0.1.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  assertPortFree,
  LocalStackError,
  requireCommand,
  spawnProcess,
  waitForHttp,
  type LocalProcess,
} from './processes';

const run = promisify(execFile);

/** The checkout's root (this file lives in <root>/local). */
export const projectRoot = path.resolve(__dirname, '..');

// The DynamoDB Local jar ships inside this npm package; we keep only its `package/emulator` folder
// rather than installing the package (283 dependencies, 347 MB). See ../shared/ARCHITECTURE.md.
const SIMULATOR_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';

export const JAVA_INSTALL_HINT = 'DynamoDB Local needs Java 17 or newer (e.g. apt-get install openjdk-17-jre-headless)';
export const MOTO_INSTALL_HINT = "moto's server is needed for Secrets Manager (pip install 'moto[server]')";

/** A local AWS service: its process and the endpoint URL for AWS_ENDPOINT_URL_<SERVICE>. */
export interface LocalAwsService {
  readonly process: LocalProcess;
  readonly port: number;
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface ServicePort {
  port: number;
  /** The environment variable that chooses this port, named in the busy-port error. */
  portVariable?: string;
}

/** Fails early, with how to install them, when Java or moto_server is missing. */
export function requireLocalAwsTools(): void {
  requireCommand('java', JAVA_INSTALL_HINT);
  requireCommand('moto_server', MOTO_INSTALL_HINT);
}

/**
 * The folder holding DynamoDBLocal.jar, fetched on first use into .cache/dynamodb-local/. Concurrent
 * first uses each extract into their own temporary folder and rename it into place; the loser of the
 * rename keeps the winner's copy, so the cache is never half-written.
 */
export async function ensureDynamoDbLocal(cacheRoot = path.join(projectRoot, '.cache', 'dynamodb-local')): Promise<string> {
  const emulatorDir = path.join(cacheRoot, SIMULATOR_PACKAGE.replace('@', '-'));
  const jar = path.join(emulatorDir, 'DynamoDBLocal.jar');
  if (fs.existsSync(jar)) return emulatorDir;
  fs.mkdirSync(cacheRoot, { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheRoot, '.fetch-'));
  try {
    try {
      await run('npm', ['pack', SIMULATOR_PACKAGE, '--silent', '--no-audit', '--no-fund'], { cwd: work, maxBuffer: 16 << 20 });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message);
      throw new LocalStackError(`could not fetch DynamoDB Local (npm pack ${SIMULATOR_PACKAGE}): ${stderr.trim().split('\n').at(-1)}`);
    }
    const tarball = fs.readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new LocalStackError(`npm pack ${SIMULATOR_PACKAGE} produced no tarball`);
    await run('tar', ['-xzf', tarball, 'package/emulator'], { cwd: work });
    try {
      fs.renameSync(path.join(work, 'package', 'emulator'), emulatorDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (!((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(jar))) throw error;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return emulatorDir;
}

function service(child: LocalProcess, port: number): LocalAwsService {
  return { process: child, port, endpoint: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}

/** Starts DynamoDB Local in memory with one database for all credentials and regions (-sharedDb). */
export async function startDynamoDbLocal({ port, portVariable }: ServicePort): Promise<LocalAwsService> {
  requireCommand('java', JAVA_INSTALL_HINT);
  await assertPortFree(port, portVariable);
  const emulatorDir = await ensureDynamoDbLocal();
  // The jar has no bind-address option: it listens on all interfaces. Telemetry is off (no network).
  const child = spawnProcess({
    name: 'DynamoDB Local',
    command: 'java',
    args: ['-Djava.library.path=DynamoDBLocal_lib', '-jar', 'DynamoDBLocal.jar', '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)],
    cwd: emulatorDir,
  });
  const started = service(child, port);
  try {
    // Any HTTP answer means the server is up; DynamoDB answers a bare GET with 400.
    await waitForHttp(started.endpoint, { process: child, what: `DynamoDB Local (port ${port}${portVariable ? `, ${portVariable}` : ''})` });
  } catch (error) {
    await started.stop();
    throw error;
  }
  return started;
}

/** Starts moto's server (used for Secrets Manager) on 127.0.0.1. */
export async function startMoto({ port, portVariable }: ServicePort): Promise<LocalAwsService> {
  requireCommand('moto_server', MOTO_INSTALL_HINT);
  await assertPortFree(port, portVariable);
  const child = spawnProcess({ name: 'moto', command: 'moto_server', args: ['-H', '127.0.0.1', '-p', String(port)] });
  const started = service(child, port);
  try {
    await waitForHttp(`${started.endpoint}/moto-api/`, {
      process: child,
      what: `moto (port ${port}${portVariable ? `, ${portVariable}` : ''})`,
      isReady: (response) => response.ok,
    });
  } catch (error) {
    await started.stop();
    throw error;
  }
  return started;
}
