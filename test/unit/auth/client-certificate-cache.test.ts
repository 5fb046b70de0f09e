// ClientCertificateAuthenticator's per-container cache of parsed certificates: parsing is all it keeps. The CA
// signature, the validity period and the record, SystemAuth and application reads still decide every request.
import { randomUUID, X509Certificate } from 'node:crypto';
import type { ApplicationRepository } from '../../../shared/applications/repository';
import { ClientCertificateAuthenticator } from '../../../shared/auth/client-certificate';
import type { TrustedCa } from '../../../shared/certificates/ca-registry-secret';
import { validateCsr } from '../../../shared/certificates/csr';
import { UnauthenticatedError } from '../../../shared/errors';
import type { CertificateRecord } from '../../../shared/system-auths/certificate-items';
import type { CertificateRepository } from '../../../shared/system-auths/certificate-records';
import type { SystemAuthRepository } from '../../../shared/system-auths/repository';
import type { SystemAuth } from '../../../shared/system-auths/types';
import { base64Pem, expectedSubject, goodCsrDer, rsaKeyPair } from '../certificates/csr-builder';
import { testCertificateAuthority, type TestCa } from '../certificates/key-object-signer';

/** The CA registry's trusted CAs, as the authenticator is handed them: a stand-in each test points at a CA. */
const trustedCas = jest.fn<Promise<TrustedCa[]>, []>();

const keys = rsaKeyPair(2048);
let ca: TestCa;
let otherCa: TestCa;
const trustedOf = (material: TestCa): TrustedCa[] => [{ id: 'ca-1', certificatePem: material.certificatePem, certificate: new X509Certificate(material.certificatePem) }];

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([testCertificateAuthority(), testCertificateAuthority()]);
});
beforeEach(() => trustedCas.mockResolvedValue(trustedOf(ca)));

/** A certificate of `material` for a fresh SystemAuth, with the stores' answers for it (all fine until a test changes them). */
async function issued(material: TestCa = ca) {
  const systemAuthId = randomUUID();
  const certificate = await material.authority.issue(validateCsr(base64Pem(goodCsrDer(keys, systemAuthId)), expectedSubject(systemAuthId)), { validityDays: 1 });
  const record: CertificateRecord = {
    systemAuthId, tenant: 't1', appId: 'app-1', serialNumber: certificate.serialNumber, sha256Fingerprint: certificate.sha256Fingerprint,
    subject: certificate.subject, notBefore: certificate.notBefore.toISOString(), notAfter: certificate.notAfter.toISOString(), revoked: false,
  };
  const auth: SystemAuth = { id: systemAuthId, tenant: 't1', kind: 'APPLICATION', type: 'CLIENT_CERTIFICATE', appId: 'app-1', status: 'ACTIVE', scopes: ['application:read'], createdAt: new Date().toISOString(), lastUsedAt: new Date().toISOString() };
  const find = jest.fn(async () => ({ ...record }));
  const get = jest.fn(async () => ({ ...auth }));
  const authenticator = new ClientCertificateAuthenticator(
    { get } as unknown as SystemAuthRepository,
    { find } as unknown as CertificateRepository,
    { get: async () => ({ status: { condition: 'CONNECTED' } }) } as unknown as ApplicationRepository,
    trustedCas,
  );
  const presented = { clientCertPem: certificate.certificatePem, subjectDN: '', issuerDN: '', serialNumber: '', validity: { notBefore: '', notAfter: '' } };
  return { authenticator, presented, certificate, record, find, get };
}

const refusalOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => {
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return (error as Error).message;
});

describe('the parsed-certificate cache of ClientCertificateAuthenticator', () => {
  it('keeps an accepted certificate once, and still reads the record and SystemAuth on every request', async () => {
    const { authenticator, presented, find, get, certificate } = await issued();
    const before = authenticator.parsedCertificateCount;
    const first = await authenticator.authenticate(presented);
    expect(authenticator.parsedCertificateCount).toBe(before + 1);
    const second = await authenticator.authenticate(presented);
    expect(authenticator.parsedCertificateCount).toBe(before + 1);
    expect(second).toEqual(first);
    expect(second.certificateFingerprint).toBe(certificate.sha256Fingerprint);
    expect(find).toHaveBeenCalledTimes(2);
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('refuses a kept certificate revoked since its last request', async () => {
    const { authenticator, presented, find, record } = await issued();
    await authenticator.authenticate(presented);
    find.mockResolvedValue({ ...record, revoked: true });
    expect(await refusalOf(authenticator.authenticate(presented))).toBe('The client certificate has been revoked');
  });

  it('refuses a kept certificate once its CA is no longer trusted (retired): the signature is checked every time', async () => {
    const { authenticator, presented } = await issued();
    await authenticator.authenticate(presented);
    trustedCas.mockResolvedValue(trustedOf(otherCa));
    expect(await refusalOf(authenticator.authenticate(presented))).toBe('The client certificate was not issued by this service');
  });

  it('checks the validity period of a kept certificate against each request\'s time', async () => {
    const { authenticator, presented, certificate } = await issued();
    await authenticator.authenticate(presented);
    expect(await refusalOf(authenticator.authenticate(presented, { now: new Date(certificate.notAfter.getTime() + 1000) }))).toMatch(/expired/);
    expect(await refusalOf(authenticator.authenticate(presented, { now: new Date(certificate.notBefore.getTime() - 1000) }))).toMatch(/not valid yet/);
  });

  it('keeps no certificate of another CA, nor text that is no certificate', async () => {
    const foreign = await issued(otherCa);
    const before = foreign.authenticator.parsedCertificateCount;
    expect(await refusalOf(foreign.authenticator.authenticate(foreign.presented))).toBe('The client certificate was not issued by this service');
    expect(await refusalOf(foreign.authenticator.authenticate({ ...foreign.presented, clientCertPem: 'not a certificate' }))).toBe('The client certificate is not a valid X.509 certificate');
    expect(foreign.authenticator.parsedCertificateCount).toBe(before);
    expect(foreign.find).not.toHaveBeenCalled();
  });
});
