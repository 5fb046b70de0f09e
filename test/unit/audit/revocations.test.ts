// Which certificates of a revoked lineage get a CERTIFICATE_REVOKED event: only those that were live before.
import { newlyRevoked } from '../../../shared/audit/revocations';

test('a lineage revoked again yields only the certificates that were not revoked before', () => {
  const before = [
    { sha256Fingerprint: 'a', revoked: false },
    { sha256Fingerprint: 'b', revoked: true },
    { sha256Fingerprint: 'c', revoked: false },
  ];
  const lineage = [
    { sha256Fingerprint: 'a', revoked: true, serialNumber: '1' },
    { sha256Fingerprint: 'b', revoked: true, serialNumber: '2' },
    // Renewed after the read and revoked with the lineage: this revocation's, so its event.
    { sha256Fingerprint: 'd', revoked: true, serialNumber: '4' },
    // Kept (retirePreviousCertificate keeps the caller's own line).
    { sha256Fingerprint: 'c', revoked: false, serialNumber: '3' },
  ];
  expect(newlyRevoked(before, lineage).map((record) => record.serialNumber)).toEqual(['1', '4']);
});
