// Pairing and revocation of an application's credentials: what the Director's pairing resolvers and unregister call.
import { BadUserInputError, InternalError, NotFoundError } from '../errors';
import { isServiceId, quotedId } from '../ids';
import { logger } from '../logger';
import type { RotatedClientSecret } from '../oauth/clients';
import type { SystemAuthRepository } from '../system-auths/repository';
import type { SystemAuth } from '../system-auths/types';
import type { AuthTypeDescription, PairingApplication, PairingContext, PairingResult } from './adapter';
import type { OAuthClientCredentialsAdapter } from './oauth-client-credentials';
import type { PrivateKeyJwtAdapter } from './private-key-jwt';
import type { PairingAdapterRegistry } from './registry';

/** Raised when one or more credentials of an application could not be revoked; the rest were. A retry finishes the job. */
export class RevocationIncompleteError extends InternalError {
  override readonly name: string = 'RevocationIncompleteError';

  constructor(
    readonly failedSystemAuthIds: string[],
    causes: unknown[],
  ) {
    super(
      `Could not revoke ${failedSystemAuthIds.length} credential(s) of the application (${failedSystemAuthIds.join(', ')}); retry to finish`,
      { cause: causes },
    );
  }
}

export class PairingService {
  constructor(
    private readonly registry: PairingAdapterRegistry,
    private readonly oauthClients: OAuthClientCredentialsAdapter,
    private readonly systemAuths: SystemAuthRepository,
    private readonly privateKeyJwt: PrivateKeyJwtAdapter,
  ) {}

  /** The pairing types the application can use (the caller has checked the application exists). */
  authTypes(): AuthTypeDescription[] {
    return this.registry.authTypes();
  }

  /** Validates inputParams and creates the credential of that type. */
  async generate(application: PairingApplication, type: string, inputParams: unknown, context: PairingContext): Promise<PairingResult> {
    const result = await this.registry.generate(application, type, inputParams, context);
    logger.info('application paired', { tenant: application.tenant, appId: application.id, type, systemAuthId: result.systemAuthID });
    return result;
  }

  /** Compass's requestClientCredentialsForApplication: a new OAuth client with the default scopes, and its secret. */
  async requestClientCredentials(application: PairingApplication, context: PairingContext): Promise<{ systemAuth: SystemAuth; clientSecret: string }> {
    const { systemAuth, params } = await this.oauthClients.createClient(application, undefined, context);
    logger.info('application paired', {
      tenant: application.tenant, appId: application.id, type: systemAuth.type, systemAuthId: systemAuth.id,
    });
    return { systemAuth, clientSecret: params.clientSecret };
  }

  /**
   * Revokes one credential of an application of the tenant and returns it as it was, with status
   * REVOKED. An unknown or malformed id, another tenant's, or an administrator's SystemAuth is NOT_FOUND.
   */
  async revokeSystemAuth(tenant: string, id: string): Promise<SystemAuth> {
    // SystemAuth ids are UUIDs: an empty or malformed one names nothing (DynamoDB would refuse an empty key outright).
    const auth = isServiceId(id) ? await this.systemAuths.getOfTenant(tenant, id) : undefined;
    if (!auth || auth.kind !== 'APPLICATION') throw new NotFoundError(`No SystemAuth with id ${quotedId(id)}`);
    await this.registry.revoke(auth);
    logger.info('SystemAuth revoked', { tenant, appId: auth.appId, type: auth.type, systemAuthId: auth.id });
    return { ...auth, status: 'REVOKED' };
  }

  /**
   * A second live secret for an OAuth client of an application of the tenant, its value to be shown once.
   * NOT_FOUND as revokeSystemAuth; BAD_USER_INPUT for a certificate SystemAuth; CONFLICT when the client has two.
   */
  async rotateClientSecret(tenant: string, id: string): Promise<RotatedClientSecret> {
    const auth = await this.oauthClientOf(tenant, id);
    return this.oauthClients.rotateSecret(auth);
  }

  /** Ends one live secret of an OAuth client of the tenant, never its last; returns the SystemAuth with the secrets left. */
  async revokeClientSecret(tenant: string, id: string, secretId: string): Promise<SystemAuth> {
    const auth = await this.oauthClientOf(tenant, id);
    return this.oauthClients.revokeSecret(auth, secretId);
  }

  /** A second live public key for a PRIVATE_KEY_JWT client of the tenant (rotation); returns the client after and the key's id. */
  async addPublicKey(tenant: string, id: string, publicKey: unknown): Promise<{ systemAuth: SystemAuth; kid: string }> {
    return this.privateKeyJwt.addPublicKey(await this.publicKeyClientOf(tenant, id), publicKey);
  }

  /** Ends one live public key of a PRIVATE_KEY_JWT client of the tenant, never its last; returns the client after. */
  async removePublicKey(tenant: string, id: string, keyId: string): Promise<SystemAuth> {
    return this.privateKeyJwt.removePublicKey(await this.publicKeyClientOf(tenant, id), keyId);
  }

  private async publicKeyClientOf(tenant: string, id: string): Promise<SystemAuth> {
    const auth = isServiceId(id) ? await this.systemAuths.getOfTenant(tenant, id) : undefined;
    if (!auth || auth.kind !== 'APPLICATION') throw new NotFoundError(`No SystemAuth with id ${quotedId(id)}`);
    if (auth.type !== this.privateKeyJwt.systemAuthType) {
      throw new BadUserInputError(`SystemAuth ${auth.id} is a ${auth.type} credential: only PRIVATE_KEY_JWT clients have public keys`, {
        violations: [{ field: 'authID', message: 'not a PRIVATE_KEY_JWT client' }],
      });
    }
    return auth;
  }

  /** The tenant's SystemAuth of an application that is an OAuth client: what has secrets to rotate. */
  private async oauthClientOf(tenant: string, id: string): Promise<SystemAuth> {
    const auth = isServiceId(id) ? await this.systemAuths.getOfTenant(tenant, id) : undefined;
    if (!auth || auth.kind !== 'APPLICATION') throw new NotFoundError(`No SystemAuth with id ${quotedId(id)}`);
    if (auth.type !== 'OAUTH2_CLIENT_CREDENTIALS') {
      throw new BadUserInputError(`SystemAuth ${auth.id} is a ${auth.type} credential: only OAuth clients (OAUTH2_CLIENT_CREDENTIALS) have secrets`, {
        violations: [{ field: 'authID', message: 'not an OAuth client' }],
      });
    }
    return auth;
  }

  /** The Director's CredentialRevoker: what unpairing and unregistering an application run first. */
  async revokeApplicationCredentials(tenant: string, appId: string): Promise<void> {
    await this.revokeEveryCredentialOf(tenant, appId);
  }

  /**
   * Revokes every credential of the application. Each is attempted even when another fails; a
   * failure leaves that credential REVOKED-but-listed (adapters revoke in that order), so calling
   * this again finishes it. Returns what was revoked.
   */
  async revokeEveryCredentialOf(tenant: string, appId: string): Promise<SystemAuth[]> {
    const auths = await this.systemAuths.listOfApplication(tenant, appId);
    const outcomes = await Promise.allSettled(auths.map((auth) => this.registry.revoke(auth)));
    const failed = auths.filter((_, i) => outcomes[i].status === 'rejected');
    if (failed.length > 0) {
      const causes = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
      logger.error('revoking the credentials of an application failed part-way', {
        tenant, appId, failedSystemAuthIds: failed.map((auth) => auth.id),
        errors: causes.map((cause) => (cause as { name?: string } | undefined)?.name ?? 'unknown error'),
      });
      throw new RevocationIncompleteError(failed.map((auth) => auth.id), causes);
    }
    if (auths.length > 0) logger.info('application credentials revoked', { tenant, appId, systemAuthIds: auths.map((auth) => auth.id) });
    return auths.map((auth) => ({ ...auth, status: 'REVOKED' }));
  }
}
