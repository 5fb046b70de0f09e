// How revoked certificate records are found for their CA's CRL: the sparse byCrl index of the SystemAuths table.
export type { RevocationReason } from '../certificates/crl';

/**
 * The byCrl index: hash key crlKey, range key notAfter, on certificate records only once they are revoked (no other item
 * has crlKey). A revocation writes crlKey = "<caId>#pending" in the same write as `revoked`; a CRL build lists every
 * record of "<caId>#pending" and "<caId>" with notAfter after now, and once the CRL is published moves the pending ones
 * to "<caId>". So pending records are exactly the revocations a published CRL may lack: none can be missed.
 */
export const CRL_INDEX = 'byCrl';
export const CRL_KEY_ATTRIBUTE = 'crlKey';

export const crlPendingKey = (caId: string): string => `${caId}#pending`;
export const crlPublishedKey = (caId: string): string => caId;

/** Told of each revocation after it is written; must not throw (a failure to tell is caught by the schedule). */
export interface RevocationListener {
  revoked(caId: string): Promise<void>;
}
