// The Connector's audit events: the caller as actor, its own application and SystemAuth as target, and the facts of a
// certificate an event may keep (never the certificate or its CSR).
import type { AuditActor, AuditEventInput } from '../audit/types';
import type { CertificateRecord } from '../system-auths/certificate-items';
import type { ConnectorCaller } from './caller';

/** The caller as an audit event's actor: the SystemAuth, and the token or certificate it came with. */
function connectorActor(caller: ConnectorCaller): AuditActor {
  if (caller.kind === 'ONE_TIME_TOKEN') return { kind: 'APPLICATION', id: caller.token.systemAuthId, via: 'ONE_TIME_TOKEN' };
  const { systemAuthId, certificateFingerprint } = caller.application;
  return { kind: 'APPLICATION', id: systemAuthId, via: 'CERTIFICATE', certificateFingerprint };
}

/** An audit event of the caller about its own application and SystemAuth. */
export function callerEvent(caller: ConnectorCaller, event: Omit<AuditEventInput, 'tenant' | 'actor'>): AuditEventInput {
  const owner = caller.kind === 'ONE_TIME_TOKEN' ? caller.token : caller.application;
  return {
    tenant: owner.tenant,
    actor: connectorActor(caller),
    ...event,
    target: { applicationId: owner.appId, systemAuthId: owner.systemAuthId, ...event.target },
  };
}

/** The certificate facts an event keeps: serial, fingerprint, notAfter (never the certificate or its CSR). */
export const certificateTarget = (record: Pick<CertificateRecord, 'serialNumber' | 'sha256Fingerprint'>) => ({
  certificateSerial: record.serialNumber,
  certificateFingerprint: record.sha256Fingerprint,
});
export const certificateDetails = (record: Pick<CertificateRecord, 'serialNumber' | 'sha256Fingerprint' | 'notAfter'>) => ({
  serialNumber: record.serialNumber,
  sha256Fingerprint: record.sha256Fingerprint,
  notAfter: record.notAfter,
});
