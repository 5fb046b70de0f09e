// The README states how long a revoked or retired credential still works, with the numbers the code uses.
import fs from 'node:fs';
import path from 'node:path';
import { SYSTEM_AUTH_CACHE_MS } from '../../../shared/auth/bearer';
import { MAX_CA_REGISTRY_AGE_SECONDS } from '../../../shared/certificates/ca-registry-secret';

const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8').replace(/\s+/g, ' ');

test('a revoked OAuth client\'s token: the Director may accept it for the time it reuses a client\'s status', () => {
  expect(readme).toContain(`the token it holds is refused by every Director instance within ${SYSTEM_AUTH_CACHE_MS / 1000} s`);
});

test('retire-ca --force: the functions keep the registry for a bounded time and the truststore until the next deployment', () => {
  expect(readme).toContain(`each function instance re-reads the CA registry at most every ${MAX_CA_REGISTRY_AGE_SECONDS} s`);
  expect(readme).toContain('truststore keeps the CA until the deployment that publishes the smaller truststore');
  expect(readme).not.toMatch(/--force`?,? which cuts them off at once/);
});

test('the CRL bounds: the max-age the CRL is served with and the default nextUpdate are the code\'s', async () => {
  const { CRL_MAX_AGE_SECONDS } = await import('../../../shared/crl/serving');
  const { crlEnvironment } = await import('../../../shared/crl/settings');
  expect(readme).toContain(`+ ${CRL_MAX_AGE_SECONDS} s of \`max-age\``);
  expect(readme).toContain(`cache-control: public, max-age=${CRL_MAX_AGE_SECONDS}`);
  expect(readme).toContain(`\`CRL_NEXT_UPDATE_HOURS\` (${crlEnvironment({}).nextUpdateMs / 3_600_000} h)`);
});

test('private_key_jwt: the README states the assertion lifetime and clock tolerance the token endpoint checks', async () => {
  const { MAX_ASSERTION_LIFETIME_SECONDS } = await import('../../../shared/oauth/client-assertion');
  const { CLOCK_TOLERANCE_SECONDS } = await import('../../../shared/oauth/signing-keys');
  expect(readme).toContain(`\`exp\` at most ${MAX_ASSERTION_LIFETIME_SECONDS / 60} minutes ahead (${CLOCK_TOLERANCE_SECONDS} s clock tolerance)`);
});
