// The admin CLI: creates and revokes tenant administrators (OAuth clients of kind ADMIN), rotates the access-token
// signing key, and rotates and retires the pairing CA, in the running local stack or, with --stage, in a deployed
// stage; prints exactly one JSON object on stdout.
import { parseArgs } from 'node:util';
import { LocalStackError } from './processes';
import { localStateDir, readRunningStack } from './stack-file';
import { config } from '../shared/config';
import { aws, caRegistry, kms, secrets, kmsAdmin, signingKeyLifecycle } from '../functions/container';

const USAGE = `usage:
  npm run --silent admin -- create --tenant <name> [--stage <stage> [--region <region>] [--token-url <url>]]
  npm run --silent admin -- revoke --client-id <id> [--stage <stage> [--region <region>]]
  npm run --silent admin -- rotate-signing-key [--stage <stage> [--region <region>]]
  npm run --silent admin -- rotate-ca [--pending] [--stage <stage> [--region <region>]]
  npm run --silent admin -- activate-ca --id <ca-id> [--stage <stage> [--region <region>]]
  npm run --silent admin -- retire-ca --id <ca-id> [--force] [--stage <stage> [--region <region>]]
  npm run --silent admin -- list-cas [--stage <stage> [--region <region>]]
  npm run --silent admin -- migrate-client-secrets --to verifier [--stage <stage> [--region <region>]]
  npm run --silent admin -- crl-backfill [--stage <stage> [--region <region>]]
Without --stage it works on the running local stack (npm start); with --stage, on that deployed stage
using the usual AWS credentials (region: --region, default eu-central-1 as in serverless.yml).`;

/** Wrong arguments: exit code 2 with the usage. */
class UsageError extends Error {}

// Stricter than what the service accepts: administrators name tenants on the command line, where
// lowercase DNS-label-like names avoid quoting and case confusion.
const TENANT = /^[a-z0-9-]{1,63}$/;
const STAGE = /^[A-Za-z0-9-]{1,32}$/;
const DEFAULT_REGION = 'eu-central-1';

const COMMANDS = ['create', 'revoke', 'rotate-signing-key', 'rotate-ca', 'activate-ca', 'retire-ca', 'list-cas', 'crl-backfill', 'migrate-client-secrets'] as const;
const CA_COMMANDS: readonly Command[] = ['rotate-ca', 'activate-ca', 'retire-ca', 'list-cas', 'crl-backfill'];
type Command = (typeof COMMANDS)[number];
const CA_ID = /^ca-[1-9][0-9]{0,5}$/;

interface Options {
  command: Command;
  caId?: string;
  force?: boolean;
  pending?: boolean;
  tenant?: string;
  clientId?: string;
  stage?: string;
  region?: string;
  tokenUrl?: string;
  to?: string;
}

/** Why migrate-client-secrets cannot go back: what the refusal says. */
const NO_WAY_BACK =
  'migrate-client-secrets --to secrets-manager is impossible: a client whose secret was moved to a verifier has no secret left anywhere ' +
  '(the verifier is a keyed MAC of it, from which nothing can recover it); to leave verifiers, rotate each client\'s secret and hand the new one out';

function parse(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tenant: { type: 'string' },
        'client-id': { type: 'string' },
        stage: { type: 'string' },
        region: { type: 'string' },
        'token-url': { type: 'string' },
        id: { type: 'string' },
        force: { type: 'boolean' },
        pending: { type: 'boolean' },
        to: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { positionals, values } = parsed;
  const [command, ...extra] = positionals;
  if (!COMMANDS.includes(command as Command)) throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const options: Options = {
    command: command as Command,
    caId: values.id,
    force: values.force,
    pending: values.pending,
    tenant: values.tenant,
    clientId: values['client-id'],
    stage: values.stage,
    region: values.region,
    tokenUrl: values['token-url'],
    to: values.to,
  };
  if (options.to !== undefined && options.command !== 'migrate-client-secrets') throw new UsageError('--to goes with migrate-client-secrets');
  if (options.force !== undefined && options.command !== 'retire-ca') throw new UsageError('--force goes with retire-ca');
  if (options.pending !== undefined && options.command !== 'rotate-ca') throw new UsageError('--pending goes with rotate-ca');
  if (options.caId !== undefined && options.command !== 'retire-ca' && options.command !== 'activate-ca') throw new UsageError('--id goes with retire-ca and activate-ca');
  if (options.command === 'migrate-client-secrets') {
    if (options.tenant !== undefined || options.clientId !== undefined || options.tokenUrl !== undefined) {
      throw new UsageError('migrate-client-secrets takes no --tenant, --client-id or --token-url');
    }
    if (options.to !== 'verifier' && options.to !== 'secrets-manager') throw new UsageError(options.to === undefined ? 'migrate-client-secrets needs --to verifier' : `--to "${options.to}" is not a client secret store (verifier)`);
  } else if (CA_COMMANDS.includes(options.command)) {
    if (options.tenant !== undefined || options.clientId !== undefined || options.tokenUrl !== undefined) {
      throw new UsageError(`${options.command} takes no --tenant, --client-id or --token-url`);
    }
    if (options.command === 'retire-ca' || options.command === 'activate-ca') {
      if (options.caId === undefined) throw new UsageError(`${options.command} needs --id <ca-id> (list-cas shows them)`);
      if (!CA_ID.test(options.caId)) throw new UsageError(`--id "${options.caId}" is not a CA id (ca-<number>)`);
    }
  } else if (command === 'create') {
    if (options.tenant === undefined) throw new UsageError('create needs --tenant <name>');
    if (!TENANT.test(options.tenant)) {
      throw new UsageError(`tenant "${options.tenant}" is not valid: use 1-63 characters of a-z, 0-9 and "-"`);
    }
    if (options.clientId !== undefined) throw new UsageError('--client-id goes with revoke');
  } else if (command === 'rotate-signing-key') {
    for (const [flag, value] of [['--tenant', options.tenant], ['--client-id', options.clientId], ['--token-url', options.tokenUrl]] as const) {
      if (value !== undefined) throw new UsageError(`${flag} does not go with rotate-signing-key`);
    }
  } else {
    if (!options.clientId) throw new UsageError('revoke needs --client-id <id>');
    if (options.tenant !== undefined) throw new UsageError('--tenant goes with create');
    if (options.tokenUrl !== undefined) throw new UsageError('--token-url goes with create');
  }
  if (options.stage === undefined && (options.region !== undefined || options.tokenUrl !== undefined)) {
    throw new UsageError('--region and --token-url go with --stage (the local stack knows its own)');
  }
  if (options.stage !== undefined && !STAGE.test(options.stage)) throw new UsageError(`stage "${options.stage}" is not valid`);
  if (options.tokenUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(options.tokenUrl)) {
    throw new UsageError(`--token-url "${options.tokenUrl}" is not an http(s) URL`);
  }
  return options;
}

/** Points the SDK and config() at the target stage; returns the token URL to print, when known. */
function pointAtTarget(options: Options): string | null {
  // Names follow the stage (config() defaults); leftovers in the shell must not redirect them.
  for (const name of ['STAGE', 'APPLICATIONS_TABLE', 'SYSTEM_AUTHS_TABLE', 'TOKENS_TABLE', 'AUDIT_TABLE', 'SECRETS_PREFIX']) delete process.env[name];
  // Logs at WARN and above go to stderr; stdout carries only the result.
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  delete process.env.AWS_LAMBDA_LOG_LEVEL;

  if (options.stage === undefined) {
    const stack = readRunningStack(localStateDir());
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    Object.assign(process.env, {
      STAGE: stack.stage,
      AWS_REGION: stack.region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.endpoints.secretsManager,
      AWS_ENDPOINT_URL_KMS: stack.endpoints.kms,
      // Clients are made the way the running stack keeps them (a stack file from before the setting: Secrets Manager).
      CLIENT_SECRET_STORE: stack.clientSecretStore ?? 'secrets-manager',
    });
    delete process.env.CLIENT_SECRET_MAC_KEY;
    return stack.endpoints.tokenUrl;
  }
  // A deployed stage: the normal credential chain, and the real service endpoints.
  for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL_KMS']) delete process.env[name];
  process.env.STAGE = options.stage;
  process.env.AWS_REGION = options.region ?? DEFAULT_REGION;
  if (options.tokenUrl) return options.tokenUrl;
  if (options.command === 'rotate-signing-key' || options.command === 'migrate-client-secrets' || CA_COMMANDS.includes(options.command)) return null;
  process.stderr.write('admin: the token URL of a deployed stage is unknown here; pass --token-url to include it\n');
  return null;
}

/** rotate-ca, activate-ca, retire-ca, list-cas: the domain is shared/certificates/ca-lifecycle.ts; this only composes and reports. */
async function runCa(options: Options): Promise<Record<string, unknown>> {
  const ca = await import('../shared/certificates/ca-lifecycle');
  const cas = new ca.CaLifecycle(secrets, caRegistry, kms, kmsAdmin, config);
  const { FIRST_CA_ID, CaRegistryError } = await import('../shared/certificates/ca-registry');
  const { CertificateRepository } = await import('../shared/system-auths/certificate-records');
  try {
    if (options.command === 'rotate-ca') {
      const rotation = await cas.rotate(new Date(), { pending: options.pending });
      const newCaId = options.pending ? rotation.pendingCaId : rotation.currentCaId;
      await recordPlatformEvent('CA_ROTATED', { caId: newCaId ?? null, pending: options.pending === true, previousCaId: rotation.previousCaId ?? null });
      return { ...rotation, stage: process.env.STAGE };
    }
    if (options.command === 'activate-ca') {
      const activation = await cas.activate(options.caId!);
      await recordPlatformEvent('CA_ACTIVATED', { caId: options.caId! });
      return { ...activation, stage: process.env.STAGE };
    }
    if (options.command === 'retire-ca') {
      const certificates = new CertificateRepository(aws.dynamo, config().systemAuthsTable, config);
      const retirement = await cas.retire(options.caId!, (caId, now) => certificates.countLiveOfCa(caId, FIRST_CA_ID, now), { force: options.force });
      if (retirement.forced && retirement.liveCertificates > 0) {
        process.stderr.write(`admin: retire-ca --force: ${retirement.liveCertificates} live certificate(s) of ${retirement.caId} stop working now\n`);
      }
      // A forced retirement that cut live certificates off is in the trail with how many.
      await recordPlatformEvent('CA_RETIRED', { caId: retirement.caId, forced: retirement.forced, liveCertificates: retirement.liveCertificates });
      return { ...retirement, stage: process.env.STAGE };
    }
    if (options.command === 'crl-backfill') {
      // Certificates revoked before CRLs existed: into the byCrl index as pending; the crl function lists them within a minute.
      const { CrlEntryRepository } = await import('../shared/system-auths/crl-entries');
      return { stage: process.env.STAGE, ...(await new CrlEntryRepository(aws.dynamo, config().systemAuthsTable).backfill()) };
    }
    const registry = await caRegistry.loadFresh();
    return { stage: process.env.STAGE, cas: registry.cas.map(({ id, keyArn, status, createdAt, retiredAt }) => ({ id, status, keyArn, createdAt, retiredAt: retiredAt ?? null })) };
  } catch (error) {
    // Refusals written for the administrator (unknown id, current CA, live certificates) are the answer.
    if (error instanceof CaRegistryError || error instanceof ca.CaInUseError) throw new LocalStackError(`${options.command}: ${error.message}`);
    throw error;
  }
}

/**
 * A deployed stage keeps verifiers exactly when its verifier key exists (serverless.yml makes ClientSecretMacKeyAlias
 * only with clientSecretStore=verifier): the CLI then keeps new secrets the same way.
 */
async function learnClientSecretStore(): Promise<void> {
  const { clientSecretMacKeyAlias, resetConfig } = await import('../shared/config');
  delete process.env.CLIENT_SECRET_MAC_KEY;
  process.env.CLIENT_SECRET_STORE = (await kmsAdmin.keyExists(clientSecretMacKeyAlias(process.env.STAGE!))) ? 'verifier' : 'secrets-manager';
  resetConfig();
}

/** migrate-client-secrets --to verifier: the domain is shared/oauth/client-secret-migration.ts; this checks the stage, composes and reports. */
async function migrateClientSecrets(): Promise<Record<string, unknown>> {
  if (config().clientSecretStore !== 'verifier') {
    throw new LocalStackError(
      `migrate-client-secrets: stage ${config().stage} keeps client secrets in Secrets Manager, so its functions would not find moved ones: ` +
        'run it with CLIENT_SECRET_STORE=verifier (npm start) or deploy it with --param="clientSecretStore=verifier" first, then migrate',
    );
  }
  const { migrateClientSecretsToVerifiers } = await import('../shared/oauth/client-secret-migration');
  const { storedVerifiersOf } = await import('../shared/oauth/stored-verifiers');
  const { SystemAuthRepository } = await import('../shared/system-auths/repository');
  const { OAuthClientRecords } = await import('../shared/system-auths/oauth-client-records');
  const { recordAuditEvent } = await import('../shared/audit/recorder');
  const trail = await cliAuditRecorder();
  const report = await migrateClientSecretsToVerifiers({
    systemAuths: new SystemAuthRepository(aws.dynamo, config().systemAuthsTable),
    oauthClients: new OAuthClientRecords(aws.dynamo, config().systemAuthsTable, config),
    secrets,
    verifiers: storedVerifiersOf(kms, config())!,
    audit: (event) => recordAuditEvent(event, trail),
    now: () => new Date(),
  });
  const { PLATFORM_TENANT } = await import('../shared/audit/types');
  await recordAuditEvent({
    tenant: PLATFORM_TENANT,
    action: 'CLIENT_SECRETS_MIGRATED',
    outcome: report.failed.length === 0 ? 'SUCCESS' : 'FAILED',
    details: { to: 'verifier', clients: report.clients, migrated: report.migrated, alreadyMigrated: report.alreadyMigrated, revoked: report.revoked, failed: report.failed.length },
  }, trail);
  for (const failure of report.failed) process.stderr.write(`admin: migrate-client-secrets: client ${failure.systemAuthId} left as it was: ${failure.reason}\n`);
  return { stage: config().stage, to: 'verifier', ...report };
}

/** The CLI's audit recorder on the stage's audit table (imported only now: the domain modules read the environment set above). */
async function cliAuditRecorder() {
  const { AuditRecorder } = await import('../shared/audit/recorder');
  const { AuditRepository } = await import('../shared/audit/repository');
  return new AuditRecorder(new AuditRepository(aws.dynamo, config().auditTable), () => new Date(), config().auditRetentionDays);
}

/** An event of the stage's keys (no tenant's): the `#platform` partition of the audit trail, actor `cli`. */
async function recordPlatformEvent(action: 'CA_ROTATED' | 'CA_ACTIVATED' | 'CA_RETIRED' | 'SIGNING_KEY_ROTATED', details: Record<string, string | number | boolean | null>): Promise<void> {
  const { recordAuditEvent } = await import('../shared/audit/recorder');
  const { PLATFORM_TENANT } = await import('../shared/audit/types');
  await recordAuditEvent({ tenant: PLATFORM_TENANT, action, outcome: 'SUCCESS', details }, await cliAuditRecorder());
}

async function run(options: Options): Promise<Record<string, unknown>> {
  // Refused before anything is touched: there is no such migration.
  if (options.command === 'migrate-client-secrets' && options.to === 'secrets-manager') throw new LocalStackError(NO_WAY_BACK);
  const tokenUrl = pointAtTarget(options);
  if (options.command === 'rotate-signing-key') {
    const rotation = await signingKeyLifecycle.rotate();
    await recordPlatformEvent('SIGNING_KEY_ROTATED', { activeKid: rotation.activeKid, retiredKid: rotation.retiredKid ?? null });
    return { ...rotation };
  }
  if (CA_COMMANDS.includes(options.command)) return runCa(options);
  if (options.stage !== undefined) await learnClientSecretStore();
  if (options.command === 'migrate-client-secrets') return migrateClientSecrets();
  // Imported only now: the domain modules read the environment set above.
  const { OAuthClients, clientAuthenticationState } = await import('../shared/oauth/clients');
  const { storedVerifiersOf } = await import('../shared/oauth/stored-verifiers');
  const { SystemAuthRepository } = await import('../shared/system-auths/repository');
  const { OAuthClientRecords } = await import('../shared/system-auths/oauth-client-records');
  const { recordAuditEvent } = await import('../shared/audit/recorder');
  const systemAuths = new SystemAuthRepository(aws.dynamo, config().systemAuthsTable);
  const clients = new OAuthClients(systemAuths, new OAuthClientRecords(aws.dynamo, config().systemAuthsTable, config), secrets, clientAuthenticationState(), storedVerifiersOf(kms, config()));
  // Audit events of the CLI have the actor `cli` (shared/audit/recorder.ts recordAuditEvent); a failed write is logged, never fatal.
  if (options.command === 'create') {
    const admin = await clients.createAdmin(options.tenant!);
    await recordAuditEvent({ tenant: admin.tenant, action: 'ADMINISTRATOR_CREATED', outcome: 'SUCCESS', target: { systemAuthId: admin.clientId } }, await cliAuditRecorder());
    return { clientId: admin.clientId, clientSecret: admin.clientSecret, tenant: admin.tenant, tokenUrl };
  }
  const clientId = options.clientId!;
  // Read before: the event goes to the client's tenant, which revoking does not return.
  const client = /^[0-9a-f-]{36}$/.test(clientId) ? await systemAuths.get(clientId) : undefined;
  if (!(await clients.revokeById(clientId))) throw new LocalStackError(`there is no OAuth client "${clientId}" to revoke`);
  if (client) {
    await recordAuditEvent({
      tenant: client.tenant,
      action: client.kind === 'ADMIN' ? 'ADMINISTRATOR_REVOKED' : 'CLIENT_CREDENTIALS_REVOKED',
      outcome: 'SUCCESS',
      target: { systemAuthId: client.id, applicationId: client.appId },
    }, await cliAuditRecorder());
  }
  return { clientId, revoked: true };
}

function exit(code: number, stdout?: string): void {
  if (stdout === undefined) process.exit(code);
  // Wait for the write: stdout may be a pipe that a test or script reads.
  process.stdout.write(stdout, () => process.exit(code));
}

/** `--help`, `-h` or `help` anywhere before other arguments are checked: the usage on stdout, exit code 0. */
const HELP = new Set(['--help', '-h', 'help']);

async function main(): Promise<void> {
  if (process.argv.slice(2).some((argument) => HELP.has(argument))) return exit(0, `${USAGE}\n`);
  let options: Options;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`admin: ${(error as Error).message}\n${USAGE}\n`);
    return exit(2);
  }
  try {
    exit(0, `${JSON.stringify(await run(options))}\n`);
  } catch (error) {
    // Expected failures say what to do; anything else (AWS, network) is reported by its message only.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`admin: ${error instanceof LocalStackError ? message : `${options.command} failed: ${message}`}\n`);
    exit(1);
  }
}

void main();
