// The Connector's rules: configuration trades a CONFIGURATION token for a CSR token, and a CSR token buys exactly one certificate.
import { X509Certificate } from 'node:crypto';
import { newlyRevoked } from '../audit/revocations';
import { AuditRecorder } from '../audit/recorder';
import { transactWrite, TransactionCancelledError, type NamedTransactItems, type TransactionClient } from '../aws/transactions';
import type { CurrentCertificateAuthority, IssuedCertificate } from '../certificates/ca';
import type { CaRegistryStore } from '../certificates/ca-registry-secret';
import { CsrRefusedError, validateCsr, type ValidatedCsr } from '../certificates/csr';
import { announcedSubject } from '../certificates/subject';
import type { Config } from '../config';
import { BadUserInputError, ForbiddenError, ServiceError, UnauthenticatedError } from '../errors';
import type { OneTimeTokenRepository } from '../one-time-tokens/repository';
import { certificateLimitReached } from '../quotas';
import { isRedeemed, newOneTimeToken, type OneTimeToken, type RedeemedCertificate } from '../one-time-tokens/token';
import { CERTIFICATE_COUNTERS, certificateSlotItem, type CertificateCounter, type CertificateRecord } from '../system-auths/certificate-items';
import { type CertificateRepository } from '../system-auths/certificate-records';
import type { CertificateSystemAuths } from '../system-auths/certificate-auths';
import { certificationResult, configurationWithCertificate, csrInfo, managementPlaneInfo, redeemedCertificationResult, type CertificationResult, type Configuration } from './answers';
import type { ClientCertificateCaller, ConnectorCaller, OneTimeTokenCaller } from './caller';
import { callerEvent, certificateDetails, certificateTarget } from './events';
import { CERTIFICATE_LIMIT_REASON, CredentialsSpentError } from './refusals';

/** The DER of a certificate's PEM. */
const derOfPem = (pem: string): Uint8Array => new X509Certificate(pem).raw;

const COUNTER_NAMES = Object.keys(CERTIFICATE_COUNTERS) as CertificateCounter[];

/** The presented token was spent by another request first, expired meanwhile, or is still being written by one. */
const tokenLost = (cancelled: TransactionCancelledError): boolean => cancelled.conditionFailed('token') || cancelled.conflicted('token');

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
    caId: issued.caId,
  };
}

/** What the Connector reads of the configuration, at each use. */
export type ConnectorSettings = () => Pick<Config, 'mtlsBaseUrl' | 'oneTimeTokenTtlSeconds' | 'certificateValidityDays' | 'csrSubject'>;

/** Where the Connector finds its CA: the registry (what configuration announces) and the current CA (which signs). */
export interface ConnectorCa {
  registry: Pick<CaRegistryStore, 'load'>;
  authority: Pick<CurrentCertificateAuthority, 'load'>;
}

/** The Connector's rules over the token, SystemAuth and certificate stores. */

export class ConnectorService {
  constructor(
    private readonly tokens: OneTimeTokenRepository,
    private readonly certificateAuths: CertificateSystemAuths,
    private readonly certificates: CertificateRepository,
    private readonly audit: AuditRecorder,
    private readonly settings: ConnectorSettings,
    /** The DynamoDB client the Connector's transactions go through (items of the token, SystemAuth and certificate stores). */
    private readonly dynamo: TransactionClient,
    private readonly ca: ConnectorCa,
  ) {}

  /** Records a refused one-time token (aggregated with its repeats) and returns the error to throw. */
  private async tokenRefused<E extends Error>(caller: OneTimeTokenCaller, reasonCode: 'SPENT' | 'WRONG_PURPOSE', error: E): Promise<E> {
    const reason = reasonCode === 'SPENT' ? 'spent' : 'wrong purpose';
    await this.audit.refused(callerEvent(caller, { action: 'ONE_TIME_TOKEN_REFUSED', outcome: 'REFUSED', reason, reasonCode, details: { purpose: caller.token.purpose } }));
    return error;
  }

  /** Records a CSR refused by a rule (the rule is the reason; never the CSR) and returns the error to throw. */
  private async csrRefused<E extends Error>(caller: ConnectorCaller, error: E): Promise<E> {
    const reasonCode = error instanceof CsrRefusedError ? error.rule : undefined;
    await this.audit.refused(callerEvent(caller, { action: 'CSR_REFUSED', outcome: 'REFUSED', reason: error.message.slice(0, 200), reasonCode }));
    return error;
  }

  async configuration(caller: ConnectorCaller, now: Date = new Date()): Promise<Configuration> {
    switch (caller.kind) {
      case 'ONE_TIME_TOKEN':
        return this.configurationWithToken(caller, now);
      case 'CERTIFICATE':
        return configurationWithCertificate(caller, this.settings(), await this.ca.registry.load());
    }
  }

  async signCertificateSigningRequest(caller: ConnectorCaller, csr: string, now: Date = new Date()): Promise<CertificationResult> {
    switch (caller.kind) {
      case 'ONE_TIME_TOKEN':
        return this.signWithToken(caller, csr, now);
      case 'CERTIFICATE':
        return this.renewWithCertificate(caller, csr, now);
    }
  }

  async revokeCertificate(caller: ConnectorCaller): Promise<boolean> {
    switch (caller.kind) {
      case 'ONE_TIME_TOKEN':
        if (isRedeemed(caller.token)) throw await this.tokenRefused(caller, 'SPENT', new CredentialsSpentError());
        throw new ForbiddenError('revokeCertificate revokes the calling client certificate: call it through the mTLS endpoint, not with a one-time token');
      case 'CERTIFICATE': {
        // The calling certificate and every certificate renewed from it: a thief holding it could have made them.
        // A predecessor it was renewed from keeps working.
        const { systemAuthId, certificateFingerprint } = caller.application;
        const before = await this.certificates.listOf(systemAuthId);
        const revoked = await this.certificates.revokeLineage(systemAuthId, certificateFingerprint);
        if (!revoked) throw new UnauthenticatedError('The client certificate is not known to this service');
        await this.recordRevoked(caller, newlyRevoked(before, revoked), 'revokeCertificate');
        return true;
      }
    }
  }

  /**
   * Certificate-secured `retirePreviousCertificate`: after a renewal, the new certificate revokes the one it
   * was renewed from together with everything else renewed from that one (a copy of the old certificate could
   * have renewed too), and leaves its own line alone.
   */
  async retirePreviousCertificate(caller: ConnectorCaller): Promise<boolean> {
    if (caller.kind === 'ONE_TIME_TOKEN') {
      if (isRedeemed(caller.token)) throw new CredentialsSpentError();
      throw new ForbiddenError('retirePreviousCertificate retires what the calling client certificate was renewed from: call it through the mTLS endpoint');
    }
    const { systemAuthId, certificateFingerprint } = caller.application;
    const own = await this.certificates.find(systemAuthId, certificateFingerprint);
    if (!own) throw new UnauthenticatedError('The client certificate is not known to this service');
    if (own.renewedFrom === undefined) {
      throw new BadUserInputError('The calling certificate was not renewed from another one: there is no previous certificate to retire');
    }
    const before = await this.certificates.listOf(systemAuthId);
    const revoked = await this.certificates.revokeLineage(systemAuthId, own.renewedFrom, { keep: certificateFingerprint });
    if (revoked) await this.recordRevoked(caller, newlyRevoked(before, revoked), 'retirePreviousCertificate');
    return true;
  }

  /** One CERTIFICATE_REVOKED event per certificate of a revoked lineage. */
  private async recordRevoked(caller: ClientCertificateCaller, revoked: readonly CertificateRecord[], operation: string): Promise<void> {
    await this.audit.recordAll(
      revoked.map((record) =>
        callerEvent(caller, { action: 'CERTIFICATE_REVOKED', outcome: 'SUCCESS', target: certificateTarget(record), details: { ...certificateDetails(record), operation } }),
      ),
    );
  }

  /**
   * Writes the transaction that records a new certificate, with a slot of each of its SystemAuth's certificate counters
   * (MAX_LIVE_CERTIFICATES, MAX_UNEXPIRED_CERTIFICATES) as more items: all or nothing, so concurrent renewals never record
   * more than a limit. When only slots failed, those counters are reconciled with the records (certificates expire
   * without a write, and a SystemAuth whose certificates were recorded without counters has none yet) and the transaction tried again; when
   * a counter has no room, the request is refused (LiveCertificateLimitError, FORBIDDEN) and nothing is written, not
   * even a spent token. Any other failure is thrown as it is. `first`: the certificate a one-time token
   * buys, which is always the first of its SystemAuth (the tokens function issues CONFIGURATION tokens for PENDING
   * SystemAuths only, each new, and its single-use redemption issues the one CSR token): its transaction creates the
   * counters at 1, saving every pairing a reconciliation.
   */
  private async recordWithinLimit(
    caller: ConnectorCaller,
    record: CertificateRecord,
    now: Date,
    items: NamedTransactItems,
    options: { first?: boolean } = {},
  ): Promise<void> {
    // Each further attempt follows a reconciliation that found a counter too high; concurrent renewals may take the
    // room it made first. Three reconciliations are plenty: past them the SystemAuth is refused (never over a limit).
    for (let attempt = 1; ; attempt++) {
      let full: CertificateCounter[];
      try {
        // A first certificate that finds counters (it never should) takes its slots the usual way from the second attempt on.
        await transactWrite(this.dynamo, { ...items, ...this.certificates.certificateSlots(record, { first: options.first === true && attempt === 1 }) });
        return;
      } catch (error) {
        if (!(error instanceof TransactionCancelledError)) throw error;
        const failed = error.failedItems;
        const counters = COUNTER_NAMES.filter((counter) => error.conditionFailed(certificateSlotItem(counter)));
        if (counters.length === 0 || failed.length !== counters.length) throw error;
        full = await this.certificates.certificateCountersReconciled(record.systemAuthId, counters, now);
        if (full.length === 0 && attempt <= 3) continue;
      }
      const counter = full[0] ?? 'live';
      const quota = CERTIFICATE_COUNTERS[counter].quota;
      const limit = this.certificates.limitOf(counter);
      // In the trail like a CSR refused by a rule, with a short reason of its own so that its repeats aggregate.
      await this.audit.refused(
        callerEvent(caller, { action: 'CSR_REFUSED', outcome: 'REFUSED', reason: CERTIFICATE_LIMIT_REASON, reasonCode: 'CERTIFICATE_LIMIT', details: { setting: quota.setting, limit } }),
      );
      throw certificateLimitReached(record.systemAuthId, quota, limit);
    }
  }

  /** Token-secured `configuration`: spends the CONFIGURATION token and issues the CSR token in one transaction. */
  private async configurationWithToken(caller: OneTimeTokenCaller, now: Date): Promise<Configuration> {
    const presented = caller.token;
    if (isRedeemed(presented)) throw await this.tokenRefused(caller, 'SPENT', new CredentialsSpentError());
    if (presented.purpose !== 'CONFIGURATION') {
      throw await this.tokenRefused(
        caller,
        'WRONG_PURPOSE',
        new ForbiddenError('This token is for signCertificateSigningRequest; configuration needs the token from generateAuthForApplication'),
      );
    }
    const next = newOneTimeToken(presented, 'CSR', now, this.settings().oneTimeTokenTtlSeconds);
    // Read before the token is spent: a registry that cannot be read must not cost the caller its token.
    const certificateSigningRequestInfo = csrInfo(presented.systemAuthId, this.settings().csrSubject, await this.ca.registry.load());
    try {
      await transactWrite(this.dynamo, {
        token: this.tokens.redemption(presented.tokenHash, 'CONFIGURATION', now),
        nextToken: this.tokens.newToken(next.record),
        systemAuth: this.certificateAuths.oneTimeTokenLink(next.record),
        // The events are part of the change: a token spent is a token recorded as spent.
        auditRedeemed: this.audit.inTransaction(callerEvent(caller, { action: 'ONE_TIME_TOKEN_REDEEMED', outcome: 'SUCCESS', details: { purpose: 'CONFIGURATION' } })),
        auditIssued: this.audit.inTransaction(
          callerEvent(caller, { action: 'ONE_TIME_TOKEN_ISSUED', outcome: 'SUCCESS', details: { purpose: 'CSR', expiresAt: new Date(next.record.expiresAt * 1000).toISOString() } }),
        ),
      });
    } catch (error) {
      // The token went to another request, or the SystemAuth was revoked: either way these credentials are spent.
      if (error instanceof TransactionCancelledError && (tokenLost(error) || error.conditionFailed('systemAuth'))) {
        throw await this.tokenRefused(caller, 'SPENT', new CredentialsSpentError());
      }
      throw error;
    }
    return {
      token: { token: next.token },
      certificateSigningRequestInfo,
      managementPlaneInfo: managementPlaneInfo(this.settings().mtlsBaseUrl),
    };
  }

  /**
   * The certificate a spent CSR token was redeemed with, if `csr` is that same CSR and the certificate
   * is still good; otherwise the token is spent. A revoked (or vanished) certificate is never handed out again.
   */
  private async sameCsrRetry(token: OneTimeToken, csr: ValidatedCsr): Promise<CertificationResult> {
    const spent = () => this.tokenRefused({ kind: 'ONE_TIME_TOKEN', token }, 'SPENT', new CredentialsSpentError());
    if (token.csrHash !== csr.csrSha256 || !token.certificate) throw await spent();
    const record = await this.certificates.find(token.systemAuthId, token.certificate.sha256Fingerprint);
    if (!record || record.revoked) throw await spent();
    const answer = redeemedCertificationResult(token.certificate, await this.ca.registry.load());
    if (!answer) throw await spent();
    return answer;
  }

  /** Token-secured `signCertificateSigningRequest`: validate everything, then spend, record and activate in one transaction. */
  private async signWithToken(caller: OneTimeTokenCaller, csrInput: string, now: Date): Promise<CertificationResult> {
    const presented = caller.token;
    if (!isRedeemed(presented) && presented.purpose !== 'CSR') {
      throw await this.tokenRefused(
        caller,
        'WRONG_PURPOSE',
        new ForbiddenError('This token is for configuration: call configuration first, it returns the token for signCertificateSigningRequest'),
      );
    }
    let csr: ValidatedCsr;
    try {
      csr = validateCsr(csrInput, announcedSubject(presented.systemAuthId, this.settings().csrSubject));
    } catch (error) {
      // A spent token admits nothing but the retry of its own CSR: anything else is 401, not a CSR lesson.
      if (isRedeemed(presented) && error instanceof ServiceError) throw await this.tokenRefused(caller, 'SPENT', new CredentialsSpentError());
      if (error instanceof ServiceError) throw await this.csrRefused(caller, error);
      throw error;
    }
    if (isRedeemed(presented)) return this.sameCsrRetry(presented, csr);

    const authority = await this.ca.authority.load();
    const issued = await authority.issue(csr, { validityDays: this.settings().certificateValidityDays, now });
    // The token keeps the certificate's DER for a retry of the same CSR; the answer carries the PEMs.
    const certificate: RedeemedCertificate = { clientCertificateDer: derOfPem(issued.certificatePem), sha256Fingerprint: issued.sha256Fingerprint, caId: issued.caId };
    const record = issuedRecord(presented, issued);
    try {
      await this.recordWithinLimit(caller, record, now, {
        token: this.tokens.redemption(presented.tokenHash, 'CSR', now, { csrHash: csr.csrSha256, certificate }),
        certificate: this.certificates.newRecord(record),
        systemAuth: this.certificateAuths.activation(presented.systemAuthId, presented.tenant),
        auditRedeemed: this.audit.inTransaction(callerEvent(caller, { action: 'ONE_TIME_TOKEN_REDEEMED', outcome: 'SUCCESS', details: { purpose: 'CSR' } })),
        auditIssued: this.audit.inTransaction(
          callerEvent(caller, { action: 'CERTIFICATE_ISSUED', outcome: 'SUCCESS', target: certificateTarget(record), details: certificateDetails(record) }),
        ),
      }, { first: true });
    } catch (error) {
      if (!(error instanceof TransactionCancelledError)) throw error;
      if (error.conditionFailed('systemAuth')) throw await this.tokenRefused(caller, 'SPENT', new CredentialsSpentError());
      if (tokenLost(error)) {
        // A concurrent request spent the token: if it did so with this very CSR, its certificate is the answer.
        const winner = await this.tokens.find(presented.tokenHash, now);
        if (winner && isRedeemed(winner)) return this.sameCsrRetry(winner, csr);
        throw await this.tokenRefused(caller, 'SPENT', new CredentialsSpentError());
      }
      throw error;
    }
    return certificationResult({ clientCertificatePem: issued.certificatePem, caCertificatePem: authority.certificatePem, caId: issued.caId });
  }

  /**
   * Certificate-secured `signCertificateSigningRequest`, the renewal: a CSR of the very subject `configuration`
   * announces (CN = the certificate's SystemAuth) gets a new certificate under the same SystemAuth. The
   * presenting certificate is left as it is: it stays valid until it expires or is revoked.
   */
  private async renewWithCertificate(caller: ClientCertificateCaller, csrInput: string, now: Date): Promise<CertificationResult> {
    const { systemAuthId, tenant, appId, certificateFingerprint } = caller.application;
    let csr: ValidatedCsr;
    try {
      csr = validateCsr(csrInput, announcedSubject(systemAuthId, this.settings().csrSubject));
    } catch (error) {
      if (error instanceof ServiceError) throw await this.csrRefused(caller, error);
      throw error;
    }
    const authority = await this.ca.authority.load();
    const issued = await authority.issue(csr, { validityDays: this.settings().certificateValidityDays, now });
    try {
      // The lineage: revoking the presenting certificate later revokes this one too.
      const record: CertificateRecord = { ...issuedRecord({ systemAuthId, tenant, appId }, issued), renewedFrom: certificateFingerprint };
      await this.recordWithinLimit(caller, record, now, {
        certificate: this.certificates.newRecord(record),
        auditRenewed: this.audit.inTransaction(
          callerEvent(caller, {
            action: 'CERTIFICATE_RENEWED', outcome: 'SUCCESS', target: certificateTarget(record),
            details: { ...certificateDetails(record), renewedFrom: certificateFingerprint },
          }),
        ),
        // A revocation racing this renewal wins, of the presenting certificate or of the SystemAuth, and nothing is recorded.
        presented: this.certificates.unrevokedCheck(systemAuthId, certificateFingerprint),
        systemAuth: this.certificateAuths.activation(systemAuthId, tenant),
      });
    } catch (error) {
      if (error instanceof TransactionCancelledError && error.conditionFailed('presented')) {
        throw new UnauthenticatedError('The client certificate has been revoked');
      }
      if (error instanceof TransactionCancelledError && error.conditionFailed('systemAuth')) {
        throw new UnauthenticatedError('The SystemAuth of this client certificate is no longer active');
      }
      throw error;
    }
    return certificationResult({ clientCertificatePem: issued.certificatePem, caCertificatePem: authority.certificatePem, caId: issued.caId });
  }
}

