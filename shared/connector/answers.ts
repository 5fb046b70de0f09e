// What the Connector answers: the configuration an application pairs with (CSR subject, current CA, mTLS URLs) and the
// certificates it gets, in the contract's shapes (base64 of PEM).
import { loadCaRegistry } from '../certificates/ca';
import { currentCa, recordBelongsTo } from '../certificates/ca-registry';
import { toPem } from '../certificates/der';
import { announcedSubject, formatSubject } from '../certificates/subject';
import type { Config, CsrSubjectDefaults } from '../config';
import type { RedeemedCertificate } from '../one-time-tokens/token';
import type { ClientCertificateCaller } from './caller';

/** Key algorithm the Connector announces (Compass's name); EC P-256 CSRs are accepted as well. */
const ANNOUNCED_KEY_ALGORITHM = 'rsa2048';

export interface Configuration {
  token: { token: string } | null;
  certificateSigningRequestInfo: { subject: string; keyAlgorithm: string; caId: string; caCertificate: string };
  managementPlaneInfo: { directorURL: string | null; certificateSecuredConnectorURL: string | null };
}

/** base64 of PEM, as the contract returns certificates. */
export interface CertificationResult {
  certificateChain: string;
  caCertificate: string;
  clientCertificate: string;
  /** The registry id of the CA that signed clientCertificate (null for a retry of a redemption from before CA rotation). */
  caId: string | null;
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const withNewline = (pem: string): string => (pem.endsWith('\n') ? pem : `${pem}\n`);

/** An issued certificate and its CA's, as PEM. */
export interface IssuedPems {
  clientCertificatePem: string;
  caCertificatePem: string;
  /** Null for a retry of a redemption from before CA rotation. */
  caId: string | null;
}

export function certificationResult(certificate: IssuedPems): CertificationResult {
  const leaf = withNewline(certificate.clientCertificatePem);
  const ca = withNewline(certificate.caCertificatePem);
  return { certificateChain: base64(leaf + ca), caCertificate: base64(ca), clientCertificate: base64(leaf), caId: certificate.caId };
}

/**
 * The answer a spent CSR token gives again: its certificate, with the certificate of the CA that signed it from the
 * registry; undefined when that CA is no longer in the registry.
 */
export async function redeemedCertificationResult(certificate: RedeemedCertificate): Promise<CertificationResult | undefined> {
  const ca = (await loadCaRegistry()).cas.find((entry) => recordBelongsTo(certificate.caId, entry.id));
  if (!ca) return undefined;
  return certificationResult({ clientCertificatePem: toPem(Buffer.from(certificate.clientCertificateDer), 'CERTIFICATE'), caCertificatePem: ca.certificatePem, caId: certificate.caId ?? null });
}

/** Where an application calls over mTLS once it holds a certificate (none when the stage has no mTLS endpoint). */
export function managementPlaneInfo(mtls: string): Configuration['managementPlaneInfo'] {
  return {
    directorURL: mtls ? `${mtls}/director/graphql` : null,
    certificateSecuredConnectorURL: mtls ? `${mtls}/connector/graphql` : null,
  };
}

/** What the CSR must say, and the current CA: the one that will sign it (public material from the registry's cache). */
export async function csrInfo(systemAuthId: string, csrSubject: CsrSubjectDefaults): Promise<Configuration['certificateSigningRequestInfo']> {
  const current = currentCa(await loadCaRegistry());
  return {
    subject: formatSubject(announcedSubject(systemAuthId, csrSubject)),
    keyAlgorithm: ANNOUNCED_KEY_ALGORITHM,
    caId: current.id,
    caCertificate: base64(withNewline(current.certificatePem)),
  };
}

/** Certificate-secured `configuration`: the same CSR info for the certificate's SystemAuth; there is no token to trade. */
export async function configurationWithCertificate(caller: ClientCertificateCaller, settings: Pick<Config, 'mtlsBaseUrl' | 'csrSubject'>): Promise<Configuration> {
  return {
    token: null,
    certificateSigningRequestInfo: await csrInfo(caller.application.systemAuthId, settings.csrSubject),
    managementPlaneInfo: managementPlaneInfo(settings.mtlsBaseUrl),
  };
}
