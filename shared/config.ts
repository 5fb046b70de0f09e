// Typed configuration of the service, read once from the environment (serverless.yml sets it in AWS, `npm start` locally).
import { DAY_SECONDS } from './time';

export interface CsrSubjectDefaults {
  organization: string;
  organizationalUnit: string;
  locality: string;
  province: string;
  country: string;
}

/** Bounds of every AWS SDK call (shared/aws/clients.ts), so a stalled AWS service fails a call instead of outliving the function. */
export interface AwsCallLimits {
  /** Time to open the TCP/TLS connection. */
  connectionTimeoutMs: number;
  /** Time for one attempt, request sent to response read. */
  requestTimeoutMs: number;
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** Time one synchronous invoke of the tokens function may take: above that function's own timeout. */
  tokensInvokeTimeoutMs: number;
}

export interface Config {
  stage: string;
  applicationsTable: string;
  systemAuthsTable: string;
  tokensTable: string;
  /** The audit trail (shared/audit): append-only events. */
  auditTable: string;
  /** Days an audit event is kept before DynamoDB's TTL removes it (AUDIT_RETENTION_DAYS, default 400). */
  auditRetentionDays: number;
  /** Secrets Manager names start with this prefix, e.g. `pairing-service/local`. */
  secretsPrefix: string;
  tokensFunctionName: string;
  /**
   * Absolute base URL of the HTTPS API (no trailing slash): the access tokens' issuer and the token and
   * Connector URLs. Empty is allowed on the local stage only, which then derives it from the request.
   */
  publicBaseUrl: string;
  /** Absolute base URL of the mutual-TLS endpoint (no trailing slash); empty when there is none. */
  mtlsBaseUrl: string;
  accessTokenTtlSeconds: number;
  oneTimeTokenTtlSeconds: number;
  /**
   * Validity of issued client certificates in days; fractional when CERTIFICATE_VALIDITY_SECONDS sets it, which only
   * the local stage accepts (so renewal can be watched in seconds; a deployed stage keeps whole days).
   */
  certificateValidityDays: number;
  csrSubject: CsrSubjectDefaults;
  /** How long secrets read from Secrets Manager may be served from memory. */
  secretCacheSeconds: number;
  /** Applications one tenant may have registered at once (shared/quotas.ts). */
  maxApplicationsPerTenant: number;
  /** Live (not revoked) OAuth clients one tenant may have, administrators' included (shared/quotas.ts). */
  maxOAuthClientsPerTenant: number;
  /** Unexpired, unrevoked certificates one SystemAuth may hold at once; a renewal beyond is refused (shared/quotas.ts). */
  maxLiveCertificates: number;
  /** Unexpired certificates, revoked ones included, one SystemAuth may have been issued; bounds a renew-and-revoke loop (shared/quotas.ts). */
  maxUnexpiredCertificates: number;
  /** Days a certificate record stays after its certificate expired, revoked or not, before DynamoDB's TTL removes it. */
  certificateRecordRetentionDays: number;
  /**
   * Where client secrets are kept (CLIENT_SECRET_STORE): `secrets-manager`, one secret each, or `verifier`, a KMS HMAC of
   * each in its SystemAuth item (shared/oauth/stored-verifiers.ts).
   */
  clientSecretStore: ClientSecretStoreKind;
  /** The stage's KMS HMAC key of client-secret verifiers (CLIENT_SECRET_MAC_KEY: id, ARN or alias). */
  clientSecretMacKey: string;
  aws: AwsCallLimits;
}

export const CLIENT_SECRET_STORES = ['secrets-manager', 'verifier'] as const;
export type ClientSecretStoreKind = (typeof CLIENT_SECRET_STORES)[number];

/** The alias of a stage's client-secret MAC key (serverless.yml ClientSecretMacKeyAlias; `npm start` and the tests make it in moto). */
export const clientSecretMacKeyAlias = (stage: string): string => `alias/${SERVICE_NAME}-${stage}-client-secrets`;

function clientSecretStore(env: NodeJS.ProcessEnv): ClientSecretStoreKind {
  const value = text(env, 'CLIENT_SECRET_STORE', 'secrets-manager');
  if (!(CLIENT_SECRET_STORES as readonly string[]).includes(value)) {
    throw new Error(`configuration: CLIENT_SECRET_STORE must be ${CLIENT_SECRET_STORES.join(' or ')}, got "${value}"`);
  }
  return value as ClientSecretStoreKind;
}

function text(env: NodeJS.ProcessEnv, name: string, fallback?: string): string {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new Error(`configuration: environment variable ${name} is not set`);
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`configuration: ${name} must be a positive number, got "${raw}"`);
  return value;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = positiveNumber(env, name, fallback);
  if (!Number.isSafeInteger(value)) throw new Error(`configuration: ${name} must be a whole number, got "${env[name]}"`);
  return value;
}

const stripSlash = (url: string) => url.replace(/\/+$/, '');

/** The stage of `npm start` and of `serverless offline`: the only one whose functions may take their base URL from a request. */
export const LOCAL_STAGE = 'local';

/** Stages whose functions get serverless.yml's `custom.developmentTimeout` (60 s) instead of the per-function timeouts. */
const DEVELOPMENT_STAGES: readonly string[] = [LOCAL_STAGE, 'test'];

/**
 * A stalled call costs at most maxAttempts x requestTimeoutMs (plus a short backoff): about 6 s, so a
 * failed write and its compensating delete (two stalled calls) end well inside the Director's 15 s.
 * The tokens invoke waits past the tokens function's timeout (5 s deployed, 60 s on development stages)
 * so that function's own failure, not this wait, ends a slow issuance; deployed, 10 s leaves the Director
 * time to answer before its own 15 s (on development stages the Director's 60 s timeout comes first).
 */
function awsCallLimits(stage: string): AwsCallLimits {
  return {
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 3000,
    maxAttempts: 2,
    tokensInvokeTimeoutMs: DEVELOPMENT_STAGES.includes(stage) ? 65_000 : 10_000,
  };
}

/** CERTIFICATE_VALIDITY_SECONDS (local stage only, refused elsewhere) or CERTIFICATE_VALIDITY_DAYS, in days. */
function certificateValidityDays(env: NodeJS.ProcessEnv, stage: string): number {
  const seconds = env.CERTIFICATE_VALIDITY_SECONDS;
  if (seconds === undefined || seconds === '') return positiveNumber(env, 'CERTIFICATE_VALIDITY_DAYS', 90);
  if (stage !== LOCAL_STAGE) {
    throw new Error(`configuration: CERTIFICATE_VALIDITY_SECONDS is for the ${LOCAL_STAGE} stage only (stage "${stage}" uses CERTIFICATE_VALIDITY_DAYS)`);
  }
  return positiveInteger(env, 'CERTIFICATE_VALIDITY_SECONDS', 1) / DAY_SECONDS;
}

/** The service's name: its resources' prefix, and the `service` of its logs, traces and metrics. */
export const SERVICE_NAME = 'pairing-service';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const stage = text(env, 'STAGE', LOCAL_STAGE);
  const service = SERVICE_NAME;
  return {
    stage,
    applicationsTable: text(env, 'APPLICATIONS_TABLE', `${service}-${stage}-applications`),
    systemAuthsTable: text(env, 'SYSTEM_AUTHS_TABLE', `${service}-${stage}-system-auths`),
    tokensTable: text(env, 'TOKENS_TABLE', `${service}-${stage}-tokens`),
    auditTable: text(env, 'AUDIT_TABLE', `${service}-${stage}-audit`),
    auditRetentionDays: positiveInteger(env, 'AUDIT_RETENTION_DAYS', 400),
    secretsPrefix: text(env, 'SECRETS_PREFIX', `${service}/${stage}`),
    tokensFunctionName: text(env, 'TOKENS_FUNCTION_NAME', `${service}-${stage}-tokens`),
    publicBaseUrl: stripSlash(text(env, 'PUBLIC_BASE_URL', '')),
    mtlsBaseUrl: stripSlash(text(env, 'MTLS_BASE_URL', '')),
    accessTokenTtlSeconds: positiveNumber(env, 'ACCESS_TOKEN_TTL_SECONDS', 3600),
    oneTimeTokenTtlSeconds: positiveNumber(env, 'ONE_TIME_TOKEN_TTL_SECONDS', 300),
    certificateValidityDays: certificateValidityDays(env, stage),
    csrSubject: {
      organization: text(env, 'CSR_SUBJECT_O', 'Pairing Service'),
      organizationalUnit: text(env, 'CSR_SUBJECT_OU', 'Applications'),
      locality: text(env, 'CSR_SUBJECT_L', 'Berlin'),
      province: text(env, 'CSR_SUBJECT_ST', 'Berlin'),
      country: text(env, 'CSR_SUBJECT_C', 'DE'),
    },
    secretCacheSeconds: positiveNumber(env, 'SECRET_CACHE_SECONDS', 60),
    maxApplicationsPerTenant: positiveInteger(env, 'MAX_APPLICATIONS_PER_TENANT', 1000),
    maxOAuthClientsPerTenant: positiveInteger(env, 'MAX_OAUTH_CLIENTS_PER_TENANT', 200),
    maxLiveCertificates: positiveInteger(env, 'MAX_LIVE_CERTIFICATES', 5),
    maxUnexpiredCertificates: positiveInteger(env, 'MAX_UNEXPIRED_CERTIFICATES', 100),
    certificateRecordRetentionDays: positiveInteger(env, 'CERTIFICATE_RECORD_RETENTION_DAYS', 30),
    clientSecretStore: clientSecretStore(env),
    clientSecretMacKey: text(env, 'CLIENT_SECRET_MAC_KEY', clientSecretMacKeyAlias(stage)),
    aws: awsCallLimits(stage),
  };
}

let cached: Config | undefined;

/** The configuration of this process; tests that change the environment call `resetConfig()`. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

export function resetConfig(): void {
  cached = undefined;
}
