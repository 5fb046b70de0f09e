// The audit trail's events as operational metrics: every pairing and credential event, and every refusal, is counted
// where it is recorded, under a metric name of its action and, for refusals, the code the refusal was thrown with.
import { countOperation, type Breakdown } from '../observability/metrics';
import type { AuditAction, AuditDetails, RefusalCode } from './types';

/** What a metric reads of an event: a refusal's code (set where it was thrown), never its words. */
export type CountedEvent = { action: AuditAction; reasonCode?: RefusalCode; details?: AuditDetails };

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

/** The dimension an action is broken down by, if any: a refusal's reason code, a pairing's type, a token's purpose. */
export function breakdownOf(event: CountedEvent): Breakdown | undefined {
  switch (event.action) {
    case 'ONE_TIME_TOKEN_REFUSED':
    case 'CLIENT_AUTHENTICATION_REFUSED':
      return { name: 'Reason', value: event.reasonCode ?? 'OTHER' };
    case 'CSR_REFUSED':
      return { name: 'Rule', value: event.reasonCode ?? 'OTHER' };
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
export function countAuditEvent(event: CountedEvent, count = 1): void {
  const metric = METRIC_OF_ACTION[event.action];
  if (metric) countOperation(metric, count, breakdownOf(event));
}
