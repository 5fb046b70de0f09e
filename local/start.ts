// `npm start`: the whole service on this machine, started in order (DynamoDB Local, moto, the tables, signing key,
// pairing CA, the `default` tenant's administrator, serverless-offline, the mTLS endpoint) and one `ready` line on
// stdout; supervisor.ts stops it all on a signal.
import path from 'node:path';
import { projectRoot, requireLocalAwsTools, serverlessCli, startDynamoDbLocal, startMoto, type LocalAwsService } from './aws-services';
import {
  assertPortFree,
  LocalStackError,
  lastLine,
  portFromEnv,
  spawnProcess,
  waitForHttp,
  type LocalProcess,
} from './processes';
import { developmentCaCertificatePem } from './dev-server-ca';
import { startMtlsGateway, waitForMtlsEndpoint } from './mtls-gateway';
import { describeRuntime, runtimeMismatch } from './node-runtime';
import { localStateDir, removeStackFiles, writeAdminFile, writeStackFile } from './stack-file';
import { createSupervisor, stopOnSignalsAndOrphaning, type Running } from './supervisor';
import { createStageTables } from './tables';
import { clientSecretMacKeyAlias, config } from '../shared/config';
import { aws, caRegistry, kms, secrets, kmsAdmin, signingKeyLifecycle } from '../functions/container';

const STAGE = 'local';
const REGION = 'eu-central-1';
const ADMIN_TENANT = 'default';

/** Every port the stack listens on, by the variable that sets it; all are checked before anything starts. */
const PORT_DEFAULTS = {
  PORT: 3000,
  LOCAL_DYNAMODB_PORT: 8000,
  LOCAL_AWS_PORT: 5055,
  OFFLINE_LAMBDA_PORT: 3002,
  MTLS_PORT: 3443,
} as const;
type PortVariable = keyof typeof PORT_DEFAULTS;
type Ports = Record<PortVariable, number>;

/** A part of the stack that serves the endpoints; started once local AWS and the bootstrap are in place. */
interface RunningFrontend extends Running {
  /** Resolves once it answers requests; the `ready` line waits for every frontend. */
  ready(): Promise<void>;
  /** What the `ready` line shows for it, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
}

interface Frontend {
  readonly name: string;
  start(env: NodeJS.ProcessEnv): Promise<RunningFrontend>;
}

const launchedAt = Date.now();
const progress = (message: string) =>
  process.stderr.write(`[npm start +${((Date.now() - launchedAt) / 1000).toFixed(1)}s] ${message}\n`);

// Set once the `ready` line is out: serverless-offline's own banner ("Server ready") would otherwise
// reach the terminal before every endpoint answers.
let announced = false;

/** serverless-offline: the HTTP endpoints on PORT and the Lambda invoke endpoint on OFFLINE_LAMBDA_PORT. */
/** The environment without the variables that make osls log whole request events (tokens and secrets with them). */
function withoutServerlessDebugLogs(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const quiet = { ...env };
  for (const name of Object.keys(quiet)) if (/^SLS_(LOG_LEVEL|LOG_DEBUG|DEBUG)$/.test(name)) delete quiet[name];
  return quiet;
}

function serverlessOffline(ports: Ports): Frontend {
  const name = 'serverless-offline';
  return {
    name,
    async start(env) {
      const child: LocalProcess = spawnProcess({
        name,
        command: process.execPath,
        args: [
          serverlessCli,
          ...['offline', 'start', '--stage', STAGE],
          // As in serverless.yml, said again here: the HTTP and Lambda endpoints (the latter runs any function
          // with any event, no credentials) must be reachable from this machine only, whatever the file says.
          ...['--host', '127.0.0.1'],
          // The Lambda endpoint allows every origin by default, so a web page could invoke the functions and read
          // the answers (a one-time token from `tokens`). This is an origin no page can have (.invalid, RFC 6761).
          ...['--corsAllowOrigin', 'http://no-web-page.invalid'],
        ],
        cwd: projectRoot,
        // At debug level osls prints every request event and body (Connector-Token, ?token=, Basic credentials,
        // client_secret): the stack never lets a developer's SLS_LOG_* turn that on.
        env: withoutServerlessDebugLogs(env),
        onOutput: (chunk) => {
          if (announced) process.stderr.write(chunk);
        },
      });
      const url = `http://127.0.0.1:${ports.PORT}`;
      return {
        name,
        url,
        stop: () => child.stop(),
        exited: () => child.exited(),
        outputTail: () => child.outputTail(),
        ready: async () => {
          const what = `serverless-offline (PORT ${ports.PORT})`;
          // The JWKS answers 200 only once the oauth function is built and reads the signing key.
          await waitForHttp(`${url}/.well-known/jwks.json`, { process: child, what, timeoutMs: 120000, isReady: (r) => r.status === 200 });
          // One call without credentials to each GraphQL function loads it: a cold start under load can
          // take longer than a client's first request should wait. Anything but a 5xx means it runs.
          const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{__typename}"}' };
          await Promise.all([
            ...['/director/graphql', '/connector/graphql'].map((endpoint) =>
              waitForHttp(`${url}${endpoint}`, {
                process: child,
                what,
                timeoutMs: 120000,
                requestTimeoutMs: 60000,
                init: post,
                isReady: (r) => r.status < 500,
              }),
            ),
            loadTokensFunction(ports),
            buildFirstCrls(ports),
            // Cockpit's page is part of the stack: ready once it is served (its function built and loaded).
            waitForHttp(`${url}/cockpit`, { process: child, what, timeoutMs: 120000, requestTimeoutMs: 60000, isReady: (r) => r.status === 200 }),
          ]);
        },
      };
    },
  };
}

/** The bucket of the CRLs (serverless.yml custom.crl, CRL_BUCKET), in moto's S3. */
async function createCrlBucket(): Promise<void> {
  const { CreateBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ forcePathStyle: true });
  try {
    await client.send(new CreateBucketCommand({ Bucket: process.env.CRL_BUCKET ?? 'pairing-service-local-crl', CreateBucketConfiguration: { LocationConstraint: REGION } }));
  } finally {
    client.destroy();
  }
}

/**
 * Builds each CA's first CRL now rather than at the schedule's next minute (the crl function, through the Lambda
 * endpoint, as the schedule runs it), so GET /crl/ca-1.crl answers once the stack is ready.
 */
async function buildFirstCrls(ports: Ports): Promise<void> {
  const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
  const client = new LambdaClient({ endpoint: `http://127.0.0.1:${ports.OFFLINE_LAMBDA_PORT}` });
  try {
    const out = await client.send(new InvokeCommand({ FunctionName: `pairing-service-${STAGE}-crl`, Payload: Buffer.from('{}') }));
    if (out.FunctionError) throw new LocalStackError(`the first CRL build failed: ${Buffer.from(out.Payload ?? []).toString('utf8').slice(0, 500)}`);
  } finally {
    client.destroy();
  }
}

/**
 * The tokens function has no HTTP route: one invocation through the Lambda endpoint with an empty request
 * loads it (it answers with a validation error), so the first pairing does not pay for its cold start.
 */
async function loadTokensFunction(ports: Ports): Promise<void> {
  const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
  const client = new LambdaClient({ endpoint: `http://127.0.0.1:${ports.OFFLINE_LAMBDA_PORT}` });
  try {
    await client.send(new InvokeCommand({ FunctionName: `pairing-service-${STAGE}-tokens`, Payload: Buffer.from('{}') }));
  } finally {
    client.destroy();
  }
}

/**
 * The mTLS endpoint on MTLS_PORT: client certificates chained to the pairing CA, the same functions behind
 * it through serverless-offline's Lambda endpoint; its server CA goes to <state dir>/mtls-server-ca.pem.
 */
function mtlsEndpoint(ports: Ports): Frontend {
  const name = 'mTLS endpoint';
  return {
    name,
    async start() {
      // Imported only now: the CA module reads the environment the bootstrap set.
      const { followTruststore } = await import('./truststore-file');
      const trust = await followTruststore(caRegistry, stateDir, progress);
      const gateway = await startMtlsGateway({
        port: ports.MTLS_PORT,
        host: '127.0.0.1',
        lambdaEndpoint: `http://127.0.0.1:${ports.OFFLINE_LAMBDA_PORT}`,
        functionName: (fn) => `pairing-service-${STAGE}-${fn}`,
        stateDir,
        pairingCaPem: trust.pem,
        log: progress,
      });
      // rotate-ca and retire-ca change the registry: the endpoint trusts the new set without a restart.
      trust.onChange((pem) => gateway.setTrustedCas(pem));
      const stop = async () => {
        trust.stop();
        await gateway.stop();
      };
      return { name, url: gateway.url, stop, ready: () => waitForMtlsEndpoint(gateway.url, gateway.serverCaPem) };
    },
  };
}

/** The endpoint servers of the stack, in one place. */
function frontends(ports: Ports): Frontend[] {
  return [serverlessOffline(ports), mtlsEndpoint(ports)];
}

function readPorts(env: NodeJS.ProcessEnv): Ports {
  const ports = Object.fromEntries(
    Object.entries(PORT_DEFAULTS).map(([variable, fallback]) => [variable, portFromEnv(env, variable, fallback)]),
  ) as Ports;
  const byPort = new Map<number, string>();
  for (const [variable, port] of Object.entries(ports)) {
    const other = byPort.get(port);
    if (other) throw new LocalStackError(`${other} and ${variable} are both ${port}: each needs its own port`);
    byPort.set(port, variable);
  }
  return ports;
}

const stateDir = localStateDir();
const supervisor = createSupervisor({ log: progress, afterStop: () => removeStackFiles(stateDir) });

const asRunning = (service: LocalAwsService): LocalAwsService & Running => ({
  ...service,
  name: service.process.name,
  exited: () => service.process.exited(),
  outputTail: () => service.process.outputTail(),
});

async function start(): Promise<void> {
  const startedAt = launchedAt;
  // The functions run here on the Node.js major they deploy on, or not at all.
  const mismatch = runtimeMismatch();
  if (mismatch) throw new LocalStackError(mismatch);
  progress(`on Node.js ${describeRuntime()}`);
  const ports = readPorts(process.env);
  const mtlsPort = ports.MTLS_PORT;
  await requireLocalAwsTools();
  for (const [variable, port] of Object.entries(ports)) await assertPortFree(port, variable);

  progress(`starting DynamoDB Local (:${ports.LOCAL_DYNAMODB_PORT}) and moto (:${ports.LOCAL_AWS_PORT})`);
  const [dynamoService, motoService] = await supervisor.startTogether([
    startDynamoDbLocal({ port: ports.LOCAL_DYNAMODB_PORT, portVariable: 'LOCAL_DYNAMODB_PORT' }).then(asRunning),
    startMoto({ port: ports.LOCAL_AWS_PORT, portVariable: 'LOCAL_AWS_PORT' }).then(asRunning),
  ]);
  const dynamo = dynamoService.endpoint;
  const moto = motoService.endpoint;

  progress('creating the tables from serverless.yml');
  const tables = await createStageTables(STAGE, dynamo);

  const publicBaseUrl = `http://127.0.0.1:${ports.PORT}`;
  const mtlsBaseUrl = `https://127.0.0.1:${mtlsPort}`;
  const lambdaEndpoint = `http://127.0.0.1:${ports.OFFLINE_LAMBDA_PORT}`;
  // The SDK's standard variables point every client at local AWS: the code has no local branches.
  // Dummy credentials: a developer's real AWS profile must never be used by the local stack.
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: moto,
    AWS_ENDPOINT_URL_KMS: moto,
    AWS_ENDPOINT_URL_S3: moto,
    AWS_ENDPOINT_URL_LAMBDA: lambdaEndpoint,
    STAGE,
    PUBLIC_BASE_URL: publicBaseUrl,
    MTLS_BASE_URL: mtlsBaseUrl,
    // Cockpit hands it to applications with their pairing data: the CA the local mTLS endpoint's server certificate chains to.
    MTLS_SERVER_CA: developmentCaCertificatePem(stateDir),
    PORT: String(ports.PORT),
    OFFLINE_LAMBDA_PORT: String(ports.OFFLINE_LAMBDA_PORT),
    MTLS_PORT: String(mtlsPort),
  });
  // The bootstrap below logs through Powertools to stdout, which is reserved for the `ready` line.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

  progress('creating the token-signing key, the pairing CA and the default administrator');
  // Imported only now: the domain modules read the environment set above.
  const { OAuthClients, clientAuthenticationState } = await import('../shared/oauth/clients');
  const { storedVerifiersOf } = await import('../shared/oauth/stored-verifiers');
  const { SystemAuthRepository } = await import('../shared/system-auths/repository');
  const { OAuthClientRecords } = await import('../shared/system-auths/oauth-client-records');
  const { CaLifecycle } = await import('../shared/certificates/ca-lifecycle');
  const cas = new CaLifecycle(secrets, caRegistry, kms, kmsAdmin, config);
  // The client-secret verifier key (serverless.yml ClientSecretMacKey in AWS), made in either mode: cheap in moto.
  await Promise.all([signingKeyLifecycle.ensure(), cas.ensure(), kmsAdmin.ensureMacKey(clientSecretMacKeyAlias(STAGE), 'client-secret verifiers of the local stage'), createCrlBucket()]);
  const admin = await new OAuthClients(
    new SystemAuthRepository(aws.dynamo, config().systemAuthsTable),
    new OAuthClientRecords(aws.dynamo, config().systemAuthsTable, config),
    secrets,
    clientAuthenticationState(),
    storedVerifiersOf(kms, config()),
  ).createAdmin(ADMIN_TENANT);

  progress('starting the endpoints and waiting until they answer');
  const servers = await supervisor.startTogether(frontends(ports).map((frontend) => frontend.start(process.env)));
  await Promise.all(servers.map((server) => server.ready()));

  const tokenUrl = `${publicBaseUrl}/oauth2/token`;
  const directorUrl = `${publicBaseUrl}/director/graphql`;
  const cockpitUrl = `${publicBaseUrl}/cockpit`;
  const adminFile = writeAdminFile(stateDir, {
    clientId: admin.clientId,
    clientSecret: admin.clientSecret,
    tokenUrl,
    directorUrl,
    tenant: admin.tenant,
  });
  writeStackFile(stateDir, {
    pid: process.pid,
    startedAt: new Date(startedAt).toISOString(),
    stage: STAGE,
    region: REGION,
    clientSecretStore: config().clientSecretStore,
    ports: { ...ports, MTLS_PORT: mtlsPort },
    endpoints: { publicBaseUrl, mtlsBaseUrl, tokenUrl, directorUrl, dynamodb: dynamo, secretsManager: moto, kms: moto, lambda: lambdaEndpoint },
    tables,
  });

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  announced = true;
  process.stdout.write(
    `ready in ${seconds} s: ${servers.map((server) => `${server.name} ${server.url}`).join(', ')}; ` +
      `token ${tokenUrl}; director ${directorUrl}; cockpit ${cockpitUrl}; administrator of tenant ${ADMIN_TENANT} in ${displayPath(adminFile)}\n`,
  );
}

/** Relative to the working directory when the file is below it, absolute otherwise. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function describeFailure(error: unknown): string {
  if (error instanceof LocalStackError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return lastLine(message);
}

stopOnSignalsAndOrphaning(supervisor);
start().catch((error: unknown) => supervisor.shutdown(1, `npm start failed: ${describeFailure(error)}`));
