// The audit trail's events as operational metrics: every pairing and credential event, and every refusal, is counted
// where it is recorded, under a metric name of its action and, for refusals, a reason from a fixed set of codes.
import { countOperation, type Breakdown } from '../observability/metrics';
import type { AuditAction, AuditDetails } from './types';

/** The metric of each counted action (other actions, e.g. applications registered, are in the audit trail only). */
export const METRIC_OF_ACTION: Partial<Record<AuditAction, string>> = {
  PAIRING_DATA_GENERATED: 'PairingsGenerated',
  CERTIFICATE_ISSUED: 'CertificatesIssued',
  CERTIFICATE_RENEWED: 'CertificatesRenewed',
  CERTIFICATE_REVOKED: 'CertificatesRevoked',
  ONE_TIME_TOKEN_ISSUED: 'OneTimeTokensIssued',
  ONE_TIME_TOKEN_REDEEMED: 'OneTimeTokensRedeemed',
  ONE_TIME_TOKEN_REFUSED: 'OneTimeTokensRefused',
  ACCESS_TOKEN_GRANTED: 'AccessTokensGranted',
  CLIENT_AUTHENTICATION_REFUSED: 'ClientAuthenticationsRefused',
  CSR_REFUSED: 'CsrsRefused',
  CLIENT_CREDENTIALS_ISSUED: 'ClientCredentialsIssued',
  CLIENT_CREDENTIALS_REVOKED: 'ClientCredentialsRevoked',
};

/** A refusal's free-text reason → its code: the first pattern that matches, else OTHER. Order matters. */
type ReasonCodes = readonly (readonly [RegExp, string])[];

const ONE_TIME_TOKEN_REASONS: ReasonCodes = [
  [/^unknown$/, 'UNKNOWN'],
  [/^expired$/, 'EXPIRED'],
  [/^spent$/, 'SPENT'],
  [/^wrong purpose$/, 'WRONG_PURPOSE'],
];

/** OAuth client secrets (shared/oauth/errors.ts), access tokens (shared/auth/bearer.ts) and client certificates (shared/auth/client-certificate.ts). */
const CLIENT_AUTHENTICATION_REASONS: ReasonCodes = [
  [/^malformed client id$/, 'MALFORMED_CLIENT_ID'],
  [/^unknown client$/, 'UNKNOWN_CLIENT'],
  [/^wrong secret$/, 'WRONG_SECRET'],
  [/^client not active$|is not active$/, 'NOT_ACTIVE'],
  [/revoked/, 'REVOKED'],
  [/expired/, 'EXPIRED'],
  [/not valid yet/, 'NOT_YET_VALID'],
  [/not issued by this service|not known to this service/, 'UNKNOWN_CERTIFICATE'],
  [/no longer exists/, 'GONE'],
  [/does not match/, 'MISMATCH'],
  [/missing from the mTLS data|not a valid X\.509|no single CN/, 'MALFORMED_CERTIFICATE'],
];

/** The rules of shared/certificates/csr.ts, by the words their messages start with. */
const CSR_RULES: ReasonCodes = [
  [/^certificate limit reached$/, 'CERTIFICATE_LIMIT'],
  [/not a PKCS#10/, 'NOT_PKCS10'],
  [/PEM|base64|is empty|longer than/, 'ENCODING'],
  [/signature does not verify/, 'PROOF_OF_POSSESSION'],
  [/signature algorithm/, 'SIGNATURE_ALGORITHM'],
  [/RSA public exponent|RSA modulus|the key must be/, 'KEY'],
  [/subject/, 'SUBJECT'],
];

function codeOf(reason: string | undefined, codes: ReasonCodes): string {
  if (reason === undefined) return 'OTHER';
  return codes.find(([pattern]) => pattern.test(reason))?.[1] ?? 'OTHER';
}

/** The dimension an action is broken down by, if any: a refusal's reason code, a pairing's type, a token's purpose. */
export function breakdownOf(event: { action: AuditAction; reason?: string; details?: AuditDetails }): Breakdown | undefined {
  switch (event.action) {
    case 'ONE_TIME_TOKEN_REFUSED':
      return { name: 'Reason', value: codeOf(event.reason, ONE_TIME_TOKEN_REASONS) };
    case 'CLIENT_AUTHENTICATION_REFUSED':
      return { name: 'Reason', value: codeOf(event.reason, CLIENT_AUTHENTICATION_REASONS) };
    case 'CSR_REFUSED':
      return { name: 'Rule', value: codeOf(event.reason?.replace(/^Invalid CSR: /, ''), CSR_RULES) };
    case 'PAIRING_DATA_GENERATED':
      return { name: 'PairingType', value: String(event.details?.type ?? 'OTHER') };
    case 'ONE_TIME_TOKEN_ISSUED':
    case 'ONE_TIME_TOKEN_REDEEMED':
      return { name: 'Purpose', value: String(event.details?.purpose ?? 'OTHER') };
    default:
      return undefined;
  }
}

/** Counts an audit event (`count` occurrences: aggregated refusals are counted one by one as they happen). */
export function countAuditEvent(event: { action: AuditAction; reason?: string; details?: AuditDetails }, count = 1): void {
  const metric = METRIC_OF_ACTION[event.action];
  if (metric) countOperation(metric, count, breakdownOf(event));
}
