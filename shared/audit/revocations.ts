// Which revocations an event is due for: a lineage revoked again records nothing new for what already was revoked.

interface RevocableCertificate {
  sha256Fingerprint: string;
  revoked: boolean;
}

/**
 * The certificates of a revoked lineage that were not revoked before the revocation (`before`: the SystemAuth's
 * certificates read just before; one renewed meanwhile counts as not revoked before). A concurrent revocation of the
 * same certificate may record it as well.
 */
export function newlyRevoked<T extends RevocableCertificate>(before: readonly RevocableCertificate[], lineage: readonly T[]): T[] {
  const revokedBefore = new Set(before.filter((record) => record.revoked).map((record) => record.sha256Fingerprint));
  return lineage.filter((record) => record.revoked && !revokedBefore.has(record.sha256Fingerprint));
}
