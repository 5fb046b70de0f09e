// The audit trail's events as metrics: which actions are counted under which name, and every refusal reason the code
// can produce maps to a code of a fixed set (read from the sources, so a new message without a code fails here).
import fs from 'node:fs';
import path from 'node:path';
import { breakdownOf, METRIC_OF_ACTION } from '../../../shared/audit/metrics';
import { CERTIFICATE_LIMIT_REASON } from '../../../shared/connector/service';

const source = (file: string) => fs.readFileSync(path.join(__dirname, '..', '..', '..', 'shared', file), 'utf8');

/** The static text of every string or template literal passed to `call(` in `file` ("${...}" parts become "x"). */
function messagesPassedTo(file: string, call: string): string[] {
  const pattern = new RegExp(`${call}\\((['\`])((?:(?!\\1).)*)\\1`, 'g');
  return [...source(file).matchAll(pattern)].map((match) => match[2]!.replace(/\$\{[^}]*\}/g, 'x'));
}

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

test('one-time token refusals: the four reasons of the Connector become their codes', () => {
  const reasons = [...new Set([...source('connector/authentication.ts').matchAll(/refuse\('([^']+)'/g), ...source('connector/service.ts').matchAll(/tokenRefused\(\s*[^,]+,\s*'([^']+)'/g)].map((m) => m[1]!))].sort();
  expect(reasons).toEqual(['expired', 'spent', 'unknown', 'wrong purpose']);
  expect(reasons.map((reason) => breakdownOf({ action: 'ONE_TIME_TOKEN_REFUSED', reason }))).toEqual([
    { name: 'Reason', value: 'EXPIRED' }, { name: 'Reason', value: 'SPENT' }, { name: 'Reason', value: 'UNKNOWN' }, { name: 'Reason', value: 'WRONG_PURPOSE' },
  ]);
});

test('client authentication refusals: every reason of OAuth clients, access tokens and client certificates has a code other than OTHER', () => {
  const oauth = [...source('oauth/errors.ts').match(/reason: ('[^;]+);/)![1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  expect(oauth).toHaveLength(4);
  const accessTokens = messagesPassedTo('auth/bearer.ts', 'refused');
  const certificates = messagesPassedTo('auth/client-certificate.ts', 'new UnauthenticatedError');
  expect(accessTokens.length).toBeGreaterThanOrEqual(4);
  expect(certificates.length).toBeGreaterThanOrEqual(10);
  for (const reason of [...oauth, ...accessTokens, ...certificates]) {
    const breakdown = breakdownOf({ action: 'CLIENT_AUTHENTICATION_REFUSED', reason });
    expect({ reason, name: breakdown?.name, other: breakdown?.value === 'OTHER' }).toEqual({ reason, name: 'Reason', other: false });
  }
  expect(breakdownOf({ action: 'CLIENT_AUTHENTICATION_REFUSED', reason: 'wrong secret' })?.value).toBe('WRONG_SECRET');
  expect(breakdownOf({ action: 'CLIENT_AUTHENTICATION_REFUSED', reason: 'The client certificate has been revoked' })?.value).toBe('REVOKED');
  expect(breakdownOf({ action: 'CLIENT_AUTHENTICATION_REFUSED', reason: 'The client certificate has expired' })?.value).toBe('EXPIRED');
});

test('CSR refusals: every rule of shared/certificates/csr.ts has a code other than OTHER', () => {
  const rules = messagesPassedTo('certificates/csr.ts', 'reject');
  const viaHelpers = [...source('certificates/csr.ts').matchAll(/(?:notCsr|unsupported)\((['`])((?:(?!\1).)*)\1/g)].map((m) => `not a PKCS#10 certificate signing request (${m[2]})`);
  expect(rules.length).toBeGreaterThanOrEqual(20);
  for (const rule of [...rules, ...viaHelpers]) {
    const reason = `Invalid CSR: ${rule.replace('${NOT_PKCS10}', 'not a PKCS#10 certificate signing request').replace(/^x /, 'not a PKCS#10 certificate signing request ')}`;
    const breakdown = breakdownOf({ action: 'CSR_REFUSED', reason });
    expect({ rule, name: breakdown?.name, other: breakdown?.value === 'OTHER' }).toEqual({ rule, name: 'Rule', other: false });
  }
  expect(breakdownOf({ action: 'CSR_REFUSED', reason: 'Invalid CSR: the signature does not verify with the CSR\'s own public key (proof of possession failed)' })?.value).toBe('PROOF_OF_POSSESSION');
  expect(breakdownOf({ action: 'CSR_REFUSED', reason: 'Invalid CSR: the subject must be exactly "CN=x": CN differs' })?.value).toBe('SUBJECT');
  // A renewal beyond MAX_LIVE_CERTIFICATES / MAX_UNEXPIRED_CERTIFICATES (shared/connector/service.ts).
  expect(breakdownOf({ action: 'CSR_REFUSED', reason: CERTIFICATE_LIMIT_REASON })?.value).toBe('CERTIFICATE_LIMIT');
});

test('pairings are broken down by type and tokens by purpose; other counted actions by nothing', () => {
  expect(breakdownOf({ action: 'PAIRING_DATA_GENERATED', details: { type: 'CLIENT_CERTIFICATE' } })).toEqual({ name: 'PairingType', value: 'CLIENT_CERTIFICATE' });
  expect(breakdownOf({ action: 'ONE_TIME_TOKEN_ISSUED', details: { purpose: 'CSR' } })).toEqual({ name: 'Purpose', value: 'CSR' });
  expect(breakdownOf({ action: 'CERTIFICATE_ISSUED', details: { serialNumber: '01ab' } })).toBeUndefined();
});
