// Client-certificate authentication of mTLS calls: the certificate API Gateway's mutual TLS put into the
// event must be one this service issued, unexpired, known and not revoked, of an ACTIVE SystemAuth of an existing application.
import { CLIENT_CERTIFICATE_TYPE } from '../system-auths/certificate-auths';
import { createHash, X509Certificate } from 'node:crypto';
import type { APIGatewayEventClientCertificate } from 'aws-lambda';
import type { ApplicationRepository } from '../applications/repository';
import type { Application } from '../applications/types';
import type { getTogether } from '../aws/batch-get';
import type { ClientAuthenticationRefusal } from '../audit/types';
import { RecentlyUsed } from '../bounded-map';
import type { TrustedCa } from '../certificates/ca-registry-secret';
import { UnauthenticatedError } from '../errors';
import type { CertificateRecord } from '../system-auths/certificate-items';
import type { CertificateRepository } from '../system-auths/certificate-records';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { SystemAuth } from '../system-auths/types';
import type { Caller } from './caller';

export type ClientCertificateData = APIGatewayEventClientCertificate;

/** A refused client certificate: 401 to the client; the code says why, for the audit trail and metrics. */
export class CertificateRefusedError extends UnauthenticatedError {
  override readonly name: string = 'CertificateRefusedError';

  constructor(
    readonly refusal: ClientAuthenticationRefusal,
    message: string,
  ) {
    super(message);
  }
}
/** An application authenticated by client certificate; the fingerprint says which one (revokeCertificate revokes it). */
export type CertificateCaller = Extract<Caller, { kind: 'APPLICATION' }> & { via: 'CERTIFICATE'; certificateFingerprint: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * The client certificate API Gateway's mutual TLS put into the event: `requestContext.identity.clientCert`
 * (REST API) or `requestContext.authentication.clientCert` (HTTP API). Undefined when the request did not
 * come through an mTLS endpoint. Headers are never looked at: on the plain endpoint anybody can send
 * X-Client-Cert or Certificate-Data, only API Gateway can write the request context.
 */
export function clientCertificateOf(event: unknown): ClientCertificateData | undefined {
  if (!isObject(event) || !isObject(event.requestContext)) return undefined;
  const context = event.requestContext;
  const fromRest = isObject(context.identity) ? context.identity.clientCert : undefined;
  const fromHttpApi = isObject(context.authentication) ? context.authentication.clientCert : undefined;
  const clientCert = fromRest ?? fromHttpApi;
  if (clientCert === undefined || clientCert === null) return undefined;
  if (!isObject(clientCert) || typeof clientCert.clientCertPem !== 'string' || clientCert.clientCertPem.trim() === '') {
    throw new CertificateRefusedError('MALFORMED_CERTIFICATE', 'The client certificate of this request is missing from the mTLS data');
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const validity = isObject(clientCert.validity) ? clientCert.validity : {};
  return {
    clientCertPem: clientCert.clientCertPem,
    subjectDN: text(clientCert.subjectDN),
    issuerDN: text(clientCert.issuerDN),
    serialNumber: text(clientCert.serialNumber),
    validity: { notBefore: text(validity.notBefore), notAfter: text(validity.notAfter) },
  };
}

/** Lowercase hex SHA-256 over the certificate DER: the key of its certificate record. */
export function certificateFingerprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('hex');
}

/**
 * RFC 8705 3.1: the `x5t#S256` confirmation of a certificate-bound access token, base64url (no padding) of SHA-256 over
 * the certificate DER. The same hash as certificateFingerprint, in the encoding JWT claims use.
 */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

/** The x5t#S256 thumbprint of a certificate fingerprint (lowercase hex SHA-256 of the DER, as certificate records key it). */
export const thumbprintOfFingerprint = (fingerprint: string): string => Buffer.from(fingerprint, 'hex').toString('base64url');

/** The one CN of the certificate's subject (the SystemAuth id); undefined when there is none or several. */
export function commonNameOf(certificate: X509Certificate): string | undefined {
  const names = certificate.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
  return names.length === 1 && names[0] !== '' ? names[0] : undefined;
}

/** How often a credential's lastUsedAt is written at most: it says "in use lately", not every call. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Whether lastUsedAt is old enough (or absent) that this use should be recorded. */
function lastUseIsStale(lastUsedAt: string | undefined, now: Date): boolean {
  return lastUsedAt === undefined || now.getTime() - Date.parse(lastUsedAt) >= LAST_USED_RESOLUTION_MS;
}

/** What authentication reads of a presented certificate, all of it derived from the PEM text alone. */
interface ParsedCertificate {
  certificate: X509Certificate;
  fingerprint: string;
  /** The one CN (the SystemAuth id it claims), undefined when there is none or several. */
  systemAuthId: string | undefined;
  validFromMs: number;
  validToMs: number;
  /**
   * The application the certificate's record names, once a request with it was accepted: a record's tenant and
   * application never change, so from then on the record, the SystemAuth and the application are read together in
   * one round trip. Only the key is kept: whether they exist, are revoked or active is read on every request.
   */
  owner?: { tenant: string; appId: string };
}

/**
 * Certificates parsed per container, at most this many, keyed by their PEM text: an application presents the same
 * certificate on every call, and parsing it (OpenSSL's PEM and X.509 decoding, the fingerprint) was about 5% of the
 * handler's own CPU of an mTLS read. Parsing and the owner's key (ParsedCertificate.owner) are all that is kept: the
 * CA signature, the validity period, the certificate record, the SystemAuth and the application are checked on every request.
 */
const MAX_PARSED_CERTIFICATES = 500;

/** Throws whatever X509Certificate throws on text that is no certificate. */
function parseCertificate(pem: string): ParsedCertificate {
  const certificate = new X509Certificate(pem);
  return {
    certificate,
    fingerprint: certificateFingerprint(certificate),
    systemAuthId: commonNameOf(certificate),
    validFromMs: Date.parse(certificate.validFrom),
    validToMs: Date.parse(certificate.validTo),
  };
}


export interface CertificateAuthenticationOptions {
  /** The clock the certificate's validity is checked against (tests); default now. */
  now?: Date;
}

/** Reads items of several tables in one round trip (getTogether bound to the function's DynamoDB client). */
export type ReadTogether = (reads: Parameters<typeof getTogether>[1]) => Promise<readonly unknown[]>;

/** What authentication reads of the current state: the record, the SystemAuth and the application. */
interface CurrentState {
  record: CertificateRecord | undefined;
  auth: SystemAuth | undefined;
  application: Application | undefined;
}

export class ClientCertificateAuthenticator {
  /** Per container: the authenticator is built once by its function's handler. */
  private readonly parsedCertificates = new RecentlyUsed<string, ParsedCertificate>(MAX_PARSED_CERTIFICATES);

  constructor(
    private readonly systemAuths: Pick<SystemAuthRepository, 'get' | 'authRead' | 'markUsed'>,
    private readonly certificates: Pick<CertificateRepository, 'find' | 'recordRead'>,
    private readonly applications: Pick<ApplicationRepository, 'get' | 'applicationRead' | 'markConnected'>,
    /** The CAs whose certificates are accepted now (the CA registry's trusted CAs, with its bounded cache). */
    private readonly trustedCas: () => Promise<readonly TrustedCa[]>,
    /**
     * One round trip for the three reads of a certificate whose application is known (BatchGetItem); without it they
     * go as three parallel GetItems, still one round trip.
     */
    private readonly readTogether?: ReadTogether,
  ) {}

  /**
   * The record, SystemAuth and application as they are now. With the owner known (a certificate accepted before by
   * this container), one round trip; otherwise the record names the application, read in a second round trip.
   */
  private async currentState(parsed: ParsedCertificate & { systemAuthId: string }): Promise<CurrentState> {
    const { systemAuthId, fingerprint, owner } = parsed;
    if (owner) {
      const [record, auth, application] = this.readTogether
        ? ((await this.readTogether([
            this.certificates.recordRead(systemAuthId, fingerprint),
            this.systemAuths.authRead(systemAuthId),
            this.applications.applicationRead(owner.tenant, owner.appId),
          ])) as [CertificateRecord | undefined, SystemAuth | undefined, Application | undefined])
        : await Promise.all([this.certificates.find(systemAuthId, fingerprint), this.systemAuths.get(systemAuthId), this.applications.get(owner.tenant, owner.appId)]);
      // A record's owner never changes; should it ever differ, the application it names is the one to read.
      if (!record || (record.tenant === owner.tenant && record.appId === owner.appId)) return { record, auth, application };
      return { record, auth, application: await this.applications.get(record.tenant, record.appId) };
    }
    const [record, auth] = await Promise.all([this.certificates.find(systemAuthId, fingerprint), this.systemAuths.get(systemAuthId)]);
    // Read beside the others once the record names it; it decides whether anything needs writing.
    const application = record ? await this.applications.get(record.tenant, record.appId) : undefined;
    return { record, auth, application };
  }

  /** How many parsed certificates this authenticator holds (tests). */
  get parsedCertificateCount(): number {
    return this.parsedCertificates.size;
  }

  /**
   * The certificate caller of an mTLS request, or undefined when the event carries no client certificate
   * (the plain HTTPS endpoint: the handler then authenticates by token).
   */
  async authenticateRequest(event: unknown, options?: CertificateAuthenticationOptions): Promise<CertificateCaller | undefined> {
    const presented = clientCertificateOf(event);
    return presented ? this.authenticate(presented, options) : undefined;
  }

  /**
   * The application behind the client certificate. Every check reads the current state (no cache), so a
   * certificate revoked a moment ago is refused from the next request on. Every refusal is UnauthenticatedError
   * (HTTP 401): to the client a revoked certificate is one more invalid credential, like a deleted OAuth client.
   */
  async authenticate(presented: ClientCertificateData, options: CertificateAuthenticationOptions = {}): Promise<CertificateCaller> {
    const now = options.now ?? new Date();
    const cached = this.parsedCertificates.get(presented.clientCertPem);
    let parsed: ParsedCertificate;
    try {
      parsed = cached ?? parseCertificate(presented.clientCertPem);
    } catch {
      throw new CertificateRefusedError('MALFORMED_CERTIFICATE', 'The client certificate is not a valid X.509 certificate');
    }
    const { certificate } = parsed;
    // API Gateway checked the chain against its truststore; checking the signature here as well means a
    // truststore holding other CAs, or a misrouted event, can never let a foreign certificate in. Trusted: every
    // CA of the registry that is not retired (after rotate-ca, the previous CA's certificates keep working).
    // Checked on every request, cached certificate or not: the trusted CAs change with rotation and retirement.
    const trusted = await this.trustedCas();
    if (!trusted.some(({ certificate: ca }) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey))) {
      throw new CertificateRefusedError('UNKNOWN_CERTIFICATE', 'The client certificate was not issued by this service');
    }
    // Only certificates of this service are kept: foreign ones cannot push them out.
    if (!cached) this.parsedCertificates.set(presented.clientCertPem, parsed);
    if (now.getTime() < parsed.validFromMs) throw new CertificateRefusedError('NOT_YET_VALID', 'The client certificate is not valid yet');
    if (now.getTime() > parsed.validToMs) throw new CertificateRefusedError('EXPIRED', 'The client certificate has expired');

    const { systemAuthId, fingerprint } = parsed;
    if (!systemAuthId) throw new CertificateRefusedError('MALFORMED_CERTIFICATE', 'The client certificate has no single CN naming its SystemAuth');
    const { record, auth, application } = await this.currentState({ ...parsed, systemAuthId });
    if (!record) throw new CertificateRefusedError('UNKNOWN_CERTIFICATE', 'The client certificate is not known to this service');
    if (record.revoked) throw new CertificateRefusedError('REVOKED', 'The client certificate has been revoked');
    if (!auth || auth.type !== CLIENT_CERTIFICATE_TYPE || auth.kind !== 'APPLICATION' || !auth.appId) {
      throw new CertificateRefusedError('GONE', 'The SystemAuth of this client certificate no longer exists');
    }
    if (auth.status !== 'ACTIVE') throw new CertificateRefusedError('NOT_ACTIVE', 'The SystemAuth of this client certificate is not active');
    if (auth.tenant !== record.tenant || auth.appId !== record.appId) {
      throw new CertificateRefusedError('MISMATCH', 'The client certificate does not match its SystemAuth');
    }

    // Pairing racing unregistering can leave a certificate of an application that is gone.
    if (!application) throw new CertificateRefusedError('GONE', 'The application of this client certificate no longer exists');

    // A steady-state call writes nothing: CONNECTED is written once, lastUsedAt at most once per
    // LAST_USED_RESOLUTION_MS. Concurrent calls of one application thus never contend for its items, nor with
    // its renewals, whose transaction conditions on the SystemAuth item. Revocation needs no write to take
    // effect: every call reads the record and the SystemAuth again (consistent reads, no cache).
    const [applicationExists, systemAuthActive] = await Promise.all([
      application.status.condition === 'CONNECTED' || this.applications.markConnected(auth.tenant, auth.appId, now.toISOString()),
      !lastUseIsStale(auth.lastUsedAt, now) || this.systemAuths.markUsed(auth.id, now),
    ]);
    if (!applicationExists) throw new CertificateRefusedError('GONE', 'The application of this client certificate no longer exists');
    // A revocation between the reads above and a write here wins: the write is conditional on ACTIVE.
    if (!systemAuthActive) throw new CertificateRefusedError('REVOKED', 'The client certificate has been revoked');
    parsed.owner ??= { tenant: record.tenant, appId: record.appId };
    return { kind: 'APPLICATION', tenant: auth.tenant, appId: auth.appId, systemAuthId: auth.id, scopes: [...auth.scopes], via: 'CERTIFICATE', certificateFingerprint: fingerprint };
  }
}
