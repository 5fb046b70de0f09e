// The PRIVATE_KEY_JWT pairing adapter: an OAuth client that authenticates with assertions signed by the application's own key; nothing secret is created or stored.
import { randomUUID } from 'node:crypto';
import { BadUserInputError, ConflictError, NotFoundError } from '../errors';
import { quotedId } from '../ids';
import { logger } from '../logger';
import { CLIENT_ASSERTION_TYPE, MAX_ASSERTION_LIFETIME_SECONDS } from '../oauth/client-assertion';
import { parseClientPublicKey, PublicKeyRefusedError, type ClientPublicKey } from '../oauth/client-public-keys';
import { CLOCK_TOLERANCE_SECONDS } from '../oauth/signing-keys';
import { APPLICATION_BASE_SCOPE, APPLICATION_SCOPES_INPUT, applicationScopesFor } from '../scopes';
import { PUBLIC_KEY_CLIENT_TYPE, type PublicKeyClientRepository } from '../system-auths/private-key-jwt-clients';
import { MAX_LIVE_PUBLIC_KEYS, type ClientPublicKeyRecord, type SystemAuth } from '../system-auths/types';
import type {
  AppSystemAuthFields, AuthTypeDescription, PairingAdapter, PairingApplication, PairingAuditEvent, PairingContext, PairingResult, PublicKeyRotation,
} from './adapter';
import { tokenUrl } from './oauth-client-credentials';

/** What the application is told: who it is, where to go, and exactly what its assertions must say. */
export interface PrivateKeyJwtParams extends Record<string, unknown> {
  clientId: string;
  tokenUrl: string;
  scopes: string[];
  tokenEndpointAuthMethod: 'private_key_jwt';
  /** The id (RFC 7638 thumbprint) of the registered key: put it in the assertion's `kid` header, or leave it out. */
  keyId: string;
  assertion: {
    clientAssertionType: string;
    iss: string;
    sub: string;
    /** Any one of these. */
    aud: string[];
    algorithms: string[];
    maxLifetimeSeconds: number;
    clockToleranceSeconds: number;
    jti: string;
  };
}

/** The public facts of a live key, as the Director lists them. */
export interface PublicKeyInfo {
  kid: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export class PrivateKeyJwtAdapter implements PairingAdapter, PublicKeyRotation {
  readonly authType: AuthTypeDescription = {
    type: PUBLIC_KEY_CLIENT_TYPE,
    description:
      'OAuth 2.0 client credentials with private_key_jwt (RFC 7523): the application\'s public key (PEM or JWK: RSA ≥ 2048 bits, ' +
      `EC P-256/P-384 or Ed25519) verifies the assertion it signs per token request; nothing secret is created. ${APPLICATION_BASE_SCOPE} is always granted.`,
    inputParams: {
      type: 'object',
      additionalProperties: false,
      required: ['publicKey'],
      properties: {
        // Its length and content are checked by parseClientPublicKey, with messages that say what is wrong.
        publicKey: { type: 'string', description: 'The application\'s public key: PEM ("BEGIN PUBLIC KEY") or a JWK as JSON text. Never the private key.' },
        scopes: APPLICATION_SCOPES_INPUT,
      },
    },
    presentation: {
      label: 'Private key JWT (OAuth 2.0, public key)',
      credentialNoun: 'OAuth client (private key JWT)',
      revocationEffect: 'client and its access tokens',
      pendingHint: null,
      // Nothing handed over is secret: the private key never leaves the application.
      handoverWarning: null,
      params: [
        { name: 'clientId', label: 'Client id (iss and sub of each assertion)' },
        { name: 'tokenUrl', label: 'Token URL' },
        { name: 'scopes', label: 'Scopes' },
        { name: 'tokenEndpointAuthMethod', label: 'Client authentication' },
        { name: 'keyId', label: 'Key id (the assertion\'s kid header)' },
        { name: 'assertion', label: 'What each assertion must say' },
      ],
      inputParams: [
        { name: 'publicKey', label: 'The application\'s public key (PEM or JWK; never the private key)' },
        { name: 'scopes', label: 'Scopes' },
      ],
    },
  };

  readonly systemAuthType = PUBLIC_KEY_CLIENT_TYPE;

  /** An OAuth client of its own kind, revoked as any SystemAuth is. */
  readonly revokedAction = 'SYSTEM_AUTH_REVOKED';

  readonly publicKeys: PublicKeyRotation = this;

  constructor(private readonly clients: PublicKeyClientRepository) {}

  async generate(application: PairingApplication, inputParams: Record<string, unknown>, context: PairingContext): Promise<PairingResult> {
    // The registry has validated inputParams against the schema above; the key's own rules are checked here.
    const key = await checkedKey(inputParams.publicKey, 'inputParams.publicKey');
    const scopes = applicationScopesFor(inputParams.scopes as string[] | undefined);
    const createdAt = new Date().toISOString();
    const systemAuth: SystemAuth = {
      id: randomUUID(),
      tenant: application.tenant,
      kind: 'APPLICATION',
      type: PUBLIC_KEY_CLIENT_TYPE,
      appId: application.id,
      status: 'ACTIVE',
      scopes,
      createdAt,
      publicKeys: [keyRecord(key, createdAt)],
    };
    await this.clients.create(systemAuth);
    return { type: PUBLIC_KEY_CLIENT_TYPE, systemAuthID: systemAuth.id, params: privateKeyJwtParams(systemAuth.id, scopes, key, context.publicBaseUrl) };
  }

  /** Nothing beside PAIRING_DATA_GENERATED: no secret or token was issued. */
  pairedEvents(): PairingAuditEvent[] {
    return [];
  }

  /** An OAuth client: its id and token URL, and its live public keys instead of secrets. */
  publicFields(auth: SystemAuth, context: PairingContext): AppSystemAuthFields {
    return { clientId: auth.id, tokenUrl: tokenUrl(context.publicBaseUrl), publicKeys: publicKeysOf(auth) };
  }

  /** REVOKED first (refused at once, its quota slot given back), then the item: a retry after a failure finishes it. */
  async revoke(systemAuth: SystemAuth): Promise<void> {
    await this.clients.end(systemAuth.tenant, systemAuth.id);
  }

  /**
   * Adds a second live key to the client (the caller has checked tenant and kind), for rotation: both verify until one is
   * removed. CONFLICT when it has MAX_LIVE_PUBLIC_KEYS already or holds this key; returns the client after and the new key's id.
   */
  async addPublicKey(auth: SystemAuth, publicKey: unknown): Promise<{ systemAuth: SystemAuth; kid: string }> {
    const key = await checkedKey(publicKey, 'publicKey');
    if (auth.status !== 'ACTIVE') throw new ConflictError(`SystemAuth ${auth.id} is ${auth.status}: only an ACTIVE client gets a new key`);
    const live = auth.publicKeys ?? [];
    if (live.some((existing) => existing.kid === key.kid)) throw alreadyLive(key.kid);
    if (live.length >= MAX_LIVE_PUBLIC_KEYS) throw tooManyKeys();
    if (!(await this.clients.addKey(auth.tenant, auth.id, keyRecord(key, new Date().toISOString())))) {
      // Changed since it was read: a concurrent addition, a revocation or a deletion.
      const now = await this.current(auth);
      if ((now.publicKeys ?? []).some((existing) => existing.kid === key.kid)) throw alreadyLive(key.kid);
      if ((now.publicKeys ?? []).length >= MAX_LIVE_PUBLIC_KEYS) throw tooManyKeys();
      throw new ConflictError(`SystemAuth ${auth.id} changed while its key was added: try again`);
    }
    logger.info('public key added', { tenant: auth.tenant, systemAuthId: auth.id, kid: key.kid });
    return { systemAuth: await this.current(auth), kid: key.kid };
  }

  /** Ends one live key, never the last (deleting the SystemAuth ends the client); NOT_FOUND for a key it does not have. */
  async removePublicKey(auth: SystemAuth, kid: string): Promise<SystemAuth> {
    if (!(auth.publicKeys ?? []).some((key) => key.kid === kid)) throw noSuchKey(auth.id, kid);
    if ((auth.publicKeys ?? []).length <= 1) throw lastKey(auth.id);
    if (!(await this.clients.removeKey(auth.tenant, auth.id, kid))) {
      const now = await this.current(auth);
      if (!(now.publicKeys ?? []).some((key) => key.kid === kid)) throw noSuchKey(auth.id, kid);
      throw lastKey(auth.id);
    }
    logger.info('public key removed', { tenant: auth.tenant, systemAuthId: auth.id, kid });
    return this.current(auth);
  }

  private async current(auth: SystemAuth): Promise<SystemAuth> {
    const now = await this.clients.get(auth.id);
    if (!now || now.tenant !== auth.tenant) throw new NotFoundError(`No SystemAuth with id ${quotedId(auth.id)}`);
    return now;
  }
}

/** The live keys of a client as the Director lists them. */
export const publicKeysOf = (auth: SystemAuth): PublicKeyInfo[] =>
  (auth.publicKeys ?? []).map((key) => ({ kid: key.kid, createdAt: key.createdAt, lastUsedAt: key.lastUsedAt ?? null }));

function privateKeyJwtParams(clientId: string, scopes: string[], key: ClientPublicKey, publicBaseUrl: string): PrivateKeyJwtParams {
  return {
    clientId,
    tokenUrl: tokenUrl(publicBaseUrl),
    scopes,
    tokenEndpointAuthMethod: 'private_key_jwt',
    keyId: key.kid,
    assertion: {
      clientAssertionType: CLIENT_ASSERTION_TYPE,
      iss: clientId,
      sub: clientId,
      aud: [tokenUrl(publicBaseUrl), publicBaseUrl],
      algorithms: [...key.algorithms],
      maxLifetimeSeconds: MAX_ASSERTION_LIFETIME_SECONDS,
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
      jti: 'required: unique per assertion, accepted once',
    },
  };
}

const keyRecord = (key: ClientPublicKey, createdAt: string): ClientPublicKeyRecord => ({ kid: key.kid, jwk: JSON.stringify(key.jwk), createdAt });

/** The key, or BAD_USER_INPUT naming the field and what is wrong with it (nothing is stored). */
async function checkedKey(publicKey: unknown, field: string): Promise<ClientPublicKey> {
  try {
    return await parseClientPublicKey(publicKey);
  } catch (error) {
    if (!(error instanceof PublicKeyRefusedError)) throw error;
    throw new BadUserInputError(`${field}: ${error.message}`, { violations: [{ field, message: error.message }] });
  }
}

const tooManyKeys = (): ConflictError =>
  new ConflictError(`A PRIVATE_KEY_JWT client has at most ${MAX_LIVE_PUBLIC_KEYS} live public keys: remove one first (removePublicKey), then add`);
const alreadyLive = (kid: string): ConflictError => new ConflictError(`The client already has this public key (${kid})`);
const noSuchKey = (id: string, kid: string): NotFoundError => new NotFoundError(`SystemAuth ${id} has no live public key with id ${quotedId(kid)}`);
const lastKey = (id: string): ConflictError =>
  new ConflictError(`This is the last live public key of SystemAuth ${id}: a client keeps at least one; to end the client itself use deleteSystemAuthForApplication`);
