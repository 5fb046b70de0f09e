// The Connector's rules: configuration trades a CONFIGURATION token for a CSR token, and a CSR token buys exactly one certificate.
import { loadCertificateAuthority, type IssuedCertificate } from '../certificates/ca';
import { validateCsr, type ValidatedCsr } from '../certificates/csr';
import { announcedSubject, formatSubject } from '../certificates/subject';
import { config } from '../config';
import { ForbiddenError, ServiceError, UnauthenticatedError } from '../errors';
import {
  cancellationCodes,
  findOneTimeToken,
  oneTimeTokenPut,
  oneTimeTokenRedemption,
  systemAuthTokenLink,
  transactWrite,
} from '../one-time-tokens/repository';
import { isRedeemed, newOneTimeToken, type OneTimeToken, type RedeemedCertificate } from '../one-time-tokens/token';
import {
  certificateRecordPut,
  findCertificateRecord,
  revokeCertificateRecord,
  systemAuthActivation,
  type CertificateRecord,
} from '../system-auths/certificate-records';
import type { ClientCertificateCaller, ConnectorCaller, OneTimeTokenCaller } from './caller';

/** Key algorithm the Connector announces (Compass's name); EC P-256 CSRs are accepted as well. */
export const ANNOUNCED_KEY_ALGORITHM = 'rsa2048';

export interface Configuration {
  token: { token: string } | null;
  certificateSigningRequestInfo: { subject: string; keyAlgorithm: string };
  managementPlaneInfo: { directorURL: string | null; certificateSecuredConnectorURL: string | null };
}

/** base64 of PEM, as the contract returns certificates. */
export interface CertificationResult {
  certificateChain: string;
  caCertificate: string;
  clientCertificate: string;
}

/**
 * The presented credentials turned out spent, expired or revoked while the request ran (e.g. a
 * concurrent request won the token): the Connector refuses the whole request with HTTP 401, as it
 * would have before GraphQL ran.
 */
export class CredentialsSpentError extends UnauthenticatedError {
  constructor() {
    super('The one-time token is unknown, expired or already used');
  }
}

const TOKEN_CONFLICTS = new Set(['ConditionalCheckFailed', 'TransactionConflict']);

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const withNewline = (pem: string): string => (pem.endsWith('\n') ? pem : `${pem}\n`);

export function certificationResult(certificate: RedeemedCertificate): CertificationResult {
  const leaf = withNewline(certificate.clientCertificatePem);
  const ca = withNewline(certificate.caCertificatePem);
  return { certificateChain: base64(leaf + ca), caCertificate: base64(ca), clientCertificate: base64(leaf) };
}

/** The certificate record of a freshly issued certificate of this SystemAuth. */
function issuedRecord(owner: { systemAuthId: string; tenant: string; appId: string }, issued: IssuedCertificate): CertificateRecord {
  return {
    systemAuthId: owner.systemAuthId,
    tenant: owner.tenant,
    appId: owner.appId,
    serialNumber: issued.serialNumber,
    sha256Fingerprint: issued.sha256Fingerprint,
    subject: issued.subject,
    notBefore: issued.notBefore.toISOString(),
    notAfter: issued.notAfter.toISOString(),
    revoked: false,
  };
}

function managementPlaneInfo(): Configuration['managementPlaneInfo'] {
  const mtls = config().mtlsBaseUrl;
  return {
    directorURL: mtls ? `${mtls}/director/graphql` : null,
    certificateSecuredConnectorURL: mtls ? `${mtls}/connector/graphql` : null,
  };
}

function csrInfo(systemAuthId: string): Configuration['certificateSigningRequestInfo'] {
  return { subject: formatSubject(announcedSubject(systemAuthId)), keyAlgorithm: ANNOUNCED_KEY_ALGORITHM };
}

/** Token-secured `configuration`: spends the CONFIGURATION token and issues the CSR token in one transaction. */
async function configurationWithToken(caller: OneTimeTokenCaller, now: Date): Promise<Configuration> {
  const presented = caller.token;
  if (isRedeemed(presented)) throw new CredentialsSpentError();
  if (presented.purpose !== 'CONFIGURATION') {
    throw new ForbiddenError('This token is for signCertificateSigningRequest; configuration needs the token from generateAuthForApplication');
  }
  const next = newOneTimeToken(presented, 'CSR', now, config().oneTimeTokenTtlSeconds);
  try {
    await transactWrite([
      oneTimeTokenRedemption(presented.tokenHash, 'CONFIGURATION', now),
      oneTimeTokenPut(next.record),
      systemAuthTokenLink(next.record),
    ]);
  } catch (error) {
    const codes = cancellationCodes(error);
    // [0]: another request spent the token first (or it expired meanwhile); [2]: the SystemAuth was revoked.
    if (codes && (TOKEN_CONFLICTS.has(codes[0] ?? '') || codes[2] === 'ConditionalCheckFailed')) throw new CredentialsSpentError();
    throw error;
  }
  return {
    token: { token: next.token },
    certificateSigningRequestInfo: csrInfo(presented.systemAuthId),
    managementPlaneInfo: managementPlaneInfo(),
  };
}

/**
 * The certificate a spent CSR token was redeemed with, if `csr` is that same CSR and the certificate
 * is still good; otherwise the token is spent. A revoked (or vanished) certificate is never handed out again.
 */
async function sameCsrRetry(token: OneTimeToken, csr: ValidatedCsr): Promise<CertificationResult> {
  if (token.csrHash !== csr.csrSha256 || !token.certificate) throw new CredentialsSpentError();
  const record = await findCertificateRecord(token.systemAuthId, token.certificate.sha256Fingerprint);
  if (!record || record.revoked) throw new CredentialsSpentError();
  return certificationResult(token.certificate);
}

/** Token-secured `signCertificateSigningRequest`: validate everything, then spend, record and activate in one transaction. */
async function signWithToken(caller: OneTimeTokenCaller, csrInput: string, now: Date): Promise<CertificationResult> {
  const presented = caller.token;
  if (!isRedeemed(presented) && presented.purpose !== 'CSR') {
    throw new ForbiddenError('This token is for configuration: call configuration first, it returns the token for signCertificateSigningRequest');
  }
  let csr: ValidatedCsr;
  try {
    csr = validateCsr(csrInput, announcedSubject(presented.systemAuthId));
  } catch (error) {
    // A spent token admits nothing but the retry of its own CSR: anything else is 401, not a CSR lesson.
    if (isRedeemed(presented) && error instanceof ServiceError) throw new CredentialsSpentError();
    throw error;
  }
  if (isRedeemed(presented)) return sameCsrRetry(presented, csr);

  const authority = await loadCertificateAuthority();
  const issued = authority.issue(csr, { validityDays: config().certificateValidityDays, now });
  const certificate: RedeemedCertificate = {
    clientCertificatePem: issued.certificatePem,
    caCertificatePem: authority.certificatePem,
    sha256Fingerprint: issued.sha256Fingerprint,
  };
  try {
    await transactWrite([
      oneTimeTokenRedemption(presented.tokenHash, 'CSR', now, { csrHash: csr.csrSha256, certificate }),
      certificateRecordPut(issuedRecord(presented, issued)),
      systemAuthActivation(presented.systemAuthId, presented.tenant),
    ]);
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes?.[2] === 'ConditionalCheckFailed') throw new CredentialsSpentError();
    if (codes && TOKEN_CONFLICTS.has(codes[0] ?? '')) {
      // A concurrent request spent the token: if it did so with this very CSR, its certificate is the answer.
      const winner = await findOneTimeToken(presented.tokenHash, now);
      if (winner && isRedeemed(winner)) return sameCsrRetry(winner, csr);
      throw new CredentialsSpentError();
    }
    throw error;
  }
  return certificationResult(certificate);
}

/** Certificate-secured `configuration`: the same CSR info for the certificate's SystemAuth; there is no token to trade. */
function configurationWithCertificate(caller: ClientCertificateCaller): Configuration {
  return {
    token: null,
    certificateSigningRequestInfo: csrInfo(caller.application.systemAuthId),
    managementPlaneInfo: managementPlaneInfo(),
  };
}

/**
 * Certificate-secured `signCertificateSigningRequest`, the renewal: a CSR of the very subject `configuration`
 * announces (CN = the certificate's SystemAuth) gets a new certificate under the same SystemAuth. The
 * presenting certificate is left as it is: it stays valid until it expires or is revoked.
 */
async function renewWithCertificate(caller: ClientCertificateCaller, csrInput: string, now: Date): Promise<CertificationResult> {
  const { systemAuthId, tenant, appId } = caller.application;
  const csr = validateCsr(csrInput, announcedSubject(systemAuthId));
  const authority = await loadCertificateAuthority();
  const issued = authority.issue(csr, { validityDays: config().certificateValidityDays, now });
  try {
    await transactWrite([
      certificateRecordPut(issuedRecord({ systemAuthId, tenant, appId }, issued)),
      // The SystemAuth must still be live: a revocation racing this renewal wins, and no certificate is recorded.
      systemAuthActivation(systemAuthId, tenant),
    ]);
  } catch (error) {
    if (cancellationCodes(error)?.[1] === 'ConditionalCheckFailed') {
      throw new UnauthenticatedError('The SystemAuth of this client certificate is no longer active');
    }
    throw error;
  }
  return certificationResult({
    clientCertificatePem: issued.certificatePem,
    caCertificatePem: authority.certificatePem,
    sha256Fingerprint: issued.sha256Fingerprint,
  });
}

export async function configuration(caller: ConnectorCaller, now: Date = new Date()): Promise<Configuration> {
  switch (caller.kind) {
    case 'ONE_TIME_TOKEN':
      return configurationWithToken(caller, now);
    case 'CLIENT_CERTIFICATE':
      return configurationWithCertificate(caller);
  }
}

export async function signCertificateSigningRequest(caller: ConnectorCaller, csr: string, now: Date = new Date()): Promise<CertificationResult> {
  switch (caller.kind) {
    case 'ONE_TIME_TOKEN':
      return signWithToken(caller, csr, now);
    case 'CLIENT_CERTIFICATE':
      return renewWithCertificate(caller, csr, now);
  }
}

export async function revokeCertificate(caller: ConnectorCaller): Promise<boolean> {
  switch (caller.kind) {
    case 'ONE_TIME_TOKEN':
      if (isRedeemed(caller.token)) throw new CredentialsSpentError();
      throw new ForbiddenError('revokeCertificate revokes the calling client certificate: call it through the mTLS endpoint, not with a one-time token');
    case 'CLIENT_CERTIFICATE': {
      // Only the calling certificate: a renewed successor (another fingerprint) keeps working.
      const { systemAuthId, certificateFingerprint } = caller.application;
      if (!(await revokeCertificateRecord(systemAuthId, certificateFingerprint))) {
        throw new UnauthenticatedError('The client certificate is not known to this service');
      }
      return true;
    }
  }
}
