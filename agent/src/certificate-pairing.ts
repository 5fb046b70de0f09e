// pair, renew and status for a client certificate: the Connector's token-secured and certificate-secured sides.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createCsr, generateKey, keyType as parseKeyType, type KeyType } from './csr';
import { AgentError, BadInputError, CertificateExpiredError, CredentialRefusedError, EXIT_CODES, ServiceUnavailableError, type ExitCode } from './errors';
import { writeFileAtomic } from './files';
import { certificateSecured, firstError, tokenSecured, type GraphQLAnswer, type TlsCredentials } from './graphql';
import type { OneTimeTokenPairing } from './pairing-data';
import {
  installGeneration,
  otherGenerations,
  readCertificateState,
  readLive,
  removeFolder,
  renewalPoint,
  serialOf,
  SERVER_CA_FILE,
  tlsCredentials,
  verifyIssued,
  writeState,
  type CertificatePairingState,
  type Generation,
  type GenerationInfo,
} from './store';

/** One line per event, on stderr (the `run` log); data goes to stdout. */
export type EventLog = (event: string, fields?: Record<string, unknown>) => void;

const CONFIGURATION = '{ configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm caId } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }';
const CURRENT_CA = '{ configuration { certificateSigningRequestInfo { caId } } }';
const SIGN = 'mutation($csr: String!) { signCertificateSigningRequest(csr: $csr) { clientCertificate caCertificate caId } }';
const RETIRE = 'mutation { retirePreviousCertificate }';
const VIEWER = '{ viewer { id type } }';

interface Configuration {
  token: { token: string } | null;
  certificateSigningRequestInfo: { subject: string; keyAlgorithm: string; caId: string };
  managementPlaneInfo: { directorURL: string | null; certificateSecuredConnectorURL: string | null };
}
interface Signed {
  clientCertificate: string;
  caCertificate: string;
  caId: string | null;
}

const fromBase64 = (value: string) => Buffer.from(value, 'base64').toString('utf8');
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Exponential backoff with full jitter: a random wait up to base·2^attempt, capped. */
export const backoffMs = (attempt: number, baseMs = 1000, capMs = 300_000) => Math.round(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));

/** Calls `call` again while it fails with ServiceUnavailableError, up to `attempts` times; the same request each time. */
async function retrying<T>(what: string, attempts: number, call: () => Promise<T>, log?: EventLog): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError) || attempt + 1 >= attempts) throw error;
      const wait = Math.max(250, backoffMs(attempt));
      log?.('retry', { what, attempt: attempt + 1, waitMs: wait, reason: error.message });
      await sleep(wait);
    }
  }
}

/** A 401 over mTLS means the service refuses this certificate for good (revoked, SystemAuth deleted). */
function refusedOrFailed(what: string, answer: GraphQLAnswer<unknown>): never {
  const error = firstError(answer) ?? { message: `HTTP ${answer.status} without data`, code: 'UNKNOWN' };
  if (answer.status === 401 || error.code === 'UNAUTHENTICATED') throw new CredentialRefusedError(`${what}: the service refuses this certificate: ${error.message}`);
  throw new AgentError(`${what}: ${error.message} (${error.code})`);
}

function mtlsCall<T>(url: string, credentials: TlsCredentials, what: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return certificateSecured<T>(url, credentials, query, variables).then((answer) => {
    if (answer.data == null || answer.errors?.length) refusedOrFailed(what, answer);
    return answer.data as T;
  });
}

function generationInfo(certificate: X509Certificate, caId: string | null, fallbackCaId: string): GenerationInfo {
  return {
    serial: serialOf(certificate),
    caId: caId ?? fallbackCaId,
    obtainedAt: new Date().toISOString(),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
  };
}

export interface PairOptions {
  dir: string;
  serverCaPem?: string;
  keyType?: string;
  log?: EventLog;
}

/** A summary of the live certificate: what `pair`, `renew` and `status` print. */
export function describeGeneration(state: CertificatePairingState, generation: Generation) {
  return {
    systemAuthId: state.systemAuthId,
    subject: state.subject,
    serial: generation.serial,
    caId: generation.caId,
    notBefore: generation.notBefore,
    notAfter: generation.notAfter,
  };
}

/**
 * Spends the one-time token on `configuration`, makes the key and CSR, has it signed (a lost answer is asked again with
 * the same CSR and token: the service returns the same certificate) and verifies the answer before writing anything.
 */
export async function pairWithOneTimeToken(pairing: OneTimeTokenPairing, options: PairOptions) {
  const { dir, log } = options;
  const configured = await tokenSecured<{ configuration: Configuration }>(pairing.connectorUrl, pairing.token, CONFIGURATION);
  if (!configured.data?.configuration) {
    const error = firstError(configured);
    if (configured.status === 401 || error?.code === 'UNAUTHENTICATED') {
      throw new BadInputError(`the one-time token was refused: ${error?.message ?? `HTTP ${configured.status}`}; nothing was written`);
    }
    throw new AgentError(`configuration: ${error?.message ?? `HTTP ${configured.status}`}`);
  }
  const configuration = configured.data.configuration;
  const info = configuration.certificateSigningRequestInfo;
  const connectorUrl = configuration.managementPlaneInfo.certificateSecuredConnectorURL;
  const directorUrl = configuration.managementPlaneInfo.directorURL;
  if (!configuration.token || !connectorUrl || !directorUrl) throw new AgentError('configuration: the service announced no mTLS endpoint; this agent renews over mTLS');

  const type: KeyType = parseKeyType(options.keyType ?? info.keyAlgorithm);
  const key = generateKey(type);
  const csr = createCsr(key, info.subject);
  const csrToken = configuration.token.token;
  const signed = await retrying(
    'signCertificateSigningRequest',
    6,
    async () => {
      const answer = await tokenSecured<{ signCertificateSigningRequest: Signed }>(pairing.connectorUrl, csrToken, SIGN, { csr: Buffer.from(csr).toString('base64') });
      if (!answer.data?.signCertificateSigningRequest) {
        const error = firstError(answer);
        throw new AgentError(`signCertificateSigningRequest: ${error?.message ?? `HTTP ${answer.status}`} (${error?.code ?? 'UNKNOWN'})`);
      }
      return answer.data.signCertificateSigningRequest;
    },
    log,
  );
  const keyPem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
  const certPem = fromBase64(signed.clientCertificate);
  const caPem = fromBase64(signed.caCertificate);
  const certificate = verifyIssued(certPem, caPem, keyPem, info.subject);

  const generation = generationInfo(certificate, signed.caId, info.caId);
  const state: CertificatePairingState = {
    version: 1,
    kind: 'client-certificate',
    systemAuthId: info.subject.match(/(?:^|,)CN=([^,]+)$/)?.[1] ?? pairing.systemAuthId ?? '',
    subject: info.subject,
    keyType: type,
    certificateSecuredConnectorUrl: connectorUrl,
    directorUrl,
    serverCaFile: options.serverCaPem ? SERVER_CA_FILE : undefined,
    pairedAt: new Date().toISOString(),
  };
  if (options.serverCaPem) writeFileAtomic(path.join(dir, SERVER_CA_FILE), options.serverCaPem, 0o644);
  const previous = fs.readdirSync(dir).filter((entry) => entry.startsWith('gen-'));
  installGeneration(dir, { keyPem, certPem, caPem }, generation);
  writeState(dir, state);
  for (const folder of previous) if (folder !== `gen-${generation.serial}`) removeFolder(dir, folder);
  return { dir, ...describeGeneration(state, readLive(dir)) };
}

export interface RenewOptions {
  force?: boolean;
  /** Fraction of the lifetime after which a renewal is due (default 2/3). */
  renewAfter?: number;
  /** Seconds between making the new certificate live and retiring its predecessor, so readers of the files move over. */
  retireAfterSeconds?: number;
  log?: EventLog;
  signal?: AbortSignal;
  /** Runs after the new certificate is live, before the predecessor is retired (--exec, --signal). */
  afterRenewal?: (generation: Generation) => Promise<void>;
}

export const DEFAULT_RENEW_AFTER = 2 / 3;

/** The live certificate, refusing an expired one (only a new pairing helps, its TLS handshake fails). */
export function liveCertificate(dir: string): { state: CertificatePairingState; live: Generation } {
  const state = readCertificateState(dir);
  const live = readLive(dir);
  if (Date.now() >= Date.parse(live.notAfter)) {
    throw new CertificateExpiredError(`the certificate ${live.serial} expired at ${live.notAfter}: pair again with new pairing data`);
  }
  return { state, live };
}

/**
 * Retires what the live certificate was renewed from, if a renewal left that undone (a crash, an unreachable service),
 * and removes generation folders a crash left before they went live.
 */
export async function finishPendingRetirement(dir: string, log?: EventLog): Promise<void> {
  const { state, live } = liveCertificate(dir);
  const { older, unused } = otherGenerations(dir);
  for (const folder of unused) removeFolder(dir, folder);
  if (older.length === 0) return;
  await mtlsCall(state.certificateSecuredConnectorUrl, tlsCredentials(dir, state, live), 'retirePreviousCertificate', RETIRE);
  for (const generation of older) {
    removeFolder(dir, generation.folder);
    log?.('retired', { serial: generation.serial, caId: generation.caId, by: live.serial });
  }
}

/** The id of the CA that signs new certificates now, asked over mTLS with the live certificate. */
export async function currentCaId(dir: string): Promise<string> {
  const { state, live } = liveCertificate(dir);
  const data = await mtlsCall<{ configuration: { certificateSigningRequestInfo: { caId: string } } }>(state.certificateSecuredConnectorUrl, tlsCredentials(dir, state, live), 'configuration', CURRENT_CA);
  return data.configuration.certificateSigningRequestInfo.caId;
}

/**
 * Renews over mTLS with a new key: the new certificate goes live by rename, the hook runs, and after
 * `retireAfterSeconds` the predecessor is retired. Returns undefined when not due (and not forced).
 */
export async function renew(dir: string, options: RenewOptions = {}): Promise<{ generation: Generation; previous: Generation } | undefined> {
  await finishPendingRetirement(dir, options.log);
  const { state, live } = liveCertificate(dir);
  if (!options.force && Date.now() < renewalPoint(live, options.renewAfter ?? DEFAULT_RENEW_AFTER).getTime()) return undefined;

  const key = generateKey(state.keyType);
  const csr = Buffer.from(createCsr(key, state.subject)).toString('base64');
  const signed = await mtlsCall<{ signCertificateSigningRequest: Signed }>(state.certificateSecuredConnectorUrl, tlsCredentials(dir, state, live), 'signCertificateSigningRequest', SIGN, { csr });
  const keyPem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
  const certPem = fromBase64(signed.signCertificateSigningRequest.clientCertificate);
  const caPem = fromBase64(signed.signCertificateSigningRequest.caCertificate);
  const certificate = verifyIssued(certPem, caPem, keyPem, state.subject);
  installGeneration(dir, { keyPem, certPem, caPem }, generationInfo(certificate, signed.signCertificateSigningRequest.caId, live.caId));
  const generation = readLive(dir);
  options.log?.('renewed', { serial: generation.serial, caId: generation.caId, notAfter: generation.notAfter, previous: live.serial });
  await options.afterRenewal?.(generation);
  await sleep((options.retireAfterSeconds ?? 0) * 1000, options.signal);
  await finishPendingRetirement(dir, options.log);
  return { generation, previous: live };
}

export type CertificateCondition = 'valid' | 'renewal-due' | 'expired' | 'revoked' | 'unreachable';

export const CONDITION_EXIT_CODES: Record<CertificateCondition, ExitCode> = {
  valid: EXIT_CODES.ok,
  'renewal-due': EXIT_CODES.renewalDue,
  expired: EXIT_CODES.expired,
  revoked: EXIT_CODES.revoked,
  unreachable: EXIT_CODES.unreachable,
};

/** The live certificate, its renewal point, and whether the service still accepts it (`viewer` over mTLS). */
export async function status(dir: string, renewAfter = DEFAULT_RENEW_AFTER) {
  const state = readCertificateState(dir);
  const live = readLive(dir);
  const renewAt = renewalPoint(live, renewAfter);
  const now = Date.now();
  let condition: CertificateCondition;
  let accepted: boolean | null = null;
  let reason: string | undefined;
  if (now >= Date.parse(live.notAfter)) condition = 'expired';
  else {
    try {
      await mtlsCall(state.directorUrl, tlsCredentials(dir, state, live), 'viewer', VIEWER);
      accepted = true;
      condition = now >= renewAt.getTime() ? 'renewal-due' : 'valid';
    } catch (error) {
      if (error instanceof CredentialRefusedError) {
        accepted = false;
        condition = 'revoked';
      } else if (error instanceof ServiceUnavailableError) condition = 'unreachable';
      else throw error;
      reason = (error as Error).message;
    }
  }
  return {
    dir,
    ...describeGeneration(state, live),
    renewAt: renewAt.toISOString(),
    secondsUntilRenewal: Math.max(0, Math.round((renewAt.getTime() - now) / 1000)),
    accepted,
    condition,
    ...(reason ? { reason } : {}),
  };
}
