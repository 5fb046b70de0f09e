// fromSystemAuthItem derives EXPIRED for a PENDING SystemAuth whose latest one-time token expired, and for nothing else.
import { AUTH_SORT_KEY, LATEST_TOKEN_EXPIRY_ATTRIBUTE, fromSystemAuthItem } from '../../../shared/system-auths/items';
import type { SystemAuthStatus } from '../../../shared/system-auths/types';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const nowSeconds = NOW.getTime() / 1000;

function item(status: SystemAuthStatus, latestTokenExpiresAt?: number) {
  return {
    id: 'auth-1', sk: AUTH_SORT_KEY, tenant: 't', kind: 'APPLICATION', type: 'CLIENT_CERTIFICATE', appId: 'app-1',
    status, scopes: [], createdAt: NOW.toISOString(),
    ...(latestTokenExpiresAt === undefined ? {} : { [LATEST_TOKEN_EXPIRY_ATTRIBUTE]: latestTokenExpiresAt }),
  };
}

test.each<[SystemAuthStatus, number | undefined, SystemAuthStatus]>([
  ['PENDING', nowSeconds + 1, 'PENDING'],
  // The same boundary as token redemption: expired from the second `expiresAt` on.
  ['PENDING', nowSeconds, 'EXPIRED'],
  ['PENDING', nowSeconds - 600, 'EXPIRED'],
  ['PENDING', undefined, 'PENDING'],
  ['ACTIVE', nowSeconds - 600, 'ACTIVE'],
  ['REVOKED', nowSeconds - 600, 'REVOKED'],
])('stored %s with latest token expiry %p reads %s', (stored, expiry, expected) => {
  expect(fromSystemAuthItem(item(stored, expiry), NOW).status).toBe(expected);
});

test('the expiry attribute is storage only: the SystemAuth carries no trace of it', () => {
  expect(fromSystemAuthItem(item('PENDING', nowSeconds - 1), NOW)).not.toHaveProperty(LATEST_TOKEN_EXPIRY_ATTRIBUTE);
});
