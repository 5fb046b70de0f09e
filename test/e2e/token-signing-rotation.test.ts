// End to end against `npm start` (moto's KMS): access tokens are signed by KMS and verify with the published JWKS;
// `admin rotate-signing-key` switches new tokens to a new key while old tokens keep working until their key drops out;
// and nothing in Secrets Manager or DynamoDB holds a token-signing private key.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauthClient from 'openid-client';
import { startLocalStack, START_TIMEOUT_MS, storedState, tokenGrant, type LocalStack } from '../support/local-stack';

jest.setTimeout(180_000);

// Short lifetimes, so that a retired key drops out within the test: 1 s (cache) + 5 s (TTL) + 30 s (clock tolerance).
const TTL_SECONDS = 5;
const CACHE_SECONDS = 1;
const RETENTION_MS = (CACHE_SECONDS + TTL_SECONDS + 30) * 1000;
const root = path.resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('token signing in KMS and its rotation (npm start)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ name: 'token-rotation-e2e', env: { ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS), SECRET_CACHE_SECONDS: String(CACHE_SECONDS) } });
  }, START_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** npm run --silent admin -- rotate-signing-key, with the stack's lifetimes (as the README says to run it). */
  const rotate = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'local/admin-cli.ts', 'rotate-signing-key'],
        { cwd: root, env: { ...process.env, LOCAL_STATE_DIR: stack.stateDir, ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS), SECRET_CACHE_SECONDS: String(CACHE_SECONDS) }, timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`admin rotate-signing-key failed: ${stderr}`)) : resolve(JSON.parse(stdout) as Record<string, unknown>)),
      );
    });
  const grant = async () => {
    const granted = await tokenGrant(stack.admin.tokenUrl, stack.admin.clientId, stack.admin.clientSecret);
    expect(granted.status).toBe(200);
    return String(granted.body.access_token);
  };
  const viewer = async (accessToken: string) => {
    const response = await fetch(stack.admin.directorUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query: '{ viewer { id type } }' }),
    });
    const body = (await response.json()) as { data?: { viewer: { type: string } }; errors?: Array<{ message: string }> };
    return { status: response.status, type: body.data?.viewer.type, error: body.errors?.[0]?.message };
  };
  const jwksKids = async () => {
    const response = await fetch(`${stack.baseUrl}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    for (const key of jwks.keys) expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    return jwks.keys.map((key) => key.kid);
  };

  it('tokens from the token endpoint verify with the JWKS the discovery document names (openid-client, jose)', async () => {
    const config = await oauthClient.discovery(new URL(stack.baseUrl), stack.admin.clientId, undefined, oauthClient.ClientSecretBasic(stack.admin.clientSecret), {
      algorithm: 'oauth2',
      execute: [oauthClient.allowInsecureRequests],
    });
    const granted = await oauthClient.clientCredentialsGrant(config);
    const jwksUri = config.serverMetadata().jwks_uri!;
    const { payload, protectedHeader } = await jwtVerify(granted.access_token, createRemoteJWKSet(new URL(jwksUri)), {
      algorithms: ['ES256'], typ: 'at+jwt', issuer: stack.baseUrl,
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'at+jwt' });
    expect(payload).toMatchObject({ tenant: stack.admin.tenant, client_kind: 'ADMIN', sub: stack.admin.clientId });
    expect(await viewer(granted.access_token)).toEqual({ status: 200, type: 'ADMIN', error: undefined });
  });

  it('rotate-signing-key: old tokens keep working until they expire, new ones carry the new kid, the JWKS lists both, then drops the old key', async () => {
    const before = await grant();
    const oldKid = decodeProtectedHeader(before).kid;
    expect(await jwksKids()).toEqual([oldKid]);

    const rotated = await rotate();
    const rotatedAt = Date.now();
    expect(rotated).toMatchObject({ retiredKid: oldKid, droppedKeys: [], publishedKids: [oldKid, rotated.activeKid] });
    // Functions hold the key set for up to SECRET_CACHE_SECONDS.
    await sleep(CACHE_SECONDS * 1000 + 200);

    const after = await grant();
    expect(decodeProtectedHeader(after).kid).toBe(rotated.activeKid);
    expect(await jwksKids()).toEqual([oldKid, rotated.activeKid]);
    expect(await viewer(before)).toEqual({ status: 200, type: 'ADMIN', error: undefined });
    expect(await viewer(after)).toEqual({ status: 200, type: 'ADMIN', error: undefined });

    // Past the old key's window: gone from the JWKS, and its tokens (expired by now anyway) refused.
    await sleep(Math.max(0, rotatedAt + RETENTION_MS + 1500 - Date.now()));
    expect(await jwksKids()).toEqual([rotated.activeKid]);
    expect((await viewer(before)).status).toBe(401);
    expect(await viewer(await grant())).toEqual({ status: 200, type: 'ADMIN', error: undefined });

    // The next rotation removes it from the set and schedules its KMS key for deletion.
    const again = await rotate();
    expect(again).toMatchObject({ retiredKid: rotated.activeKid, droppedKeys: [{ kid: oldKid, keyArn: expect.stringMatching(/^arn:aws:kms:/), deletionDate: expect.any(String) }] });
  });

  it('no secret and no DynamoDB item holds a private key (a JWK "d", or a PEM PRIVATE KEY)', async () => {
    const { secrets, tables } = await storedState(stack);
    const names = secrets.map((secret) => secret.name);
    expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/\/token-signing-public-keys$/)]));
    expect(names.filter((name) => name.endsWith('/token-signing-keys'))).toEqual([]);
    const privateJwk = /"d"\s*:/;
    for (const { name, value } of secrets) {
      expect({ name, jwkD: privateJwk.test(value) }).toEqual({ name, jwkD: false });
      expect({ name, pem: value.includes('PRIVATE KEY') }).toEqual({ name, pem: false });
    }
    expect(tables.length).toBeGreaterThanOrEqual(3);
    for (const { table, items } of tables) {
      const text = JSON.stringify(items);
      expect({ table, jwkD: /"d"\s*:\s*\{\s*"S"/.test(text), pem: text.includes('PRIVATE KEY') }).toEqual({ table, jwkD: false, pem: false });
    }
  });
});
