// Resolver of AppSystemAuth.certificates: the certificates issued under a SystemAuth whose type holds certificates (null for other types).
import { FIRST_CA_ID } from '../../certificates/ca-registry';
import type { Resolvers } from '../../graphql/schema';
import type { AppSystemAuth } from '../../pairing/app-system-auth';
import type { CertificateRecord } from '../../system-auths/certificate-items';
import type { DirectorContext } from '../context';

/** The GraphQL IssuedCertificate: a certificate record without its owner's keys. */
export type IssuedCertificate = Omit<CertificateRecord, 'systemAuthId' | 'tenant' | 'appId' | 'renewedFrom' | 'caId'> & { renewedFrom: string | null; caId: string };

export const toIssuedCertificate = ({ serialNumber, sha256Fingerprint, subject, notBefore, notAfter, revoked, renewedFrom, caId }: CertificateRecord): IssuedCertificate => ({
  serialNumber, sha256Fingerprint, subject, notBefore, notAfter, revoked, renewedFrom: renewedFrom ?? null, caId: caId ?? FIRST_CA_ID, // records from before CA rotation: the first CA's
});

export const certificateResolvers: Resolvers<DirectorContext> = {
  AppSystemAuth: {
    // The AppSystemAuth comes from the caller's own tenant (auths of an application it may see), so its id is safe to look up.
    certificates: async (auth: AppSystemAuth, _args: unknown, { certificatesOf }: DirectorContext): Promise<IssuedCertificate[] | null> => {
      if (!auth.holdsCertificates) return null;
      const records = await certificatesOf(auth.id);
      return records.map(toIssuedCertificate).sort((a, b) => a.notBefore.localeCompare(b.notBefore));
    },
  },
};
