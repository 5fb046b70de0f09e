// Local AWS for `npm start` and the tests: Amazon's DynamoDB Local (fetched once into .cache) and
// moto (Secrets Manager), each a supervised child process reachable on 127.0.0.1 only, callable by no web page.
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
import { requirePrivateNetwork, spawnInPrivateNetwork } from './private-network';

const run = promisify(execFile);

/** The checkout's root (this file lives in <root>/local). */
export const projectRoot = path.resolve(__dirname, '..');

/** The serverless CLI of the checkout (osls, under the `serverless` name), run with this Node. */
export const serverlessCli = path.join(projectRoot, 'node_modules', 'serverless', 'bin', 'serverless.js');

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

/** Fails early, with how to install them, when Java, moto_server or what isolates DynamoDB Local is missing. */
export async function requireLocalAwsTools(): Promise<void> {
  requireCommand('java', JAVA_INSTALL_HINT);
  requireCommand('moto_server', MOTO_INSTALL_HINT);
  await requirePrivateNetwork();
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

/**
 * Starts DynamoDB Local in memory with one database for all credentials and regions (-sharedDb), on 127.0.0.1 only.
 * Anyone who reaches it can read and write every table (it checks no signature), so it must not be reachable from
 * the network: the jar has no bind-address option (its Jetty listens on every interface), hence it runs in a network
 * namespace of its own (private-network.ts).
 */
export async function startDynamoDbLocal({ port, portVariable }: ServicePort): Promise<LocalAwsService> {
  requireCommand('java', JAVA_INSTALL_HINT);
  await requirePrivateNetwork();
  await assertPortFree(port, portVariable);
  const emulatorDir = await ensureDynamoDbLocal();
  const child = await spawnInPrivateNetwork({
    name: 'DynamoDB Local',
    command: 'java',
    args: [
      // The JIT's first tier only, and the serial collector: a local stack lives for minutes (a test file, a bench
      // run), and the optimizing tier spent more CPU compiling than it saved in that time. On this 2-core machine
      // that cut DynamoDB Local's CPU per renewal from 16-34 to 7-10 ms and per mTLS read from 5-14 to 3-6
      // (docs/request-cost.md, "The local stack's overhead"). The same jar answers and validates as before.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-Djava.library.path=DynamoDBLocal_lib',
      '-jar',
      'DynamoDBLocal.jar',
      '-inMemory',
      '-sharedDb',
      // Telemetry off: nothing leaves the machine (and the namespace has no network anyway).
      '-disableTelemetry',
      // An empty CORS allow-list: no web page may call it. 1.25 compares each entry with the Origin header
      // literally, so its default '*' matches no real origin either; but its help calls '*' public access, and
      // a later version may treat it so. Explicit, and the tests send a preflight to check.
      '-cors',
      '',
      '-port',
      String(port),
    ],
    cwd: emulatorDir,
    port,
    portVariable,
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
  const child = spawnProcess({
    name: 'moto',
    command: 'moto_server',
    args: ['-H', '127.0.0.1', '-p', String(port)],
    // By default moto allows every origin (flask-cors), so any web page in the developer's browser could read the
    // secrets: the pairing CA's key, the token-signing key, OAuth client secrets. This turns that off.
    env: { ...process.env, MOTO_DISABLE_GLOBAL_CORS: 'true' },
  });
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
