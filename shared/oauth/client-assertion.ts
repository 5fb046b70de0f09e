// private_key_jwt client authentication (RFC 7523 2.2, OpenID Connect Core 9): the assertion's rules, its checks, and the client it proves.
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { header } from '../http';
import type { PublicKeyClientGrants } from '../system-auths/private-key-jwt-grants';
import type { ClientPublicKeyRecord, SystemAuth } from '../system-auths/types';
import { epochSeconds } from '../time';
import { storedClientPublicKey } from './client-public-keys';
import { ClientAuthenticationRefusedError, OAuthError, type RefusedClient } from './errors';
import type { FailedAuthentications } from './failed-authentications';
import { CLOCK_TOLERANCE_SECONDS } from './signing-keys';

/** RFC 7523 2.2: the client_assertion_type of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An assertion may expire at most this far ahead (plus the clock tolerance): its jti is kept that long. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/**
 * Longest client_assertion read at all, checked before any parsing: an RSA-8192 signature is 1,366 base64url
 * characters, header and claims a few hundred.
 */
export const MAX_CLIENT_ASSERTION_LENGTH = 4096;

/** Longest jti accepted (it is hashed before it is stored). */
const MAX_JTI_LENGTH = 256;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A key's lastUsedAt is written at most once a minute, with the grant's own write. */
const KEY_USE_INTERVAL_MS = 60_000;

/** A token request that authenticates with a client assertion. */
export interface AssertionTokenRequest {
  assertion: string;
  /** client_id of the body, when the client sent one (RFC 7523 3: then it must be the assertion's sub). */
  clientId?: string;
}

/** Whom the assertion must be addressed to: the token endpoint's URL or the issuer identifier (both accepted). */
export interface AssertionAudience {
  issuer: string;
  tokenEndpoint: string;
}

/** A client that proved itself with a live key of its own. */
export interface AssertedClient {
  client: SystemAuth;
  kid: string;
  /** Whether the grant's write should also stamp the key's lastUsedAt. */
  stampKey: boolean;
}

/** Whether the form's parameters choose client assertion authentication (either of its two parameters is enough to be refused as such). */
export const usesClientAssertion = (form: ReadonlyMap<string, string>): boolean => form.has('client_assertion') || form.has('client_assertion_type');

/**
 * The assertion of a token request's form. One authentication method per request (RFC 6749 2.3): a secret or an
 * Authorization header beside the assertion is invalid_request, as is another assertion type.
 */
export function parseAssertionTokenRequest(event: Pick<APIGatewayProxyEvent, 'headers'>, form: ReadonlyMap<string, string>): AssertionTokenRequest {
  if (header(event, 'authorization') !== undefined || form.has('client_secret')) {
    throw new OAuthError('invalid_request', 'Use one client authentication method: a client assertion, or a client secret, not both');
  }
  const type = form.get('client_assertion_type');
  if (type === undefined) throw new OAuthError('invalid_request', `client_assertion_type is missing: it must be ${CLIENT_ASSERTION_TYPE}`);
  if (type !== CLIENT_ASSERTION_TYPE) throw new OAuthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
  const assertion = form.get('client_assertion');
  if (assertion === undefined) throw new OAuthError('invalid_request', 'client_assertion is missing');
  const clientId = form.get('client_id');
  return clientId === undefined ? { assertion } : { assertion, clientId };
}

type AssertionRefusal = Omit<Extract<RefusedClient, { code: 'INVALID_ASSERTION' }>, 'client'>;

const invalidAssertion = (detail: string): AssertionRefusal => ({ code: 'INVALID_ASSERTION', reason: 'invalid client assertion', detail });

/** Checks client assertions against the public keys of PRIVATE_KEY_JWT clients, and spends their jti. */
export class ClientAssertionAuthenticator {
  constructor(
    private readonly clients: Pick<PublicKeyClientGrants, 'get' | 'spendAssertionId' | 'markUsed' | 'end'>,
    /** The same slow-down of repeated failures per client id as secrets get (one per container). */
    private readonly failures: Pick<FailedAuthentications, 'record'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * The client the assertion proves, its key, and its jti spent. Every failure is the same invalid_client
   * (ClientAuthenticationRefusedError, whose refusal says why for the audit trail and the metrics), with nothing
   * written but the refusal: the jti is spent only once everything else holds.
   */
  async authenticate(request: AssertionTokenRequest, audience: AssertionAudience): Promise<AssertedClient> {
    const { assertion } = request;
    // Before any parsing: a size bound on what an unauthenticated caller makes us decode.
    if (assertion.length > MAX_CLIENT_ASSERTION_LENGTH) throw refused(invalidAssertion(`longer than ${MAX_CLIENT_ASSERTION_LENGTH} characters`));
    let claimedId: unknown;
    let claimedIssuer: unknown;
    let alg: unknown;
    let kid: unknown;
    try {
      ({ alg, kid } = decodeProtectedHeader(assertion));
      ({ sub: claimedId, iss: claimedIssuer } = decodeJwt(assertion));
    } catch {
      throw refused(invalidAssertion('not a signed JWT'));
    }
    if (typeof claimedId !== 'string' || !UUID.test(claimedId)) throw refused({ code: 'MALFORMED_CLIENT_ID', reason: 'malformed client id' });
    const clientId = claimedId;
    if (claimedIssuer !== clientId) return this.refuse(clientId, invalidAssertion('iss and sub differ'));
    if (request.clientId !== undefined && request.clientId !== clientId) {
      return this.refuse(clientId, { ...invalidAssertion('client_id differs from the assertion\'s sub') });
    }
    const auth = await this.clients.get(clientId);
    if (!auth) return this.refuse(clientId, { code: 'UNKNOWN_CLIENT', reason: 'unknown client' });
    const client = { id: auth.id, tenant: auth.tenant, kind: auth.kind, ...(auth.appId === undefined ? {} : { appId: auth.appId }) };
    if (auth.status !== 'ACTIVE') return this.refuse(clientId, { code: 'NOT_ACTIVE', reason: 'client not active', client });
    // alg is checked against the key's own list, never taken from the token alone: no none, no HMAC, no key-type confusion.
    if (typeof alg !== 'string') return this.refuse(clientId, { ...invalidAssertion('no alg'), client });
    const candidates = (auth.publicKeys ?? []).filter((key) => kid === undefined || key.kid === kid);
    if (candidates.length === 0) return this.refuse(clientId, { ...invalidAssertion('signed with a key the client does not have'), client });
    const now = this.now();
    for (const record of candidates) {
      const key = storedClientPublicKey(record.kid, record.jwk);
      if (!key.algorithms.includes(alg)) continue;
      let payload;
      try {
        ({ payload } = await jwtVerify(assertion, key.jwk, {
          algorithms: [...key.algorithms],
          issuer: clientId,
          subject: clientId,
          audience: [audience.tokenEndpoint, audience.issuer],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: now,
          requiredClaims: ['exp', 'jti'],
        }));
      } catch (error) {
        if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        return this.refuse(clientId, { ...invalidAssertion(claimProblem(error)), client });
      }
      const exp = payload.exp!;
      if (exp > epochSeconds(now) + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
        return this.refuse(clientId, { ...invalidAssertion(`expires more than ${MAX_ASSERTION_LIFETIME_SECONDS} s ahead`), client });
      }
      const jti = payload.jti;
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
        return this.refuse(clientId, { ...invalidAssertion(`jti must be a string of 1-${MAX_JTI_LENGTH} characters`), client });
      }
      // Kept until the assertion could no longer pass the exp check above anyway.
      if (!(await this.clients.spendAssertionId(clientId, jti, exp + CLOCK_TOLERANCE_SECONDS, now))) {
        return this.refuse(clientId, { code: 'REPLAYED_ASSERTION', reason: 'client assertion replayed', client });
      }
      return { client: auth, kid: record.kid, stampKey: keyUseIsDue(record, now) };
    }
    return this.refuse(clientId, { ...invalidAssertion('signature does not verify with a key of the client for its alg'), client });
  }

  /**
   * The grant's one write: the client's lastUsedAt (and the key's, when due). False when the client was revoked or the
   * key removed since authentication read them: the grant must then be refused.
   */
  recordGrant(asserted: AssertedClient, at: Date = this.now()): Promise<boolean> {
    return this.clients.markUsed(asserted.client.id, asserted.kid, at, asserted.stampKey);
  }

  /** Ends a client whose application is gone (pairing racing unregistering), as the pairing adapter's revoke does. */
  async revokeOrphaned(client: Pick<SystemAuth, 'id' | 'tenant'>): Promise<void> {
    await this.clients.end(client.tenant, client.id);
  }

  private async refuse(clientId: string, refusal: RefusedClient): Promise<never> {
    await this.failures.record(clientId);
    throw refused(refusal);
  }
}

const refused = (refusal: RefusedClient): ClientAuthenticationRefusedError => new ClientAuthenticationRefusedError(refusal);

/** Which claim check failed, in words for the audit trail (jose's messages name the claim, never a value we would not log). */
function claimProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} ${error.reason === 'missing' ? 'missing' : 'check failed'}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'alg not allowed for the key';
  return 'malformed';
}

function keyUseIsDue(key: ClientPublicKeyRecord, now: Date): boolean {
  return key.lastUsedAt === undefined || now.getTime() - Date.parse(key.lastUsedAt) >= KEY_USE_INTERVAL_MS;
}

