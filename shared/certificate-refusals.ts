// Refused client certificates (mTLS) in the audit trail: in the tenant of the certificate's own record, so that
// an administrator sees a revoked certificate still being tried. Kept beside, not inside, certificate authentication.
import { createHash, X509Certificate } from 'node:crypto';
import type { AuditRecorder } from './audit/recorder';
import { UNATTRIBUTED_TENANT, type AuditEventInput } from './audit/types';
import { CertificateRefusedError, clientCertificateOf, commonNameOf } from './auth/client-certificate';
import { isServiceId } from './ids';
import type { CertificateRepository } from './system-auths/certificate-records';

export class CertificateRefusals {
  constructor(
    private readonly certificates: Pick<CertificateRepository, 'find'>,
    private readonly audit: Pick<AuditRecorder, 'refused'>,
  ) {}

  /**
   * Records the refusal of the request's client certificate (a CertificateRefusedError of certificate authentication),
   * aggregated like every refusal; the reason is the refusal's message (revoked, expired, not issued here, …) and its
   * code. Never throws: the caller rethrows the refusal.
   */
  async record(event: unknown, error: unknown): Promise<void> {
    if (!(error instanceof CertificateRefusedError)) return;
    try {
      await this.audit.refused(await this.eventOf(event, error));
    } catch {
      // The refusal stands whatever happens here; AuditRecorder logs its own failed writes.
    }
  }

  private async eventOf(event: unknown, error: CertificateRefusedError): Promise<AuditEventInput> {
    const refusal: AuditEventInput = {
      tenant: UNATTRIBUTED_TENANT, action: 'CLIENT_AUTHENTICATION_REFUSED', outcome: 'REFUSED', reason: error.message, reasonCode: error.refusal,
      actor: { kind: 'UNAUTHENTICATED' },
    };
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(clientCertificateOf(event)?.clientCertPem ?? '');
    } catch {
      return refusal;
    }
    const fingerprint = createHash('sha256').update(certificate.raw).digest('hex');
    const systemAuthId = commonNameOf(certificate);
    refusal.target = { certificateFingerprint: fingerprint, certificateSerial: certificate.serialNumber.toLowerCase() };
    refusal.details = { via: 'CERTIFICATE' };
    if (!systemAuthId || !isServiceId(systemAuthId)) return refusal;
    // The CN is only a claim until the certificate is verified: it attributes the event, it proves nothing.
    refusal.actor = { kind: 'UNAUTHENTICATED', id: systemAuthId };
    // The record of this very certificate names its tenant and application; it outlives a revoked SystemAuth.
    const record = await this.certificates.find(systemAuthId, fingerprint);
    if (!record) return refusal;
    return { ...refusal, tenant: record.tenant, target: { ...refusal.target, applicationId: record.appId, systemAuthId } };
  }
}
