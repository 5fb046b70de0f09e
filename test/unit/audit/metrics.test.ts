// The audit trail's events as metrics: which actions are counted under which name, and the dimension each is broken
// down by: a refusal by the code it was thrown with (never by its words), a pairing by type, a token by purpose.
import { breakdownOf, METRIC_OF_ACTION } from '../../../shared/audit/metrics';

test('the pairing and credential events each have a metric; bookkeeping events (applications, CA rotation) have none', () => {
  expect(METRIC_OF_ACTION).toEqual({
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
  });
});

test('refusals are broken down by their code: tokens and client authentications by Reason, CSRs by Rule', () => {
  expect(breakdownOf({ action: 'ONE_TIME_TOKEN_REFUSED', reasonCode: 'WRONG_PURPOSE' })).toEqual({ name: 'Reason', value: 'WRONG_PURPOSE' });
  expect(breakdownOf({ action: 'CLIENT_AUTHENTICATION_REFUSED', reasonCode: 'REVOKED' })).toEqual({ name: 'Reason', value: 'REVOKED' });
  expect(breakdownOf({ action: 'CSR_REFUSED', reasonCode: 'PROOF_OF_POSSESSION' })).toEqual({ name: 'Rule', value: 'PROOF_OF_POSSESSION' });
});

test('the words of a refusal do not decide its metric: without a code it is OTHER, whatever the reason says', () => {
  const worded = { reason: 'The client certificate has been revoked' } as object;
  expect(breakdownOf({ action: 'CLIENT_AUTHENTICATION_REFUSED', ...worded })).toEqual({ name: 'Reason', value: 'OTHER' });
  expect(breakdownOf({ action: 'CSR_REFUSED' })).toEqual({ name: 'Rule', value: 'OTHER' });
});

test('pairings are broken down by type and tokens by purpose; other counted actions by nothing', () => {
  expect(breakdownOf({ action: 'PAIRING_DATA_GENERATED', details: { type: 'CLIENT_CERTIFICATE' } })).toEqual({ name: 'PairingType', value: 'CLIENT_CERTIFICATE' });
  expect(breakdownOf({ action: 'ONE_TIME_TOKEN_ISSUED', details: { purpose: 'CSR' } })).toEqual({ name: 'Purpose', value: 'CSR' });
  expect(breakdownOf({ action: 'CERTIFICATE_ISSUED', details: { serialNumber: '01ab' } })).toBeUndefined();
});
